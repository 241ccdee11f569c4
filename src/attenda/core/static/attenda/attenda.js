// Attenda's few behaviours beyond htmx: j/k between the rows of a list, telling the presence
// heartbeat that the agent is replying, keeping the keyboard focus somewhere useful after a swap,
// and saying so when a request fails. No inline handlers anywhere: the CSP forbids them.
(function () {
  "use strict";

  function isTyping(element) {
    return Boolean(
      element &&
        element.closest &&
        (element.closest("input, textarea, select, [contenteditable]") || element.isContentEditable)
    );
  }

  // j and k move to the next and previous row of a list, like many mail and ticket tools.
  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return;
    if (event.key !== "j" && event.key !== "k") return;
    if (isTyping(event.target)) return;
    var links = Array.prototype.slice.call(document.querySelectorAll("[data-row-link]"));
    if (links.length === 0) return;
    var index = links.indexOf(document.activeElement);
    var next;
    if (index === -1) {
      next = event.key === "j" ? 0 : links.length - 1;
    } else {
      next = Math.min(links.length - 1, Math.max(0, index + (event.key === "j" ? 1 : -1)));
    }
    links[next].focus();
    event.preventDefault();
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
