// Project settings (web/settings/*.html). The forms work as plain POSTs; htmx boosts them. A
// refusal (403, 409, 422) comes back as the page with the message by the field: swap it in
// too (htmx leaves error answers alone), then put the focus on the first field in error.
(function () {
  "use strict";
  var SHOWN = [403, 404, 409, 422];

  document.addEventListener("htmx:beforeSwap", function (event) {
    var source = event.detail.requestConfig && event.detail.requestConfig.elt;
    if (source && source.closest(".settings") && SHOWN.indexOf(event.detail.xhr.status) !== -1) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // A stored colour outside the palette: painted through the CSSOM (no inline styles).
  function paintSwatches() {
    document.querySelectorAll(".settings [data-swatch]").forEach(function (el) {
      var colour = el.getAttribute("data-swatch");
      if (/^#[0-9a-fA-F]{6}$/.test(colour)) el.style.backgroundColor = colour;
    });
  }
  document.addEventListener("DOMContentLoaded", paintSwatches);

  document.addEventListener("htmx:afterSettle", function () {
    paintSwatches();
    var wrong = document.querySelector('.settings [aria-invalid="true"], .settings [role="alert"]');
    if (wrong) {
      if (!wrong.matches("input, select, textarea, fieldset")) wrong.setAttribute("tabindex", "-1");
      var target = wrong.matches("fieldset") ? wrong.querySelector("input") || wrong : wrong;
      target.focus();
    }
  });
})();
