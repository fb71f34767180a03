/* Behaviour every page shares, kept out of the markup (the Content-Security-Policy allows no inline
   scripts or event handlers):
   - <select data-autosubmit> submits its form when changed (the language switcher);
   - <form data-confirm="question"> asks before it is submitted (delete buttons). */
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    const el = event.target;
    if (el instanceof HTMLSelectElement && el.hasAttribute("data-autosubmit") && el.form) {
      el.form.submit();
    }
  });
  document.addEventListener("submit", function (event) {
    const form = event.target;
    const question = form instanceof HTMLFormElement ? form.getAttribute("data-confirm") : null;
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });
})();
