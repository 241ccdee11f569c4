// The kiosk goes back to its start page a while after a number was given, for the next visitor,
// unless someone is typing a phone number or address.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var back = document.querySelector("[data-return-after]");
    if (!back) return;
    var seconds = parseInt(back.dataset.returnAfter, 10) || 60;
    var timer = null;
    function restart() {
      clearTimeout(timer);
      timer = setTimeout(function () { window.location.assign(back.href); }, seconds * 1000);
    }
    document.addEventListener("input", restart);
    document.addEventListener("pointerdown", restart);
    restart();
  });
})();
