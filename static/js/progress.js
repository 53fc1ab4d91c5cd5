// Live progress for a session: polls the JSON endpoint and copies its (translated) words into
// the panel and the page's state badge. Without JavaScript the page refreshes itself instead
// (see _progress.html).
(function () {
  "use strict";

  var POLL_MS = 3000;

  function start(panel) {
    if (panel.dataset.bound === "1") {
      return;
    }
    panel.dataset.bound = "1";
    var url = panel.dataset.progressUrl;
    var message = panel.querySelector("[data-progress-message]");
    var bar = panel.querySelector("[data-progress-bar]");
    var eta = panel.querySelector("[data-progress-eta]");
    var badges = document.querySelectorAll("[data-session-state]");
    var wasFinished = panel.dataset.finished === "1";

    function poll() {
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok) {
            throw new Error(String(response.status));
          }
          return response.json();
        })
        .then(function (data) {
          badges.forEach(function (badge) {
            badge.textContent = data.state_label;
            badge.className = "state state-" + data.state_key;
          });
          message.textContent = data.message;
          eta.textContent = data.eta_text;
          bar.value = data.percent;
          bar.textContent = data.percent + "%";
          if (data.finished && data.phase !== "regenerating") {
            if (!wasFinished) {
              // The gallery (or the failure notice) is a new page, not a number to update.
              window.location.assign(data.gallery_url);
            }
            return;
          }
          window.setTimeout(poll, POLL_MS);
        })
        .catch(function () {
          window.setTimeout(poll, POLL_MS * 3);
        });
    }

    if (!wasFinished) {
      window.setTimeout(poll, POLL_MS);
    }
  }

  function init() {
    document.querySelectorAll(".gen-progress[data-progress-url]").forEach(start);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
