// What the classifier's modules share: the page's elements, the one state they read and
// write, and the queue that runs the reader's actions one after another. The elements come
// before the page's <script> tag (docs/classifier.md), so they exist when this runs.

import { make } from './dom.js';
import { displayName, modelLabel } from './manifest.js';
import { DEFAULT_RUNTIME } from './runtimes.js';

const $ = (id) => document.getElementById(id);
export const el = {
  startup: $('lwm-startup'),
  isolationNote: $('lwm-isolation-note'),
  models: $('lwm-models'),
  untrained: $('lwm-untrained'),
  untrainedSummary: $('lwm-untrained-summary'),
  variants: $('lwm-variants'),
  runtimes: $('lwm-runtimes'),
  runtimeNote: $('lwm-runtime-note'),
  webgpu: $('lwm-webgpu'),
  webgpuNote: $('lwm-webgpu-note'),
  modelStatus: $('lwm-model-status'),
  download: $('lwm-download'),
  modelError: $('lwm-model-error'),
  retry: $('lwm-retry'),
  card: $('lwm-card').tBodies[0],
  drop: $('lwm-drop'),
  file: $('lwm-file'),
  gallery: $('lwm-gallery'),
  credits: $('lwm-credits'),
  cameraStart: $('lwm-camera-start'),
  cameraCapture: $('lwm-camera-capture'),
  cameraStop: $('lwm-camera-stop'),
  live: $('lwm-live'),
  liveStatus: $('lwm-live-status'),
  video: $('lwm-video'),
  inputError: $('lwm-input-error'),
  preview: $('lwm-preview'),
  cam: $('lwm-cam'),
  camToggle: $('lwm-cam-toggle'),
  camOpacity: $('lwm-cam-opacity'),
  camCaption: $('lwm-cam-caption'),
  previewFrame: $('lwm-preview-frame'),
  imageInfo: $('lwm-image-info'),
  results: $('lwm-results'),
  resultsSummary: $('lwm-results-summary'),
  top5: $('lwm-top5'),
  imageNotes: $('lwm-image-notes'),
  timingsTable: $('lwm-timings'),
  timings: $('lwm-timings').tBodies[0],
  compare: $('lwm-compare'),
  compareStatus: $('lwm-compare-status'),
  compareTable: $('lwm-compare-table'),
  compareRealtime: $('lwm-compare-realtime'),
  compareBody: $('lwm-compare-table').tBodies[0],
  diagnostics: $('lwm-diagnostics').tBodies[0],
};

export const state = {
  manifest: null,
  key: null,
  variant: null,
  runtime: DEFAULT_RUNTIME, // runtimes.js: the runtime the worker runs
  gpu: false, // onnxruntime-web on WebGPU (the reader opted in) rather than WebAssembly
  oneThread: false, // two threads failed to start once (classify.js): every worker runs one from then on
  client: null,
  isolation: null,
  ready: false, // the manifest is in, the controls are built and the worker has started
  loaded: null, // "key.variant" held by the worker
  loadTimings: null, // how that model was loaded
  hasImage: false,
  inputSeen: false, // any photo given yet (set as soon as it is given, before decoding)
  source: null, // {blob, name} of the current file, to decode again after a runtime change
  rgba: null, // the current image's pixels, kept for the compare table's second worker
  generation: 0, // bumped by every reader action; older queued work is skipped
  camera: null, // camera.js, once the inputs are wired: camera.live while frames are classified one by one
  webgpu: null, // 'yes' or the reason WebGPU cannot be used
  lastDiagnostics: null, // the worker's latest report, shown in the diagnostics panel
  // class activation maps: the classes the last answer has maps for (null: none), the one
  // shown (null: the most probable), and the answer they belong to
  mapClasses: null,
  mapClass: null,
  mapFor: null, // {key, variant, generation}
};

// INIT's thread count: one once two failed to start (classify.js), else the worker's choice
export const threadsAsked = () => (state.oneThread ? { threads: 1 } : {});

// the worker's INIT backend for the current runtime (messages.js)
export const backendOf = (runtime = state.runtime, gpu = state.gpu) => runtime.backend(gpu);
export const entryOf = (key) => state.manifest.models[key];
export const nameOf = (key) => displayName(state.manifest, key);
export const labelOf = (key, variant) => modelLabel(state.manifest, key, variant);

// Run reader actions one after another (each waits for the previous one to settle).
let chain = Promise.resolve();
export function serial(fn) {
  const run = chain.then(fn);
  chain = run.catch(() => {});
  return run;
}

export function link(citation) {
  return make('a', { href: citation.url, rel: 'noopener' }, citation.text);
}

export function tableRows(tbody, rows) {
  tbody.replaceChildren(...rows.map(([name, value]) => make('tr', {}, make('th', { scope: 'row' }, name), make('td', {}, value))));
}

// Whatever goes wrong while taking an image in is said where the reader looks.
export function guarded(promise) {
  promise.catch((err) => {
    el.inputError.textContent = `This image could not be classified: ${err.message || err}`;
  });
}
