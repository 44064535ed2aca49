// The command palette (Ctrl/Cmd-K): go to an issue by key or title, run a saved filter, jump
// to a project or page; on an issue page also change its status, priority, assignee and
// labels. Changes go through the page's own controls and endpoints (the transition buttons,
// the field forms' URLs with the version the page shows), so conflicts, permissions and the
// resolution prompt behave exactly as on the page. Single keys on an issue page open the
// palette at one of those: s status, p priority, i assignee, l labels.
// Results come from /palette (web/views/palette.py), which shows only what the person may see.
(function () {
  "use strict";

  var script = document.currentScript;
  var URL_ = script && script.getAttribute("data-palette-url");
  var dialog, input, list, status;
  var items = []; // what the list shows: {label, hint, run}
  var at = 0;
  var mode = null; // null: everything; else "status" | "priority" | "assignee" | "labels"
  var opener = null;
  var timer = null;
  var asked = 0; // the newest request: older answers are dropped
  var issueChoices = null; // from /palette?issue=KEY
  var waiting = false; // results for what was typed are on their way
  var enterWaiting = false; // Enter came before them: choose the first when they come

  function typing(el) {
    return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }

  // --- the current issue (on an issue page) ---------------------------------------------
  function issueKey() {
    var page = document.getElementById("issue");
    var url = page && page.getAttribute("data-page-url");
    return url ? decodeURIComponent(url.split("/").pop()) : null;
  }

  function fieldUrl(name) {
    var button = document.getElementById("edit-" + name + "-button");
    var url = button && button.getAttribute("hx-get");
    return url ? url.split("?")[0] : null; // null: the person may not edit it
  }

  function setField(name, value) {
    var url = fieldUrl(name);
    var field = document.getElementById("field-" + name);
    if (!url || !field || !window.htmx) return;
    window.htmx.ajax("POST", url, {
      source: field,
      target: "#field-" + name,
      swap: "outerHTML",
      values: { value: value, version: field.getAttribute("data-version") || "" }
    });
  }

  function transitionButtons() {
    var box = document.getElementById("transitions");
    return box ? Array.prototype.slice.call(box.querySelectorAll("button[id^='transition-']")) : [];
  }

  // --- what each mode offers --------------------------------------------------------------
  var MODES = {
    status: { title: "Change status to…", field: null },
    priority: { title: "Change priority to…", field: "priority" },
    assignee: { title: "Assign to…", field: "assignee" },
    labels: { title: "Add or remove a label…", field: "labels" }
  };

  function commands() {
    if (!issueKey()) return [];
    var offered = [];
    if (transitionButtons().length) offered.push(modeItem("status"));
    ["priority", "assignee", "labels"].forEach(function (name) {
      if (fieldUrl(name)) offered.push(modeItem(name));
    });
    var me = document.getElementById("assign-self-button");
    if (me) offered.push({ label: "Assign to me", hint: "This issue", run: function () { me.click(); } });
    return offered;
  }

  function modeItem(name) {
    return { label: MODES[name].title, hint: "This issue", keep: true, run: function () { enter(name); } };
  }

  function modeItems(text) {
    if (mode === "status") {
      return transitionButtons().map(function (b) {
        return { label: b.textContent.trim(), hint: b.title || "", run: function () { b.click(); } };
      }).filter(matches(text));
    }
    if (!issueChoices) return [];
    var field = MODES[mode].field;
    if (field === "labels") {
      var current = issueChoices.current_labels;
      return issueChoices.labels.map(function (name) {
        var has = current.indexOf(name) >= 0;
        return {
          label: (has ? "Remove " : "Add ") + name, hint: has ? "✓ on this issue" : "",
          run: function () {
            var next = has ? current.filter(function (l) { return l !== name; }) : current.concat([name]);
            setField("labels", next.join(", "));
          }
        };
      }).filter(matches(text));
    }
    var choices = issueChoices[field].slice();
    if (field === "assignee") choices.unshift("");
    return choices.map(function (value) {
      return {
        label: value || "Unassigned", hint: "",
        run: function () { setField(field, value); }
      };
    }).filter(matches(text));
  }

  function matches(text) {
    var words = text.toLowerCase();
    return function (item) { return item.label.toLowerCase().indexOf(words) >= 0; };
  }

  // --- showing results ------------------------------------------------------------------------
  function show(found) {
    items = found;
    at = 0;
    list.textContent = "";
    found.forEach(function (item, n) {
      var li = document.createElement("li");
      li.id = "palette-option-" + n;
      li.setAttribute("role", "option");
      li.className = "palette-option";
      var label = document.createElement("span");
      label.textContent = item.label;
      li.appendChild(label);
      if (item.hint) {
        var hint = document.createElement("span");
        hint.className = "palette-hint";
        hint.textContent = item.hint;
        li.appendChild(hint);
      }
      list.appendChild(li);
    });
    status.textContent = found.length ? found.length + " result" + (found.length === 1 ? "" : "s") : "Nothing matches.";
    highlight(0);
  }

  function highlight(n) {
    var options = list.children;
    if (!options.length) { input.removeAttribute("aria-activedescendant"); return; }
    at = (n + options.length) % options.length;
    Array.prototype.forEach.call(options, function (li, i) {
      li.setAttribute("aria-selected", String(i === at));
      li.classList.toggle("active", i === at);
    });
    input.setAttribute("aria-activedescendant", options[at].id);
    options[at].scrollIntoView({ block: "nearest" });
  }

  function refresh() {
    var text = input.value.trim();
    timer = null;
    if (mode) { ready(modeItems(text)); return; }
    var local = commands().filter(matches(text));
    var ticket = ++asked;
    var params = new URLSearchParams({ q: text });
    var key = issueKey();
    if (key && !issueChoices) params.set("issue", key);
    fetch(URL_ + "?" + params.toString(), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : { items: [] }; })
      .then(function (body) {
        if (ticket !== asked || !dialog.open) return;
        if (body.issue) issueChoices = body.issue;
        ready(local.concat(body.items.map(function (item) {
          return { label: item.label, hint: item.hint, run: function () { window.location.href = item.url; } };
        })));
      })
      .catch(function () { if (ticket === asked) ready(local); });
  }

  function ready(found) {
    waiting = false;
    show(found);
    if (enterWaiting) { enterWaiting = false; choose(0); }
  }

  function choose(n) {
    var item = items[n];
    if (!item) return;
    if (item.keep) { item.run(); return; }
    close();
    item.run();
  }

  // --- opening and closing --------------------------------------------------------------------
  function build() {
    dialog = document.createElement("dialog");
    dialog.id = "palette";
    dialog.className = "palette";
    dialog.setAttribute("aria-labelledby", "palette-title");
    dialog.innerHTML =
      '<h2 id="palette-title" class="visually-hidden">Command palette</h2>' +
      '<input id="palette-input" type="text" role="combobox" aria-expanded="true" aria-autocomplete="list"' +
      ' aria-controls="palette-list" aria-labelledby="palette-title" autocomplete="off" spellcheck="false">' +
      '<ul id="palette-list" role="listbox" aria-label="Results"></ul>' +
      '<p class="palette-status small muted" role="status" aria-live="polite"></p>';
    document.body.appendChild(dialog);
    input = dialog.querySelector("input");
    list = dialog.querySelector("ul");
    status = dialog.querySelector("p");
    input.addEventListener("input", function () {
      clearTimeout(timer);
      waiting = true;
      asked++; // an answer on its way is for older text now: drop it
      timer = setTimeout(refresh, mode ? 0 : 120);
    });
    input.addEventListener("keydown", function (e) {
      if (e.key === "ArrowDown") highlight(at + 1);
      else if (e.key === "ArrowUp") highlight(at - 1);
      else if (e.key === "Enter" && waiting) enterWaiting = true;
      else if (e.key === "Enter") choose(at);
      else if (e.key === "Escape") close();
      else if (e.key === "Backspace" && mode && !input.value) enter(null);
      else return;
      e.preventDefault();
      e.stopPropagation();
    });
    list.addEventListener("mousedown", function (e) { e.preventDefault(); }); // keep focus
    list.addEventListener("click", function (e) {
      var li = e.target.closest("[role=option]");
      if (li) choose(Array.prototype.indexOf.call(list.children, li));
    });
    dialog.addEventListener("close", restoreFocus);
    dialog.addEventListener("click", function (e) { if (e.target === dialog) close(); }); // backdrop
  }

  function enter(name) {
    mode = name;
    waiting = true;
    enterWaiting = false;
    input.value = "";
    input.placeholder = name ? MODES[name].title + " (Backspace: back)" : "Go to an issue (key or title), filter, project, page…";
    if (name && name !== "status" && !issueChoices) { refreshChoices(); return; }
    refresh();
  }

  function refreshChoices() {
    var params = new URLSearchParams({ q: "", issue: issueKey() });
    fetch(URL_ + "?" + params.toString(), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (body) { issueChoices = body.issue || null; if (dialog.open) refresh(); })
      .catch(function () { ready([]); });
  }

  function open(name) {
    if (!URL_) return;
    if (!dialog) build();
    if (dialog.open) { enter(name || null); return; }
    opener = document.activeElement;
    issueChoices = null; // the page may have changed since: ask again
    dialog.showModal();
    input.focus();
    enter(name || null);
  }

  function close() {
    clearTimeout(timer);
    timer = null;
    waiting = enterWaiting = false;
    if (dialog && dialog.open) dialog.close(); // "close" restores the focus
  }

  function restoreFocus() {
    mode = null;
    if (opener && document.contains(opener) && opener.focus) opener.focus();
    opener = null;
  }

  // --- keys -------------------------------------------------------------------------------------
  var SINGLE = { s: "status", p: "priority", i: "assignee", l: "labels" };
  document.addEventListener("keydown", function (e) {
    if ((e.ctrlKey || e.metaKey) && !e.altKey && !e.shiftKey && (e.key === "k" || e.key === "K")) {
      e.preventDefault();
      if (dialog && dialog.open) close(); else open(null);
      return;
    }
    if (e.ctrlKey || e.metaKey || e.altKey || typing(e.target) || !issueKey()) return;
    if (document.querySelector("dialog[open]")) return;
    var name = SINGLE[e.key];
    if (!name || (name === "status" ? !transitionButtons().length : !fieldUrl(MODES[name].field))) return;
    e.preventDefault();
    open(name);
  });

  document.addEventListener("click", function (e) {
    if (e.target.closest && e.target.closest("[data-open-palette]")) { e.preventDefault(); open(null); }
  });
  window.DocketPalette = { open: open };
})();
