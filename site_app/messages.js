// Messages between the pages (the classifier's modules, devicebench.js) and the worker (worker.js), defined once.
//
// Every request from the page carries an `id`; the worker answers it with exactly one
// DONE or FAILED carrying the same id, and may send PROGRESS for it in between.

export const MSG = Object.freeze({
  // page -> worker
  INIT: 'init', // {backend: 'wasm' | 'webgpu' | 'litert'} -> DONE {diagnostics}
  // {url, sha256, bytes, label, optimized, tflite} -> PROGRESS*, DONE {timings, fromCache, bytes};
  // optimized and tflite: {url, sha256, bytes} of another file of the same model, or null
  LOAD_MODEL: 'load-model',
  WARM_UP: 'warm-up', // {inputName, inputShape, preprocess} -> DONE {warmupMs}: one run on a blank input
  SET_IMAGE: 'set-image', // {pixels, width, height, channels} -> DONE
  CLASSIFY: 'classify', // {preprocess, inputName, outputName, cam} -> DONE {logits, mapClasses, timings}
  // the class activation map of one of the classes the last CLASSIFY made maps for (cammap.js)
  MAP: 'map', // {classIndex, size} -> DONE {grid, rgba, width, height, region, peak, strongShare, mapMs}
  // session.run alone on a fixed input, as benchmarks/run.py times it (the Benchmarks page's
  // "your device" section): `warmup` runs, then `runs` timed ones (at least 3, fewer once
  // budgetMs are spent)
  TIME_RUNS: 'time-runs', // {inputName, inputShape, warmup, runs, budgetMs} -> DONE {runsMs, firstRunMs}
  // worker -> page
  PROGRESS: 'progress', // {received, total}
  DONE: 'done',
  FAILED: 'failed', // {error: {kind, message}}
});

// Why a request failed; the page chooses what to offer (a Retry button for downloads).
export const ERROR_KIND = Object.freeze({
  HTTP: 'http', // the model file could not be downloaded
  CHECKSUM: 'checksum', // downloaded bytes differ from the manifest's sha256
  SESSION: 'session', // the runtime could not open the file (or there is no file for it)
  RUNTIME: 'runtime', // the runtime failed to load or to run
  NO_MODEL: 'no-model', // CLASSIFY before any LOAD_MODEL succeeded
  NO_IMAGE: 'no-image', // CLASSIFY before SET_IMAGE
  NO_MAP: 'no-map', // MAP without a classification that made maps, or for a class it has none of
});
