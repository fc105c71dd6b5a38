// The portal's only script of its own (the CSP forbids inline scripts).
// After a form comes back with errors, move the focus to its summary so that keyboard and
// screen-reader users start from the list of what to correct. Otherwise, after an action that
// redirected to a page with a message ("… is dismissed."), move the focus to that message, so that
// keyboard users do not start again from the top of the page and screen readers read what happened.
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.querySelector(".form-error-summary");
  var message = document.querySelector("main .alert[role=status], main .alert[role=alert]");
  if (summary) {
    summary.focus();
  } else if (message) {
    message.setAttribute("tabindex", "-1");
    message.focus();
  }
});
