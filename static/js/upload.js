// Photo uploads: one "Add photos" control; each chosen or dropped file is sent at once and gets
// its own row with a progress bar and the server's verdict. Deleting a photo stays on the page.
// Every word shown comes from the server (data attributes or the JSON answers).
// Without JavaScript the form posts the chosen files and the page lists the verdicts.
(function () {
  "use strict";
  var form = document.getElementById("upload-form");
  if (!form || !window.FormData || !window.XMLHttpRequest) return;
  var input = document.getElementById("id_photos");
  var zone = document.getElementById("drop-zone");
  var list = document.getElementById("upload-progress");
  var grid = document.getElementById("photo-grid");
  var empty = document.getElementById("no-photos");
  var count = document.getElementById("photo-count");
  var submit = document.getElementById("submit-button");
  var reason = document.getElementById("submit-reason");
  var csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  var text = form.dataset;
  // One file at a time, so that each answer's count is newer than the one before it.
  var waiting = [];
  var running = false;

  // With this script the label is the one control: choosing files sends them.
  form.classList.add("upload-live");
  input.classList.add("visually-hidden");
  form.querySelector("label[for=id_photos]").classList.add("button", "button-large");
  document.getElementById("upload-send").hidden = true;
  document.getElementById("drop-hint").hidden = false;

  function row(file) {
    var li = document.createElement("li");
    li.className = "upload-item";
    var name = document.createElement("span");
    name.className = "upload-name";
    name.textContent = file.name;
    var bar = document.createElement("progress");
    bar.max = 100;
    bar.value = 0;
    bar.setAttribute("aria-label", file.name);
    var status = document.createElement("span");
    status.className = "upload-status";
    status.textContent = text.textWaiting;
    li.append(name, bar, status);
    list.appendChild(li);
    return { li: li, bar: bar, status: status };
  }

  function verdict(ui, ok, words) {
    ui.bar.value = 100;
    ui.status.textContent = words;
    ui.li.classList.add(ok ? "verdict-ok" : "verdict-rejected");
  }

  // The count and "Make my portraits" as the server now sees them.
  function showStatus(body) {
    count.textContent = body.count_text;
    if (!submit) return;
    submit.disabled = !body.can_submit;
    reason.textContent = body.submit_reason;
    reason.hidden = body.can_submit;
    if (body.can_submit) submit.removeAttribute("aria-describedby");
    else submit.setAttribute("aria-describedby", reason.id);
  }

  function showEmpty() {
    empty.hidden = grid.querySelector(".photo-tile") !== null;
  }

  function addTile(result) {
    var li = document.createElement("li");
    li.className = "photo-tile";
    var img = document.createElement("img");
    img.src = result.thumbnail;
    img.alt = grid.dataset.altTemplate.replace(
      "__N__",
      String(grid.querySelectorAll(".photo-tile").length + 1)
    );
    img.width = 160;
    img.height = 160;
    var del = document.createElement("form");
    del.method = "post";
    del.action = result.delete_url;
    del.className = "photo-delete";
    var button = document.createElement("button");
    button.type = "submit";
    button.className = "link-button";
    button.textContent = grid.dataset.textDelete;
    del.appendChild(button);
    li.append(img, del);
    grid.insertBefore(li, empty);
    showEmpty();
  }

  function post(url, data, onProgress, onDone) {
    var xhr = new XMLHttpRequest();
    xhr.open("POST", url);
    xhr.setRequestHeader("X-CSRFToken", csrf);
    xhr.setRequestHeader("Accept", "application/json");
    if (onProgress) xhr.upload.addEventListener("progress", onProgress);
    xhr.addEventListener("load", function () {
      var body = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch (err) {
        body = null;
      }
      onDone(xhr.status === 200 ? body : null, body);
    });
    xhr.addEventListener("error", function () {
      onDone(null, null);
    });
    xhr.send(data);
  }

  function send(file, ui) {
    var data = new FormData();
    data.append("photos", file);
    ui.status.textContent = text.textUploading;
    function progress(e) {
      if (e.lengthComputable) ui.bar.value = Math.round((e.loaded / e.total) * 100);
      if (e.loaded === e.total) ui.status.textContent = text.textChecking;
    }
    post(text.uploadUrl, data, progress, function (body, refusal) {
      var result = body && body.results && body.results[0];
      if (!result) {
        verdict(ui, false, (refusal && refusal.error) || text.textFailed);
      } else if (result.accepted) {
        verdict(ui, true, text.textAccepted);
        addTile(result);
      } else {
        verdict(ui, false, text.textRejected + ": " + result.reason);
      }
      if (body) showStatus(body);
      running = false;
      next();
    });
  }

  function next() {
    if (running || !waiting.length) return;
    var job = waiting.shift();
    running = true;
    send(job.file, job.ui);
  }

  function sendAll(files) {
    Array.prototype.forEach.call(files, function (file) {
      waiting.push({ file: file, ui: row(file) });
    });
    next();
  }

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

  // Deleting a photo: the tile goes, the count and the button follow; focus moves on.
  grid.addEventListener("submit", function (e) {
    var del = e.target.closest("form.photo-delete");
    if (!del) return;
    e.preventDefault();
    var tile = del.closest(".photo-tile");
    post(del.action, null, null, function (body) {
      if (!body) {
        del.submit();
        return;
      }
      var neighbour = tile.nextElementSibling;
      if (!neighbour || !neighbour.classList.contains("photo-tile")) {
        neighbour = tile.previousElementSibling;
      }
      tile.remove();
      showEmpty();
      showStatus(body);
      var focus = neighbour && neighbour.querySelector("button");
      (focus || input).focus();
    });
  });
})();
