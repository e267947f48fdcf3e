/*
 * Gazette newsroom: progressive enhancement for the /admin pages. Every
 * feature here has a plain-HTML path that works without it (the Preview
 * button, ordinary form posts); the script only makes them quicker.
 *
 *   1. Live preview: the story's Markdown is posted (debounced) to
 *      POST /admin/preview with the session's CSRF token; the HTML the
 *      server renders, exactly as a save would, fills a pane beside or
 *      below the text.
 *   2. Insert image: uploads a picture to POST /admin/media and puts
 *      ![alt](url) at the cursor.
 *   3. Feature image: checks the size against the server's limit before
 *      anything is sent, and shows the chosen picture.
 *   4. Slug: the placeholder shows the slug the title will give.
 *   5. Schedule: shows the UTC time in the writer's own time zone.
 *   6. Unsaved changes: a warning before leaving a changed form; Ctrl/Cmd+S
 *      saves; the error summary gets focus after a failed save.
 *
 * Loaded with <script defer> from static/ (CSP script-src 'self'); no
 * inline script, no framework. Data comes in data- attributes.
 */
(function () {
  "use strict";

  document.documentElement.classList.add("js");

  var form = document.querySelector("[data-editor]");
  var summary = document.querySelector("[data-error-summary]");
  if (summary) {
    summary.focus();
  }
  if (!form) {
    return;
  }

  function csrfToken() {
    var input = form.querySelector("input[name=csrf]");
    return input ? input.value : "";
  }

  function post(url, body) {
    body.append("csrf", csrfToken());
    return fetch(url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRF-Token": csrfToken() }
    }).then(function (response) {
      return response.text().then(function (text) {
        var data = null;
        try {
          data = text ? JSON.parse(text) : null;
        } catch (e) {
          data = null;
        }
        if (!response.ok) {
          var msg = data && data.error && data.error.message;
          throw new Error(msg || ("the server answered " + response.status));
        }
        return data || {};
      });
    });
  }

  /* 1. Live preview ------------------------------------------------------ */

  var textarea = form.querySelector("[data-markdown]");
  var live = form.querySelector("[data-live]");
  var liveBody = form.querySelector("[data-live-body]");
  var liveStatus = form.querySelector("[data-live-status]");
  var write = form.querySelector("[data-write]");
  var toggle = form.querySelector("[data-toggle-live]");
  var previewUrl = form.getAttribute("data-preview-url");
  var timer = null;
  var sent = 0;
  var shown = 0;
  var lastText = null;

  function setLiveStatus(text) {
    if (liveStatus) {
      liveStatus.textContent = text;
    }
  }

  function renderPreview() {
    if (!textarea || !liveBody || live.hidden) {
      return;
    }
    var text = textarea.value;
    if (text === lastText) {
      return;
    }
    lastText = text;
    var seq = ++sent;
    var body = new FormData();
    body.append("markdown", text);
    setLiveStatus("Updating…");
    post(previewUrl, body).then(function (data) {
      if (seq < shown) {
        return; /* an older answer arriving late */
      }
      shown = seq;
      /* The HTML comes from the server's Markdown renderer in safe mode
       * (raw HTML and javascript: links removed), as the story page
       * shows it. */
      liveBody.innerHTML = typeof data.html === "string" ? data.html : "";
      var minutes = data.reading_time || 1;
      setLiveStatus((data.words || 0) + " words · " + minutes + " min read");
    }).catch(function (err) {
      lastText = null;
      setLiveStatus("Preview unavailable: " + err.message);
    });
  }

  function schedulePreview() {
    if (timer) {
      clearTimeout(timer);
    }
    timer = setTimeout(renderPreview, 350);
  }

  function showLive(on) {
    live.hidden = !on;
    write.classList.toggle("nr-write--split", on);
    if (toggle) {
      toggle.setAttribute("aria-pressed", on ? "true" : "false");
    }
    try {
      window.localStorage.setItem("gz-live-preview", on ? "on" : "off");
    } catch (e) {
      /* storage may be disabled: the choice is just not remembered */
    }
    if (on) {
      lastText = null;
      renderPreview();
    }
  }

  if (textarea && live && liveBody && previewUrl && window.fetch &&
      window.FormData) {
    var remembered = "on";
    try {
      remembered = window.localStorage.getItem("gz-live-preview") || "on";
    } catch (e) {
      remembered = "on";
    }
    if (toggle) {
      toggle.hidden = false;
      toggle.addEventListener("click", function () {
        showLive(live.hidden);
      });
    }
    textarea.addEventListener("input", schedulePreview);
    showLive(remembered !== "off");
  }

  /* 2. Insert image ------------------------------------------------------ */

  var insertButton = form.querySelector("[data-insert-image]");
  var insertStatus = form.querySelector("[data-insert-status]");
  var mediaUrl = form.getAttribute("data-media-url");

  function insertAtCursor(text) {
    var start = textarea.selectionStart;
    var end = textarea.selectionEnd;
    var before = textarea.value.slice(0, start);
    var after = textarea.value.slice(end);
    var pad = before && !/\n\n$/.test(before) ? (/\n$/.test(before) ? "\n" : "\n\n") : "";
    var insert = pad + text + "\n\n";
    textarea.value = before + insert + after;
    textarea.selectionStart = textarea.selectionEnd = before.length + insert.length;
    textarea.focus();
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
  }

  if (insertButton && textarea && mediaUrl && window.fetch) {
    var picker = document.createElement("input");
    picker.type = "file";
    picker.accept = "image/jpeg,image/png,image/webp,image/gif";
    picker.hidden = true;
    picker.tabIndex = -1;
    picker.setAttribute("aria-hidden", "true");
    form.appendChild(picker);
    insertButton.hidden = false;
    insertButton.addEventListener("click", function () {
      picker.click();
    });
    picker.addEventListener("change", function () {
      var file = picker.files && picker.files[0];
      picker.value = "";
      if (!file) {
        return;
      }
      var limitEl = form.querySelector("[data-max-bytes]");
      var limit = limitEl ? Number(limitEl.getAttribute("data-max-bytes")) : 0;
      if (limit && file.size > limit) {
        insertStatus.textContent = "That image is larger than the upload limit (" +
          (limitEl.getAttribute("data-max-human") || "") + ").";
        return;
      }
      var body = new FormData();
      body.append("image", file, file.name);
      insertStatus.textContent = "Uploading " + file.name + "…";
      insertButton.disabled = true;
      post(mediaUrl, body).then(function (data) {
        var alt = file.name.replace(/\.[a-z0-9]+$/i, "").replace(/[\[\]\n]/g, " ");
        insertAtCursor("![" + alt + "](" + data.url + ")");
        insertStatus.textContent = "Image inserted. Edit the words in [ ] to describe it.";
      }).catch(function (err) {
        insertStatus.textContent = "Upload failed: " + err.message;
      }).then(function () {
        insertButton.disabled = false;
      });
    });
  }

  /* 3. Feature image ----------------------------------------------------- */

  var fileInput = form.querySelector("input[type=file][name=image]");
  var imageError = form.querySelector("[data-image-error]");
  if (fileInput) {
    var chosen = null;
    fileInput.addEventListener("change", function () {
      var file = fileInput.files && fileInput.files[0];
      var limit = Number(fileInput.getAttribute("data-max-bytes") || 0);
      imageError.hidden = true;
      fileInput.removeAttribute("aria-invalid");
      if (chosen) {
        chosen.remove();
        chosen = null;
      }
      if (!file) {
        return;
      }
      if (limit && file.size > limit) {
        fileInput.value = "";
        /* the limit in the server's words (data-max-human, "10 MB" for
         * 10 MiB), the file in the same unit */
        imageError.textContent = "“" + file.name + "” is " +
          (file.size / 1048576).toFixed(1) + " MB, over the " +
          (fileInput.getAttribute("data-max-human") ||
           (limit / 1048576).toFixed(1) + " MB") +
          " limit. Choose a smaller image.";
        imageError.hidden = false;
        fileInput.setAttribute("aria-invalid", "true");
        return;
      }
      if (!/^image\/(jpeg|png|webp|gif)$/.test(file.type)) {
        fileInput.value = "";
        imageError.textContent = "Choose a JPEG, PNG, WebP or GIF image.";
        imageError.hidden = false;
        fileInput.setAttribute("aria-invalid", "true");
        return;
      }
      /* A data: URL (allowed by the CSP's img-src), not a blob: one. */
      var reader = new FileReader();
      reader.onload = function () {
        chosen = document.createElement("figure");
        chosen.className = "nr-thumb";
        var img = document.createElement("img");
        img.className = "nr-thumb__img";
        img.alt = "";
        img.src = reader.result;
        var cap = document.createElement("figcaption");
        cap.className = "nr-thumb__caption";
        cap.textContent = "New image (stored when you save)";
        chosen.appendChild(img);
        chosen.appendChild(cap);
        fileInput.parentNode.insertBefore(chosen, fileInput.parentNode.firstChild);
      };
      reader.readAsDataURL(file);
    });
  }

  /* 4. Slug placeholder --------------------------------------------------- */

  var title = form.querySelector("[data-title]");
  var slug = form.querySelector("[data-slug]");

  /* The same rule as gz_slugify: ASCII letters and digits lowercased,
   * every other run of characters one '-', at most 80 characters. */
  function slugify(text) {
    var s = text.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "");
    s = s.slice(0, 80).replace(/-+$/, "");
    return s || "story";
  }

  if (title && slug) {
    title.addEventListener("input", function () {
      slug.placeholder = title.value ? slugify(title.value) : "made-from-the-title";
    });
  }

  /* 5. Schedule in local time -------------------------------------------- */

  var publishAt = form.querySelector("[data-publish-at]");
  var localTime = form.querySelector("[data-local-time]");

  function showLocal() {
    var v = publishAt.value;
    if (!v) {
      localTime.textContent = "";
      return;
    }
    var d = new Date(v + (v.length === 16 ? ":00Z" : "Z"));
    if (isNaN(d.getTime())) {
      localTime.textContent = "";
      return;
    }
    /* The field is wall-clock time in the site's zone (data-zone): find
     * the instant with the zone's offset, as the server does. */
    var zone = publishAt.getAttribute("data-zone");
    if (zone && zone !== "UTC") {
      try {
        var wall = d.getTime();
        var offsetAt = function (t) {
          var p = {};
          new Intl.DateTimeFormat("en-US", {
            timeZone: zone, hourCycle: "h23", year: "numeric",
            month: "numeric", day: "numeric", hour: "numeric",
            minute: "numeric", second: "numeric"
          }).formatToParts(new Date(t)).forEach(function (x) {
            p[x.type] = x.value;
          });
          return Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour % 24,
                          +p.minute, +p.second) - t;
        };
        var t = wall - offsetAt(wall);
        d = new Date(wall - offsetAt(t));
      } catch (e) {
        localTime.textContent = "";
        return;
      }
    }
    localTime.textContent = "That is " + d.toLocaleString(undefined, {
      weekday: "short", day: "numeric", month: "short",
      hour: "2-digit", minute: "2-digit"
    }) + " your time.";
  }

  if (publishAt && localTime) {
    publishAt.addEventListener("input", showLocal);
    showLocal();
  }

  /* 6. Unsaved changes, Ctrl/Cmd+S --------------------------------------- */

  var dirty = false;
  var submitting = false;
  form.addEventListener("input", function () {
    dirty = true;
  });
  form.addEventListener("change", function () {
    dirty = true;
  });
  form.addEventListener("submit", function () {
    submitting = true;
  });
  window.addEventListener("beforeunload", function (event) {
    if (dirty && !submitting) {
      event.preventDefault();
      event.returnValue = "";
    }
  });
  document.addEventListener("keydown", function (event) {
    if ((event.ctrlKey || event.metaKey) && (event.key === "s" || event.key === "S")) {
      var save = form.querySelector("button[name=action][value=save]");
      if (save) {
        event.preventDefault();
        if (form.requestSubmit) {
          form.requestSubmit(save);
        } else {
          save.click();
        }
      }
    }
  });
}());
