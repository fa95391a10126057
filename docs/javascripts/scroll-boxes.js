// Wide tables, display equations and block diagrams scroll sideways in their own box on a
// narrow screen (lwm.css draws a shadow at the edge that has more). A box that does scroll is
// one Tab stop, so arrow keys scroll it, and a region named by its caption, so a keyboard or
// screen-reader user can reach what is off the screen; a box that fits is left as it is.
(function () {
  // tables: the hooks' box (named and made a tab stop at build time; checked again here)
  var SELECTOR = ".md-typeset .lwm-table-wrap, .md-typeset div.arithmatex, .lwm-diagram-box";

  function name(box) {
    var caption = box.querySelector("caption");
    if (caption && caption.textContent.trim()) return caption.textContent.trim();
    var title = box.querySelector("svg > title");
    if (title) return "Diagram: " + title.textContent.trim();
    if (box.matches("div.arithmatex")) return "Equation";
    var heads = Array.prototype.map.call(box.querySelectorAll("thead th"), function (th) {
      return th.textContent.trim();
    }).filter(Boolean);
    return heads.length ? "Table: " + heads.slice(0, 3).join(", ") : "Table";
  }

  function mark(box) {
    box.style.setProperty("--lwm-box-w", box.clientWidth + "px");  // a caption wraps to it
    var scrolls = box.scrollWidth > box.clientWidth + 1;
    if (scrolls && !box.hasAttribute("data-lwm-scroll")) {
      box.setAttribute("data-lwm-scroll", "");
      box.setAttribute("tabindex", "0");
      box.setAttribute("role", "region");
      box.setAttribute("aria-label", name(box));
    } else if (!scrolls && box.hasAttribute("data-lwm-scroll")) {
      ["data-lwm-scroll", "tabindex", "role", "aria-label"].forEach(function (a) { box.removeAttribute(a); });
    }
  }

  // a box is checked again whenever its size changes: a turned phone, a rendered equation
  var watcher = new ResizeObserver(function (entries) {
    entries.forEach(function (e) { mark(e.target); });
  });

  function scan() {
    document.querySelectorAll(SELECTOR).forEach(function (box) {
      mark(box);
      watcher.observe(box);
    });
  }
  // Material's document$ re-emits after instant navigation, after the theme has wrapped the tables
  if (typeof document$ !== "undefined") {
    document$.subscribe(function () { scan(); });
  } else {
    document.addEventListener("DOMContentLoaded", scan);
  }
})();
