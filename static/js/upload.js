// Photo uploads: drag and drop, several files at once, one progress bar and verdict per file.
// Without JavaScript the form posts all files at once and the page lists the verdicts.
(function () {
  "use strict";
  var form = document.getElementById("upload-form");
  if (!form || !window.FormData || !window.XMLHttpRequest) return;
  var input = document.getElementById("id_photos");
  var zone = document.getElementById("drop-zone");
  var list = document.getElementById("upload-progress");
  var grid = document.getElementById("photo-grid");
  var count = document.getElementById("photo-count");
  var submit = document.getElementById("submit-button");
  var csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  var text = form.dataset;

  function row(file) {
    var li = document.createElement("li");
    li.className = "upload-item";
    var name = document.createElement("span");
    name.className = "upload-name";
    name.textContent = file.name;
    var bar = document.createElement("progress");
    bar.max = 100;
    bar.setAttribute("aria-label", file.name);
    bar.value = 0;
    var status = document.createElement("span");
    status.className = "upload-status";
    status.textContent = text.textUploading;
    li.append(name, bar, status);
    list.appendChild(li);
    return { li: li, bar: bar, status: status };
  }

  function showCount(n, canSubmit) {
    var template = n === 1 ? count.dataset.templateOne : count.dataset.templateMany;
    count.textContent = template.replace("__COUNT__", String(n));
    if (submit) submit.disabled = !canSubmit;
  }

  function addThumb(url) {
    var empty = document.getElementById("no-photos");
    if (empty) empty.remove();
    var li = document.createElement("li");
    li.className = "photo-tile";
    var img = document.createElement("img");
    img.src = url;
    img.alt = "";
    img.width = 160;
    img.height = 160;
    li.appendChild(img);
    grid.appendChild(li);
  }

  function send(file) {
    var ui = row(file);
    var data = new FormData();
    data.append("photos", file);
    var xhr = new XMLHttpRequest();
    xhr.open("POST", text.uploadUrl);
    xhr.setRequestHeader("X-CSRFToken", csrf);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) ui.bar.value = Math.round((e.loaded / e.total) * 100);
      if (e.loaded === e.total) ui.status.textContent = text.textChecking;
    });
    xhr.addEventListener("load", function () {
      var body = null;
      try { body = JSON.parse(xhr.responseText); } catch (err) { body = null; }
      ui.bar.value = 100;
      if (xhr.status !== 200 || !body || !body.results || !body.results.length) {
        ui.status.textContent = (body && body.error) || text.textFailed;
        ui.li.classList.add("verdict-rejected");
        return;
      }
      var result = body.results[0];
      if (result.accepted) {
        ui.status.textContent = text.textAccepted;
        ui.li.classList.add("verdict-ok");
        addThumb(result.thumbnail);
      } else {
        ui.status.textContent = text.textRejected + ": " + result.reason;
        ui.li.classList.add("verdict-rejected");
      }
      showCount(body.accepted, body.can_submit);
    });
    xhr.addEventListener("error", function () {
      ui.status.textContent = text.textFailed;
      ui.li.classList.add("verdict-rejected");
    });
    xhr.send(data);
  }

  function sendAll(files) {
    Array.prototype.forEach.call(files, send);
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    sendAll(input.files);
    input.value = "";
  });
  input.addEventListener("change", function () {
    sendAll(input.files);
    input.value = "";
  });
  ["dragenter", "dragover"].forEach(function (type) {
    zone.addEventListener(type, function (e) {
      e.preventDefault();
      zone.classList.add("drop-active");
    });
  });
  ["dragleave", "drop"].forEach(function (type) {
    zone.addEventListener(type, function (e) {
      e.preventDefault();
      zone.classList.remove("drop-active");
    });
  });
  zone.addEventListener("drop", function (e) {
    if (e.dataTransfer && e.dataTransfer.files) sendAll(e.dataTransfer.files);
  });
})();
