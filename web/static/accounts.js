/* Show only the credential fields of the chosen platform (all stay visible without JS). */
(function () {
  "use strict";
  var select = document.querySelector("[data-credential-switch]");
  if (!select) { return; }
  var sets = Array.prototype.slice.call(document.querySelectorAll(".credential-set"));
  function update() {
    sets.forEach(function (set) {
      var on = set.getAttribute("data-platform") === select.value;
      set.hidden = !on;
      Array.prototype.forEach.call(set.querySelectorAll("input"), function (input) {
        input.disabled = !on;
      });
    });
  }
  select.addEventListener("change", update);
  update();
})();
