// Messages between the pages (the classifier's modules, devicebench.js) and the worker (worker.js), defined once.
//
// The types themselves are in messages.json, which the site build reads too (the classifier
// page's inline script starts the worker before any module has loaded); this module gives
// them their names in JavaScript and says what each message carries.
//
// Every request from the page carries an `id`; the worker answers it with exactly one
// DONE or FAILED carrying the same id, and may send PROGRESS for it in between.
//
// page -> worker
//   INIT {backend: 'wasm' | 'webgpu' | 'litert', handOver, threads} -> DONE {diagnostics}; handOver: the URLs
//     (absolute) of files the page is fetching for the worker, which it waits for, not fetches;
//     threads: 1 for one thread where two are possible (after THREADS), else left out
//   HAND_OVER {url, chunk | done | failed}: the next bytes of one of those files (a Uint8Array,
//     transferred), its end, or its failure (before any chunk: the worker fetches the file
//     itself); no id, no answer
//   LOAD_MODEL {url, sha256, bytes, label, optimized, tflite} -> PROGRESS*, DONE {timings, fromCache, bytes};
//     optimized and tflite: {url, sha256, bytes} of another file of the same model, or null
//   WARM_UP {inputName, inputShape, preprocess} -> DONE {warmupMs}: one run on a blank input
//   SET_IMAGE {pixels, width, height, channels} -> DONE
//   CLASSIFY {preprocess, inputName, outputName, cam} -> DONE {logits, mapClasses, timings}
//   MAP {classIndex, size} -> DONE {grid, rgba, width, height, region, peak, strongShare, mapMs}:
//     the class activation map of one of the classes the last CLASSIFY made maps for (cammap.js)
//   TIME_RUNS {inputName, inputShape, warmup, runs, budgetMs} -> DONE {runsMs, firstRunMs}:
//     session.run alone on a fixed input, as benchmarks/run.py times it (the Benchmarks page's
//     "your device" section): `warmup` runs, then `runs` timed ones (at least 3, fewer once
//     budgetMs are spent)
// worker -> page
//   PROGRESS {received, total}
//   DONE
//   FAILED {error: {kind, message}}
//
// ERROR_KIND, why a request failed; the page chooses what to offer (a Retry button for downloads):
//   HTTP      the model file could not be downloaded
//   CHECKSUM  downloaded bytes differ from the manifest's sha256
//   SESSION   the runtime could not open the file (or there is no file for it)
//   RUNTIME   the runtime failed to load or to run
//   THREADS   the runtime's second thread did not start in time (worker.js, THREADS_START_S): start
//             a new worker on one thread
//   NO_MODEL  CLASSIFY before any LOAD_MODEL succeeded
//   NO_IMAGE  CLASSIFY before SET_IMAGE
//   NO_MAP    MAP without a classification that made maps, or for a class it has none of

import types from './messages.json' with { type: 'json' };

export const MSG = Object.freeze(types.MSG);
export const ERROR_KIND = Object.freeze(types.ERROR_KIND);
