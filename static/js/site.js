/*
 * Gazette reader theme: progressive enhancement only. Every feature here
 * also works without JavaScript (forms post normally, links are links).
 *
 *   1. Subscribe forms ([data-subscribe]): post in place with fetch and show
 *      "Subscribing..." / the server's message or "You've been subscribed!" /
 *      "Something went wrong: <reason>" in the form's status region.
 *   2. Copy-link buttons ([data-copy]): unhidden when the Clipboard API is
 *      available; copy the URL and say "Link copied" for a moment.
 *   3. Comment replies ([data-reply-to]): unhidden when the comment form is
 *      on the page; fill the hidden parent_id and focus the form.
 *   4. Comment form: guard against double submits.
 *
 * Loaded with <script defer>, no inline script (CSP script-src 'self').
 */
(function () {
  "use strict";

  var MSG_LOADING = "Subscribing...";
  var MSG_SUCCESS = "You've been subscribed!";
  var MSG_ERROR = "Something went wrong";

  document.documentElement.classList.add("js");

  /* 1. Subscribe ------------------------------------------------------- */

  function statusFor(form) {
    var box = form.closest("#subscribe, .subscribe") || form.parentNode;
    return box.querySelector(".subscribe-status");
  }

  function setStatus(form, state, text) {
    var status = statusFor(form);
    form.setAttribute("data-state", state);
    if (!status) {
      return;
    }
    /* Text is set synchronously so that a fast answer can never be
     * overwritten by a late "Subscribing...". */
    status.hidden = false;
    status.textContent = text;
  }

  function readJson(response) {
    return response.text().then(function (text) {
      if (!text) {
        return null;
      }
      try {
        return JSON.parse(text);
      } catch (e) {
        return null;
      }
    });
  }

  function errorText(data) {
    var message = data && data.error && data.error.message;
    if (typeof message === "string" && message !== "") {
      return MSG_ERROR + ": " + message;
    }
    return MSG_ERROR;
  }

  function onSubscribe(event) {
    var form = event.currentTarget;
    var button = form.querySelector("[type=submit]");
    event.preventDefault();
    if (form.getAttribute("data-state") === "loading") {
      return;
    }
    var body = new URLSearchParams(new FormData(form));
    setStatus(form, "loading", MSG_LOADING);
    form.setAttribute("aria-busy", "true");
    if (button) {
      button.disabled = true;
    }
    fetch(form.action, {
      method: "POST",
      headers: {
        "Accept": "application/json",
        "Content-Type": "application/x-www-form-urlencoded;charset=UTF-8"
      },
      body: body.toString(),
      credentials: "same-origin"
    }).then(function (response) {
      return readJson(response).then(function (data) {
        if (response.ok) {
          var message = data && typeof data.message === "string" && data.message !== ""
            ? data.message : MSG_SUCCESS;
          setStatus(form, "success", message);
          form.reset();
        } else {
          setStatus(form, "error", errorText(data));
        }
      });
    }).catch(function () {
      setStatus(form, "error", MSG_ERROR);
    }).then(function () {
      form.removeAttribute("aria-busy");
      if (button) {
        button.disabled = false;
      }
    });
  }

  function initSubscribe() {
    if (!window.fetch || !window.FormData || !window.URLSearchParams) {
      return; /* the form posts normally */
    }
    var forms = document.querySelectorAll("form[data-subscribe]");
    for (var i = 0; i < forms.length; i++) {
      forms[i].addEventListener("submit", onSubscribe);
    }
  }

  /* 2. Copy link ------------------------------------------------------- */

  function initCopy() {
    if (!navigator.clipboard || !window.isSecureContext) {
      return; /* buttons stay hidden */
    }
    var buttons = document.querySelectorAll("button[data-copy]");
    for (var i = 0; i < buttons.length; i++) {
      wireCopy(buttons[i]);
    }
  }

  function wireCopy(button) {
    var label = button.querySelector(".share__label") || button;
    var original = label.textContent;
    var timer = 0;
    button.hidden = false;
    button.addEventListener("click", function () {
      var url = button.getAttribute("data-copy") || window.location.href;
      navigator.clipboard.writeText(url).then(function () {
        label.textContent = "Link copied";
        button.setAttribute("data-copied", "");
        window.clearTimeout(timer);
        timer = window.setTimeout(function () {
          label.textContent = original;
          button.removeAttribute("data-copied");
        }, 2000);
      }, function () {
        label.textContent = "Copy failed";
        window.clearTimeout(timer);
        timer = window.setTimeout(function () {
          label.textContent = original;
        }, 2000);
      });
    });
  }

  /* 3. Comment replies and 4. double-submit guard ----------------------- */

  function initComments() {
    var form = document.getElementById("comment-form");
    if (!form) {
      return;
    }
    var parent = form.querySelector("input[name=parent_id]");
    var status = form.querySelector("[data-reply-status]");
    var label = form.querySelector("[data-reply-label]");
    var cancel = form.querySelector("[data-reply-cancel]");
    var first = form.querySelector("#comment-name");

    function replyTo(id, name, focus) {
      if (!parent) {
        return;
      }
      parent.value = id;
      if (status && label) {
        label.textContent = "Replying to " + name;
        status.hidden = false;
      }
      if (focus) {
        form.scrollIntoView({ block: "start" });
        if (first) {
          first.focus({ preventScroll: true });
        }
      }
    }

    /* Reply links work without JavaScript too (?reply=ID#comment-form,
     * answered by the server); here they fill the form in place. */
    var buttons = document.querySelectorAll("[data-reply-to]");
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].hidden = false;
      buttons[i].addEventListener("click", function (event) {
        event.preventDefault();
        var b = event.currentTarget;
        replyTo(b.getAttribute("data-reply-to"), b.getAttribute("data-reply-name"), true);
      });
    }

    if (cancel) {
      cancel.addEventListener("click", function (event) {
        event.preventDefault();
        if (parent) {
          parent.value = "";
        }
        if (status) {
          status.hidden = true;
        }
        if (first) {
          first.focus();
        }
      });
    }

    /* The page was re-shown after an error on a reply: say so again. */
    if (parent && parent.value) {
      var original = document.querySelector("[data-reply-to=\"" +
        parent.value.replace(/[^0-9A-Za-z_-]/g, "") + "\"]");
      if (original) {
        replyTo(parent.value, original.getAttribute("data-reply-name"), false);
      }
    }

    var submit = form.querySelector("[type=submit]");
    form.addEventListener("submit", function (event) {
      if (form.getAttribute("data-state") === "loading") {
        event.preventDefault();
        return;
      }
      form.setAttribute("data-state", "loading");
      if (submit) {
        submit.setAttribute("aria-disabled", "true");
      }
    });
    /* Coming back through the history cache: let the form be used again. */
    window.addEventListener("pageshow", function () {
      form.removeAttribute("data-state");
      if (submit) {
        submit.removeAttribute("aria-disabled");
      }
    });
  }

  function init() {
    initSubscribe();
    initCopy();
    initComments();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
}());
