{% autoescape off %}/* Attenda's contact form: puts the form in a frame where this script tag stands. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) { return; }
  var formUrl = new URL("{{ form_url|escapejs }}");
  var lang = script.getAttribute("data-lang") || (navigator.language || "en").slice(0, 2);
  var frame = document.createElement("iframe");
  formUrl.searchParams.set("embed", "1");
  formUrl.searchParams.set("lang", lang);
  if (script.getAttribute("data-team")) { formUrl.searchParams.set("team", script.getAttribute("data-team")); }
  frame.src = formUrl.toString();
  frame.title = script.getAttribute("data-title") || "Contact form";
  frame.style.width = "100%";
  frame.style.border = "0";
  frame.style.minHeight = "640px";
  script.parentNode.insertBefore(frame, script.nextSibling);
  window.addEventListener("message", function (event) {
    if (event.origin !== formUrl.origin || event.source !== frame.contentWindow) { return; }
    var height = Number(event.data && event.data.attendaFormHeight);
    if (height > 0 && height < 20000) { frame.style.height = height + "px"; }
  });
})();
{% endautoescape %}
