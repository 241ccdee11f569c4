/* The ticket page of a chat: the visitor's messages appear on the timeline as they are written
   (the timeline is drawn again by the server, exactly as a reload would draw it, so what triage
   hides from this agent stays hidden), and the visitor's typing is shown. */
(function () {
  "use strict";

  function follow() {
    var live = document.getElementById("ticket-live");
    if (!live || !window.EventSource) return;
    var status = document.getElementById("ticket-live-status");
    var typingTimer = null, loading = false, again = false;

    function say(text) {
      clearTimeout(typingTimer);
      status.textContent = text;
    }

    function redraw() {
      if (loading) { again = true; return; }
      loading = true;
      fetch(window.location.pathname, { credentials: "same-origin", headers: { Accept: "text/html" } })
        .then(function (response) { return response.ok ? response.text() : null; })
        .then(function (html) {
          var current = document.getElementById("timeline");
          if (html === null || !current) return;
          var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("timeline");
          if (!fresh) return;
          var node = document.importNode(fresh, true);
          current.replaceWith(node);
          if (window.htmx) window.htmx.process(node);
        })
        .catch(function () { /* The next message, or a reload, brings it. */ })
        .then(function () {
          loading = false;
          if (again) { again = false; redraw(); }
        });
    }

    var source = new window.EventSource(live.getAttribute("data-ticket-live"));
    source.addEventListener("message", function (event) {
      var data = JSON.parse(event.data);
      say(data.from === "visitor" ? live.getAttribute("data-wrote") : "");
      redraw();
    });
    source.addEventListener("typing", function (event) {
      if (JSON.parse(event.data).from !== "visitor") return;
      say(live.getAttribute("data-typing"));
      typingTimer = setTimeout(function () { status.textContent = ""; }, 4000);
    });
    source.addEventListener("ended", function (event) {
      var by = JSON.parse(event.data).by;
      say(live.getAttribute(by === "visitor" ? "data-ended" : "data-ended-agent"));
      source.close();
    });
  }

  document.addEventListener("DOMContentLoaded", follow);
})();
