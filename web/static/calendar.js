/* issue 8 calendar: arrow keys between days (and hours in the week view), and dragging a post
   to another day or hour. A drop posts to the same /calendar/move endpoint as each event's
   "Move" form (the keyboard way), then reloads to show the result and its message. */
(function () {
  "use strict";
  var root = document.getElementById("calendar");
  if (!root) { return; }
  var view = root.getAttribute("data-view");
  var status = document.getElementById("cal-status");
  var cells = Array.prototype.slice.call(root.querySelectorAll("td[data-day]"));

  function cellAt(day, hour) {
    var selector = 'td[data-day="' + day + '"]' + (view === "week" ? '[data-hour="' + hour + '"]' : "");
    return root.querySelector(selector);
  }

  function shiftDay(iso, days) {
    var parts = iso.split("-");
    var d = new Date(Date.UTC(+parts[0], +parts[1] - 1, +parts[2] + days));
    return d.toISOString().slice(0, 10);
  }

  function focusCell(next) {
    if (!next) { return; }
    cells.forEach(function (c) { c.setAttribute("tabindex", "-1"); });
    next.setAttribute("tabindex", "0");
    next.focus();
  }

  root.addEventListener("keydown", function (event) {
    var cell = event.target;
    if (!cell.matches || !cell.matches("td[data-day]")) { return; }
    var day = cell.getAttribute("data-day");
    var hour = +(cell.getAttribute("data-hour") || 0);
    var next = null;
    if (event.key === "ArrowLeft") { next = cellAt(shiftDay(day, -1), hour); }
    else if (event.key === "ArrowRight") { next = cellAt(shiftDay(day, 1), hour); }
    else if (event.key === "ArrowUp") {
      next = view === "week" ? cellAt(day, hour - 1) : cellAt(shiftDay(day, -7), hour);
    } else if (event.key === "ArrowDown") {
      next = view === "week" ? cellAt(day, hour + 1) : cellAt(shiftDay(day, 7), hour);
    } else { return; }
    event.preventDefault();
    focusCell(next);
  });

  root.addEventListener("click", function (event) {
    var cell = event.target.closest ? event.target.closest("td[data-day]") : null;
    if (cell && event.target === cell) { focusCell(cell); }
  });

  /* --- dragging ------------------------------------------------------------------------- */
  var dragged = null;

  root.addEventListener("dragstart", function (event) {
    var item = event.target.closest ? event.target.closest(".cal-event[draggable=true]") : null;
    if (!item) { return; }
    dragged = item;
    item.classList.add("is-dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", item.getAttribute("data-post-id"));
  });

  root.addEventListener("dragend", function () {
    if (dragged) { dragged.classList.remove("is-dragging"); }
    cells.forEach(function (c) { c.classList.remove("cal-drop"); });
  });

  root.addEventListener("dragover", function (event) {
    var cell = event.target.closest ? event.target.closest("td[data-day]") : null;
    if (!cell || !dragged) { return; }
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    cells.forEach(function (c) { if (c !== cell) { c.classList.remove("cal-drop"); } });
    cell.classList.add("cal-drop");
  });

  root.addEventListener("drop", function (event) {
    var cell = event.target.closest ? event.target.closest("td[data-day]") : null;
    if (!cell || !dragged) { return; }
    event.preventDefault();
    var time = dragged.getAttribute("data-time");
    if (view === "week") {
      var hour = ("0" + cell.getAttribute("data-hour")).slice(-2);
      time = hour + ":" + time.slice(3, 5);
    }
    move(dragged.getAttribute("data-post-id"), cell.getAttribute("data-day"), time);
    dragged = null;
  });

  function move(postId, day, time) {
    var body = new URLSearchParams();
    body.set("csrf_token", root.getAttribute("data-csrf"));
    body.set("post_id", postId);
    body.set("date", day);
    body.set("time", time);
    body.set("back", root.getAttribute("data-back"));
    if (status) { status.textContent = "Moving post " + postId + "…"; }
    fetch(root.getAttribute("data-move-url"), {
      method: "POST",
      credentials: "same-origin",
      headers: {"X-Requested-With": "fetch", "X-CSRFToken": root.getAttribute("data-csrf"),
                "Content-Type": "application/x-www-form-urlencoded"},
      body: body.toString()
    }).then(function (response) {
      return response.json().catch(function () { return {message: "The move failed."}; });
    }).then(function (answer) {
      if (status) { status.textContent = answer.message || ""; }
      window.location.reload();  // the flashed message and the new place show after reload
    }, function () {
      if (status) { status.textContent = "The move could not be sent; check the connection."; }
    });
  }
})();
