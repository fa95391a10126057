// Render the math that pymdownx.arithmatex leaves as \( \) and \[ \] in .arithmatex elements.
// KaTeX and auto-render are served by the site (vendor/katex/), never from a CDN.
(function () {
  function render(root) {
    root.querySelectorAll(".arithmatex").forEach(function (el) {
      renderMathInElement(el, {
        delimiters: [
          { left: "\\(", right: "\\)", display: false },
          { left: "\\[", right: "\\]", display: true },
        ],
        // a formula KaTeX cannot parse is logged as a console error, which the tests catch
        throwOnError: false,
      });
    });
  }
  // Material's document$ re-emits after instant navigation; plain page loads otherwise
  if (typeof document$ !== "undefined") {
    document$.subscribe(function () { render(document.body); });
  } else {
    document.addEventListener("DOMContentLoaded", function () { render(document.body); });
  }
})();
