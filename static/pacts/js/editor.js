/* The pact editor: after htmx replaces a section (a goal, commitment or signatory added
 * or removed), the focus goes where a person needs it. A refused form starts with a
 * summary of its errors: the focus goes there, so it is read out and seen first;
 * otherwise the section's status line (role="status") announces what was done and the
 * focus returns to the section's first field, ready for the next entry. */
(function () {
  "use strict";

  document.addEventListener("htmx:afterSwap", function (event) {
    // With outerHTML the old section is gone: find the new one by its id.
    var id = event.detail.target ? event.detail.target.id : "";
    var section = id ? document.getElementById(id) : null;
    if (!section || !section.classList.contains("legami-editor-section")) { return; }
    var summary = section.querySelector("[data-error-summary]");
    if (summary) {
      summary.focus();
      return;
    }
    var first = section.querySelector("form.legami-form input, form.legami-form select, form.legami-form textarea");
    if (first) { first.focus(); }
  });
})();
