// Keyboard and screen-reader support for the search suggestions (ARIA 1.2
// combobox with a listbox popup). htmx fills the list; without JavaScript the
// search form works as a plain GET form. On small screens the filters of an
// empty search page fold away too, so the page starts with the search field.
(function () {
  "use strict";
  // count returns the status element's wording for n matches: the page
  // renders it from the locale (data-none, data-one, data-other).
  function count(status, n) {
    var key = n === 0 ? "none" : n === 1 ? "one" : "other";
    return (status.getAttribute("data-" + key) || String(n)).replace("{count}", String(n));
  }
  function init() {
    var filters = document.querySelector("details[data-collapse-small]");
    if (filters && window.matchMedia && window.matchMedia("(max-width: 40em)").matches) { filters.open = false; }
    var input = document.getElementById("search-q");
    var list = document.getElementById("search-suggestions");
    var status = document.getElementById("search-suggest-status");
    if (!input || !list) { return; }
    var active = -1;
    function options() { return list.querySelectorAll('[role="option"]'); }
    function close() {
      list.innerHTML = "";
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }
    function select(i) {
      var opts = options();
      if (!opts.length) { return; }
      active = (i + opts.length) % opts.length;
      for (var k = 0; k < opts.length; k++) {
        opts[k].setAttribute("aria-selected", k === active ? "true" : "false");
      }
      input.setAttribute("aria-activedescendant", opts[active].id);
    }
    document.body.addEventListener("htmx:afterSwap", function (ev) {
      if (ev.target !== list) { return; }
      var n = options().length;
      active = -1;
      input.removeAttribute("aria-activedescendant");
      input.setAttribute("aria-expanded", n > 0 ? "true" : "false");
      // Fewer than two letters ask for nothing: nothing to announce.
      if (status) { status.textContent = input.value.trim().length < 2 ? "" : count(status, n); }
    });
    input.addEventListener("keydown", function (ev) {
      var opts = options();
      if (ev.key === "ArrowDown" && opts.length) { ev.preventDefault(); select(active + 1); }
      else if (ev.key === "ArrowUp" && opts.length) { ev.preventDefault(); select(active - 1); }
      else if (ev.key === "Escape" && opts.length) {
        // Close the list only; a second Escape clears the field.
        ev.preventDefault();
        close();
      }
      else if (ev.key === "Escape" && input.value !== "") {
        ev.preventDefault();
        input.value = "";
      }
      else if (ev.key === "Enter" && active >= 0 && opts[active]) {
        ev.preventDefault();
        open(opts[active]);
      }
    });
    // Options hold no links (no interactive content inside an option): a
    // click or Enter follows the option's data-href.
    function open(opt) {
      var href = opt.getAttribute("data-href");
      if (href && href.charAt(0) === "/") { window.location.href = href; }
    }
    // Enter on an active option opens it, never the results page.
    if (input.form) {
      input.form.addEventListener("submit", function (ev) {
        var opts = options();
        if (active >= 0 && opts[active]) { ev.preventDefault(); open(opts[active]); }
      });
    }
    list.addEventListener("mousedown", function (ev) {
      var opt = ev.target.closest('[role="option"]');
      if (opt) { ev.preventDefault(); open(opt); }
    });
    input.addEventListener("blur", function () { setTimeout(close, 200); });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
})();
