// Show what a run printed: stdout as is, stderr and tracebacks marked as errors.
// textContent only: whatever the learner prints is never parsed as HTML.

function span(text, className) {
  const el = document.createElement('span');
  el.className = className;
  el.textContent = text;
  return el;
}

// Append a run's output to `pre`. Returns true when anything was shown.
export function appendResult(pre, result) {
  const parts = [
    [result.stdout, 'py-stdout'],
    [result.stderr, 'py-stderr'],
    [result.error, 'py-traceback'],
  ];
  let shown = false;
  for (const [text, className] of parts) {
    if (!text) continue;
    pre.append(span(text.endsWith('\n') ? text : `${text}\n`, className));
    shown = true;
  }
  return shown;
}
