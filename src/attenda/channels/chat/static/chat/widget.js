/* Attenda's chat widget. One tag adds it to a web site:
     <script src="https://attenda.example.com/chat/widget.js" data-attenda-chat="KEY" async></script>
   Optional, for a signed-in user of the site: data-user-id, data-user-email and data-user-signature
   (hex HMAC-SHA256 of "<id>\n<email>" with the widget's secret, made on the site's server).
   Plain JavaScript, no framework; every text comes from Attenda in the visitor's language. */
(function () {
  "use strict";
  var script = document.currentScript || document.querySelector("script[data-attenda-chat]");
  if (!script || window.attendaChat) return;
  window.attendaChat = true;
  var key = script.getAttribute("data-attenda-chat");
  var base = new URL(script.src).origin + "/chat/w/" + encodeURIComponent(key) + "/";
  var store = "attenda-chat:" + key;
  var langs = (navigator.languages || [navigator.language || "en"]).join(",");
  var T = {}, saved = load(), source = null, typingTimer = null, lastTyping = 0, sentCount = 0;
  var CSS = ".ac-root{position:fixed;right:16px;bottom:16px;z-index:2147483000;font:16px/1.4 system-ui,sans-serif;color:#1f2328}" +
    ".ac-root *{box-sizing:border-box}.ac-launch,.ac-btn{background:#1d4ed8;color:#fff;border:0;border-radius:6px;padding:10px 16px;font:inherit;cursor:pointer}" +
    ".ac-launch:focus-visible,.ac-btn:focus-visible,.ac-root input:focus-visible,.ac-root textarea:focus-visible,.ac-x:focus-visible{outline:3px solid #f59e0b;outline-offset:2px}" +
    ".ac-panel{width:min(360px,calc(100vw - 32px));max-height:min(560px,calc(100vh - 90px));background:#fff;border:1px solid #6b7280;border-radius:8px;box-shadow:0 4px 20px rgba(0,0,0,.25);display:flex;flex-direction:column;margin-bottom:8px}" +
    ".ac-head{display:flex;justify-content:space-between;align-items:center;padding:8px 12px;background:#1d4ed8;color:#fff;border-radius:8px 8px 0 0}" +
    ".ac-head h2{font-size:1rem;margin:0}.ac-x{background:transparent;color:#fff;border:0;font:inherit;font-size:1.4rem;cursor:pointer;padding:0 6px}" +
    ".ac-body{padding:12px;overflow:auto;flex:1}.ac-body label{display:block;font-weight:600;margin:8px 0 2px}" +
    ".ac-body input,.ac-body textarea{width:100%;padding:6px;border:1px solid #6b7280;border-radius:4px;font:inherit;color:#1f2328;background:#fff}" +
    ".ac-hint,.ac-status{font-size:.875rem;color:#4b5563;margin:4px 0}.ac-log{min-height:120px;max-height:300px;overflow:auto;margin-bottom:8px}" +
    ".ac-msg{margin:4px 0;padding:6px 8px;border-radius:6px;background:#f3f4f6}.ac-me{background:#dbeafe}.ac-err{color:#b91c1c}" +
    ".ac-row{display:flex;gap:8px;margin-top:8px;flex-wrap:wrap}.ac-link{background:none;border:0;color:#1d4ed8;text-decoration:underline;font:inherit;cursor:pointer;padding:0}" +
    ".ac-sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}";

  function load() { try { return JSON.parse(localStorage.getItem(store)) || {}; } catch (e) { return {}; } }
  function save() { try { localStorage.setItem(store, JSON.stringify(saved)); } catch (e) { /* private mode */ } }
  function fmt(text, values) { return text.replace(/%\((\w+)\)s/g, function (m, name) { return values[name]; }); }
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      if (name === "text") node.textContent = attrs[name];
      else if (name.slice(0, 2) === "on") node.addEventListener(name.slice(2), attrs[name]);
      else node.setAttribute(name, attrs[name]);
    });
    (children || []).forEach(function (child) { if (child) node.appendChild(child); });
    return node;
  }
  function post(path, data, credentials) {
    return fetch(base + path + "?lang=" + encodeURIComponent(langs), {
      method: "POST", body: JSON.stringify(data), headers: { "Content-Type": "text/plain;charset=UTF-8" },
      credentials: credentials || "same-origin"
    }).then(function (response) {
      if (response.status === 204) return { ok: true, status: 204, data: {} };
      return response.json().then(function (body) { return { ok: response.ok, status: response.status, data: body }; },
        function () { return { ok: response.ok, status: response.status, data: {} }; });
    });
  }
  function field(id, label, type, required, hint) {
    var input = type === "textarea" ? el("textarea", { id: id, rows: "3" }) : el("input", { id: id, type: type });
    if (required) { input.required = true; input.setAttribute("aria-required", "true"); }
    var hintNode = null;
    if (hint) { hintNode = el("p", { id: id + "-hint", "class": "ac-hint", text: hint }); input.setAttribute("aria-describedby", id + "-hint"); }
    if (type === "email") input.setAttribute("autocomplete", "email");
    if (id.slice(-4) === "name") input.setAttribute("autocomplete", "name");
    return { input: input, nodes: [el("label", { "for": id, text: label }), input, hintNode] };
  }

  var root, launch, panel, body, alertNode;
  function build() {
    var style = el("style");
    style.textContent = CSS;
    document.head.appendChild(style);
    root = el("div", { "class": "ac-root" });
    launch = el("button", { "class": "ac-launch", type: "button", "aria-expanded": "false", "aria-controls": "ac-panel", text: T.open, onclick: toggle });
    body = el("div", { "class": "ac-body" });
    alertNode = el("p", { "class": "ac-err", role: "alert" });
    panel = el("section", { id: "ac-panel", "class": "ac-panel", role: "dialog", "aria-modal": "false", "aria-labelledby": "ac-title", hidden: "" }, [
      el("div", { "class": "ac-head" }, [el("h2", { id: "ac-title", text: T.title }),
        el("button", { "class": "ac-x", type: "button", "aria-label": T.close, text: "×", onclick: toggle })]),
      body, el("div", { "class": "ac-body" }, [alertNode])
    ]);
    panel.addEventListener("keydown", function (event) { if (event.key === "Escape") toggle(); });
    root.appendChild(panel);
    root.appendChild(launch);
    document.body.appendChild(root);
  }
  function toggle() {
    var opening = panel.hasAttribute("hidden");
    if (opening) panel.removeAttribute("hidden"); else panel.setAttribute("hidden", "");
    launch.setAttribute("aria-expanded", opening ? "true" : "false");
    if (opening) { var first = body.querySelector("input,textarea,button"); if (first) first.focus(); } else launch.focus();
  }
  function show(children, focus) {
    body.textContent = "";
    alertNode.textContent = "";
    children.forEach(function (child) { if (child) body.appendChild(child); });
    if (focus && !panel.hasAttribute("hidden")) focus.focus();
  }
  function failed(result) {
    alertNode.textContent = result && result.status === 429 ? T.tooMany : (result && result.data && result.data.error) || T.error;
  }
  function greeting() { return T.greeting ? el("p", { text: T.greeting }) : null; }

  function startForm() {
    var name = field("ac-name", T.name, "text", false);
    var email = field("ac-email", T.email, "email", false, T.emailHint);
    var text = field("ac-text", T.message, "textarea", true);
    var form = el("form", { novalidate: "" }, name.nodes.concat(email.nodes, text.nodes, [el("div", { "class": "ac-row" }, [el("button", { "class": "ac-btn", type: "submit", text: T.start })])]));
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (!text.input.value.trim()) { alertNode.textContent = T.required; text.input.focus(); return; }
      var data = { text: text.input.value, name: name.input.value, email: email.input.value, visitor: saved.visitor || "", message_id: "m" + Date.now(),
        user_id: script.getAttribute("data-user-id") || "", user_email: script.getAttribute("data-user-email") || "", signature: script.getAttribute("data-user-signature") || "" };
      post("start/", data, "include").then(function (result) {
        if (result.status === 409) { offlineForm(); return; }
        if (!result.ok) { failed(result); return; }
        saved = { visitor: result.data.visitor, token: result.data.token, after: result.data.after };
        save();
        chatView([{ me: true, text: data.text }]);
        queue(result.data);
      }, failed);
    });
    show([greeting(), form], name.input);
  }

  var log, status, typing, composer;
  function say(text, me, who) {
    var node = el("p", { "class": "ac-msg" + (me ? " ac-me" : "") }, [el("strong", { text: (me ? T.you : who || T.agent) + ": " }), document.createTextNode(text)]);
    log.appendChild(node);
    log.scrollTop = log.scrollHeight;
  }
  function queue(data) {
    status.textContent = fmt(T.waiting, { position: data.position }) + (data.wait ? " " + fmt(T.wait, { wait: data.wait }) : "");
  }
  function chatView(lines) {
    log = el("div", { "class": "ac-log", role: "log", "aria-live": "polite", "aria-label": T.messages });
    status = el("p", { "class": "ac-status", role: "status" });
    typing = el("p", { "class": "ac-status", "aria-live": "polite" });
    var text = field("ac-say", T.message, "textarea", true);
    composer = el("form", {}, text.nodes.concat([el("div", { "class": "ac-row" }, [
      el("button", { "class": "ac-btn", type: "submit", text: T.send }),
      el("button", { "class": "ac-link", type: "button", text: T.end, onclick: end })])]));
    text.input.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); composer.requestSubmit(); }
    });
    text.input.addEventListener("input", function () {
      var now = Date.now();
      if (now - lastTyping > 3000) { lastTyping = now; post("typing/", { token: saved.token }); }
    });
    composer.addEventListener("submit", function (event) {
      event.preventDefault();
      var said = text.input.value.trim();
      if (!said) { alertNode.textContent = T.required; return; }
      post("messages/", { token: saved.token, text: said, message_id: "m" + Date.now() + "-" + (sentCount++) }).then(function (result) {
        if (!result.ok) { failed(result); return; }
        alertNode.textContent = "";
        say(said, true);
        text.input.value = "";
        text.input.focus();
      }, failed);
    });
    show([greeting(), log, status, typing, composer], text.input);
    (lines || []).forEach(function (line) { say(line.text, line.me); });
    listen();
  }
  function listen() {
    if (source) source.close();
    source = new EventSource(base + "events/?token=" + encodeURIComponent(saved.token) + "&after=" + (saved.after || 0));
    source.addEventListener("message", function (event) {
      var data = JSON.parse(event.data);
      saved.after = event.lastEventId; save();
      if (data.from !== "agent") return;
      typing.textContent = "";
      say(data.text, false, data.name);
    });
    source.addEventListener("typing", function (event) {
      if (JSON.parse(event.data).from !== "agent") return;
      typing.textContent = T.typing;
      clearTimeout(typingTimer);
      typingTimer = setTimeout(function () { typing.textContent = ""; }, 4000);
    });
    source.addEventListener("queue", function (event) { queue(JSON.parse(event.data)); });
    source.addEventListener("joined", function (event) { status.textContent = fmt(T.joined, { agent: JSON.parse(event.data).agent }); });
    source.addEventListener("ended", finished);
    source.addEventListener("error", function () {
      if (source.readyState === 2) { saved.token = ""; save(); startForm(); }
    });
  }
  function finished() {
    if (source) source.close();
    saved.token = ""; saved.after = 0; save();
    typing.textContent = "";
    status.textContent = T.ended;
    if (composer) composer.querySelectorAll("textarea,button").forEach(function (node) { node.disabled = true; });
    var again = el("button", { "class": "ac-btn", type: "button", text: T.start, onclick: startForm });
    body.appendChild(el("div", { "class": "ac-row" }, [again]));
  }
  function end() { post("end/", { token: saved.token }).then(finished, failed); }

  function offlineForm() {
    var name = field("ac-off-name", T.name, "text", true);
    var email = field("ac-off-email", T.email, "email", true);
    var text = field("ac-off-text", T.message, "textarea", true);
    var form = el("form", { novalidate: "" }, name.nodes.concat(email.nodes, text.nodes, [el("div", { "class": "ac-row" }, [el("button", { "class": "ac-btn", type: "submit", text: T.send })])]));
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var missing = [name.input, email.input, text.input].filter(function (input) { return !input.value.trim(); })[0];
      if (missing) { alertNode.textContent = T.required; missing.focus(); return; }
      post("offline/", { name: name.input.value, email: email.input.value, text: text.input.value }).then(function (result) {
        if (!result.ok) { failed(result); return; }
        var thanks = el("p", { role: "status", tabindex: "-1", text: T.offlineSent });
        show([thanks], thanks);
      }, failed);
    });
    panel.querySelector("#ac-title").textContent = T.offlineTitle;
    show([el("p", { text: T.offlineIntro }), form], name.input);
  }

  fetch(base + "config/?lang=" + encodeURIComponent(langs)).then(function (response) {
    if (!response.ok) throw new Error("chat unavailable");
    return response.json();
  }).then(function (config) {
    T = config.strings;
    T.greeting = config.greeting;
    build();
    if (saved.token) chatView([]);
    else if (config.open) startForm();
    else offlineForm();
  }).catch(function () { /* The site works on without the chat. */ });
})();
