// Sorts and filters the filter cards of a layer page by their data-*
// (measures, faithfulness score and trust).
(function () {
  "use strict";
  var grid = document.getElementById("filters");
  if (!grid) { return; }
  var cards = Array.prototype.slice.call(grid.children);
  var controls = ["sort", "order", "class", "min-colourfulness",
                  "min-hues", "min-activation", "min-faithfulness",
                  "trust"].map(function (id) {
    return document.getElementById(id);
  });
  var sortBy = controls[0], order = controls[1], wanted = controls[2];
  var trust = controls[7];
  var shown = document.getElementById("shown");

  function number(card, key) {
    var text = card.getAttribute("data-" + key);
    return text === null || text === "" ? NaN : Number(text);
  }

  function atLeast(card, key, input) {
    if (!input || input.value === "") { return true; }
    var value = number(card, key);
    return !isNaN(value) && value >= Number(input.value);
  }

  function compare(a, b) {
    var key = sortBy.value, sign = order.value === "desc" ? -1 : 1;
    var x, y;
    if (key === "class") {
      x = a.getAttribute("data-class") || "";
      y = b.getAttribute("data-class") || "";
      if (!x !== !y) { return x ? -1 : 1; }
    } else {
      x = number(a, key);
      y = number(b, key);
      if (isNaN(x) !== isNaN(y)) { return isNaN(x) ? 1 : -1; }
    }
    if (x < y) { return -sign; }
    if (x > y) { return sign; }
    return number(a, "filter") - number(b, "filter");
  }

  function update() {
    var count = 0;
    cards.slice().sort(compare).forEach(function (card) {
      var keep = (!wanted || wanted.value === "" ||
                  card.getAttribute("data-class") === wanted.value) &&
          atLeast(card, "colourfulness", controls[3]) &&
          atLeast(card, "hues", controls[4]) &&
          atLeast(card, "activation", controls[5]) &&
          atLeast(card, "faithfulness", controls[6]) &&
          (!trust || trust.value === "" ||
           card.getAttribute("data-trust") === trust.value);
      card.hidden = !keep;
      if (keep) { count += 1; }
      grid.appendChild(card);
    });
    shown.textContent = count + " of " + cards.length + " filters shown";
  }

  controls.forEach(function (control) {
    if (control) {
      control.addEventListener("input", update);
      control.addEventListener("change", update);
    }
  });
  update();
}());
