// Renders the site's math at build time for hooks/katex_build.py: one process per build, one JSON
// line in per page ([[tex, display], ...]), one JSON line out ([html or {error}, ...]).
// The page then loads only katex.min.css and its fonts: no script parses and lays out the
// formulas on the reader's phone. KaTeX's "htmlAndMathml" output keeps each formula readable
// by a screen reader (the MathML) beside what is drawn (the HTML, aria-hidden).
"use strict";
const katex = require("katex");
const readline = require("readline");

const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
lines.on("line", (line) => {
  const out = JSON.parse(line).map(([tex, display]) => {
    try {
      return katex.renderToString(tex, { displayMode: display, output: "htmlAndMathml", throwOnError: true });
    } catch (e) {
      return { error: String(e.message || e) };
    }
  });
  process.stdout.write(JSON.stringify(out) + "\n");
});
