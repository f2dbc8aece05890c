/* The needs board: after htmx replaces a need's card (support given or withdrawn, a
 * move along the board), the focus goes back to the card's first button, so keyboard
 * and screen-reader users stay where they were; a refusal in the card takes the focus
 * so that it is read out. The card's status line (role="status") announces the rest. */
(function () {
  "use strict";

  document.addEventListener("htmx:afterSwap", function (event) {
    var id = event.detail.target ? event.detail.target.id : "";
    var card = id ? document.getElementById(id) : null;
    if (!card || !card.classList.contains("legami-need-card")) { return; }
    var error = card.querySelector("[data-error-summary]");
    var button = card.querySelector("button");
    if (error) {
      error.focus();
    } else if (button) {
      button.focus();
    }
  });
})();
