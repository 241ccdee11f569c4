/* Inside the embedding site's frame: tells the page how tall the form is, so it shows whole. */
(function () {
  "use strict";
  if (window.parent === window) { return; }
  function tell() {
    window.parent.postMessage({ attendaFormHeight: document.documentElement.scrollHeight }, "*");
  }
  window.addEventListener("load", tell);
  window.addEventListener("resize", tell);
})();
