/* The agents' Chats pages: the waiting list refreshes itself when a chat arrives or is taken, and a
   chat's transcript shows the visitor's messages and typing as they happen; the composer sends
   without reloading the page (and still works as a plain form without this script). */
(function () {
  "use strict";

  function csrf(form) {
    var field = form.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  function watchList() {
    var lists = document.getElementById("chat-lists");
    if (!lists || !window.EventSource) return;
    var news = document.getElementById("chat-list-news");
    var source = new window.EventSource(lists.getAttribute("data-chat-list-live"));
    function refresh() {
      fetch(lists.getAttribute("data-chat-list-url"), { credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.text() : null; })
        .then(function (html) {
          if (html === null) return;
          var focused = document.activeElement && lists.contains(document.activeElement);
          lists.innerHTML = html;
          news.textContent = news.getAttribute("data-text");
          if (focused) lists.querySelector("h2").setAttribute("tabindex", "-1"), lists.querySelector("h2").focus();
        });
    }
    ["waiting", "taken", "ended"].forEach(function (kind) { source.addEventListener(kind, refresh); });
  }

  function watchChat() {
    var transcript = document.getElementById("chat-transcript");
    if (!transcript || !window.EventSource) return;
    var typing = document.getElementById("chat-typing");
    var typingTimer = null;
    function line(id, who, text) {
      if (id && transcript.querySelector('[data-entry="' + id + '"]')) return;
      var p = document.createElement("p");
      p.className = "chat-line";
      if (id) p.setAttribute("data-entry", id);
      var strong = document.createElement("strong");
      strong.textContent = who + ":";
      p.appendChild(strong);
      p.appendChild(document.createTextNode(" " + text));
      transcript.appendChild(p);
      transcript.scrollTop = transcript.scrollHeight;
    }
    var source = new window.EventSource(transcript.getAttribute("data-events"));
    source.addEventListener("message", function (event) {
      var data = JSON.parse(event.data);
      typing.textContent = "";
      var who = data.from === "visitor" ? transcript.getAttribute("data-visitor") : transcript.getAttribute("data-you");
      line(data.id, who, data.text);
    });
    source.addEventListener("typing", function (event) {
      var data = JSON.parse(event.data);
      if (data.from !== "visitor") return;
      typing.textContent = transcript.getAttribute("data-typing");
      clearTimeout(typingTimer);
      typingTimer = setTimeout(function () { typing.textContent = ""; }, 4000);
    });
    source.addEventListener("ended", function () {
      typing.textContent = transcript.getAttribute("data-ended");
      source.close();
    });

    var composer = document.getElementById("chat-composer");
    if (!composer) return;
    var body = composer.querySelector("textarea");
    var lastTyping = 0;
    body.addEventListener("input", function () {
      var now = Date.now();
      if (now - lastTyping < 3000) return;
      lastTyping = now;
      fetch(composer.getAttribute("data-typing-url"), {
        method: "POST", credentials: "same-origin", headers: { "X-CSRFToken": csrf(composer) }
      });
    });
    body.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey) {
        event.preventDefault();
        composer.requestSubmit();
      }
    });
    composer.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = body.value.trim();
      if (!text) return;
      var data = new FormData(composer);
      fetch(composer.action, {
        method: "POST", credentials: "same-origin", body: data,
        headers: { "X-CSRFToken": csrf(composer), Accept: "application/json" }
      }).then(function (response) {
        return response.json().then(function (answer) { return { ok: response.ok, answer: answer }; });
      }).then(function (result) {
        if (!result.ok) { typing.textContent = result.answer.error; return; }
        line(result.answer.id, transcript.getAttribute("data-you"), text);
        body.value = "";
        body.focus();
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () { watchList(); watchChat(); });
})();
