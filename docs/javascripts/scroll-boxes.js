// Wide tables, display equations and block diagrams scroll sideways in their own box on a
// narrow screen (lwm.css draws a shadow at the edge that has more). The hooks make every such
// box a Tab stop (arrow keys scroll it) and a region named by its caption at build time
// (lwm_html.scroll_wrap, hooks/a11y.py, hooks/shortcodes.py), so the page is right without this
// script. What only the browser knows is whether a box does scroll at this width: a box that
// fits is no Tab stop.
//
// Measuring must not cost the page a layout of its own. The boxes are laid out only near the
// screen (content-visibility in lwm.css), and reading the width of one that is not would
// lay it out at once. So a box is measured when the browser reports its size, or its
// content's, after a layout it did anyway (a ResizeObserver), if it is laid out then; the
// others one by one when the page is idle. All reads of a turn come before its writes.
(function () {
  var SELECTOR = ".md-typeset .lwm-table-wrap, .md-typeset div.arithmatex, .md-typeset .lwm-diagram-box";
  var NAMING = ["tabindex", "role", "aria-label"];
  // browsers that skip boxes away from the screen say when a box's skipping changes
  var SAYS_SKIPPED = "ContentVisibilityAutoStateChangeEvent" in window;
  var shown = new WeakSet();     // laid out now (near the screen)
  var measured = new WeakSet();  // measured at least once
  var boxes = [];

  // the build's naming back, kept aside when the box fitted (a turned phone)
  function asBuilt(box) {
    box.setAttribute("data-lwm-scroll", "");
    NAMING.forEach(function (a) {
      var kept = box.getAttribute("data-lwm-" + a);
      if (kept !== null) { box.setAttribute(a, kept); box.removeAttribute("data-lwm-" + a); }
    });
  }

  function update(list) {
    // reads
    var seen = list.map(function (box) {
      return { box: box, width: box.clientWidth, scrolls: box.scrollWidth > box.clientWidth + 1 };
    });
    // writes
    seen.forEach(function (s) {
      var box = s.box;
      if (!s.width) return;  // not shown (display: none): left as built, measured once it shows
      measured.add(box);
      box.style.setProperty("--lwm-box-w", s.width + "px");  // a table's caption wraps to it
      if (s.scrolls === box.hasAttribute("data-lwm-scroll")) return;
      if (s.scrolls) {
        asBuilt(box);
      } else {
        box.removeAttribute("data-lwm-scroll");
        NAMING.forEach(function (a) {
          if (box.hasAttribute(a)) { box.setAttribute("data-lwm-" + a, box.getAttribute(a)); box.removeAttribute(a); }
        });
      }
    });
  }

  var loaded = false;
  var watcher = new ResizeObserver(function (entries) {
    var changed = [], stale = false;
    entries.forEach(function (e) {
      var box = e.target.closest(SELECTOR);
      if (!SAYS_SKIPPED || shown.has(box)) {
        if (changed.indexOf(box) < 0) changed.push(box);
      } else if (forget(box)) {
        stale = true;
      }
    });
    update(changed);
    if (stale && loaded) idle(sweep);
  });

  // A box away from the screen that gets a new width (a turned phone, the theme's sidebars)
  // or new content (a script rewrites its table) may scroll now, and is not laid out to tell:
  // it is a Tab stop again, as built, until the idle sweep measures it.
  function forget(box) {
    if (!measured.has(box)) return false;
    measured.delete(box);
    asBuilt(box);
    return true;
  }
  var edits = typeof MutationObserver === "undefined" ? null : new MutationObserver(function (records) {
    var stale = false;
    records.forEach(function (r) {
      var box = (r.target.nodeType === 1 ? r.target : r.target.parentElement).closest(SELECTOR);
      if (box && SAYS_SKIPPED && !shown.has(box) && forget(box)) stale = true;
    });
    if (stale && loaded) idle(sweep);
  });

  // observing a box afresh makes the browser report it after its next layout
  function remeasure(box) { watcher.unobserve(box); watcher.observe(box); }

  function onSkipping(event) {
    if (event.skipped) { shown.delete(event.target); return; }
    shown.add(event.target);
    remeasure(event.target);
  }

  // the boxes far from the screen, one at a time while the page is idle: a Tab stop that
  // scrolls nothing goes before a keyboard reader meets it
  var idle = window.requestIdleCallback || function (fn) { return setTimeout(function () { fn({ timeRemaining: function () { return 5; } }); }, 50); };
  function sweep(deadline) {
    var left = boxes.filter(function (box) { return !measured.has(box); });
    do {
      if (!left.length) return;
      update([left.shift()]);
    } while (deadline.timeRemaining() > 4);
    idle(sweep);
  }

  function scan() {
    boxes = Array.prototype.slice.call(document.querySelectorAll(SELECTOR));
    boxes.forEach(function (box) {
      // a box starts as the build made it: one that scrolls
      if (box.hasAttribute("tabindex")) box.setAttribute("data-lwm-scroll", "");
      if (SAYS_SKIPPED) box.addEventListener("contentvisibilityautostatechange", onSkipping);
      watcher.observe(box);
      if (edits) edits.observe(box, { childList: true, subtree: true, characterData: true });
      // a table sized by its content (a script fills or sorts it) changes inside a box that keeps its size
      var table = box.querySelector("table");
      if (table) watcher.observe(table);
    });
    function start() { loaded = true; idle(sweep); }
    if (document.readyState === "complete") start();
    else window.addEventListener("load", start, { once: true });
  }
  // late fonts (KaTeX's, the theme's) widen an equation or a table without resizing its box
  if (document.fonts) {
    document.fonts.addEventListener("loadingdone", function () {
      boxes.forEach(function (box) { if (!SAYS_SKIPPED || shown.has(box)) remeasure(box); });
    });
  }
  // Material's document$ re-emits after instant navigation; plain page loads otherwise
  if (typeof document$ !== "undefined") {
    document$.subscribe(scan);
  } else {
    document.addEventListener("DOMContentLoaded", scan);
  }
})();
