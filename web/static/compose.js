/* The compose page: live per-platform counter, images with alt text, per-account preview and
 * X's estimated charge.
 * The server's check is authoritative; X's weighted count here is an approximation of
 * twitter-text v3 (links 23, emoji and characters above U+10FF 2), Bluesky's grapheme count
 * uses Intl.Segmenter where the browser has it, Mastodon counts links as 23. */
(function () {
  "use strict";

  function readJSON(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  var limits = readJSON("platform-limits");
  var prices = readJSON("platform-prices") || {};
  var uploads = readJSON("upload-limits") || {};
  var form = document.querySelector("form.compose");
  var textarea = document.getElementById("text");
  var counter = document.getElementById("char-counter");
  var announce = document.getElementById("counter-announce");
  var preview = document.getElementById("preview");
  var costSummary = document.getElementById("cost-summary");
  if (!limits || !textarea || !counter) { return; }
  var boxes = Array.prototype.slice.call(document.querySelectorAll('input[name="accounts"]'));

  /* --- counting ----------------------------------------------------------------------------- */

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

  function hasXLink(text) {
    return (text.match(X_URL_RE) || []).length > 0;
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function number(n) { return n.toLocaleString("en-US"); }

  /* Like the server's format_usd: cents always, fractions of a cent when they matter. */
  function usd(amount) {
    var fine = Math.round(amount * 10000) / 10000;
    if (Math.abs(fine * 100 - Math.round(fine * 100)) < 1e-6) { return "$" + fine.toFixed(2); }
    return "$" + String(fine);
  }

  function megabytes(bytes) { return (bytes / 1048576).toFixed(1) + " MB"; }

  function selectedAccounts() {
    return boxes.filter(function (box) {
      return box.checked && limits[box.getAttribute("data-platform")];
    }).map(function (box) {
      return { id: box.value, platform: box.getAttribute("data-platform"),
               handle: box.getAttribute("data-handle") || "",
               maxChars: Number(box.getAttribute("data-max-chars")) || 0 };
    });
  }

  /* --- per-platform variants and each account's own limit (issue 8) ------------------------- */

  var variantBoxes = Array.prototype.slice.call(document.querySelectorAll("textarea.input--variant"));

  function variantFor(platform) {
    var box = document.getElementById("variant-" + platform);
    return box && box.value.trim() ? box.value : null;
  }

  function textFor(platform, text) {
    var own = variantFor(platform);
    return own === null ? text : own;
  }

  /* The agency footer (issue 10), added after a blank line where the limit leaves room, as the
   * server's content_queue.footer does; null when the agency switched it off. */
  var footer = readJSON("agency-footer");

  function withFooter(platform, text, max) {
    if (!footer || !text.trim() || text.indexOf(footer) !== -1) { return text; }
    var candidate = text.replace(/\s+$/, "") + "\n\n" + footer;
    return count(platform, candidate) <= max ? candidate : text;
  }

  /* The strictest limit among the chosen accounts of a platform (a Mastodon server's own). */
  function limitFor(platform, accounts) {
    var limit = 0;
    accounts.forEach(function (a) {
      if (a.platform === platform && a.maxChars) { limit = limit ? Math.min(limit, a.maxChars) : a.maxChars; }
    });
    return limit || limits[platform].max_chars;
  }

  function renderVariants(accounts) {
    variantBoxes.forEach(function (box) {
      var p = box.getAttribute("data-platform");
      var group = document.getElementById("variant-" + p + "-group");
      var chosen = accounts.some(function (a) { return a.platform === p; });
      if (group) { group.hidden = !chosen && !box.value.trim(); }
      var note = document.getElementById("variant-" + p + "-count");
      if (!note || !limits[p]) { return; }
      if (!box.value.trim()) {
        note.textContent = "Empty: the main text is used.";
        note.classList.remove("variant__count--over");
        return;
      }
      var max = limitFor(p, accounts);
      var left = max - count(p, box.value);
      note.textContent = limits[p].label + ": " + (left < 0 ? (-left) + " over the limit of " + number(max) : left + " left of " + number(max));
      note.classList.toggle("variant__count--over", left < 0);
    });
  }

  /* --- the counter under the text (one chip per platform) ------------------------------------ */

  var lastOver = null;

  function renderCounter(text, accounts) {
    var platforms = [];
    accounts.forEach(function (a) {
      if (platforms.indexOf(a.platform) === -1) { platforms.push(a.platform); }
    });
    counter.textContent = "";
    if (!platforms.length) {
      counter.appendChild(el("p", "counter__empty", counter.getAttribute("data-empty")));
      textarea.classList.remove("input--over");
      lastOver = null;
      return;
    }
    var list = el("ul", "counter__list");
    var over = [];
    platforms.forEach(function (p) {
      var rule = limits[p];
      if (variantFor(p) !== null) { return; }  // this platform gets its own text (see its box)
      var max = limitFor(p, accounts);
      var published = withFooter(p, text, max);  // issue 10: the footer is counted
      var left = max - count(p, published);
      var item = el("li", "counter__item" + (left < 0 ? " counter__item--over" : (left <= 20 ? " counter__item--near" : "")));
      item.setAttribute("data-platform", p);
      item.title = max + " " + rule.counting;
      item.appendChild(el("span", "counter__platform", rule.label));
      item.appendChild(document.createTextNode(" "));
      item.appendChild(el("span", "counter__value", left < 0 ? (-left) + " over the limit" : left + " left"));
      if (footer && text.trim()) {
        item.appendChild(el("span", "counter__footer", published !== text ? " (footer included)" : " (no room for the footer)"));
      }
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

  /* --- images ------------------------------------------------------------------------------- */

  var slots = Array.prototype.slice.call(document.querySelectorAll(".image-slot"));
  var stored = Array.prototype.slice.call(document.querySelectorAll(".stored-image"));
  var addButton = document.getElementById("add-image");
  var types = uploads.types || [];

  function slotParts(slot) {
    return {
      file: slot.querySelector('input[type="file"]'),
      alt: slot.querySelector("textarea"),
      count: slot.querySelector(".alt-count__value"),
      problem: slot.querySelector(".image-slot__problem"),
      box: slot.querySelector(".image-slot__preview"),
      clear: slot.querySelector(".image-slot__clear"),
      number: slot.getAttribute("data-number")
    };
  }

  function chosenFile(slot) {
    var input = slotParts(slot).file;
    return input && input.files && input.files.length ? input.files[0] : null;
  }

  function fileProblem(file) {
    if (!file) { return ""; }
    if (uploads.max_file_bytes && file.size > uploads.max_file_bytes) {
      return "This file is " + megabytes(file.size) + "; the largest Tenfour accepts is " +
        Math.floor(uploads.max_file_bytes / 1048576) + " MB.";
    }
    if (types.length && file.type && types.indexOf(file.type) === -1) {
      return "This is not a JPEG, PNG, GIF or WebP image.";
    }
    return "";
  }

  function showProblem(slot, message) {
    var parts = slotParts(slot);
    parts.problem.textContent = message;
    parts.problem.hidden = !message;
    slot.classList.toggle("image-slot--error", !!message);
    if (message) {
      parts.file.setAttribute("aria-describedby", parts.problem.id);
    } else if (!slot.querySelector(".field-error:not(.image-slot__problem)")) {
      parts.file.removeAttribute("aria-describedby");
    }
  }

  function updateAltCount(slot) {
    var parts = slotParts(slot);
    parts.count.textContent = number(parts.alt.value.length);
  }

  function showThumb(slot, file) {
    var parts = slotParts(slot);
    parts.box.textContent = "";
    slot.classList.toggle("image-slot--filled", !!file);
    parts.clear.hidden = !file;
    parts.alt.setAttribute("aria-required", file ? "true" : "false");
    slot.removeAttribute("data-src");
    if (!file || fileProblem(file)) {
      parts.box.appendChild(el("span", "image-slot__placeholder", file ? "Cannot preview" : "Image " + parts.number));
      render();
      return;
    }
    var reader = new FileReader();
    reader.onload = function () {
      if (chosenFile(slot) !== file) { return; }  // replaced meanwhile
      var img = el("img", "image-slot__thumb");
      img.src = reader.result;  // a data: URL (the page's CSP allows data: images)
      img.alt = "";
      parts.box.textContent = "";
      parts.box.appendChild(img);
      slot.setAttribute("data-src", reader.result);
      render();
    };
    reader.readAsDataURL(file);
    render();
  }

  /* Every image the post will carry, in order: uploaded ones not removed, then chosen files. */
  function activeImages() {
    var list = [];
    stored.forEach(function (item) {
      var remove = item.querySelector('input[name="remove_media"]');
      if (remove && remove.checked) { return; }
      var img = item.querySelector("img");
      list.push({ src: img ? img.getAttribute("src") : "",
                  altLength: parseInt(item.getAttribute("data-alt-length"), 10) || 0 });
    });
    slots.forEach(function (slot) {
      var file = chosenFile(slot);
      if (!file || fileProblem(file)) { return; }
      list.push({ src: slot.getAttribute("data-src") || "",
                  altLength: slotParts(slot).alt.value.trim().length });
    });
    // Images ticked in the media library picker (issue 8): already stored, with alt text.
    Array.prototype.forEach.call(document.querySelectorAll('.library-pick input[name="media_ids"]:checked'), function (box) {
      var img = box.parentNode.querySelector("img");
      list.push({ src: img ? img.getAttribute("src") : "", altLength: 1 });
    });
    return list;
  }

  slots.forEach(function (slot) {
    var parts = slotParts(slot);
    parts.file.addEventListener("change", function () {
      var file = chosenFile(slot);
      showProblem(slot, fileProblem(file));
      showThumb(slot, file);
    });
    parts.alt.addEventListener("input", function () {
      updateAltCount(slot);
      if (parts.alt.value.trim() && slot.classList.contains("image-slot--error") &&
          !fileProblem(chosenFile(slot))) {
        showProblem(slot, "");
      }
      render();
    });
    parts.clear.addEventListener("click", function () {
      parts.file.value = "";
      showProblem(slot, "");
      showThumb(slot, null);
      parts.file.focus();
    });
    updateAltCount(slot);
  });

  stored.forEach(function (item) {
    var remove = item.querySelector('input[name="remove_media"]');
    if (remove) {
      remove.addEventListener("change", function () {
        item.classList.toggle("stored-image--removed", remove.checked);
        render();
      });
    }
  });

  function hiddenSlots() {
    return slots.filter(function (slot) { return slot.hidden; });
  }

  if (addButton) {
    addButton.hidden = hiddenSlots().length === 0;
    addButton.addEventListener("click", function () {
      var next = hiddenSlots()[0];
      if (!next) { return; }
      next.hidden = false;
      addButton.hidden = hiddenSlots().length === 0;
      slotParts(next).file.focus();
    });
  }

  /* Check what the server would refuse, before the photos travel: too large, no alt text. */
  if (form) {
    form.addEventListener("submit", function (event) {
      var first = null;
      var total = 0;
      slots.forEach(function (slot) {
        var file = chosenFile(slot);
        var parts = slotParts(slot);
        var problem = fileProblem(file);
        if (file && !problem && !parts.alt.value.trim()) {
          problem = "Describe image " + parts.number + " for people who cannot see it (alt text is required).";
        }
        if (file) { total += file.size; }
        showProblem(slot, problem);
        if (problem && !first) { first = problem.indexOf("alt text") !== -1 ? parts.alt : parts.file; }
      });
      if (!first && uploads.max_total_bytes && total > uploads.max_total_bytes) {
        var last = slots.filter(chosenFile).pop();
        showProblem(last, "The images add up to " + megabytes(total) + "; one post can send at most " +
          Math.floor(uploads.max_total_bytes / 1048576) + " MB at once.");
        first = slotParts(last).file;
      }
      if (first) {
        event.preventDefault();
        first.focus();
      }
    });
  }

  /* --- preview: one card per chosen account -------------------------------------------------- */

  function fact(label, value, over) {
    var item = el("li", "fact" + (over ? " fact--over" : ""));
    item.appendChild(el("span", "fact__label", label));
    item.appendChild(document.createTextNode(" "));
    item.appendChild(el("span", "fact__value", value));
    return item;
  }

  function xUnitPrice(text) {
    var link = hasXLink(text);
    return { link: link, price: Number(link ? prices.x_price_per_link_post : prices.x_price_per_post) || 0 };
  }

  function previewCard(account, text, images) {
    var rule = limits[account.platform];
    var maxChars = account.maxChars || rule.max_chars;
    text = withFooter(account.platform, textFor(account.platform, text), maxChars);  // issue 10
    var card = el("article", "preview-card");
    card.setAttribute("data-platform", account.platform);
    card.setAttribute("data-account", account.id);
    var head = el("header", "preview-card__head");
    head.appendChild(el("span", "platform-tag platform-tag--" + account.platform, rule.label));
    head.appendChild(el("span", "preview-card__handle", "@" + account.handle));
    card.appendChild(head);

    var body = el("div", "preview-card__text" + (text.trim() ? "" : " preview-card__text--empty"),
                  text.trim() ? text : "No text yet.");
    card.appendChild(body);

    if (images.length) {
      var grid = el("div", "preview-card__images preview-card__images--" + Math.min(images.length, 4));
      images.slice(0, Math.min(rule.max_images, 4)).forEach(function (image) {
        var thumb = el("img", "preview-card__image");
        if (image.src) { thumb.src = image.src; }
        thumb.alt = "";
        grid.appendChild(thumb);
      });
      card.appendChild(grid);
    }

    var facts = el("ul", "preview-card__facts");
    var length = count(account.platform, text);
    var lengthFact = fact("Length", number(length) + " / " + number(maxChars), length > maxChars);
    lengthFact.classList.add("fact--length");
    lengthFact.title = rule.counting;
    facts.appendChild(lengthFact);
    var imageFact = fact("Images", images.length + " / " + rule.max_images, images.length > rule.max_images);
    imageFact.classList.add("fact--images");
    facts.appendChild(imageFact);
    if (rule.requires_media && !images.length) {
      facts.appendChild(fact("Images", rule.label + " needs at least one image", true));
    }
    images.forEach(function (image, i) {
      if (rule.max_alt_text && image.altLength > rule.max_alt_text) {
        facts.appendChild(fact("Alt text", "image " + (i + 1) + " is " + number(image.altLength) +
          " characters; " + rule.label + " allows " + number(rule.max_alt_text), true));
      }
    });
    if (account.platform === "x") {
      var unit = xUnitPrice(text);
      var cost = fact("Estimated charge", usd(unit.price) + (unit.link ? " (post with a link)" : " (post without a link)"), false);
      cost.classList.add("fact--cost");
      facts.appendChild(cost);
    }
    card.appendChild(facts);
    return card;
  }

  function renderCost(text, accounts) {
    if (!costSummary) { return; }
    var xCount = accounts.filter(function (a) { return a.platform === "x"; }).length;
    if (!xCount) {
      costSummary.hidden = true;
      costSummary.textContent = "";
      return;
    }
    var unit = xUnitPrice(text);
    costSummary.textContent = "";
    costSummary.appendChild(document.createTextNode("Estimated X charge for this post: "));
    costSummary.appendChild(el("strong", "", usd(unit.price * xCount)));
    costSummary.appendChild(document.createTextNode(" — " + xCount + (xCount === 1 ? " post" : " posts") +
      (unit.link ? " with a link" : "") + " × " + usd(unit.price) + ". Other platforms have no per-post charge."));
    costSummary.hidden = false;
  }

  function renderPreview(text, accounts) {
    if (!preview) { return; }
    preview.textContent = "";
    if (!accounts.length) {
      preview.appendChild(el("p", "counter__empty", preview.getAttribute("data-empty")));
      return;
    }
    var images = activeImages();
    accounts.forEach(function (account) { preview.appendChild(previewCard(account, text, images)); });
  }

  function render() {
    var text = textarea.value;
    var accounts = selectedAccounts();
    renderCounter(text, accounts);
    renderVariants(accounts);
    renderPreview(text, accounts);
    renderCost(text, accounts);
  }

  textarea.addEventListener("input", render);
  variantBoxes.forEach(function (box) { box.addEventListener("input", render); });
  var libraryList = document.getElementById("library-list");
  if (libraryList) { libraryList.addEventListener("change", render); }
  boxes.forEach(function (box) { box.addEventListener("change", render); });
  render();
})();
