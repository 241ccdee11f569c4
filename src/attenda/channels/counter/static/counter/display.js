// The waiting-room display: each call heard on the office's live stream goes on top of the list,
// highlighted, and plays the chime when someone at the screen switched it on.
(function () {
  "use strict";
  var SHOWN = 8;
  document.addEventListener("DOMContentLoaded", function () {
    var table = document.querySelector("[data-events]");
    var rows = document.getElementById("calls");
    var chime = document.getElementById("chime");
    if (!table || !rows || !window.EventSource) return;
    var sound = null;
    if (chime) {
      chime.checked = window.localStorage.getItem("attenda-chime") === "on";
      chime.addEventListener("change", function () {
        window.localStorage.setItem("attenda-chime", chime.checked ? "on" : "off");
      });
    }
    function play() {
      if (!chime || !chime.checked) return;
      if (sound === null) sound = new Audio(chime.dataset.sound);
      sound.currentTime = 0;
      var playing = sound.play();
      if (playing && playing.catch) playing.catch(function () {});
    }
    var source = new EventSource(table.dataset.events);
    source.addEventListener("called", function (event) {
      var call = JSON.parse(event.data);
      var row = document.createElement("tr");
      var number = document.createElement("td");
      var counter = document.createElement("td");
      number.className = "number";
      counter.className = "counter";
      number.textContent = call.number;
      counter.textContent = call.counter;
      row.append(number, counter);
      Array.from(rows.querySelectorAll("tr")).forEach(function (old) {
        old.classList.remove("latest", "flash");
        var oldNumber = old.querySelector(".number");
        if (oldNumber && oldNumber.textContent === call.number) old.remove();
      });
      row.className = "latest flash";
      rows.prepend(row);
      while (rows.children.length > SHOWN) rows.lastElementChild.remove();
      var empty = document.getElementById("no-calls");
      if (empty) empty.remove();
      play();
    });
  });
})();
