// Gallery: favourites toggle in place. The forms work without this file (full page post).
(function () {
  "use strict";

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-favourite-form]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var input = form.querySelector("input[name=favourite]");
        var button = form.querySelector("button[type=submit]");
        button.disabled = true;
        fetch(form.action, {
          method: "POST",
          body: new FormData(form),
          headers: { Accept: "application/json" },
          credentials: "same-origin",
        })
          .then(function (response) {
            if (!response.ok) {
              throw new Error(String(response.status));
            }
            return response.json();
          })
          .then(function (data) {
            input.value = data.favourite ? "0" : "1";
            button.setAttribute("aria-pressed", data.favourite ? "true" : "false");
            // The grid holds both labels once, in the page's language.
            var labels = form.closest("[data-label-on]").dataset;
            button.textContent = data.favourite ? labels.labelOn : labels.labelOff;
          })
          .catch(function () {
            form.submit();
          })
          .finally(function () {
            button.disabled = false;
          });
      });
    });
  });
})();
