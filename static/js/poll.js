// Documents render in workers: a page that waits for one marks an element with
// data-poll-url (a JSON status URL answering {"ready": bool, "url": ..., "progress": ...}).
// Until "ready", [data-poll-progress] shows the progress text; then [data-poll-pending] is
// hidden, [data-poll-ready] shown and [data-poll-link] pointed at "url". No inline scripts:
// the CSP forbids them.
// A <progress data-poll-bar> in the box follows "done" of "recipient_count" (a newsletter's
// send); data-poll-interval="2000" polls at that fixed pace instead of slowing down.
(function () {
  "use strict";

  function poll(box) {
    var url = box.getAttribute("data-poll-url");
    var fixed = parseInt(box.getAttribute("data-poll-interval") || "", 10);
    var delay = fixed > 0 ? fixed : 1500;
    var tries = 0;

    function show(data) {
      var progress = box.querySelector("[data-poll-progress]");
      if (progress && data.progress) {
        progress.textContent = data.progress;
      }
      var bar = box.querySelector("[data-poll-bar]");
      if (bar && typeof data.done === "number") {
        bar.max = Math.max(data.recipient_count || 0, 1);
        bar.value = data.done;
        bar.textContent = (data.percent || 0) + "%";
      }
      if (!data.ready) {
        return false;
      }
      var link = box.querySelector("[data-poll-link]");
      if (link && data.url) {
        link.setAttribute("href", data.url);
      }
      box.querySelectorAll("[data-poll-pending]").forEach(function (el) { el.hidden = true; });
      box.querySelectorAll("[data-poll-ready]").forEach(function (el) { el.hidden = false; });
      // A ready marker may sit beside the box (the newsletter page's "reload" line).
      var parent = box.parentElement;
      if (parent) {
        parent.querySelectorAll(":scope > [data-poll-ready]").forEach(function (el) { el.hidden = false; });
      }
      return true;
    }

    function tick() {
      tries += 1;
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) {
            throw new Error("status " + response.status);
          }
          return response.json();
        })
        .then(function (data) {
          if (!show(data)) {
            schedule();
          }
        })
        .catch(schedule);
    }

    function schedule() {
      // Slow down gently; stop after about ten minutes (the page still works when reloaded).
      if (tries > (fixed > 0 ? 1800 : 200)) {
        return;
      }
      if (!(fixed > 0)) {
        delay = Math.min(delay * 1.2, 5000);
      }
      window.setTimeout(tick, delay);
    }

    window.setTimeout(tick, delay);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-poll-url]").forEach(poll);
  });
})();
