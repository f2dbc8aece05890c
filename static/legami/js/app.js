/* Legami: small page behaviour. No inline scripts anywhere (the CSP allows only
 * scripts served by Legami), so what a page needs to do lives here.
 *
 * This file is loaded BEFORE the Bootstrap Italia bundle and htmx (see base.html), so
 * that the flag below is set when the bundle runs. Do not call bootstrap or htmx at the
 * top level here: use events, which fire after every script has loaded. */
(function () {
  "use strict";

  // Video.js, inside the Bootstrap Italia bundle, injects a <style> element on load; the
  // CSP (style-src 'self') blocks it and logs an error on every page. Legami shows no
  // video, and this flag tells Video.js not to inject it.
  window.VIDEOJS_NO_DYNAMIC_STYLE = true;

  var SAFE_METHODS = /^(GET|HEAD|OPTIONS|TRACE)$/i;

  function cookie(name) {
    var parts = document.cookie ? document.cookie.split("; ") : [];
    for (var i = 0; i < parts.length; i++) {
      var eq = parts[i].indexOf("=");
      if (parts[i].slice(0, eq) === name) {
        return decodeURIComponent(parts[i].slice(eq + 1));
      }
    }
    return null;
  }

  // The CSRF token: the cookie is current even after a login rotated it; the <meta>
  // written by base.html is the fallback (e.g. if the cookie is HttpOnly).
  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return cookie("csrftoken") || (meta ? meta.getAttribute("content") : "");
  }

  // htmx requests that change state carry the token Django's CSRF check wants.
  document.addEventListener("htmx:configRequest", function (event) {
    if (!SAFE_METHODS.test(event.detail.verb)) {
      event.detail.headers["X-CSRFToken"] = csrfToken();
    }
  });

  // A failed htmx request must not fail silently: tell the person, in their language
  // (the message is in the page, rendered by Django), instead of leaving stale content.
  document.addEventListener("htmx:responseError", function (event) {
    var target = document.getElementById("htmx-error");
    if (target) {
      target.hidden = false;
      target.focus();
    }
    if (window.console) {
      window.console.warn("htmx request failed", event.detail.xhr.status);
    }
  });

  // A form that comes back refused starts with a summary of its errors
  // (data-error-summary): the focus goes there, so that it is read out and seen first.
  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.querySelector("[data-error-summary]");
    if (summary) { summary.focus(); }
  });
})();
