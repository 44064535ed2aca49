// Issue lists: query-bar suggestions (ARIA combobox), and keeping the selection and the
// current row when the results region refreshes itself (live updates, bulk edit).
// Plain JS, no inline handlers (the CSP forbids them); app.js does shortcuts and the bulk bar.
(function () {
  "use strict";

  // --- the query bar takes the "/" shortcut on list pages --------------------------------------
  function claimSlash(input) {
    document.querySelectorAll('[data-shortcut="/"]').forEach(function (el) {
      if (el !== input) el.removeAttribute("data-shortcut");
    });
    input.setAttribute("data-shortcut", "/");
  }

  // --- suggestions: a listbox under the input ----------------------------------------------------
  function combobox(input) {
    var list = document.getElementById(input.getAttribute("aria-controls"));
    if (!list) return;
    var url = input.getAttribute("data-suggest-url");
    var project = input.getAttribute("data-project");
    var state = { items: [], active: -1, start: 0, end: 0, kind: "value" };
    var timer = null;
    var asked = 0;

    function close() {
      list.hidden = true;
      list.textContent = "";
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      state.items = [];
      state.active = -1;
    }

    function highlight(index) {
      state.active = index;
      Array.prototype.forEach.call(list.children, function (li, i) {
        li.setAttribute("aria-selected", i === index ? "true" : "false");
      });
      if (index >= 0) {
        var li = list.children[index];
        input.setAttribute("aria-activedescendant", li.id);
        li.scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function show(data) {
      close();
      if (!data || !data.items || !data.items.length) return;
      state.items = data.items;
      state.start = data.start;
      state.end = data.end;
      state.kind = data.kind;
      data.items.forEach(function (item, i) {
        var li = document.createElement("li");
        li.id = list.id + "-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        li.textContent = item.label; // text only: never HTML from the server
        li.addEventListener("mousedown", function (e) { e.preventDefault(); });
        li.addEventListener("click", function () { accept(i); });
        list.appendChild(li);
      });
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
    }

    function ask() {
      var mine = ++asked;
      var params = new URLSearchParams({ q: input.value, cursor: String(input.selectionStart) });
      if (project) params.set("project", project);
      fetch(url + "?" + params.toString(), {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      })
        .then(function (r) {
          var json = (r.headers.get("Content-Type") || "").indexOf("application/json") === 0;
          return r.ok && json ? r.json() : null;
        })
        .then(function (data) { if (mine === asked && document.activeElement === input) show(data); })
        .catch(function () { /* suggestions are a nicety: stay quiet */ });
    }

    function accept(index) {
      var item = state.items[index];
      if (!item) return;
      var text = input.value;
      var after = text.slice(state.end);
      var insert = item.value;
      if (state.kind === "value" && !/^\s/.test(after)) insert += " ";
      input.value = text.slice(0, state.start) + insert + after;
      var at = state.start + insert.length;
      input.setSelectionRange(at, at);
      close();
      if (state.kind === "field") ask(); // go straight on to the field's values
    }

    input.addEventListener("input", function () {
      close(); // the shown suggestions are for the old text: never accept those
      clearTimeout(timer);
      timer = setTimeout(ask, 120);
    });
    input.addEventListener("keydown", function (e) {
      var open = !list.hidden && state.items.length > 0;
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        if (!open) { ask(); return; }
        var n = state.items.length;
        var next = e.key === "ArrowDown" ? state.active + 1 : state.active - 1;
        highlight((next + n) % n);
      } else if (e.key === "Enter" && open && state.active >= 0) {
        e.preventDefault();
        accept(state.active);
      } else if (e.key === "Tab" && open && !e.shiftKey) {
        e.preventDefault();
        accept(state.active >= 0 ? state.active : 0);
      } else if (e.key === "Escape" && open) {
        e.preventDefault();
        e.stopPropagation(); // close the list, keep the focus (app.js would leave the field)
        close();
      }
    });
    input.addEventListener("blur", function () { setTimeout(close, 150); });
  }

  // --- keep the selection and the current row across refreshes -----------------------------------
  var remembered = null;
  var clearSelection = false;

  function updateBar() {
    var count = document.querySelectorAll("input[name=selected]:checked").length;
    var bar = document.getElementById("bulkbar");
    if (!bar) return;
    bar.hidden = count === 0;
    var n = bar.querySelector("[data-count]");
    if (n) n.textContent = String(count);
  }

  // --- the bulk bar's people, labels and states: fetched once, when the bar first opens -----------
  var choicesAsked = false;
  function loadChoices() {
    var bar = document.getElementById("bulkbar");
    if (choicesAsked || !bar || bar.hidden) return;
    choicesAsked = true;
    fetch(bar.getAttribute("data-choices-url"), {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (data) {
        bar.querySelectorAll("[data-choices]").forEach(function (list) {
          (data[list.getAttribute("data-choices")] || []).forEach(function (value) {
            var option = document.createElement("option");
            option.value = value;
            if (list.tagName === "SELECT") option.textContent = value; // text, never HTML
            list.appendChild(option);
          });
        });
        bar.setAttribute("data-choices-loaded", "");
      })
      .catch(function () { choicesAsked = false; }); // try again when the bar next opens
  }
  document.addEventListener("change", function (e) {
    if (e.target.matches("input[name=selected], input[data-select-all]")) {
      updateBar();
      loadChoices();
    }
  });

  document.addEventListener("docket:bulk", function () { clearSelection = true; });
  document.addEventListener("htmx:beforeSwap", function (e) {
    if (!e.detail.target || e.detail.target.id !== "results") return;
    var current = document.querySelector("[data-nav-item].current");
    remembered = {
      selected: clearSelection ? [] : Array.prototype.map.call(
        document.querySelectorAll("input[name=selected]:checked"), function (b) { return b.value; }),
      current: current ? current.getAttribute("data-key") : null,
    };
    clearSelection = false;
  });
  document.addEventListener("htmx:afterSwap", function () {
    if (!remembered || !document.getElementById("results")) return;
    remembered.selected.forEach(function (key) {
      var box = document.getElementById("sel-" + key);
      if (box) box.checked = true;
    });
    if (remembered.current) {
      var row = document.querySelector('[data-nav-item][data-key="' + CSS.escape(remembered.current) + '"]');
      if (row) row.classList.add("current");
    }
    remembered = null;
    updateBar();
  });

  // --- a title cut short by the ellipsis shows in full on hover (only those: page weight) ------
  function titleTruncated(root) {
    root.querySelectorAll("td.title a.t").forEach(function (a) {
      if (a.scrollWidth > a.clientWidth) a.title = a.textContent;
      else a.removeAttribute("title");
    });
  }
  var resizing = null;
  window.addEventListener("resize", function () {
    clearTimeout(resizing);
    resizing = setTimeout(function () { titleTruncated(document); }, 150);
  });

  // --- a click on a status, priority, assignee, label or active term re-runs the list ----------
  // The link holds the whole new query (it works as a plain link without JS); with htmx the
  // list region is replaced and the address updated, so the query bar shows the new text.
  var REGION = "list-page";
  function narrow(e) {
    var link = e.target.closest ? e.target.closest("a.qf") : null;
    if (!link || !window.htmx || e.defaultPrevented || e.button !== 0) return;
    if (e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return; // a new tab: the plain link
    if (!document.getElementById(REGION) || !link.closest("#" + REGION)) return;
    e.preventDefault();
    var href = link.getAttribute("href");
    window.htmx.ajax("GET", href, { target: "#" + REGION, select: "#" + REGION, swap: "outerHTML" })
      .then(function () {
        if (!history.state || !history.state.docketList) history.replaceState({ docketList: true }, "");
        history.pushState({ docketList: true }, "", href);
        setUp();
        var input = document.getElementById("q");
        if (input) input.focus({ preventScroll: true });
      });
  }
  document.addEventListener("click", narrow);
  window.addEventListener("popstate", function (e) {
    if (e.state && e.state.docketList) window.location.reload(); // back to an earlier query
  });

  // the sidebar's counts fold away on a phone (they come after the list there)
  function foldFacets() {
    var facets = document.getElementById("facets");
    if (facets && window.matchMedia("(max-width: 800px)").matches) facets.open = false;
  }

  // --- the list's region: wired on load and again after a narrowing click replaces it -------
  function setUp() {
    var input = document.querySelector("input[data-suggest-url]");
    if (input && !input.hasAttribute("data-wired")) {
      input.setAttribute("data-wired", "");
      claimSlash(input);
      combobox(input);
    }
    foldFacets();
    titleTruncated(document);
  }
  // on afterSwap, not afterSettle: the swapped-in sidebar comes `open` and would show for the
  // settle delay before folding
  document.addEventListener("htmx:afterSwap", function (e) {
    if (e.target.id === "facets") foldFacets();
  });
  document.addEventListener("htmx:afterSettle", function (e) {
    titleTruncated(e.target);
  });

  document.addEventListener("DOMContentLoaded", function () {
    setUp();
    updateBar(); // a page restored from the back/forward cache keeps its checked boxes
    loadChoices();
  });
})();
