// Attenda's behaviours beyond htmx: keyboard shortcuts and their help, the composer's tabs and
// drafts, bulk selection and the live inbox, telling the presence heartbeat that the agent is
// replying, keeping the keyboard focus somewhere useful after a swap, and saying so when a request
// fails. No inline handlers anywhere: the CSP forbids them.
(function () {
  "use strict";

  function isTyping(element) {
    return Boolean(
      element &&
        element.closest &&
        (element.closest("input, textarea, select, [contenteditable]") || element.isContentEditable)
    );
  }

  function rowLinks() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-row-link]"));
  }

  // The inbox remembers the order of its tickets, so j and k on a ticket page go to the next and
  // previous ticket of the list the agent came from.
  function rememberList() {
    var numbers = rowLinks().map(function (link) {
      return link.closest("tr") ? link.closest("tr").getAttribute("data-ticket") : null;
    }).filter(Boolean);
    if (numbers.length && document.getElementById("inbox")) {
      try {
        window.sessionStorage.setItem("attenda:list", JSON.stringify({url: window.location.href, numbers: numbers}));
      } catch (ignored) { /* storage full or refused: j and k then stay within the page */ }
    }
  }
  document.addEventListener("DOMContentLoaded", rememberList);
  document.addEventListener("htmx:afterSettle", rememberList);

  function moveInList(step) {
    var links = rowLinks();
    if (links.length) {
      var index = links.indexOf(document.activeElement);
      var next = index === -1 ? (step > 0 ? 0 : links.length - 1) : Math.min(links.length - 1, Math.max(0, index + step));
      links[next].focus();
      return true;
    }
    var composer = document.querySelector("[data-composer]");
    var match = window.location.pathname.match(/\/tickets\/(\d+)\/$/);
    if (!composer || !match) return false;
    var list;
    try {
      list = JSON.parse(window.sessionStorage.getItem("attenda:list") || "null");
    } catch (ignored) {
      list = null;
    }
    if (!list) return false;
    var at = list.numbers.indexOf(match[1]);
    var target = list.numbers[at + step];
    if (at === -1 || !target) return false;
    window.location.href = window.location.pathname.replace(/\d+\/$/, target + "/");
    return true;
  }

  function showShortcuts() {
    var dialog = document.getElementById("shortcuts");
    if (dialog && !dialog.open) dialog.showModal();
  }
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-shortcuts-open]")) showShortcuts();
  });

  var pendingG = false;
  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented) return;
    // Ctrl+Enter (Cmd+Enter on a Mac) sends the reply or note being written.
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      var form = event.target.closest && event.target.closest("form.composer");
      if (form) {
        event.preventDefault();
        form.requestSubmit();
      }
      return;
    }
    // Escape leaves the text being written (it stays as a draft), so the other shortcuts work again.
    if (event.key === "Escape" && event.target.closest && event.target.closest("form.composer textarea")) {
      event.preventDefault();
      var main = document.getElementById("main");
      if (main) main.focus();
      return;
    }
    if (event.altKey || event.ctrlKey || event.metaKey || isTyping(event.target)) return;
    if (document.querySelector("dialog[open]")) return;
    var key = event.key;
    if (pendingG) {
      pendingG = false;
      if (key === "i") {
        event.preventDefault();
        window.location.href = document.querySelector(".brand").getAttribute("href");
      }
      return;
    }
    var handled = true;
    if (key === "?") {
      showShortcuts();
    } else if (key === "j" || key === "k") {
      handled = moveInList(key === "j" ? 1 : -1);
    } else if (key === "g") {
      pendingG = true;
      window.setTimeout(function () { pendingG = false; }, 1500);
    } else if (key === "/") {
      var search = document.getElementById("global-search");
      if (search) search.focus();
    } else if (key === "r" || key === "n") {
      handled = openComposer(key === "r" ? "reply" : "note");
    } else if (key === "x") {
      var row = document.activeElement && document.activeElement.closest && document.activeElement.closest("tr");
      var box = row ? row.querySelector("input[type=checkbox][name=tickets]") : null;
      if (box) box.click();
      handled = Boolean(box);
    } else {
      handled = false;
    }
    if (handled) event.preventDefault();
  });

  // The composer's Reply and Note tabs (the WAI-ARIA tabs pattern); without scripts both forms show.
  function selectTab(tab, focus) {
    var list = tab.closest("[role=tablist]");
    list.querySelectorAll("[role=tab]").forEach(function (other) {
      var selected = other === tab;
      other.setAttribute("aria-selected", selected ? "true" : "false");
      other.tabIndex = selected ? 0 : -1;
      var panel = document.getElementById(other.getAttribute("aria-controls"));
      if (panel) panel.hidden = !selected;
    });
    if (focus) tab.focus();
  }
  function setUpTabs() {
    document.querySelectorAll("[data-tabs]").forEach(function (list) {
      if (!list.hidden) return;
      list.hidden = false;
      list.querySelectorAll("[role=tab]").forEach(function (tab) {
        var panel = document.getElementById(tab.getAttribute("aria-controls"));
        if (panel) panel.setAttribute("role", "tabpanel");
      });
      selectTab(list.querySelector("[aria-selected=true]"), false);
    });
  }
  document.addEventListener("DOMContentLoaded", setUpTabs);
  document.addEventListener("click", function (event) {
    var tab = event.target.closest && event.target.closest("[data-tabs] [role=tab]");
    if (tab) selectTab(tab, true);
  });
  document.addEventListener("keydown", function (event) {
    var tab = event.target.closest && event.target.closest("[data-tabs] [role=tab]");
    if (!tab || (event.key !== "ArrowRight" && event.key !== "ArrowLeft")) return;
    var tabs = Array.prototype.slice.call(tab.parentNode.querySelectorAll("[role=tab]"));
    var next = tabs[(tabs.indexOf(tab) + (event.key === "ArrowRight" ? 1 : tabs.length - 1)) % tabs.length];
    selectTab(next, true);
    event.preventDefault();
  });
  function openComposer(which) {
    var tab = document.getElementById("tab-" + which);
    var body = document.getElementById("id_" + which + "-body");
    if (!body) return false;
    if (tab && !tab.closest("[data-tabs]").hidden) selectTab(tab, false);
    body.focus();
    return true;
  }

  // Drafts: what an agent writes in a reply or note is kept in this browser, per agent and ticket,
  // until it is sent, so a reload, a crash or a look at another ticket loses nothing. Logging out
  // forgets them, so the next person at a shared desk does not find them.
  var DRAFT = "attenda:draft:";
  function draftKey(field) {
    var match = window.location.pathname.match(/\/tickets\/(\d+)\/$/);
    var agent = document.body.getAttribute("data-agent");
    if (!match || !agent || !/^id_(reply|note)-body$/.test(field.id)) return null;
    return DRAFT + agent + ":" + match[1] + ":" + field.id;
  }
  function storage() {
    try {
      return window.localStorage;
    } catch (ignored) {
      return null;
    }
  }
  function restoreDrafts() {
    var store = storage();
    if (!store) return;
    document.querySelectorAll("#id_reply-body, #id_note-body").forEach(function (field) {
      var key = draftKey(field);
      if (!key) return;
      var sending = window.sessionStorage.getItem("attenda:sending");
      if (sending === key) {
        window.sessionStorage.removeItem("attenda:sending");
        // The page after sending: an error keeps the draft, success forgets it.
        if (field.getAttribute("aria-invalid") !== "true") {
          store.removeItem(key);
          return;
        }
      }
      var saved = store.getItem(key);
      if (saved && !field.value) {
        field.value = saved;
        field.classList.add("restored");
      }
    });
  }
  document.addEventListener("DOMContentLoaded", restoreDrafts);
  document.addEventListener("input", function (event) {
    var key = draftKey(event.target);
    var store = storage();
    if (!key || !store) return;
    if (event.target.value) {
      store.setItem(key, event.target.value);
    } else {
      store.removeItem(key);
    }
  });
  document.addEventListener("submit", function (event) {
    var field = event.target.querySelector && event.target.querySelector("#id_reply-body, #id_note-body");
    var key = field ? draftKey(field) : null;
    if (key) window.sessionStorage.setItem("attenda:sending", key);
    if (event.target.matches && event.target.matches("[data-logout]")) {
      var store = storage();
      if (!store) return;
      Object.keys(store).forEach(function (name) {
        if (name.indexOf(DRAFT) === 0) store.removeItem(name);
      });
    }
  });
  // After an htmx send, the form comes back empty when it worked and with the text when it did not.
  document.addEventListener("htmx:afterSettle", function () {
    restoreDrafts();
  });

  // Bulk actions: "select all" ticks every ticket of the page, and the toolbar says how many.
  function updateBulk() {
    var boxes = Array.prototype.slice.call(document.querySelectorAll("input[name=tickets][form=bulk-form]"));
    var ticked = boxes.filter(function (box) { return box.checked; });
    boxes.forEach(function (box) {
      var row = box.closest("tr");
      if (row) row.classList.toggle("selected", box.checked);
    });
    var all = document.querySelector("[data-select-all]");
    if (all) {
      all.checked = boxes.length > 0 && ticked.length === boxes.length;
      all.indeterminate = ticked.length > 0 && ticked.length < boxes.length;
    }
    var form = document.getElementById("bulk-form");
    if (form) form.classList.toggle("quiet", ticked.length === 0);
    var count = document.querySelector("[data-bulk-count]");
    if (count) {
      count.textContent = ticked.length
        ? count.getAttribute("data-some") + " " + ticked.length
        : count.getAttribute("data-none");
    }
  }
  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches("[data-select-all]")) {
      document.querySelectorAll("input[name=tickets][form=bulk-form]").forEach(function (box) {
        box.checked = event.target.checked;
      });
    }
    if (event.target.matches && event.target.matches("[data-select-all], input[name=tickets]")) updateBulk();
  });
  document.addEventListener("DOMContentLoaded", updateBulk);
  document.addEventListener("htmx:afterSettle", updateBulk);

  // The live inbox: a bar says how many tickets of this list are new or changed since it was shown;
  // the list itself stays still until the agent asks for it, so no row moves under the pointer.
  var live = null;
  function listen() {
    var bar = document.querySelector("[data-live-url]");
    if (live && (!bar || live.url.indexOf(bar.getAttribute("data-live-url")) === -1)) {
      live.close();
      live = null;
    }
    if (!bar || live || !window.EventSource) return;
    live = new window.EventSource(bar.getAttribute("data-live-url"));
    live.addEventListener("message", function (event) {
      var news = JSON.parse(event.data);
      var line = bar.querySelector("p");
      if (!news.count) return;
      bar.querySelector("[data-live-text]").textContent = news.text;
      line.hidden = false;
    });
  }
  document.addEventListener("DOMContentLoaded", listen);
  document.addEventListener("htmx:afterSettle", listen);

  // On narrow screens the sidebar and the inbox filters fold away behind a button.
  document.addEventListener("click", function (event) {
    var toggle = event.target.closest && event.target.closest("[data-sidebar-toggle], [data-filters-toggle]");
    if (!toggle) return;
    var target = document.getElementById(toggle.getAttribute("aria-controls"));
    var open = toggle.getAttribute("aria-expanded") !== "true";
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
    if (target) target.classList.toggle("unfolded", open);
  });

  // The presence heartbeat reports "replying" while the reply box has the focus or a draft.
  function updateActivity() {
    var activity = document.getElementById("presence-activity");
    var reply = document.getElementById("id_reply-body");
    if (!activity || !reply) return;
    var replying = document.activeElement === reply || reply.value.trim() !== "";
    activity.value = replying ? "replying" : "viewing";
  }
  document.addEventListener("focusin", updateActivity);
  document.addEventListener("focusout", function () {
    window.setTimeout(updateActivity, 0);
  });
  document.addEventListener("input", updateActivity);
  document.addEventListener("htmx:afterSettle", updateActivity);

  function focusFirstInvalid(root) {
    var field = root && root.querySelector ? root.querySelector("[aria-invalid='true']") : null;
    if (field) {
      field.focus();
      return true;
    }
    return false;
  }

  function fromPoll(event) {
    var source = event.detail && event.detail.requestConfig && event.detail.requestConfig.elt;
    return Boolean(source && source.closest && source.closest("[data-poll]"));
  }

  // A form sent without htmx comes back with its errors: start at the first one.
  document.addEventListener("DOMContentLoaded", function () {
    focusFirstInvalid(document.getElementById("main"));
  });

  // After a swap, go to the first field with an error; if the focused button was swapped away
  // (such as "Got it"), continue from the main content rather than from the top of the page.
  // The event's target may be the element that was swapped out, so look in the page itself.
  document.addEventListener("htmx:afterSettle", function (event) {
    if (fromPoll(event)) return;
    if (focusFirstInvalid(document.getElementById("main"))) return;
    var focused = document.activeElement;
    if (!focused || focused === document.body) {
      var main = document.getElementById("main");
      if (main) main.focus();
    }
  });

  function reportFailure(event) {
    if (fromPoll(event)) return;
    var region = document.getElementById("messages");
    var text = document.body.getAttribute("data-request-failed");
    if (!region || !text) return;
    var list = document.createElement("ul");
    var item = document.createElement("li");
    item.className = "message error";
    item.textContent = text;
    list.appendChild(item);
    region.replaceChildren(list);
  }
  document.addEventListener("htmx:responseError", reportFailure);
  document.addEventListener("htmx:sendError", reportFailure);
})();

// The phone ringing: the agent's own live stream shows who calls, on whichever page is open.
(function () {
  "use strict";
  function element(tag, text, attributes) {
    var node = document.createElement(tag);
    if (text) node.textContent = text;
    Object.keys(attributes || {}).forEach(function (name) { node.setAttribute(name, attributes[name]); });
    return node;
  }
  function fileForm(box, card, ticket, label) {
    var form = element("form", "", { method: "post", action: card.file_url });
    form.appendChild(element("input", "", { type: "hidden", name: "csrfmiddlewaretoken", value: box.dataset.csrf }));
    form.appendChild(element("input", "", { type: "hidden", name: "ticket", value: ticket }));
    form.appendChild(element("input", "", { type: "hidden", name: "next", value: box.dataset.next }));
    form.appendChild(element("button", label, { type: "submit", "class": "secondary" }));
    return form;
  }
  function show(box, card) {
    box.replaceChildren();
    box.dataset.call = card.call;
    box.appendChild(element("h2", box.dataset.labelCalling + ": " + card.number));
    if (card.customer) {
      var name = element("p");
      name.appendChild(element("a", card.customer.name, { href: card.customer.url, "data-caller": "" }));
      box.appendChild(name);
      if (card.customer.standing_agent) box.appendChild(element("p", box.dataset.labelAgent + " " + card.customer.standing_agent));
    } else {
      box.appendChild(element("p", box.dataset.labelUnknown));
    }
    box.appendChild(element("h3", box.dataset.labelTickets));
    if (!card.tickets.length) box.appendChild(element("p", box.dataset.labelNone));
    var list = element("ul");
    card.tickets.forEach(function (ticket) {
      var item = element("li");
      item.appendChild(element("a", "#" + ticket.number + " " + ticket.subject + " (" + ticket.status + ")", { href: ticket.url }));
      item.appendChild(fileForm(box, card, String(ticket.number), box.dataset.labelFile));
      list.appendChild(item);
    });
    box.appendChild(list);
    box.appendChild(fileForm(box, card, "new", box.dataset.labelNew));
    box.hidden = false;
  }
  function follow() {
    var box = document.getElementById("ringing");
    if (!box || !window.EventSource) return;
    var stream = new window.EventSource(box.dataset.streamUrl);
    stream.addEventListener("call.ringing", function (event) { show(box, JSON.parse(event.data)); });
    stream.addEventListener("call.ended", function (event) {
      var ended = JSON.parse(event.data);
      if (String(ended.call) === box.dataset.call) box.hidden = true;
    });
  }
  document.addEventListener("DOMContentLoaded", follow);
})();
