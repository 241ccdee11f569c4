// The counter page's queue follows the office's live stream: on each event it asks the server
// for the queue again (one small request), so the list is the one the server would draw.
(function () {
  "use strict";
  function follow() {
    var queue = document.querySelector("[data-live-queue]");
    if (!queue || !window.EventSource) return;
    var source = new EventSource(queue.dataset.events);
    var pending = false;
    function refresh() {
      if (pending) return;
      pending = true;
      fetch(queue.dataset.refresh, { credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.text() : null; })
        .then(function (html) {
          pending = false;
          if (html === null) return;
          var holder = document.createElement("div");
          holder.innerHTML = html;
          var fresh = holder.querySelector("[data-live-queue]");
          var current = document.querySelector("[data-live-queue]");
          if (fresh && current) current.replaceChildren.apply(current, Array.from(fresh.childNodes));
        })
        .catch(function () { pending = false; });
    }
    ["queued", "called", "cleared"].forEach(function (kind) {
      source.addEventListener(kind, refresh);
    });
  }
  document.addEventListener("DOMContentLoaded", follow);
})();
