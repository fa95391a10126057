// The worker and what it answers: starting it (or taking over the one the page started),
// loading the chosen model, classifying the current image, and showing the answer, its
// timings and the diagnostics. Runs in the queue of appstate.js (`schedule`).

import { backendOf, el, entryOf, labelOf, serial, state, tableRows, threadsAsked } from './appstate.js';
import { make } from './dom.js';
import { fmtBytes, fmtMs, fmtPct } from './format.js';
import { WORKER_URL, loadModel } from './manifest.js';
import { ERROR_KIND, MSG } from './messages.js';
import { hideMap, showMap } from './mapview.js';
import { softmax, topK } from './postprocess.js';
import { WorkerClient } from './workerclient.js';

const yesNo = (b) => (b ? 'yes' : 'no');

// ---------------------------------------------------------------------------------------
// The worker
// ---------------------------------------------------------------------------------------
export function renderDiagnostics(d) {
  state.lastDiagnostics = d;
  const iso = state.isolation;
  tableRows(el.diagnostics, [
    ['Cross-origin isolated', iso.isolated ? `yes (${iso.via})` : 'no'],
    ['Threads in use', d.threads == null ? '—' : String(d.threads)],
    ['WebAssembly SIMD', yesNo(d.simd)],
    ['WebAssembly relaxed SIMD (LiteRT.js)', d.relaxedSimd == null ? '—' : yesNo(d.relaxedSimd)],
    ['Runtime', `${d.runtime ?? '—'}${d.runtimeVersion ? ` (${d.runtimeName} ${d.runtimeVersion})` : ''}`],
    ['WebAssembly file', d.wasmFiles?.length ? d.wasmFiles.join(', ') : 'not loaded yet (it loads with the first model)'],
    ['Execution provider', d.backend ?? '—'],
    ['WebGPU available', state.webgpu ?? (d.webgpuAvailable ? 'checking…' : 'no')],
    ['Sessions open', String(d.sessionsOpen ?? 0)],
    ['Model in the worker', d.model ?? 'none'],
    ['Model file', d.modelFile ? `${d.modelFile}${d.modelFileNote ? ` (${d.modelFileNote})` : ''}` : 'none'],
  ]);
}

// The worker docs/classifier.md's inline script started while the page loaded (WebAssembly
// backend), taken once; null when there is none (it failed, or it was taken already).
function takeEarlyWorker() {
  const early = window.lwmEarlyWorker ?? null;
  window.lwmEarlyWorker = null;
  return early;
}

// A worker running `runtime` (on WebGPU if `gpu`), in place of the current one.
export async function startWorker(runtime, gpu = false) {
  state.client?.terminate();
  const backend = backendOf(runtime, gpu);
  let early = takeEarlyWorker();
  if (early && early.backend !== backend) {
    early.worker.terminate(); // the page's inline script started the default runtime's
    early = null;
  }
  state.client = new WorkerClient(WORKER_URL, early);
  state.loaded = null;
  // LiteRT.js loads in the background: the model's download starts beside it (worker.js)
  const init = () => state.client.request(MSG.INIT, { backend, ...threadsAsked(), background: true });
  let reply;
  try {
    reply = await (early ? state.client.earlyInit : init());
  } catch (err) {
    if (!state.client.dead) throw err;
    // The worker never ran. WebKit (WebKitGTK 2.50) does this to a worker started while the
    // page loads, on every second load of the page in a tab ("could not be loaded"), and runs
    // one started a moment later: one more worker, once.
    state.client.terminate();
    state.client = new WorkerClient(WORKER_URL);
    reply = await init();
  }
  state.runtime = runtime;
  state.gpu = gpu;
  renderDiagnostics(reply.diagnostics);
}

// ---------------------------------------------------------------------------------------
// Loading a model
// ---------------------------------------------------------------------------------------
function showProgress(label, received, total) {
  el.download.hidden = false;
  el.download.max = total;
  el.download.value = Math.min(received, total);
  el.modelStatus.textContent = `Downloading ${label}: ${fmtBytes(received)} of ${fmtBytes(total)}`;
}

export function clearModelError() {
  el.modelError.textContent = '';
  el.retry.hidden = true;
}

export function showModelError(err) {
  el.modelStatus.textContent = 'No model loaded.';
  el.modelError.textContent = err.message;
  // a download or checksum failure may be passing; a broken runtime is worth a retry too
  el.retry.hidden = false;
}

// The runtime's second thread did not start (worker.js, THREADS): a new worker, on one thread
// from now on, given the current image; the page says why it runs on one thread.
async function restartOnOneThread(reason) {
  state.oneThread = true;
  el.isolationNote.textContent = `${reason} WebAssembly runs on one thread from now on.`;
  el.isolationNote.hidden = false;
  await startWorker(state.runtime, state.gpu);
  if (state.hasImage && state.rgba) await giveImage(state.client);
}

// a copy of the current image's pixels to a worker (the page keeps its own)
export function giveImage(client) {
  const { pixels, ...rest } = state.rgba;
  const copy = pixels.slice();
  return client.request(MSG.SET_IMAGE, { ...rest, pixels: copy }, { transfer: [copy.buffer] });
}

// the model in the page's worker (state.loaded follows it)
export async function ensureModel(key, variant) {
  const id = `${key}.${variant}`;
  if (state.loaded === id) return;
  state.loaded = null;
  const label = labelOf(key, variant);
  el.modelStatus.textContent = `Loading ${label}…`;
  const load = () => loadModel(state.client, state.manifest, key, variant, ({ received, total }) => showProgress(label, received, total));
  try {
    let reply;
    try {
      reply = await load();
    } catch (err) {
      if (err.kind !== ERROR_KIND.THREADS || state.oneThread) throw err;
      await restartOnOneThread(err.message);
      reply = await load();
    }
    state.loaded = id;
    state.loadTimings = { ...reply.timings, fromCache: reply.fromCache, bytes: reply.bytes ?? entryOf(key).variants[variant].bytes };
    renderDiagnostics(reply.diagnostics);
  } finally {
    el.download.hidden = true;
  }
}

export const modelReady = (key, variant) => {
  el.modelStatus.textContent = `${labelOf(key, variant)} is loaded and ready.`;
};

// ---------------------------------------------------------------------------------------
// Classifying, and the answer
// ---------------------------------------------------------------------------------------
export async function classifyLoaded(key, client = state.client) {
  const entry = entryOf(key);
  const reply = await client.request(MSG.CLASSIFY, {
    preprocess: entry.preprocess,
    inputName: entry.input.name,
    outputName: entry.output.name,
    cam: entry.cam?.kind ? entry.cam.outputs : null,
  });
  return { probs: softmax(reply.logits), timings: reply.timings, mapClasses: reply.mapClasses ?? null };
}

async function loadAndClassify(generation) {
  const { key, variant } = state;
  clearModelError();
  try {
    await ensureModel(key, variant);
  } catch (err) {
    showModelError(err);
    return;
  }
  modelReady(key, variant);
  if (!state.hasImage) return;
  // announce the wait, except frame after frame in live mode
  if (!state.camera?.live) el.resultsSummary.textContent = `Classifying with ${labelOf(key, variant)}…`;
  let result;
  try {
    result = await classifyLoaded(key);
  } catch (err) {
    if (err.kind === ERROR_KIND.NO_IMAGE) return;
    showModelError(err);
    return;
  }
  if (generation !== state.generation) return; // a new image or model is on its way
  renderResults(key, variant, result);
  state.mapClasses = result.mapClasses;
  state.mapClass = null;
  state.mapFor = { key, variant, generation };
  await showMap({ inChain: true });
}

// Load the chosen model and classify the current image, after what is queued; work that a
// newer reader action replaced meanwhile is skipped.
export function schedule() {
  const generation = ++state.generation;
  return serial(() => (generation === state.generation ? loadAndClassify(generation) : null));
}

function renderResults(key, variant, { probs, timings, mapClasses }) {
  const classes = state.manifest.classes;
  const top = topK(probs, 5);
  el.resultsSummary.textContent = `${labelOf(key, variant)} says: ${classes[top[0].index]} (${fmtPct(top[0].prob)}).`;
  // with maps, each class is a button that shows its map
  const name = (index) =>
    mapClasses?.includes(index)
      ? make('button', { type: 'button', className: 'lwm-class lwm-map-pick', dataset: { index: String(index) }, 'aria-pressed': 'false', title: 'Show where the model found this class' }, classes[index])
      : make('span', { className: 'lwm-class' }, classes[index]);
  el.top5.replaceChildren(
    ...top.map(({ index, prob }) =>
      make(
        'li',
        { dataset: { index: String(index), prob: String(prob) } },
        name(index),
        make('span', { className: 'lwm-bar', 'aria-hidden': 'true' }, make('span', { style: `width: ${(100 * prob).toFixed(2)}%` })),
        make('span', { className: 'lwm-pct' }, fmtPct(prob)),
      ),
    ),
  );
  const load = state.loadTimings;
  tableRows(el.timings, [
    ['Download', load.fromCache ? `${fmtMs(load.downloadMs)} (from the browser's cache)` : `${fmtMs(load.downloadMs)} (${fmtBytes(load.bytes)})`],
    ['SHA-256 check', fmtMs(load.verifyMs)],
    ['Session creation', fmtMs(load.sessionMs)],
    ['Preprocessing', fmtMs(timings.preprocessMs)],
    ['Inference', fmtMs(timings.inferenceMs)],
  ]);
  el.timingsTable.hidden = false; // no empty "Stage | Time" table before the first answer
}

export function clearResults(message) {
  el.resultsSummary.textContent = message;
  el.top5.replaceChildren();
  el.timings.replaceChildren();
  el.timingsTable.hidden = true;
  state.mapClasses = null;
  hideMap();
}
