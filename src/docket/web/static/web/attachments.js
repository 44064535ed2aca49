// Attachments on the issue page, beyond the plain upload form (which works without this):
// drop files anywhere on the page to attach them (onto the comment or description box: and
// link them there), and paste an image into either box to attach it and insert its Markdown
// at the cursor. Uploads go to the same endpoint as the form, which applies every rule (size,
// quota, permission); a refusal is shown next to the form and nothing is saved.
(function () {
  "use strict";

  var BOXES = "#comment-body, #input-description";

  function section() { return document.getElementById("attachments"); }
  function mayUpload() { var s = section(); return !!(s && s.hasAttribute("data-may-upload")); }

  function csrf() {
    var input = document.querySelector("#attachments input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function say(text, isError) {
    var s = section();
    if (!s) return;
    var form = s.querySelector(".attachment-form");
    var old = s.querySelector("#attachment-error");
    if (old) old.remove();
    var status = s.querySelector("[data-attachment-status]");
    if (status) status.textContent = isError ? "" : text;
    if (isError && form) {
      var p = document.createElement("p");
      p.className = "error small";
      p.id = "attachment-error";
      p.setAttribute("role", "alert");
      p.textContent = text;
      form.appendChild(p);
    }
  }

  function refreshSection() {
    // issue.js refreshes the live regions (this section and the timeline) on this event.
    document.body.dispatchEvent(new CustomEvent("docket:issue-changed", { bubbles: true }));
  }

  function upload(file) {
    var data = new FormData();
    data.append("file", file, file.name);
    return fetch(section().getAttribute("data-upload-url"), {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrf(), "Accept": "application/json" }
    }).then(function (r) {
      return r.json().catch(function () { return { detail: "the upload failed (" + r.status + ")" }; })
        .then(function (body) {
          if (!r.ok) throw new Error(body.detail || "the upload failed");
          return body;
        });
    });
  }

  function uploadAll(files, box) {
    if (!files.length || !mayUpload()) return;
    say("Uploading " + files.length + " file" + (files.length === 1 ? "" : "s") + "…");
    var chain = Promise.resolve();
    var done = 0;
    Array.prototype.forEach.call(files, function (file) {
      chain = chain.then(function () {
        var mark = box ? placeholder(box, file.name) : null;
        return upload(file).then(function (body) {
          done += 1;
          if (mark) replace(box, mark, body.markdown);
        }, function (err) {
          if (mark) replace(box, mark, "");
          throw err;
        });
      });
    });
    chain.then(function () {
      say(done + " file" + (done === 1 ? "" : "s") + " attached.");
      refreshSection();
    }, function (err) {
      say(cap(err.message), true);
      if (done) refreshSection();
    });
  }

  function cap(text) { return text.charAt(0).toUpperCase() + text.slice(1); }

  // A marker at the cursor while the file uploads, replaced by its Markdown when it is there.
  function placeholder(box, name) {
    var mark = "![Uploading " + name.replace(/[\[\]]/g, "") + "…]()";
    box.setRangeText(mark, box.selectionStart, box.selectionEnd, "end");
    box.dispatchEvent(new Event("input", { bubbles: true }));
    return mark;
  }

  function replace(box, mark, text) {
    var at = box.value.indexOf(mark);
    if (at < 0) {
      if (text) box.setRangeText(text, box.selectionStart, box.selectionEnd, "end");
    } else {
      box.setRangeText(text, at, at + mark.length, "end");
    }
    box.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function imagesOf(transfer) {
    var files = [];
    Array.prototype.forEach.call((transfer && transfer.files) || [], function (file) {
      if (/^image\//.test(file.type)) files.push(named(file));
    });
    return files;
  }

  // A pasted screenshot is usually called "image.png": give it a name worth keeping.
  function named(file) {
    if (file.name && file.name !== "image.png") return file;
    var stamp = new Date().toISOString().replace(/[:.]/g, "-").slice(0, 19);
    var ext = (file.type.split("/")[1] || "png").replace("jpeg", "jpg");
    return new File([file], "pasted-" + stamp + "." + ext, { type: file.type });
  }

  document.addEventListener("paste", function (e) {
    var box = e.target;
    if (!box || !box.matches || !box.matches(BOXES) || !mayUpload()) return;
    var images = imagesOf(e.clipboardData);
    if (!images.length) return; // text pastes as usual
    e.preventDefault();
    uploadAll(images, box);
  });

  function hasFiles(e) {
    var types = e.dataTransfer && e.dataTransfer.types;
    return !!types && Array.prototype.indexOf.call(types, "Files") >= 0;
  }

  document.addEventListener("dragover", function (e) {
    if (!hasFiles(e) || !mayUpload()) return;
    e.preventDefault(); // allows the drop
    document.body.classList.add("dropping");
  });
  document.addEventListener("dragleave", function (e) {
    if (e.target === document.documentElement || e.relatedTarget === null) {
      document.body.classList.remove("dropping");
    }
  });
  document.addEventListener("drop", function (e) {
    document.body.classList.remove("dropping");
    if (!hasFiles(e) || !mayUpload()) return;
    e.preventDefault(); // the browser would otherwise open the file
    var box = e.target && e.target.matches && e.target.matches(BOXES) ? e.target : null;
    uploadAll(e.dataTransfer.files, box);
  });

  // A chosen file holds the section: a live refresh must not drop it before it is sent.
  document.addEventListener("change", function (e) {
    if (e.target && e.target.id === "attachment-file") {
      var s = section();
      if (s) s.toggleAttribute("data-editing", !!e.target.files.length);
    }
  });
})();
