// Privacy centre and cookie banner. Texts come from data- attributes rendered by templates.
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  });

  function initBanner() {
    var banner = document.querySelector("[data-cookie-banner]");
    if (!banner || !window.fetch) return;
    var form = banner.querySelector("form");
    form.addEventListener("submit", function (event) {
      // Without the pressed button the choice is unknown: let the form post itself instead.
      if (!event.submitter || !event.submitter.name) return;
      event.preventDefault();
      var submitter = event.submitter;
      var data = new FormData(form);
      data.append(submitter.name, submitter.value);
      // form.submit() sends no button: the choice goes along in a hidden field.
      var postPlainly = function () {
        var input = document.createElement("input");
        input.type = "hidden";
        input.name = submitter.name;
        input.value = submitter.value;
        form.appendChild(input);
        form.submit();
      };
      fetch(form.action, {
        method: "POST",
        body: data,
        credentials: "same-origin",
        headers: { "X-Requested-With": "fetch" },
      }).then(function (response) {
        if (response.ok) banner.remove();
        else postPlainly();
      }, postPlainly);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", initBanner);
  } else {
    initBanner();
  }
})();
