/* Attendance at the door: after htmx swaps a person's row, the focus goes back to its
 * toggle, so that a keyboard or screen-reader user stays where they were. No inline
 * script or style (CSP). */
(function () {
  "use strict";

  document.addEventListener("htmx:afterSwap", function (event) {
    var id = event.detail.target ? event.detail.target.id : "";
    var row = id ? document.getElementById(id) : null;
    if (!row || !row.classList.contains("facilitate-attendance-row")) { return; }
    var button = row.querySelector("button");
    if (button) { button.focus(); }
  });
})();
