// Comment forms, enhanced: a counter of the characters left under each text
// area with a limit, and a warning before the session ends with a button
// that extends it (WCAG 2.2.1). Without JavaScript the forms state their
// limit and say until when they stay valid; the server keeps the text of a
// form that fails either way.
(function () {
  "use strict";
  if (window.mitredenForms) { return; } // the partial may load this twice
  window.mitredenForms = true;

  // --- Counter -----------------------------------------------------------
  // The visible count is part of the field's description (read when the
  // field is focused), not a live region: a live region announces only when
  // the count crosses a threshold, and only once typing pauses.
  var live;

  function liveRegion() {
    if (!live) {
      live = document.createElement("div");
      live.className = "kern-sr-only";
      live.setAttribute("role", "status");
      live.setAttribute("aria-live", "polite");
      live.id = "char-count-status";
      document.body.appendChild(live);
    }
    return live;
  }

  function fmt(n) {
    return n.toLocaleString(document.documentElement.lang === "en" ? "en-GB" : "de-DE");
  }

  function length(ta) {
    return Array.from(ta.value.trim()).length; // code points, as the server counts
  }

  // level: 0 plenty left, 1 at most 500, 2 at most 100, 3 over the limit.
  function level(left) {
    if (left < 0) { return 3; }
    if (left <= 100) { return 2; }
    return left <= 500 ? 1 : 0;
  }

  function text(ta, left) {
    var t = left < 0 ? ta.getAttribute("data-count-over") : ta.getAttribute("data-count-left");
    return t.replace("{n}", fmt(Math.abs(left)));
  }

  function update(ta, announce) {
    var out = ta._count;
    var left = parseInt(ta.getAttribute("data-limit"), 10) - length(ta);
    out.textContent = text(ta, left);
    out.classList.toggle("char-count--over", left < 0);
    var lv = level(left);
    if (!announce || lv === ta._level) { return; }
    clearTimeout(ta._timer);
    ta._timer = setTimeout(function () {
      var now = parseInt(ta.getAttribute("data-limit"), 10) - length(ta);
      ta._level = level(now);
      liveRegion().textContent = text(ta, now);
    }, 1200);
  }

  function initCounter(ta) {
    if (ta._count) { return; }
    var out = document.createElement("p");
    out.className = "char-count";
    out.id = ta.id + "-count";
    ta.insertAdjacentElement("afterend", out);
    ta._count = out;
    var desc = ta.getAttribute("aria-describedby");
    ta.setAttribute("aria-describedby", (desc ? desc + " " : "") + out.id);
    update(ta, false);
    ta._level = level(parseInt(ta.getAttribute("data-limit"), 10) - length(ta));
    ta.addEventListener("input", function () { update(ta, true); });
  }

  function initCounters(root) {
    var list = (root || document).querySelectorAll("textarea[data-limit]");
    // A live region is announced reliably only if it exists before it changes.
    if (list.length) { liveRegion(); }
    for (var i = 0; i < list.length; i++) { initCounter(list[i]); }
  }

  // --- Session warning -----------------------------------------------------
  function initSession() {
    var dlg = document.querySelector("dialog.session-warning");
    if (!dlg || typeof dlg.showModal !== "function") { return; }
    var msg = document.getElementById("session-warning-text");
    var status = document.getElementById("session-status");
    var extendBtn = dlg.querySelector("[data-session-extend]");
    var closeBtn = dlg.querySelector("[data-session-close]");
    var warn = parseInt(dlg.getAttribute("data-warn"), 10) * 1000;
    var full = parseInt(dlg.getAttribute("data-seconds"), 10) * 1000;
    var deadline = Date.now() + full;
    var until = "";
    var returnTo = null;
    var warnTimer, endTimer;

    function say(el, key, time) {
      el.textContent = dlg.getAttribute(key).replace("{time}", time || until);
    }

    function schedule(ms) {
      deadline = Date.now() + ms;
      clearTimeout(warnTimer);
      clearTimeout(endTimer);
      warnTimer = setTimeout(open, Math.max(0, ms - warn));
      endTimer = setTimeout(expired, Math.max(0, ms));
    }

    function open() {
      if (dlg.open) { return; }
      extendBtn.hidden = false;
      if (until) { msg.textContent = msg.getAttribute("data-template").replace("{time}", until); }
      returnTo = document.activeElement;
      dlg.showModal();
      extendBtn.focus();
    }

    function expired() {
      var hints = document.querySelectorAll("[data-session-until]");
      for (var i = 0; i < hints.length; i++) { say(hints[i], "data-expired"); }
      if (dlg.open) {
        say(msg, "data-expired");
        extendBtn.hidden = true;
        closeBtn.focus();
      } else {
        say(status, "data-expired");
      }
    }

    function extend() {
      extendBtn.disabled = true;
      fetch("/session/extend", {
        method: "POST", credentials: "same-origin",
        headers: { "X-CSRF-Token": dlg.getAttribute("data-csrf"), "Accept": "application/json" }
      }).then(function (r) {
        if (r.status === 401 || r.status === 403) { return "gone"; }
        if (!r.ok) { throw new Error(String(r.status)); }
        return r.json();
      }).then(function (res) {
        extendBtn.disabled = false;
        if (res === "gone") { expired(); return; }
        until = res.until;
        var hints = document.querySelectorAll("[data-session-until]");
        for (var i = 0; i < hints.length; i++) {
          hints[i].textContent = dlg.getAttribute("data-valid-template").replace("{time}", until);
        }
        var ms = res.expires_in * 1000;
        if (ms <= warn + 1000) {
          // The absolute end of the session is near: it cannot be extended.
          say(msg, "data-final");
          extendBtn.hidden = true;
          closeBtn.focus();
          clearTimeout(warnTimer);
          clearTimeout(endTimer);
          endTimer = setTimeout(expired, ms);
          return;
        }
        schedule(ms);
        dlg.close();
        say(status, "data-extended");
      }).catch(function () {
        extendBtn.disabled = false;
        say(msg, "data-failed");
      });
    }

    extendBtn.addEventListener("click", extend);
    closeBtn.addEventListener("click", function () { dlg.close(); });
    dlg.addEventListener("close", function () {
      if (returnTo && document.contains(returnTo) && typeof returnTo.focus === "function") { returnTo.focus(); }
      returnTo = null;
    });
    // Requests the page makes itself (htmx) are activity too.
    document.body.addEventListener("htmx:afterRequest", function (ev) {
      if (ev.detail && ev.detail.successful && !dlg.open) { schedule(full); }
    });
    schedule(full);
  }

  function init() {
    initCounters(document);
    initSession();
    document.body.addEventListener("htmx:load", function (ev) { initCounters(ev.detail && ev.detail.elt); });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
