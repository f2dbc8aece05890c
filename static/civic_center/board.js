/* Civic Center, providers' and coordinators' pages. The board's ambito and service
 * selectors show the new board as soon as one changes (the "Show" button stays for
 * keyboard and no-JavaScript use). No inline script (CSP). */
(function () {
  "use strict";

  document.addEventListener("change", function (event) {
    var form = event.target.closest ? event.target.closest("form.legami-cc-autosubmit") : null;
    if (form && event.target.tagName === "SELECT") { form.requestSubmit ? form.requestSubmit() : form.submit(); }
  });
})();
