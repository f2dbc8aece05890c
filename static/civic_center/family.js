/* Civic Center, families' pages.
 * - The demand form: when a service is chosen, the unit next to the quantity follows it
 *   (each option carries its unit in data-unit).
 * - A demand's page: the "Copy the link" button (hidden when the browser cannot copy)
 *   copies the invitation link and says so in a status line read out by screen readers.
 * No inline scripts: the CSP allows only scripts served by Legami. */
(function () {
  "use strict";

  function followUnit(select) {
    var target = document.querySelector("[data-unit-label]");
    if (!target) { return; }
    var option = select.options[select.selectedIndex];
    var unit = option ? option.getAttribute("data-unit") : "";
    target.textContent = unit || target.getAttribute("data-unit-empty") || "";
  }

  function setUpCopy(button) {
    var input = document.getElementById(button.getAttribute("data-copy"));
    var status = document.querySelector("[data-copy-status]");
    if (!input || !navigator.clipboard) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(input.value).then(function () {
        if (status) {
          status.textContent = button.getAttribute("data-copied") || "";
          status.classList.remove("visually-hidden");
        }
      }, function () {
        input.focus();
        input.select();
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var select = document.querySelector("select[name='category']");
    if (select) {
      select.addEventListener("change", function () { followUnit(select); });
    }
    Array.prototype.forEach.call(document.querySelectorAll("[data-copy]"), setUpCopy);
  });
})();
