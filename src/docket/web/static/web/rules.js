// The rule form (jinja2/web/rules/form.html): show the inputs of the chosen trigger, action
// and assign strategy; add and remove action rows in the page. Without this script every
// group shows, labelled, and the row buttons are submits that re-render the form.
(function () {
  "use strict";

  function chosen(select) {
    return select ? select.value : "";
  }

  function showFor(scope, attribute, value) {
    scope.querySelectorAll("[" + attribute + "]").forEach(function (group) {
      var wanted = group.getAttribute(attribute).split(" ");
      group.hidden = wanted.indexOf(value) === -1;
    });
  }

  function refreshRow(row) {
    showFor(row, "data-show-for", chosen(row.querySelector("select[data-switch]:not([data-switch=strategy])")));
    showFor(row, "data-show-for-strategy", chosen(row.querySelector("select[data-switch=strategy]")));
  }

  function refreshTrigger(form) {
    var on = form.querySelector("select[name=on]");
    form.querySelectorAll(".trigger-fields[data-show-for]").forEach(function (group) {
      group.hidden = group.getAttribute("data-show-for").split(" ").indexOf(chosen(on)) === -1;
    });
  }

  function nextIndex(rows) {
    var top = -1;
    rows.querySelectorAll("select[name$='-type']").forEach(function (select) {
      var match = /^actions-(\d+)-type$/.exec(select.name);
      if (match) top = Math.max(top, Number(match[1]));
    });
    return top + 1;
  }

  function addRow(form) {
    var rows = form.querySelector("[data-rows]");
    var template = document.getElementById("action-row-template");
    var index = String(nextIndex(rows));
    var fresh = template.content.firstElementChild.cloneNode(true);
    fresh.querySelectorAll("[name], [id], [for], [value]").forEach(function (el) {
      ["name", "id", "for"].forEach(function (attr) {
        if (el.hasAttribute(attr)) el.setAttribute(attr, el.getAttribute(attr).replace("__i__", index));
      });
      if (el.matches("[data-remove-row]")) el.value = index;
    });
    rows.appendChild(fresh);
    refreshRow(fresh);
    fresh.querySelector("select").focus();
  }

  function setUp(form) {
    document.documentElement.classList.add("js");
    refreshTrigger(form);
    form.querySelectorAll("[data-row]").forEach(refreshRow);
    form.addEventListener("change", function (event) {
      if (!event.target.matches("select[data-switch]")) return;
      var row = event.target.closest("[data-row]");
      if (row) refreshRow(row); else refreshTrigger(form);
    });
    form.addEventListener("click", function (event) {
      var button = event.target.closest("button");
      if (!button) return;
      if (button.matches("[data-add-row]")) {
        event.preventDefault();
        addRow(form);
      } else if (button.matches("[data-remove-row]")) {
        event.preventDefault();
        button.closest("[data-row]").remove();
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("form.rule-form");
    if (form) setUp(form);
  });
})();
