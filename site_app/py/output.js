// Show what a run printed: stdout as is, stderr and tracebacks marked as errors.
// textContent only: whatever the learner prints is never parsed as HTML.

import { element } from './element.js';

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
    pre.append(element('span', { className, textContent: text.endsWith('\n') ? text : `${text}\n` }));
    shown = true;
  }
  return shown;
}
