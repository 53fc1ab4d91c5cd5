// PictureUs: small progressive enhancements. The site works fully without this file.
(function () {
  "use strict";

  document.documentElement.classList.add("js");

  document.addEventListener("DOMContentLoaded", function () {
    // On narrow screens the two menus fold behind one button.
    var header = document.querySelector(".site-header");
    var toggle = header && header.querySelector(".nav-toggle");
    if (toggle) {
      toggle.addEventListener("click", function () {
        var open = header.classList.toggle("is-open");
        toggle.setAttribute("aria-expanded", open ? "true" : "false");
      });
    }

    // A form's submit button is disabled once pressed, so a slow reply cannot send it twice.
    document.querySelectorAll("form[data-submit-once]").forEach(function (form) {
      form.addEventListener("submit", function () {
        form.querySelectorAll("button[type=submit]").forEach(function (button) {
          button.disabled = true;
          if (button.dataset.busyLabel) {
            button.textContent = button.dataset.busyLabel;
          }
        });
      });
    });

    // A live count of the characters left in fields that have a limit.
    document.querySelectorAll("textarea[maxlength][data-count-template]").forEach(function (area) {
      var output = document.createElement("p");
      output.className = "help";
      output.setAttribute("aria-live", "polite");
      area.insertAdjacentElement("afterend", output);
      var update = function () {
        var left = parseInt(area.getAttribute("maxlength"), 10) - area.value.length;
        output.textContent = area.dataset.countTemplate.replace("{n}", String(left));
      };
      area.addEventListener("input", update);
      update();
    });
  });
})();
