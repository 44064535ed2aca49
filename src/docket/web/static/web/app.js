// Docket's small amount of plain JavaScript: keyboard shortcuts, list navigation, colours
// from data attributes (the CSP forbids inline styles), and live updates over SSE.
(function () {
  "use strict";

  function typing(el) {
    return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }

  // --- colours from data (labels, states) -------------------------------------------------
  // Label chips (the issue list, My work) in their own colour, the text black or white,
  // whichever contrasts more (WCAG: one of the two always reaches 4.5:1 on any background).
  function luminance(hex) {
    var rgb = [1, 3, 5].map(function (i) {
      var c = parseInt(hex.slice(i, i + 2), 16) / 255;
      return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2];
  }
  function paint(root) {
    root.querySelectorAll("[data-color]").forEach(function (el) {
      var c = el.getAttribute("data-color");
      if (/^#[0-9a-fA-F]{6}$/.test(c)) {
        el.style.borderColor = c;
        el.style.boxShadow = "inset 4px 0 0 " + c;
      }
    });
    root.querySelectorAll(".chip[data-chip]").forEach(function (chip) {
      var hex = chip.getAttribute("data-chip");
      if (!/^#[0-9a-fA-F]{6}$/.test(hex)) return;
      var light = luminance(hex);
      var onWhite = 1.05 / (light + 0.05), onBlack = (light + 0.05) / 0.05;
      chip.style.backgroundColor = hex; // CSSOM, which the CSP allows
      chip.style.color = onBlack >= onWhite ? "#000000" : "#ffffff";
      chip.classList.add("painted");
    });
  }

  // --- swapped-in controls work at once ------------------------------------------------------
  // htmx wires up swapped-in content only when the swap settles (20 ms later, more on a busy
  // machine); a click or submit in that window would do nothing (a type=button Cancel) or
  // leave the page (a form's plain POST). Wiring the element up first, in the capture phase,
  // lets htmx's own listener on it take the event; htmx.process skips what is already wired.
  var HX = "[hx-get], [hx-post], [hx-put], [hx-patch], [hx-delete]";
  function wireFirst(e) {
    var el = window.htmx && e.target.closest ? e.target.closest(HX) : null;
    if (el) window.htmx.process(el);
  }
  document.addEventListener("click", wireFirst, true);
  document.addEventListener("submit", wireFirst, true);

  // --- list navigation: j/k move, x selects, Enter/o opens ---------------------------------
  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-nav-item]"));
  }
  function current() {
    return document.querySelector("[data-nav-item].current");
  }
  function move(step) {
    var all = rows();
    if (!all.length) return;
    var at = all.indexOf(current());
    var next = all[Math.max(0, Math.min(all.length - 1, at + step))] || all[0];
    all.forEach(function (r) { r.classList.remove("current"); });
    next.classList.add("current");
    next.scrollIntoView({ block: "nearest" });
    var link = next.querySelector("a[data-open]");
    if (link) link.focus({ preventScroll: true });
  }
  function openCurrent() {
    var row = current();
    var link = row && row.querySelector("a[data-open]");
    if (link) window.location.href = link.href;
  }
  function toggleCurrent() {
    var row = current();
    var box = row && row.querySelector("input[type=checkbox]");
    if (box) { box.checked = !box.checked; box.dispatchEvent(new Event("change", { bubbles: true })); }
  }

  // --- shortcuts -----------------------------------------------------------------------------
  function clickShortcut(key) {
    var el = document.querySelector('[data-shortcut="' + key + '"]');
    if (!el) return false;
    if (el.tagName === "INPUT" || el.tagName === "TEXTAREA") { el.focus(); el.select && el.select(); }
    else el.click();
    return true;
  }
  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === "Escape" && typing(document.activeElement)) { document.activeElement.blur(); return; }
    if (typing(e.target)) return;
    var handled = true;
    switch (e.key) {
      case "j": move(1); break;
      case "k": move(-1); break;
      case "o": case "Enter": if (current()) openCurrent(); else handled = false; break;
      case "x": toggleCurrent(); break;
      case "/": handled = clickShortcut("/"); break;
      case "?": handled = clickShortcut("?"); break;
      case "c": case "e": case "a": handled = clickShortcut(e.key); break;
      default: handled = false;
    }
    if (handled) e.preventDefault();
  });

  // --- colour theme: light / dark / system -----------------------------------------------------
  // The choice lives in a cookie (the server renders <html class="theme-…"> from it: no flash)
  // and in localStorage (which restores the cookie should it be cleared).
  var THEME_KEY = "docket_theme";
  function applyTheme(choice) {
    var root = document.documentElement;
    root.classList.remove("theme-light", "theme-dark");
    if (choice === "light" || choice === "dark") root.classList.add("theme-" + choice);
    document.querySelectorAll("[data-theme]").forEach(function (b) {
      b.setAttribute("aria-pressed", String(b.getAttribute("data-theme") === choice));
    });
  }
  function saveTheme(choice) {
    try { window.localStorage.setItem(THEME_KEY, choice); } catch (err) { /* private mode */ }
    var secure = window.location.protocol === "https:" ? "; Secure" : "";
    document.cookie = THEME_KEY + "=" + choice + "; path=/; max-age=31536000; SameSite=Lax" + secure;
  }
  function restoreTheme() {
    if (document.cookie.indexOf(THEME_KEY + "=") >= 0) return;
    var kept = null;
    try { kept = window.localStorage.getItem(THEME_KEY); } catch (err) { /* private mode */ }
    if (kept === "light" || kept === "dark") { saveTheme(kept); applyTheme(kept); }
  }
  document.addEventListener("click", function (e) {
    var button = e.target.closest("[data-theme]");
    if (!button) return;
    var choice = button.getAttribute("data-theme");
    saveTheme(choice);
    applyTheme(choice);
  });

  // --- top bar on a phone: the menu button folds the nav out --------------------------------
  document.addEventListener("click", function (e) {
    var toggle = e.target.closest("[data-nav-toggle]");
    var bar = document.getElementById("topbar");
    if (!bar) return;
    if (toggle) {
      var open = !bar.classList.contains("nav-open");
      bar.classList.toggle("nav-open", open);
      toggle.setAttribute("aria-expanded", String(open));
    } else if (bar.classList.contains("nav-open") && !e.target.closest("#mainnav")) {
      bar.classList.remove("nav-open");
      var t = bar.querySelector("[data-nav-toggle]");
      if (t) t.setAttribute("aria-expanded", "false");
    }
  });

  // --- dialogs ---------------------------------------------------------------------------------
  document.addEventListener("click", function (e) {
    var opener = e.target.closest("[data-open-dialog]");
    if (opener) {
      var d = document.getElementById(opener.getAttribute("data-open-dialog"));
      if (d && d.showModal) d.showModal();
    }
  });

  // --- bulk selection: show the bulk bar when something is checked ----------------------------
  document.addEventListener("change", function (e) {
    if (!e.target.matches("input[name=selected], input[data-select-all]")) return;
    if (e.target.matches("[data-select-all]")) {
      document.querySelectorAll("input[name=selected]").forEach(function (b) { b.checked = e.target.checked; });
    }
    var count = document.querySelectorAll("input[name=selected]:checked").length;
    var bar = document.getElementById("bulkbar");
    if (bar) {
      bar.hidden = count === 0;
      var n = bar.querySelector("[data-count]");
      if (n) n.textContent = String(count);
    }
  });

  // --- live updates ------------------------------------------------------------------------------
  // The page names what it shows in <body data-live-url>; the server streams a `change` event
  // for each visible change there, and every element with hx-trigger="docket:live from:body"
  // refreshes itself.
  var source = null;
  function connect() {
    var url = document.body.getAttribute("data-live-url");
    if (!url || !window.EventSource) return;
    // Start after the newest change the page already shows; a reconnect sends Last-Event-ID.
    var after = document.body.getAttribute("data-live-after");
    if (after) url += (url.indexOf("?") < 0 ? "?" : "&") + "after=" + encodeURIComponent(after);
    source = new EventSource(url);
    source.addEventListener("change", function (msg) {
      var detail = {};
      try { detail = JSON.parse(msg.data); } catch (err) { /* keep {} */ }
      if (window.htmx) window.htmx.trigger(document.body, "docket:live", detail);
      else document.body.dispatchEvent(new CustomEvent("docket:live", { detail: detail }));
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    restoreTheme();
    paint(document);
    connect();
  });
  document.addEventListener("htmx:afterSettle", function (e) { paint(e.target); });
  window.Docket = { paint: paint, move: move };

  // The command palette's files (palette.js, 4.5 KB on the wire) load at its first use:
  // Ctrl/Cmd-K, a single key on an issue page (s p i l), or a [data-open-palette] control.
  // Then the same key or click is handed to it again. Most visits never open it.
  var SINGLE = "spil";
  var paletteLoading = false;
  function wantsPalette(e) {
    if (e.type === "click") return !!(e.target.closest && e.target.closest("[data-open-palette]"));
    if ((e.ctrlKey || e.metaKey) && !e.altKey && !e.shiftKey) return e.key === "k" || e.key === "K";
    var t = e.target;
    var typing = t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName));
    return !e.altKey && !typing && SINGLE.indexOf(e.key) >= 0 && e.key.length === 1
      && !!document.getElementById("issue") && !document.querySelector("dialog[open]");
  }
  function loadPalette(e) {
    var where = document.body.getAttribute("data-palette");
    if (window.DocketPalette || !where || !wantsPalette(e)) return;
    e.preventDefault();
    if (paletteLoading) return;
    paletteLoading = true;
    var parts = where.split(" ");
    var sheet = document.createElement("link");
    sheet.rel = "stylesheet";
    sheet.href = parts[1];
    document.head.appendChild(sheet);
    var code = document.createElement("script");
    code.src = parts[0];
    code.setAttribute("data-palette-url", parts[2]);
    code.onload = function () {
      if (e.type === "click") window.DocketPalette.open(null);
      else document.dispatchEvent(new KeyboardEvent("keydown", {
        key: e.key, ctrlKey: e.ctrlKey, metaKey: e.metaKey, bubbles: true, cancelable: true,
      }));
    };
    code.onerror = function () { paletteLoading = false; };
    document.head.appendChild(code);
  }
  document.addEventListener("keydown", loadPalette);
  document.addEventListener("click", loadPalette);
})();
