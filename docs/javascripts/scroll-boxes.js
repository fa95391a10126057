// Wide tables, display equations and block diagrams scroll sideways in their own box on a
// narrow screen (lwm.css draws a shadow at the edge that has more). The hooks make every such
// box a Tab stop (arrow keys scroll it) and a region named by its caption at build time
// (lwm_html.scroll_wrap, hooks/a11y.py, hooks/shortcodes.py), so the page is right without this
// script. What only the browser knows is whether a box does scroll at this width: a box that
// fits is no Tab stop. Each box is measured when the browser reports a change of its size or
// its content's (a ResizeObserver runs after layout, so reading then costs no extra layout),
// all boxes first and then all changes, so one turn never lays the page out twice.
(function () {
  var SELECTOR = ".md-typeset .lwm-table-wrap, .md-typeset div.arithmatex, .md-typeset .lwm-diagram-box";
  var NAMING = ["tabindex", "role", "aria-label"];

  function update(boxes) {
    // reads: the layout is fresh, so these cost nothing
    var seen = boxes.map(function (box) {
      return { box: box, width: box.clientWidth, scrolls: box.scrollWidth > box.clientWidth + 1 };
    });
    // writes
    seen.forEach(function (s) {
      var box = s.box;
      box.style.setProperty("--lwm-box-w", s.width + "px");  // a table's caption wraps to it
      if (s.scrolls === box.hasAttribute("data-lwm-scroll")) return;
      if (s.scrolls) {
        box.setAttribute("data-lwm-scroll", "");
        // put back the build's naming, kept aside when the box fitted (a turned phone)
        NAMING.forEach(function (a) {
          var kept = box.getAttribute("data-lwm-" + a);
          if (kept !== null) { box.setAttribute(a, kept); box.removeAttribute("data-lwm-" + a); }
        });
      } else {
        box.removeAttribute("data-lwm-scroll");
        NAMING.forEach(function (a) {
          if (box.hasAttribute(a)) { box.setAttribute("data-lwm-" + a, box.getAttribute(a)); box.removeAttribute(a); }
        });
      }
    });
  }

  var boxes = [];
  var watcher = new ResizeObserver(function (entries) {
    var changed = [];
    entries.forEach(function (e) {
      var box = e.target.closest(SELECTOR);
      if (changed.indexOf(box) < 0) changed.push(box);
    });
    update(changed);
  });

  function scan() {
    boxes = Array.prototype.slice.call(document.querySelectorAll(SELECTOR));
    boxes.forEach(function (box) {
      // a box starts as the build made it: one that scrolls
      if (box.hasAttribute("tabindex")) box.setAttribute("data-lwm-scroll", "");
      watcher.observe(box);
      // a table sized by its content (a script fills or sorts it) changes inside a box that keeps its size
      var table = box.querySelector("table");
      if (table) watcher.observe(table);
    });
  }
  // late fonts (KaTeX's, the theme's) widen an equation or a table without resizing its box:
  // observing each box afresh makes the browser report it again after its next layout
  if (document.fonts) {
    document.fonts.addEventListener("loadingdone", function () {
      boxes.forEach(function (box) { watcher.unobserve(box); watcher.observe(box); });
    });
  }
  // Material's document$ re-emits after instant navigation; plain page loads otherwise
  if (typeof document$ !== "undefined") {
    document$.subscribe(scan);
  } else {
    document.addEventListener("DOMContentLoaded", scan);
  }
})();
