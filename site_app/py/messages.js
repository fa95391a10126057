// Messages between the page (runner.js) and the Pyodide worker (pyodide-worker.js).
// Defined once here so neither side spells a message type as a loose string.

export const MSG = Object.freeze({
  // page -> worker
  INIT: 'py-init',          // start loading Pyodide, the manifest and our Python files
  RUN: 'py-run',            // {id, kind, code, exercise?}
  // worker -> page
  READY: 'py-ready',        // {loadMs}
  LOAD_ERROR: 'py-load-error', // {message}
  RESULT: 'py-result',      // {id, result}
});

// What a RUN message asks for.
export const RUN_KIND = Object.freeze({
  EXERCISE: 'exercise',     // fresh namespace, then the grader
  CONSOLE: 'console',       // the console's persistent namespace; echoes the last expression
  SCALING: 'scaling',       // {arch, width, resolution, depth}: scaling.describe_json, no learner code
});

// A run still going after this long is stopped by terminating the worker (a busy
// WebAssembly loop cannot be interrupted from outside without SharedArrayBuffer, which a
// plain static host does not give us). The pages show this number from here.
export const RUN_TIMEOUT_MS = 5000;
