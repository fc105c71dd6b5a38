// The portal's only script of its own (the CSP forbids inline scripts).
// After a form comes back with errors, move the focus to its summary so that keyboard and
// screen-reader users start from the list of what to correct.
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.querySelector(".form-error-summary");
  if (summary) {
    summary.focus();
  }
});
