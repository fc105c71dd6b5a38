// Documents render in workers: a page that waits for one marks an element with
// data-poll-url (a JSON status URL answering {"ready": bool, "url": ..., "progress": ...}).
// Until "ready", [data-poll-progress] shows the progress text; then [data-poll-pending] is
// hidden, [data-poll-ready] shown and [data-poll-link] pointed at "url". No inline scripts:
// the CSP forbids them.
(function () {
  "use strict";

  function poll(box) {
    var url = box.getAttribute("data-poll-url");
    var delay = 1500;
    var tries = 0;

    function show(data) {
      var progress = box.querySelector("[data-poll-progress]");
      if (progress && data.progress) {
        progress.textContent = data.progress;
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
      if (tries > 200) {
        return;
      }
      delay = Math.min(delay * 1.2, 5000);
      window.setTimeout(tick, delay);
    }

    window.setTimeout(tick, delay);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-poll-url]").forEach(poll);
  });
})();
