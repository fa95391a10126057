// Wide tables, display equations and block diagrams scroll sideways in their own box on a
// narrow screen (lwm.css draws a shadow at the edge that has more). The hooks make every such
// box a Tab stop (arrow keys scroll it) and a region named by its caption at build time
// (lwm_html.scroll_wrap, hooks/a11y.py, hooks/shortcodes.py), so the page is right without this
// script. What only the browser knows is whether a box does scroll at this width: a box on
// the screen that fits is no Tab stop.
//
// Measuring must not cost the page a layout of its own. The boxes are laid out only near the
// screen (content-visibility in lwm.css), and reading the width of one that is not would lay
// it out at once. So a box is measured only while it is on the screen (an IntersectionObserver
// says when; by then the browser has laid it out), when the browser reports its size or its
// content's after a layout it did anyway (a ResizeObserver). A box away from the screen stays
// a Tab stop, as built: a keyboard reader who reaches it brings it to the screen, where it is
// measured. All reads of a turn come before its writes.
(function () {
  var SELECTOR = ".md-typeset .lwm-table-wrap, .md-typeset div.arithmatex, .md-typeset .lwm-diagram-box";
  var NAMING = ["tabindex", "role", "aria-label"];
  var shown = new WeakSet();  // on the screen now
  var boxes = [];

  // the build's naming back, kept aside while the box fitted
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
      if (!s.width) return;  // not shown (display: none): left as it is until it shows
      // a table's caption wraps to it; set only when it changes, as it restyles the whole box
      if (box.style.getPropertyValue("--lwm-box-w") !== s.width + "px") box.style.setProperty("--lwm-box-w", s.width + "px");
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

  var SEES = typeof IntersectionObserver !== "undefined";
  function measurable(box) { return !SEES || shown.has(box); }

  var watcher = new ResizeObserver(function (entries) {
    var changed = [];
    entries.forEach(function (e) {
      var box = e.target.closest(SELECTOR);
      if (measurable(box) && changed.indexOf(box) < 0) changed.push(box);
    });
    update(changed);
  });

  // observing a box afresh makes the browser report it after its next layout
  function remeasure(box) { watcher.unobserve(box); watcher.observe(box); }

  var screen = SEES ? new IntersectionObserver(function (entries) {
    entries.forEach(function (e) {
      if (e.isIntersecting) {
        shown.add(e.target);
        remeasure(e.target);
      } else {
        // away from the screen: whatever its width becomes, it is a Tab stop as built
        shown.delete(e.target);
        asBuilt(e.target);
      }
    });
  }) : null;

  function scan() {
    boxes = Array.prototype.slice.call(document.querySelectorAll(SELECTOR));
    boxes.forEach(function (box) {
      // a box starts as the build made it: one that scrolls
      if (box.hasAttribute("tabindex")) box.setAttribute("data-lwm-scroll", "");
      if (screen) screen.observe(box);
      watcher.observe(box);
      // a table sized by its content (a script fills or sorts it) changes inside a box that keeps its size
      var table = box.querySelector("table");
      if (table) watcher.observe(table);
    });
  }
  // late fonts (KaTeX's, the theme's) widen an equation or a table without resizing its box
  if (document.fonts) {
    document.fonts.addEventListener("loadingdone", function () {
      boxes.forEach(function (box) { if (measurable(box)) remeasure(box); });
    });
  }
  // Material's document$ re-emits after instant navigation; plain page loads otherwise
  if (typeof document$ !== "undefined") {
    document$.subscribe(scan);
  } else {
    document.addEventListener("DOMContentLoaded", scan);
  }
})();
