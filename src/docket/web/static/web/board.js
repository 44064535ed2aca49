// The board: drag and drop with Sortable, the "Move to…" dialog on each card (the keyboard
// way to do the same), the fields a transition requires, WIP-limit announcements, and live
// refresh that waits while a card is being dragged or moved.
// Every rule lives on the server: a refused move comes back with the workflow's reason.
(function () {
  "use strict";

  var dragging = false; // a card is in the air
  var busy = false; // a move is on its way to the server
  var refreshWanted = false; // a live update arrived meanwhile
  var pending = null; // the move the dialog is about: {card, to, revert, opener}
  var lastWip = null;
  var NEED_FIELDS = ["resolution", "assignee", "due_date", "milestone", "comment"];

  function board() { return document.getElementById("board"); }
  function dialog() { return document.getElementById("move-dialog"); }
  function form() { return document.getElementById("move-form"); }
  function dialogOpen() { var d = dialog(); return !!(d && d.open); }

  function say(text, isError) {
    var el = document.getElementById("board-message");
    if (!el) return;
    el.textContent = text;
    el.classList.toggle("error", !!isError);
  }

  function csrf() {
    var input = document.querySelector("#move-form input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  // --- refreshing -------------------------------------------------------------------------
  function quiet() { return !dragging && !busy && !dialogOpen(); }

  function refresh() {
    if (!quiet()) { refreshWanted = true; return; }
    refreshWanted = false;
    if (window.htmx) window.htmx.trigger(document.body, "docket:live", {});
  }

  function refreshIfWanted() { if (refreshWanted) refresh(); }

  // A live update must not swap the board under a dragged card or an open dialog.
  document.addEventListener("htmx:beforeRequest", function (e) {
    var elt = e.detail && e.detail.elt;
    if (elt && elt.id === "board-refresh" && !quiet()) {
      e.preventDefault();
      refreshWanted = true;
    }
  });

  // --- moving -------------------------------------------------------------------------------
  function move(card, to, extra, revert) {
    var key = card.getAttribute("data-key");
    var data = new FormData();
    data.append("key", key);
    data.append("version", card.getAttribute("data-version") || "");
    data.append("to", to);
    (extra || []).forEach(function (pair) { data.append(pair[0], pair[1]); });
    busy = true;
    say("Moving " + key + " to " + to + "…");
    fetch(board().getAttribute("data-move-url"), {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrf(), "Accept": "application/json" }
    }).then(function (response) {
      return response.json().catch(function () {
        return { ok: false, message: "the server answered " + response.status + ".", needs: [] };
      });
    }).then(function (result) {
      busy = false;
      if (result.ok) {
        card.setAttribute("data-version", result.version);
        closeDialog(false);
        say(result.message);
        refresh();
        return;
      }
      if (result.needs && result.needs.length) {
        askFields(card, to, result, revert);
        return;
      }
      closeDialog(false);
      revert();
      say(key + " was not moved: " + result.message, true);
      if (result.status === 409) refreshWanted = true; // changed meanwhile: show the news
      refreshIfWanted();
    }).catch(function () {
      busy = false;
      closeDialog(false);
      revert();
      say(key + " was not moved: the server could not be reached.", true);
    });
  }

  // --- the dialog: choosing where to (keyboard), and fields a transition requires ----------
  function setUp(card, opts) {
    var f = form();
    f.querySelector("[data-move-key]").textContent = card.getAttribute("data-key");
    f.querySelector("[data-move-to]").textContent = opts.to || "";
    f.querySelector("[data-move-fixed]").hidden = !opts.to;
    f.querySelector("[data-move-choose]").hidden = !!opts.to;
    f.querySelector("[data-move-reason]").textContent = opts.reason || "";
    var first = opts.to ? null : f.elements.to;
    if (!dialogOpen()) { // a fresh ask: the resolution back at its default (fixed)
      f.querySelectorAll("input[type=radio]").forEach(function (r) { r.checked = r.defaultChecked; });
    }
    f.querySelectorAll("[data-need]").forEach(function (box) {
      var needed = (opts.needs || []).indexOf(box.getAttribute("data-need")) >= 0;
      box.hidden = !needed;
      if (needed && !first) first = box.querySelector("input:checked, input, select, textarea");
    });
    if (!dialogOpen()) dialog().showModal();
    if (first) first.focus();
  }

  function chooseMove(card, opener) {
    var select = form().elements.to;
    select.textContent = "";
    (opener.getAttribute("data-moves") || "").split("|").forEach(function (status) {
      if (!status) return;
      var option = document.createElement("option");
      option.textContent = status;
      select.appendChild(option);
    });
    pending = { card: card, to: null, revert: function () {}, opener: opener };
    setUp(card, {});
  }

  function askFields(card, to, result, revert) {
    if (!dialog()) { revert(); say(result.message, true); return; }
    pending = { card: card, to: to, revert: revert, opener: pending && pending.opener };
    setUp(card, { to: to, needs: result.needs, reason: result.message });
  }

  function closeDialog(cancelled) {
    var d = dialog();
    var p = pending;
    pending = null; // so the close event below does not revert a finished move
    if (d && d.open) d.close();
    if (p && p.opener && document.contains(p.opener)) p.opener.focus();
    if (cancelled && p) {
      p.revert();
      say(p.card.getAttribute("data-key") + " was not moved.");
    }
    refreshIfWanted();
  }

  document.addEventListener("submit", function (e) {
    var f = e.target;
    if (f.id !== "move-form" || !pending) return;
    e.preventDefault();
    var to = pending.to || f.elements.to.value;
    if (!to) { f.querySelector("[data-move-reason]").textContent = "Choose a state."; return; }
    var extra = [];
    NEED_FIELDS.forEach(function (name) {
      var field = f.elements[name]; // the resolution's radios: a RadioNodeList, with a value too
      var box = f.querySelector('[data-need="' + name + '"]');
      if (field && box && !box.hidden && field.value.trim()) extra.push([name, field.value.trim()]);
    });
    move(pending.card, to, extra, pending.revert);
  });

  document.addEventListener("click", function (e) {
    var opener = e.target.closest("a.kanban-move");
    if (opener && dialog()) {
      e.preventDefault();
      chooseMove(opener.closest(".kanban-card"), opener);
      return;
    }
    if (e.target.closest("[data-move-cancel]")) closeDialog(true);
  });

  // Esc closes the dialog natively: that is a cancel too.
  document.addEventListener("close", function (e) {
    if (e.target === dialog() && pending) closeDialog(true);
  }, true);

  // --- drag and drop ------------------------------------------------------------------------
  function init() {
    var b = board();
    if (!b) return;
    announceWip();
    if (!window.Sortable || !b.hasAttribute("data-can-move")) return;
    b.querySelectorAll(".kanban-cards").forEach(function (list) {
      if (list.getAttribute("data-sortable")) return;
      list.setAttribute("data-sortable", "1");
      window.Sortable.create(list, {
        group: "lane-" + list.getAttribute("data-lane"), // cards change column, not lane
        sort: false,
        draggable: ".kanban-card.movable",
        filter: "a.kanban-move",
        preventOnFilter: false,
        forceFallback: true,
        fallbackTolerance: 4,
        animation: 120,
        ghostClass: "kanban-ghost",
        chosenClass: "kanban-chosen",
        onStart: function () { dragging = true; },
        onEnd: function (evt) {
          dragging = false;
          if (evt.from === evt.to) { refreshIfWanted(); return; }
          var from = evt.from;
          var card = evt.item;
          var index = evt.oldIndex;
          move(card, evt.to.getAttribute("data-state"), null, function () {
            from.insertBefore(card, from.children[index] || null);
          });
        }
      });
    });
  }

  // --- WIP limits ---------------------------------------------------------------------------
  function announceWip() {
    var over = Array.prototype.map.call(
      document.querySelectorAll("#board [data-over-limit]"),
      function (el) { return el.getAttribute("data-over-limit"); }
    );
    var text = over.length ? "Over the WIP limit: " + over.join("; ") + "." : "";
    if (text === lastWip) return;
    lastWip = text;
    var region = document.getElementById("board-wip");
    if (region) region.textContent = text;
  }

  document.addEventListener("DOMContentLoaded", init);
  document.addEventListener("htmx:afterSettle", function () { init(); refreshIfWanted(); });
})();
