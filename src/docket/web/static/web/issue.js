// The issue page: live refresh that never clobbers a form being filled in, inline refusals
// (403/409/422 partials), Escape to cancel an edit, focus after swaps, and @mention
// completion in comment boxes. Plain JS under a strict CSP: no inline code, no eval.
(function () {
  "use strict";

  var root = document.getElementById("issue");
  if (!root) return;

  // --- refusals come back as partials with their reason: let htmx swap them in -------------
  document.body.addEventListener("htmx:beforeSwap", function (e) {
    var xhr = e.detail.xhr;
    if (xhr.status >= 400 && xhr.getResponseHeader("X-Docket-Partial") === "1") {
      e.detail.shouldSwap = true;
      e.detail.isError = false;
    }
  });
  document.body.addEventListener("htmx:responseError", function (e) {
    var status = e.detail.xhr.status;
    notice(status === 404
      ? "This issue is no longer available to you."
      : "That did not work (error " + status + "). Reload the page and try again.");
  });
  document.body.addEventListener("htmx:sendError", function () {
    notice("The server could not be reached. Check your connection and try again.");
  });

  function notice(text) {
    var box = document.getElementById("issue-stale");
    if (!box) return;
    box.querySelector("[data-stale-text]").textContent = text;
    box.hidden = false;
  }

  // --- live refresh ---------------------------------------------------------------------------
  // Each [data-live-region] is replaced by its fresh copy, except one holding an open form
  // ([data-editing]) or older timeline entries the person loaded: those stay, and if their
  // content changed underneath (data-sig differs) the person is told to reload.
  var busy = false, again = false, timer = null;

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(refresh, 120);
  }

  function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    fetch(root.getAttribute("data-page-url"), {
      credentials: "same-origin",
      headers: { "HX-Request": "true", "Accept": "text/html" }
    }).then(function (r) {
      if (r.status === 404) throw new Error("gone");
      if (!r.ok) throw new Error("status " + r.status);
      return r.text();
    }).then(apply).catch(function (err) {
      notice(err && err.message === "gone"
        ? "This issue is no longer available to you."
        : "This issue changed but could not be refreshed.");
    }).then(function () {
      busy = false;
      if (again) { again = false; schedule(); }
    });
  }

  function held(region) {
    return region.matches("[data-editing], [data-expanded]") ||
      !!region.querySelector("[data-editing]");
  }

  // htmx is swapping something in right now: replacing it mid-swap would lose the focus
  // htmx is about to restore, so try again once it is done.
  function htmxBusy() {
    return !!root.querySelector(".htmx-request, .htmx-swapping, .htmx-settling, .htmx-added");
  }

  function apply(html) {
    if (htmxBusy()) { again = true; return; }
    var doc = new DOMParser().parseFromString(html, "text/html");
    var fresh = doc.getElementById("issue");
    if (!fresh) return;
    var version = Number(fresh.getAttribute("data-version"));
    var stale = false;
    Array.prototype.forEach.call(root.querySelectorAll("[data-live-region]"), function (region) {
      var next = region.id && doc.getElementById(region.id);
      if (!next) return;
      // A copy older than what a swap just showed (the fetch started before that change).
      if (Number(region.getAttribute("data-version") || 0) > version) { again = true; return; }
      if (held(region)) {
        if (next.getAttribute("data-sig") !== region.getAttribute("data-sig")) stale = true;
        return;
      }
      var active = document.activeElement;
      var focusId = active && region.contains(active) ? active.id : null;
      var node = document.importNode(next, true);
      region.replaceWith(node);
      if (window.htmx) window.htmx.process(node);
      if (window.Docket) window.Docket.paint(node);
      if (focusId) {
        var back = document.getElementById(focusId);
        if (back) back.focus();
      }
    });
    root.setAttribute("data-version", fresh.getAttribute("data-version"));
    if (stale) notice("This issue changed while you were editing.");
  }

  document.body.addEventListener("docket:live", schedule);
  document.body.addEventListener("docket:issue-changed", schedule);

  // "Show older": keep the loaded entries until the person reloads.
  document.body.addEventListener("htmx:beforeRequest", function (e) {
    var elt = e.detail.elt;
    if (elt && elt.closest && elt.closest("li.older")) {
      var list = document.getElementById("issue-timeline");
      if (list) list.setAttribute("data-expanded", "");
    }
  });

  // --- focus after a swap: into the new form, or back onto the field's button ----------------
  // Only when the swap took the focused element away (focus fell back to <body>). On afterSwap,
  // not afterSettle: a key pressed during the settle delay would otherwise land on <body>.
  var FOCUS_ORDER = ["[autofocus]", "[id^=reapply]", "button.ifield-value", "button[id$='-button']",
    "textarea:not([hidden])", "button"];
  document.body.addEventListener("htmx:afterSwap", function (e) {
    var target = e.detail.target;
    var el = target && target.id ? document.getElementById(target.id) : null;
    if (!el || !root.contains(el)) return;
    var active = document.activeElement;
    if (active && active !== document.body && document.contains(active)) return;
    for (var i = 0; i < FOCUS_ORDER.length; i++) {
      var into = el.querySelector(FOCUS_ORDER[i]);
      if (into) { into.focus(); return; }
    }
  });

  // --- Escape cancels an open edit (before app.js would just blur the field) -----------------
  document.addEventListener("keydown", function (e) {
    if (e.key !== "Escape" || mention.open) return;
    var form = e.target && e.target.closest ? e.target.closest("[data-editing]") : null;
    // Focus may have left the form (a swap, a click on the page): the one open edit still
    // counts, unless the key was meant for another field.
    if (!form && !(e.target && e.target.closest && e.target.closest("input, textarea, select"))) {
      var open = (document.getElementById("issue") || root).querySelectorAll("[data-editing]");
      if (open.length === 1) form = open[0];
    }
    var cancel = form && form.querySelector("[data-cancel]");
    if (cancel) {
      e.preventDefault();
      e.stopPropagation();
      cancel.click();
    }
  }, true);

  // --- @mention completion ------------------------------------------------------------------------
  // The textarea keeps focus; the list is a listbox it controls, the highlighted option is its
  // aria-activedescendant, and a status line says how many people match.
  var mention = { open: false, box: null, list: null, items: [], at: -1, start: -1, seq: 0, timer: null };

  function listFor(box) {
    return document.getElementById(box.getAttribute("aria-controls"));
  }
  function statusFor(box) {
    var form = box.closest("form");
    return form ? form.querySelector("[data-mention-status]") : null;
  }

  function close() {
    if (mention.list) {
      mention.list.hidden = true;
      mention.list.textContent = "";
    }
    if (mention.box) mention.box.removeAttribute("aria-activedescendant");
    mention.open = false;
    mention.items = [];
    mention.at = -1;
  }

  function query(box) {
    var before = box.value.slice(0, box.selectionStart);
    var m = /(^|[\s(\[{>,;])@([A-Za-z0-9_.+-]{0,30})$/.exec(before);
    if (!m) return null;
    return { word: m[2], start: before.length - m[2].length - 1 };
  }

  function highlight(i) {
    mention.at = i;
    mention.items.forEach(function (li, n) {
      li.setAttribute("aria-selected", n === i ? "true" : "false");
    });
    if (i >= 0 && mention.items[i]) {
      mention.box.setAttribute("aria-activedescendant", mention.items[i].id);
      mention.items[i].scrollIntoView({ block: "nearest" });
    } else {
      mention.box.removeAttribute("aria-activedescendant");
    }
  }

  function show(box, people) {
    var list = listFor(box);
    if (!list) return;
    mention.box = box;
    mention.list = list;
    list.textContent = "";
    mention.items = people.map(function (p, n) {
      var li = document.createElement("li");
      li.id = list.id + "-" + n;
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", "false");
      li.setAttribute("data-username", p.username);
      li.textContent = "@" + p.username;
      if (p.name) {
        var name = document.createElement("span");
        name.className = "muted small";
        name.textContent = " " + p.name;
        li.appendChild(name);
      }
      list.appendChild(li);
      return li;
    });
    var status = statusFor(box);
    if (status) {
      status.textContent = people.length
        ? people.length + (people.length === 1 ? " person" : " people") +
          " to mention; use the up and down arrows, Enter to choose."
        : "Nobody in this project matches.";
    }
    if (!people.length) { close(); return; }
    list.hidden = false;
    mention.open = true;
    highlight(0);
  }

  function lookup(box) {
    var q = query(box);
    if (!q) { close(); return; }
    mention.start = q.start;
    var seq = ++mention.seq;
    clearTimeout(mention.timer);
    mention.timer = setTimeout(function () {
      var url = root.getAttribute("data-people-url") + "?q=" + encodeURIComponent(q.word);
      fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { return r.ok ? r.json() : { people: [] }; })
        .then(function (data) {
          if (seq === mention.seq && document.activeElement === box) show(box, data.people || []);
        })
        .catch(close);
    }, 120);
  }

  function choose(i) {
    var li = mention.items[i];
    var box = mention.box;
    if (!li || !box) return;
    var name = li.getAttribute("data-username");
    var caret = box.selectionStart;
    var text = "@" + name + " ";
    box.value = box.value.slice(0, mention.start) + text + box.value.slice(caret);
    var at = mention.start + text.length;
    box.setSelectionRange(at, at);
    close();
    var status = statusFor(box);
    if (status) status.textContent = "Mentioned @" + name + ".";
    box.focus();
  }

  document.addEventListener("input", function (e) {
    if (e.target.matches && e.target.matches("textarea[data-mentions]")) lookup(e.target);
  });
  document.addEventListener("keydown", function (e) {
    if (!mention.open || e.target !== mention.box) return;
    var n = mention.items.length;
    if (e.key === "ArrowDown") highlight((mention.at + 1) % n);
    else if (e.key === "ArrowUp") highlight((mention.at - 1 + n) % n);
    else if (e.key === "Enter" || e.key === "Tab") choose(mention.at < 0 ? 0 : mention.at);
    else if (e.key === "Escape") close();
    else return;
    e.preventDefault();
    e.stopPropagation();
  }, true);
  document.addEventListener("mousedown", function (e) {
    var li = e.target.closest && e.target.closest("[role=option][data-username]");
    if (li && mention.open) {
      e.preventDefault(); // keep focus in the textarea
      choose(mention.items.indexOf(li));
    }
  });
  document.addEventListener("focusout", function (e) {
    if (mention.open && e.target === mention.box) setTimeout(function () {
      if (document.activeElement !== mention.box) close();
    }, 0);
  });

  // --- issue keys for the link and parent inputs: a <datalist> of the visible matches --------------
  // The browser shows and announces the list itself; the status line says how many there are.
  var lookupTimer = null, lookupSeq = 0;
  document.addEventListener("input", function (e) {
    var box = e.target;
    if (!box.matches || !box.matches("input[data-lookup]")) return;
    var list = document.getElementById(box.getAttribute("list"));
    if (!list) return;
    var text = box.value.trim();
    clearTimeout(lookupTimer);
    if (!text) return;
    var seq = ++lookupSeq;
    lookupTimer = setTimeout(function () {
      fetch(list.getAttribute("data-lookup-url") + "?q=" + encodeURIComponent(text), {
        credentials: "same-origin", headers: { Accept: "application/json" }
      })
        .then(function (r) { return r.ok ? r.json() : { issues: [] }; })
        .then(function (data) {
          if (seq !== lookupSeq) return; // a later keystroke asked again
          list.textContent = "";
          data.issues.forEach(function (issue) {
            var option = document.createElement("option");
            option.value = issue.key;
            option.label = issue.title + " (" + issue.status + ")"; // text, never HTML
            list.appendChild(option);
          });
          var status = document.getElementById("issue-matches-status");
          if (status) {
            var n = data.issues.length;
            status.textContent = n ? n + " matching issue" + (n === 1 ? "" : "s") + " suggested" : "No matching issues";
          }
        })
        .catch(function () {});
    }, 150);
  });

  // --- on a phone an empty section is one "Add …" row (issue.css); this opens it --------------------
  document.addEventListener("click", function (e) {
    var button = e.target.closest && e.target.closest("[data-section-open]");
    if (!button) return;
    var section = button.closest(".issue-section");
    section.classList.add("is-open");
    section.setAttribute("data-expanded", ""); // live refresh leaves an opened section be
    button.setAttribute("aria-expanded", "true");
    var first = section.querySelector("input:not([type=hidden]), select, textarea");
    if (first) first.focus();
  });
})();
