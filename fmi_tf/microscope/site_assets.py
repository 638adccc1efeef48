"""The site's one style sheet and one script: plain CSS and vanilla JS.

Nothing is fetched from a network, so pages open from `file://` as well as
from any static host. The script sorts and filters the cards of a layer page
by the measures each card carries in its `data-*` attributes; cards without
a value (gaps) go last and are hidden by any threshold.
"""

CSS_NAME = "site.css"
JS_NAME = "site.js"

CSS = """\
body { font-family: sans-serif; margin: 1em 2em; background: #fafafa;
       color: #222; }
a { color: #0645ad; }
nav.crumbs { margin-bottom: 1em; }
nav.crumbs a { margin-right: .4em; }
table { border-collapse: collapse; }
td, th { padding: .2em .6em; border-bottom: 1px solid #ddd;
         text-align: left; vertical-align: middle; }
input[type=number] { width: 5em; }
.controls { margin: .8em 0; display: flex; flex-wrap: wrap; gap: .8em;
            align-items: center; }
#filters { display: flex; flex-wrap: wrap; gap: 4px; }
.card { display: inline-flex; flex-direction: column; align-items: center;
        width: 72px; font-size: 11px; text-decoration: none; color: #222;
        background: #fff; border: 1px solid #ddd; padding: 2px; }
.card[hidden] { display: none; }
.card img { width: 64px; height: 64px; image-rendering: pixelated; }
.card .cls { color: #666; max-width: 70px; overflow: hidden;
             white-space: nowrap; text-overflow: ellipsis; }
.card.gap .hole { width: 64px; height: 64px; display: flex;
  background: repeating-linear-gradient(45deg, #eee, #eee 6px, #fcc 6px,
                                        #fcc 12px);
  align-items: center; justify-content: center; color: #900; }
.gap-note, .gaps li { color: #900; }
.preview img { width: 32px; height: 32px; margin-right: 1px;
               image-rendering: pixelated; }
.columns { display: flex; flex-wrap: wrap; gap: 0 3em; }
.columns h2 { margin-top: .4em; }
figure { display: inline-block; margin: 0 1em 1em 0; }
figure img { image-rendering: pixelated; border: 1px solid #ccc; }
.sprite { image-rendering: pixelated; border: 1px solid #ccc; }
.bar { display: inline-block; height: .8em; background: #4a7bd0; }
tr.preferred td { font-weight: bold; }
.nearest a { display: inline-block; text-align: center; margin-right: 6px;
             font-size: 11px; }
.nearest img { width: 64px; height: 64px; image-rendering: pixelated;
               display: block; }
"""

JS = """\
// Sorts and filters the filter cards of a layer page by their data-*.
(function () {
  "use strict";
  var grid = document.getElementById("filters");
  if (!grid) { return; }
  var cards = Array.prototype.slice.call(grid.children);
  var controls = ["sort", "order", "class", "min-colourfulness",
                  "min-hues", "min-activation"].map(function (id) {
    return document.getElementById(id);
  });
  var sortBy = controls[0], order = controls[1], wanted = controls[2];
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
          atLeast(card, "activation", controls[5]);
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
"""
