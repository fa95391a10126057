// The classifier page: wires the modules together and starts them in the order the page
// can use them. The pieces:
//
//   appstate.js    the page's elements, the state the modules share, the queue of actions
//   manifest.js    models.json, the model files' addresses, the LOAD_MODEL request
//   runtimes.js    onnxruntime-web and LiteRT.js: which files each opens, what each offers
//   classify.js    the worker, loading a model, classifying, the answer and diagnostics
//   inputs.js      files, drops, pastes, samples, the camera; a photo given early waits
//   picker.js      the model, variant and runtime choices, and the model card
//   mapview.js     "Where did it look?": the class activation maps
//   comparison.js  "Compare all models on this image"
//
// The runtime lives in worker.js, pixels and files are read by imagefile.js, numbers are
// turned into classes by postprocess.js. Every URL is relative to the module that uses it
// (<site>/app/), so the site works under any sub-path (GitHub Pages) and from `mkdocs serve`.
//
// docs/classifier.md starts the worker from an inline script (startWorker takes it over) and
// loads this module with `async`, its imports and the manifest preloaded: it runs as soon as it
// has arrived, not after the theme's scripts. The elements it uses come before its <script>
// tag, so they exist when it runs.

import { el, serial, state } from './appstate.js';
import { clearModelError, ensureModel, modelReady, renderDiagnostics, schedule, showModelError, startWorker } from './classify.js';
import { ensureIsolation } from './coi.js';
import { compareAll } from './comparison.js';
import { buildGallery, photosReady, takeBlob, wireCamera, wirePhotoInputs } from './inputs.js';
import { loadManifest, pretrainedKeys, SITE } from './manifest.js';
import { wireMaps } from './mapview.js';
import { MSG } from './messages.js';
import {
  buildModelPicker, chosenRuntime, fitChoice, initialChoice, offerWebgpu, refreshPicker, selectFirstRunnable, showRuntime,
  wantedRuntime,
} from './picker.js';
import { otherRuntime, RUNTIMES } from './runtimes.js';

const SERVICE_WORKER_URL = new URL('coi-sw.js', SITE);

// 'yes', or why not: the API can exist without a usable GPU (headless, blocklisted drivers)
async function webgpuSupport() {
  if (!('gpu' in navigator)) return 'not available in this browser';
  const adapter = await navigator.gpu.requestAdapter().catch(() => null);
  return adapter ? 'yes' : 'the browser has the API but no usable GPU adapter';
}

async function switchRuntime() {
  const { runtime, gpu } = chosenRuntime();
  if (runtime !== RUNTIMES.ort) el.webgpu.checked = false;
  el.webgpuNote.textContent = '';
  el.runtimeNote.textContent = '';
  await serial(async () => {
    try {
      await startWorker(runtime, gpu);
    } catch (err) {
      // WebGPU failed: onnxruntime-web on the CPU; a runtime failed: the other one
      const fallback = gpu ? RUNTIMES.ort : otherRuntime(runtime);
      el.webgpu.checked = false;
      showRuntime(fallback);
      (gpu ? el.webgpuNote : el.runtimeNote).textContent = `${err.message} Back on ${fallback.label}.`;
      await startWorker(fallback);
    }
    fitChoice();
  });
  state.hasImage = false; // the old worker held the pixels
  if (state.source) await takeBlob(state.source.blob, state.source.name);
  else schedule();
}

// The default model loads as soon as the page knows it, while the reader picks a photo, so
// that its download and session are done when the first photo arrives. A choice the reader
// makes meanwhile wins: this runs in the same queue and loads whatever is selected when its
// turn comes. Then, unless a photo came first, one run on a blank input gets the runtime's code
// compiled to full speed (worker.js, warmUp), so that the reader's first answer is not the
// slowest one.
function preloadModel() {
  serial(async () => {
    if (state.loaded === `${state.key}.${state.variant}`) return;
    clearModelError();
    try {
      await ensureModel(state.key, state.variant);
    } catch (err) {
      showModelError(err);
      return;
    }
    modelReady(state.key, state.variant);
  });
  serial(async () => {
    if (state.inputSeen || !state.loaded) return; // a photo came first: it does the warming
    const entry = state.manifest.models[state.key];
    const size = entry.preprocess.input_size;
    await state.client
      .request(MSG.WARM_UP, { inputName: entry.input.name, inputShape: [1, 3, size, size], preprocess: entry.preprocess })
      .catch(() => {}); // only a speed-up: a failure here shows up, with its message, on the next run
  });
}

function failStartup(message) {
  el.startup.textContent = message;
  el.startup.classList.add('lwm-error');
}

async function main() {
  wirePhotoInputs(); // a photo given from now on waits for the page (inputs.js)
  state.isolation = await ensureIsolation(SERVICE_WORKER_URL.href, SITE.href);
  if (state.isolation.note) { // not isolated, or isolated without SharedArrayBuffer (WebKitGTK): one thread
    el.isolationNote.textContent = state.isolation.note;
    el.isolationNote.hidden = false;
  }
  // the worker (and with it the runtime's download and compilation) needs nothing from the
  // manifest: take over the one the page started, or start it now, while the manifest
  // downloads and the controls are built
  const wanted = wantedRuntime();
  showRuntime(wanted);
  const workerStarted = serial(() => startWorker(wanted));
  workerStarted.catch(() => {}); // reported below, once the page can show it
  try {
    state.manifest = await loadManifest();
  } catch (err) {
    failStartup(err.message);
    return;
  }
  buildModelPicker(schedule);
  buildGallery();
  const [key, variant, note] = initialChoice();
  state.runtime = wanted; // startWorker confirms it; the picker needs it now
  if (!pretrainedKeys(state.manifest).some((k) => RUNTIMES.litert.variants(state.manifest.models[k]).length)) {
    // a build without `make tflite`: nothing for LiteRT.js to open
    el.runtimes.querySelector(`input[value="${RUNTIMES.litert.id}"]`).disabled = true;
    showRuntime(RUNTIMES.ort);
    el.runtimeNote.textContent = 'LiteRT.js: this build has no .tflite files.';
    if (wanted !== RUNTIMES.ort) {
      state.runtime = RUNTIMES.ort;
      serial(() => startWorker(RUNTIMES.ort)).catch(() => {});
    }
  }
  refreshPicker();
  selectFirstRunnable(key, variant);
  wireCamera();
  el.compare.addEventListener('click', compareAll);
  wireMaps();
  el.retry.addEventListener('click', () => schedule());
  el.webgpu.addEventListener('change', switchRuntime);
  el.runtimes.addEventListener('change', switchRuntime);
  // the model's download starts now, queued in the worker behind the runtime's start, and a
  // photo that waited is read after it (the queue keeps them in order)
  preloadModel();
  photosReady();
  // asked only now: the model's request is out, whatever the browser's GPU check costs
  const webgpuChecked = webgpuSupport();
  if (note) el.startup.dataset.note = note;
  try {
    await workerStarted;
  } catch (err) {
    failStartup(err.message);
    return;
  }
  state.webgpu = await webgpuChecked;
  offerWebgpu();
  if (state.webgpu !== 'yes') el.webgpuNote.textContent = `WebGPU: ${state.webgpu}.`;
  if (state.lastDiagnostics) renderDiagnostics(state.lastDiagnostics); // now with the WebGPU answer
  // once a photo has been given, "choose an image" would be stale: the note alone stays
  el.startup.textContent = state.inputSeen ? (note ?? '') : `${note ? `${note} ` : ''}Ready: choose an image.`;
}

main();
