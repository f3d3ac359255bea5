/* Live per-platform character counter for the compose page.
 * The server's check is authoritative; X's weighted count here is an approximation of
 * twitter-text v3 (links 23, emoji and most non-Latin characters 2). */
(function () {
  "use strict";

  var limitsNode = document.getElementById("platform-limits");
  var textarea = document.getElementById("text");
  var counter = document.getElementById("char-counter");
  var announce = document.getElementById("counter-announce");
  if (!limitsNode || !textarea || !counter) { return; }
  var limits = JSON.parse(limitsNode.textContent);
  var boxes = Array.prototype.slice.call(document.querySelectorAll('input[name="accounts"]'));

  // Mastodon (like the server's check) counts http(s) links; X also finds bare domains.
  var URL_RE = /https?:\/\/[^\s]+/gi;
  var X_URL_RE = /(?:https?:\/\/[^\s]+|\b(?:[a-z0-9-]+\.)+(?:com|org|net|gov|edu|us|io|co|info|app|dev|news|ly)\b(?:\/[^\s]*)?)/gi;
  var TRAILING = /[.,!?;:)\]'"]+$/;
  var EMOJI_RE = /\p{Extended_Pictographic}/u;
  // twitter-text v3: these code point ranges weigh 1, everything else 2.
  var LIGHT = [[0, 4351], [8192, 8205], [8208, 8223], [8242, 8247]];

  function graphemes(text) {
    if (window.Intl && Intl.Segmenter) {
      return Array.from(new Intl.Segmenter(undefined, { granularity: "grapheme" }).segment(text),
        function (s) { return s.segment; });
    }
    return Array.from(text);
  }

  function weightOf(cluster) {
    if (EMOJI_RE.test(cluster)) { return 2; }
    var total = 0;
    Array.from(cluster).forEach(function (ch) {
      var cp = ch.codePointAt(0);
      var light = LIGHT.some(function (r) { return cp >= r[0] && cp <= r[1]; });
      total += light ? 1 : 2;
    });
    return total;
  }

  function countX(text) {
    var urls = 0;
    // A link's trailing punctuation is not part of it ("see https://x.org/a." ends with ".").
    var rest = text.normalize("NFC").replace(X_URL_RE, function (url) {
      urls += 1;
      var trail = url.match(TRAILING);
      return trail ? trail[0] : "";
    });
    return urls * 23 + graphemes(rest).reduce(function (n, c) { return n + weightOf(c); }, 0);
  }

  function countMastodon(text) {
    var urls = text.match(URL_RE) || [];
    return urls.length * 23 + Array.from(text.replace(URL_RE, "")).length;
  }

  var COUNTERS = {
    x: countX,
    mastodon: countMastodon,
    bluesky: function (text) { return graphemes(text).length; }
  };

  function count(platform, text) {
    return (COUNTERS[platform] || function (t) { return Array.from(t).length; })(text);
  }

  var lastOver = null;

  function render() {
    var text = textarea.value;
    var platforms = [];
    boxes.forEach(function (box) {
      var p = box.getAttribute("data-platform");
      if (box.checked && platforms.indexOf(p) === -1 && limits[p]) { platforms.push(p); }
    });
    counter.textContent = "";
    if (!platforms.length) {
      var empty = document.createElement("p");
      empty.className = "counter__empty";
      empty.textContent = counter.getAttribute("data-empty");
      counter.appendChild(empty);
      textarea.classList.remove("input--over");
      lastOver = null;
      return;
    }
    var list = document.createElement("ul");
    list.className = "counter__list";
    var over = [];
    platforms.forEach(function (p) {
      var rule = limits[p];
      var left = rule.max_chars - count(p, text);
      var item = document.createElement("li");
      item.className = "counter__item" + (left < 0 ? " counter__item--over" : (left <= 20 ? " counter__item--near" : ""));
      item.setAttribute("data-platform", p);
      var name = document.createElement("span");
      name.className = "counter__platform";
      name.textContent = rule.label;
      var value = document.createElement("span");
      value.className = "counter__value";
      value.textContent = left < 0 ? (-left) + " over the limit" : left + " left";
      item.title = rule.max_chars + " " + rule.counting;
      item.appendChild(name);
      item.appendChild(document.createTextNode(" "));
      item.appendChild(value);
      list.appendChild(item);
      if (left < 0) { over.push(rule.label); }
    });
    counter.appendChild(list);
    textarea.classList.toggle("input--over", over.length > 0);
    var state = over.join(", ");
    if (announce && state !== lastOver) {
      announce.textContent = over.length ? "Too long for " + state + "." : (lastOver ? "Length is within every limit." : "");
      lastOver = state;
    }
  }

  textarea.addEventListener("input", render);
  boxes.forEach(function (box) { box.addEventListener("change", render); });
  render();
})();
