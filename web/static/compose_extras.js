/* The compose page's issue 8 parts: start from a template (its {fields} filled in a small
 * form), and search the media library to reuse an image. The counter and preview of the
 * per-platform variants are in compose.js. */
(function () {
  "use strict";

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  /* --- templates -------------------------------------------------------------------------- */

  var picker = document.getElementById("template-picker");
  var data = document.getElementById("post-templates");
  var textarea = document.getElementById("text");
  if (picker && data && textarea) {
    var parsed = JSON.parse(data.textContent);
    var byId = {};
    parsed.templates.forEach(function (t) { byId[String(t.id)] = t; });
    var choice = document.getElementById("template-choice");
    var fields = document.getElementById("template-fields");
    var use = document.getElementById("template-use");
    var problem = document.getElementById("template-problem");
    picker.hidden = false;

    var TOKEN = /\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]{0,63})\}/g;

    choice.addEventListener("change", function () {
      fields.textContent = "";
      problem.hidden = true;
      var t = byId[choice.value];
      use.hidden = !t;
      if (!t) { return; }
      t.fields.forEach(function (name) {
        var id = "template-field-" + name;
        var group = el("div", "form-group");
        var label = el("label", "", name.replace(/_/g, " "));
        label.setAttribute("for", id);
        var input = el("input", "input");
        input.type = "text";
        input.id = id;
        input.setAttribute("data-field", name);
        input.value = parsed.defaults[name] || "";
        group.appendChild(label);
        group.appendChild(input);
        fields.appendChild(group);
      });
      if (!t.fields.length) { fields.appendChild(el("p", "hint small", "This template has no fields.")); }
    });

    use.addEventListener("click", function () {
      var t = byId[choice.value];
      if (!t) { return; }
      var values = {};
      var missing = [];
      var first = null;
      Array.prototype.forEach.call(fields.querySelectorAll("input[data-field]"), function (input) {
        values[input.getAttribute("data-field")] = input.value.trim();
        if (!input.value.trim()) {
          missing.push("{" + input.getAttribute("data-field") + "}");
          input.setAttribute("aria-invalid", "true");
          if (!first) { first = input; }
        } else {
          input.removeAttribute("aria-invalid");
        }
      });
      if (missing.length) {
        problem.textContent = "Fill in " + missing.join(", ") + " before using this template.";
        problem.hidden = false;
        first.focus();
        return;
      }
      problem.hidden = true;
      textarea.value = t.text.replace(TOKEN, function (token, name) {
        if (token === "{{") { return "{"; }
        if (token === "}}") { return "}"; }
        return values[name];
      });
      textarea.dispatchEvent(new Event("input", { bubbles: true }));
      textarea.focus();
    });
  }

  /* --- the media library picker -------------------------------------------------------------- */

  var search = document.getElementById("library-search");
  var query = document.getElementById("library-query");
  var list = document.getElementById("library-list");
  var status = document.getElementById("library-status");
  var button = document.getElementById("library-search-button");
  if (search && query && list) {
    search.hidden = false;

    function checkedIds() {
      var ids = {};
      Array.prototype.forEach.call(document.querySelectorAll('input[name="media_ids"]'), function (input) {
        if (input.type === "hidden" || input.checked) { ids[input.value] = true; }
      });
      return ids;
    }

    function show(media) {
      var keep = checkedIds();
      // Keep the images already ticked; replace the others with the results.
      Array.prototype.forEach.call(list.querySelectorAll("li"), function (item) {
        var box = item.querySelector("input");
        if (!box || !box.checked) { list.removeChild(item); }
      });
      media.forEach(function (m) {
        if (keep[String(m.id)]) { return; }
        var item = el("li", "library-pick");
        var img = el("img");
        img.src = m.url;
        img.alt = "";
        img.width = m.width;
        img.height = m.height;
        var box = el("input");
        box.type = "checkbox";
        box.name = "media_ids";
        box.value = m.id;
        box.id = "library-" + m.id;
        var label = el("label");
        label.setAttribute("for", box.id);
        label.appendChild(document.createTextNode(m.filename + ": "));
        label.appendChild(el("span", "muted", m.alt_text.length > 80 ? m.alt_text.slice(0, 77) + "..." : m.alt_text));
        item.appendChild(img);
        item.appendChild(box);
        item.appendChild(label);
        list.appendChild(item);
      });
    }

    function run() {
      var url = query.getAttribute("data-url") + "?q=" + encodeURIComponent(query.value);
      status.textContent = "Searching…";
      fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
        .then(function (body) {
          show(body.media);
          status.textContent = body.total + (body.total === 1 ? " image matches." : " images match.");
        })
        .catch(function () { status.textContent = "The search failed; try again."; });
    }

    button.addEventListener("click", run);
    query.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); run(); }
    });
  }
})();

/* The repeat warning: the same text already going out on a chosen account within a day of
 * the chosen time. Asked of the server as the PIO types (debounced); never blocks queueing. */
(function () {
  "use strict";
  var box = document.getElementById("repeat-warnings");
  var form = document.querySelector("form.compose");
  if (!box || !form || !window.fetch) { return; }
  var timer = null;
  var last = "";

  function payload() {
    var data = new FormData();
    ["csrf_token", "text", "date", "time"].forEach(function (name) {
      var field = form.elements[name];
      if (field) { data.append(name, field.value); }
    });
    var fold = form.querySelector('input[name="fold"]:checked');
    if (fold) { data.append("fold", fold.value); }
    Array.prototype.forEach.call(form.querySelectorAll('input[name="accounts"]:checked'), function (b) {
      data.append("accounts", b.value);
    });
    Array.prototype.forEach.call(form.querySelectorAll("textarea.input--variant"), function (t) {
      if (t.value.trim()) { data.append(t.name, t.value); }
    });
    return data;
  }

  function show(warnings) {
    var key = warnings.join("\n");
    if (key === last) { return; }
    last = key;
    box.textContent = "";
    if (!warnings.length) { return; }
    var wrap = document.createElement("div");
    wrap.className = "flash flash--warning";
    var list = document.createElement("ul");
    list.className = "warning-list";
    warnings.forEach(function (w) {
      var item = document.createElement("li");
      item.textContent = w;
      list.appendChild(item);
    });
    wrap.appendChild(list);
    box.appendChild(wrap);
  }

  function check() {
    fetch(box.getAttribute("data-url"), { method: "POST", body: payload(), credentials: "same-origin",
                                          headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : { warnings: [] }; })
      .then(function (body) { show(body.warnings || []); })
      .catch(function () { /* a warning only: nothing to do */ });
  }

  function later() {
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(check, 700);
  }

  form.addEventListener("input", function (event) {
    if (event.target.type !== "file") { later(); }
  });
  form.addEventListener("change", function (event) {
    if (event.target.type !== "file") { later(); }
  });
  later();
})();
