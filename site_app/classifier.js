// The classifier page: builds the controls from the manifest and shows what the worker
// computes. This module only touches the DOM; the runtime lives in worker.js, pixels and
// files are read by imagefile.js, numbers are turned into classes by postprocess.js.
//
// Every URL is computed relative to this module (site/app/classifier.js), so the site works
// under any sub-path (GitHub Pages) and from `mkdocs serve`.
//
// docs/classifier.md starts the worker from an inline script (startWorker takes it over) and
// loads this module with `async`, its imports and the manifest preloaded: it runs as soon as it
// has arrived, not after the theme's scripts. The elements it uses come before its <script>
// tag, so they exist when it runs.

import { setUpCamera } from './camera.js';
import { ensureIsolation } from './coi.js';
import { fmtBytes, fmtCount, fmtMs, fmtPct, fmtPublishedPct } from './format.js';
import { checkFileSize, checkSize, decodeToBitmap, InputError, inspect, smallNote, toRgba } from './imagefile.js';
import { ERROR_KIND, MSG } from './messages.js';
import { softmax, topK } from './postprocess.js';
import { WorkerClient } from './workerclient.js';
import { make } from './dom.js';

// ---------------------------------------------------------------------------------------
// DOM references
// ---------------------------------------------------------------------------------------
const $ = (id) => document.getElementById(id);
const el = {
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
  timings: $('lwm-timings').tBodies[0],
  compare: $('lwm-compare'),
  compareStatus: $('lwm-compare-status'),
  compareTable: $('lwm-compare-table'),
  compareRealtime: $('lwm-compare-realtime'),
  compareBody: $('lwm-compare-table').tBodies[0],
  diagnostics: $('lwm-diagnostics').tBodies[0],
};

// ---------------------------------------------------------------------------------------
// Where things are, and what we start with
// ---------------------------------------------------------------------------------------
const SITE = new URL('../', import.meta.url); // this module lives in <site>/app/
const MANIFEST_URL = new URL('models/models.json', SITE);
const WORKER_URL = new URL('worker.js', import.meta.url);
const SERVICE_WORKER_URL = new URL('coi-sw.js', SITE);
// int8 is the smallest download, and the export holds it to the int8 agreement targets
const DEFAULT_VARIANT = 'int8';
const PREVIEW_MAX = 320; // CSS pixels of the preview's longer side

const state = {
  manifest: null,
  key: null,
  variant: null,
  backend: 'wasm',
  client: null,
  isolation: null,
  loaded: null, // "key.variant" held by the worker
  loadTimings: null, // how that model was loaded
  hasImage: false,
  inputSeen: false, // any photo given yet (set as soon as it is given, before decoding)
  source: null, // {blob, name} of the current file, to decode again after a backend change
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

// ---------------------------------------------------------------------------------------
// Formatting (numbers: format.js, written as the docs write them)
// ---------------------------------------------------------------------------------------
const yesNo = (b) => (b ? 'yes' : 'no');
// the paper's name from the manifest (display_name); the registry key if an older export lacks it
const displayName = (key) => state.manifest.models[key].display_name ?? key;
const modelLabel = (key, variant) => `${displayName(key)} (${variant})`;
// the CPU runtimes a worker can run: onnxruntime-web (on WebAssembly or WebGPU), LiteRT.js
const isLiteRt = (backend = state.backend) => backend === 'litert';
const runtimeName = (backend) => (isLiteRt(backend) ? 'LiteRT.js' : 'onnxruntime-web');

function link(citation) {
  return make('a', { href: citation.url, rel: 'noopener' }, citation.text);
}

function tableRows(tbody, rows) {
  tbody.replaceChildren(...rows.map(([name, value]) => make('tr', {}, make('th', { scope: 'row' }, name), make('td', {}, value))));
}

// Run reader actions one after another; `schedule` skips work a newer action replaced.
let chain = Promise.resolve();
function serial(fn) {
  const run = chain.then(fn);
  chain = run.catch(() => {});
  return run;
}
function schedule() {
  const generation = ++state.generation;
  return serial(() => (generation === state.generation ? loadAndClassify(generation) : null));
}

// ---------------------------------------------------------------------------------------
// Manifest -> controls
// ---------------------------------------------------------------------------------------
const pretrainedKeys = () => Object.keys(state.manifest.models).filter((k) => state.manifest.models[k].pretrained);
// the manifest lists each model's variants in the exporter's order (fp32, fp16, int8);
// LiteRT.js opens the fp32 variant's .tflite copy, where `make tflite` made one
const tfliteOf = (key) => state.manifest.models[key].variants.fp32?.tflite ?? null;
const variantsFor = (key, backend) =>
  isLiteRt(backend) ? (tfliteOf(key) ? ['fp32'] : []) : Object.keys(state.manifest.models[key].variants);
const variantsOf = (key) => variantsFor(key, state.backend);
const canRun = (key) => state.manifest.models[key].pretrained && variantsOf(key).length > 0;

// "mobilenet_v2: no pretrained weights found; download from ... failed (...)" -> "no pretrained weights found"
function shortReason(entry) {
  const reason = entry.weights?.missing_reason || 'exported without pretrained weights';
  return reason.replace(/^[\w.-]+:\s*/, '').split(/;|\s\(|\.\s/)[0];
}

// The classifiers first, as a compact row of choices; the untrained models after them, in the
// same radio group but folded away in a <details> (disabled, each with its reason): visible to
// whoever looks for them, out of the way of the reader who came to classify a photo.
function buildModelPicker() {
  let untrained = 0;
  for (const [key, entry] of Object.entries(state.manifest.models)) {
    const input = make('input', { type: 'radio', name: 'lwm-model', value: key, disabled: !entry.pretrained });
    const text = entry.pretrained ? displayName(key) : `${displayName(key)} (untrained in this build: ${shortReason(entry)})`;
    const label = make('label', { className: entry.pretrained ? '' : 'lwm-disabled' }, input, ` ${text}`);
    if (entry.pretrained) {
      el.untrained.before(label);
    } else {
      label.title = entry.weights?.missing_reason ?? '';
      el.untrained.append(label);
      untrained++;
    }
  }
  el.untrainedSummary.textContent = `Not classifiers in this build (${untrained} untrained ${untrained === 1 ? 'model' : 'models'})`;
  el.untrained.hidden = untrained === 0;
  el.models.addEventListener('change', (event) => {
    selectModel(event.target.value, state.variant);
    schedule();
  });
  el.variants.addEventListener('change', (event) => {
    selectModel(state.key, event.target.value);
    schedule();
  });
}

// LiteRT.js has a .tflite copy of some models only (none when `make tflite` has not run)
function refreshPicker() {
  for (const input of el.models.querySelectorAll('input')) {
    const entry = state.manifest.models[input.value];
    if (!entry.pretrained) continue;
    input.disabled = isLiteRt() && !tfliteOf(input.value);
    input.parentElement.title = input.disabled ? 'No LiteRT (.tflite) copy in this build' : '';
  }
}

// what choosing a variant downloads: the WebAssembly backend opens the pre-optimized copy,
// LiteRT.js the .tflite copy
const downloadBytes = (v) => (isLiteRt() ? v.tflite : state.backend !== 'webgpu' && v.optimized ? v.optimized : v).bytes;

function selectModel(key, variant) {
  const variants = variantsOf(key);
  state.key = key;
  state.variant = variants.includes(variant) ? variant : variants.includes(DEFAULT_VARIANT) ? DEFAULT_VARIANT : variants[0];
  for (const input of el.models.querySelectorAll('input')) input.checked = input.value === key;
  const entry = state.manifest.models[key];
  el.variants.replaceChildren(
    make('legend', {}, 'Variant'),
    ...variants.map((v) =>
      make(
        'label',
        {},
        make('input', { type: 'radio', name: 'lwm-variant', value: v, checked: v === state.variant }),
        ` ${v} · ${fmtBytes(downloadBytes(entry.variants[v]))}`,
      ),
    ),
  );
  renderCard();
  // keep the address shareable: ?model=<key>&variant=<v>
  const url = new URL(location.href);
  url.searchParams.set('model', key);
  url.searchParams.set('variant', state.variant);
  if (isLiteRt()) url.searchParams.set('backend', 'litert');
  else url.searchParams.delete('backend');
  history.replaceState(null, '', url);
}

function initialChoice() {
  const params = new URLSearchParams(location.search);
  const wanted = params.get('model');
  const models = state.manifest.models;
  const fallback = pretrainedKeys()[0];
  if (wanted && !(wanted in models)) return [fallback, params.get('variant'), `There is no model called “${wanted}” in this build; ${displayName(fallback)} is selected instead.`];
  if (wanted && !models[wanted].pretrained) {
    return [fallback, params.get('variant'), `${displayName(wanted)} is untrained in this build (${shortReason(models[wanted])}), so it cannot classify; ${displayName(fallback)} is selected instead.`];
  }
  return [wanted || fallback, params.get('variant'), null];
}

function renderCard() {
  const entry = state.manifest.models[state.key];
  const v = isLiteRt() ? entry.variants[state.variant].tflite : entry.variants[state.variant];
  const fileKind = isLiteRt() ? `${state.variant} .tflite` : state.variant;
  const published = entry.weights?.published;
  const latency = (threads) => (v.latency_ms?.[threads] ? fmtMs(v.latency_ms[threads].median_ms) : '—');
  const rows = [
    ['Parameters', `${fmtCount(entry.params)} (${entry.params.toLocaleString('en')})`],
    ['Multiply-accumulates per image', fmtCount(entry.macs)],
    ['Depth (conv and linear layers on the longest path)', String(entry.depth)],
    ['Input', `${entry.preprocess.input_size} × ${entry.preprocess.input_size} pixels, ${entry.preprocess.interpolation}, ${entry.preprocess.resize_mode.replaceAll('_', ' ')}`],
    [`File (${fileKind})`, `${fmtBytes(v.bytes)}; ${fmtBytes(v.gzip_bytes)} gzipped`],
    ['Peak activation memory', fmtBytes(entry.variants[state.variant].activation_memory_bytes)],
    [
      `Top-1 agreement with PyTorch fp32 (${v.validation.images} validation images)`,
      fmtPct(v.validation.top1_agreement),
    ],
    [`Export machine latency, ${isLiteRt() ? 'LiteRT' : 'onnxruntime'} CPU (1 / 2 threads, median)`, `${latency('1')} / ${latency('2')}`],
  ];
  if (published?.top1 != null) {
    rows.push(['Published ImageNet top-1', make('span', {}, `${fmtPublishedPct(published.top1)} (`, link(published.citation), ')')]);
  }
  if (entry.weights?.paper) rows.push(['Paper', link(entry.weights.paper)]);
  if (entry.weights?.license) rows.push(['Weights licence', entry.weights.license]);
  tableRows(el.card, rows);
}

function buildGallery() {
  for (const sample of state.manifest.samples) {
    const url = new URL(`models/${sample.file}`, SITE).href;
    // a few kB thumbnail for the button; the full PNG (hundreds of kB) only on a click.
    // An older manifest has no thumbnail: show the PNG itself.
    const thumb = new URL(`models/${sample.thumbnail ?? sample.file}`, SITE).href;
    const button = make(
      'button',
      { type: 'button', className: 'lwm-sample', 'aria-label': `Classify the sample photo: ${sample.description}` },
      make('img', { src: thumb, alt: '', loading: 'lazy', width: 96, height: 72 }),
    );
    const classifySample = async () => {
      state.inputSeen = true;
      announceReading(sample.description);
      const response = await fetch(url);
      if (!response.ok) {
        rejectInput(`The sample photo ${sample.file} could not be loaded (HTTP ${response.status}).`);
        return;
      }
      await takeBlob(await response.blob(), sample.file.split('/').pop());
    };
    button.addEventListener('click', () => guarded(classifySample()));
    el.gallery.append(make('figure', {}, button, make('figcaption', {}, sample.description)));
  }
  // the photos' licences and sources, together under the tool: the thumbnails stay one row
  const credits = state.manifest.samples.map((s) => `${s.description} (${s.license}; ${s.source})`);
  el.credits.textContent = credits.length ? `Sample photos: ${credits.join('; ')}.` : '';
}

// ---------------------------------------------------------------------------------------
// Model loading and classification
// ---------------------------------------------------------------------------------------
function showProgress(label, received, total) {
  el.download.hidden = false;
  el.download.max = total;
  el.download.value = Math.min(received, total);
  el.modelStatus.textContent = `Downloading ${label}: ${fmtBytes(received)} of ${fmtBytes(total)}`;
}

function clearModelError() {
  el.modelError.textContent = '';
  el.retry.hidden = true;
}

function showModelError(err) {
  el.modelStatus.textContent = 'No model loaded.';
  el.modelError.textContent = err.message;
  // a download or checksum failure may be passing; a broken runtime is worth a retry too
  el.retry.hidden = false;
}

const fileRef = (f) => (f ? { url: new URL(`models/${f.file}`, SITE).href, sha256: f.sha256, bytes: f.bytes } : null);

// what LOAD_MODEL asks for: the variant's file, and the other files of the same model
function loadRequest(key, variant) {
  const v = state.manifest.models[key].variants[variant];
  return {
    ...fileRef(v),
    label: modelLabel(key, variant),
    // the same model with onnxruntime's graph optimizations already applied (int8): the
    // WebAssembly backend opens it without the costly QDQ fusion; WebGPU needs the QDQ file
    optimized: fileRef(v.optimized),
    // the same model as LiteRT's flatbuffer, for LiteRT.js
    tflite: fileRef(v.tflite),
  };
}

async function ensureModel(key, variant) {
  const id = `${key}.${variant}`;
  if (state.loaded === id) return;
  state.loaded = null;
  const v = state.manifest.models[key].variants[variant];
  const label = modelLabel(key, variant);
  el.modelStatus.textContent = `Loading ${label}…`;
  try {
    const reply = await state.client.request(MSG.LOAD_MODEL, loadRequest(key, variant), {
      onProgress: ({ received, total }) => showProgress(label, received, total),
    });
    state.loaded = id;
    state.loadTimings = { ...reply.timings, fromCache: reply.fromCache, bytes: reply.bytes ?? v.bytes };
    renderDiagnostics(reply.diagnostics);
  } finally {
    el.download.hidden = true;
  }
}

async function classifyLoaded(key, client = state.client) {
  const entry = state.manifest.models[key];
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
  el.modelStatus.textContent = `${modelLabel(key, variant)} is loaded and ready.`;
  if (!state.hasImage) return;
  // announce the wait, except frame after frame in live mode
  if (!state.camera?.live) el.resultsSummary.textContent = `Classifying with ${modelLabel(key, variant)}…`;
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

function renderResults(key, variant, { probs, timings, mapClasses }) {
  const classes = state.manifest.classes;
  const top = topK(probs, 5);
  el.resultsSummary.textContent = `${modelLabel(key, variant)} says: ${classes[top[0].index]} (${fmtPct(top[0].prob)}).`;
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
}

function clearResults(message) {
  el.resultsSummary.textContent = message;
  el.top5.replaceChildren();
  el.timings.replaceChildren();
  state.mapClasses = null;
  hideMap();
}

// ---------------------------------------------------------------------------------------
// Where did it look? Class activation maps (worker.js computes them; cammap.js)
// ---------------------------------------------------------------------------------------
function hideMap() {
  el.cam.hidden = true;
  el.cam.setAttribute('aria-label', 'No map');
}

// the worker's map drawn on a canvas of the model's input grid (CSS stretches it)
function drawMap(canvas, map) {
  canvas.width = map.width;
  canvas.height = map.height;
  canvas.getContext('2d').putImageData(new ImageData(new Uint8ClampedArray(map.rgba.buffer), map.width, map.height), 0, 0);
}

const mapSentence = (className, map) =>
  `strongest in the ${map.region} of the photo for “${className}”; ${fmtPct(map.strongShare)} of the photo is at least half as strong`;

function noMapReason(key, backend = state.backend) {
  if (isLiteRt(backend)) return 'LiteRT.js runs the .tflite copy of the model, which has no map outputs';
  const cam = state.manifest.models[key].cam;
  return cam?.kind ? 'the model file gave none' : cam?.reason ?? 'this export has no maps';
}

// Show the map of the chosen class (the most probable one unless the reader picked another),
// if the reader asked for maps; otherwise say why there is none.
// `inChain`: called from a task of the serial queue, which must not wait for itself.
async function showMap({ inChain = false } = {}) {
  const target = state.mapFor;
  for (const b of el.top5.querySelectorAll('.lwm-map-pick')) b.setAttribute('aria-pressed', String(Number(b.dataset.index) === state.mapClass));
  if (!el.camToggle.checked || !target) {
    hideMap();
    if (!el.camToggle.checked) el.camCaption.textContent = 'Tick the box to see which parts of the photo made the model choose its answer.';
    return;
  }
  if (!state.mapClasses) {
    hideMap();
    el.camCaption.textContent = `${displayName(target.key)} has no class activation map: ${noMapReason(target.key)}.`;
    return;
  }
  const classIndex = state.mapClass ?? state.mapClasses[0];
  const request = () => state.client.request(MSG.MAP, { classIndex, size: state.manifest.models[target.key].preprocess.input_size });
  let map;
  try {
    map = await (inChain ? request() : serial(request));
  } catch (err) {
    hideMap();
    el.camCaption.textContent = err.message;
    return;
  }
  if (state.mapFor !== target || !el.camToggle.checked) return; // a newer answer, or maps turned off
  for (const b of el.top5.querySelectorAll('.lwm-map-pick')) b.setAttribute('aria-pressed', String(Number(b.dataset.index) === classIndex));
  drawMap(el.cam, map);
  el.cam.style.opacity = String(el.camOpacity.value / 100);
  const sentence = mapSentence(state.manifest.classes[classIndex], map);
  el.cam.setAttribute('aria-label', `Class activation map of ${modelLabel(target.key, target.variant)}: ${sentence}`);
  el.cam.dataset.classIndex = String(classIndex);
  el.cam.dataset.peakX = String(map.peak.x);
  el.cam.dataset.peakY = String(map.peak.y);
  el.cam.hidden = false;
  el.camCaption.textContent = `Map of ${modelLabel(target.key, target.variant)}: ${sentence}. Made in ${fmtMs(map.mapMs)} from its ${map.lowRes[0]} × ${map.lowRes[1]} grid.`;
}

function wireMaps() {
  el.camToggle.addEventListener('change', () => guarded(showMap()));
  el.camOpacity.addEventListener('input', () => {
    el.cam.style.opacity = String(el.camOpacity.value / 100);
  });
  el.top5.addEventListener('click', (event) => {
    const pick = event.target.closest('.lwm-map-pick');
    if (!pick) return;
    state.mapClass = Number(pick.dataset.index);
    el.camToggle.checked = true; // choosing a class asks for its map
    guarded(showMap());
  });
}

// The photo with the model's map of its top class over it, small, for the comparison table
const THUMB_WIDTH = 96;
async function mapThumbnail(key, variant, classIndex, client = state.client) {
  const map = await client.request(MSG.MAP, { classIndex, size: state.manifest.models[key].preprocess.input_size });
  const layer = document.createElement('canvas');
  drawMap(layer, map);
  const thumb = make('canvas', {
    className: 'lwm-cam-thumb',
    role: 'img',
    'aria-label': `Map of ${modelLabel(key, variant)}: ${mapSentence(state.manifest.classes[classIndex], map)}`,
    dataset: { peakX: String(map.peak.x), peakY: String(map.peak.y) },
  });
  thumb.width = THUMB_WIDTH;
  thumb.height = Math.max(1, Math.round((THUMB_WIDTH * el.preview.height) / el.preview.width));
  const ctx = thumb.getContext('2d');
  ctx.drawImage(el.preview, 0, 0, thumb.width, thumb.height);
  ctx.globalAlpha = 0.75;
  ctx.drawImage(layer, 0, 0, thumb.width, thumb.height);
  return thumb;
}

// A worker for the runtime the page is not running, holding the current image
async function secondWorker(backend) {
  const client = new WorkerClient(WORKER_URL);
  try {
    await client.request(MSG.INIT, { backend });
    const { pixels, ...rest } = state.rgba;
    const copy = pixels.slice();
    await client.request(MSG.SET_IMAGE, { ...rest, pixels: copy }, { transfer: [copy.buffer] });
  } catch (err) {
    client.terminate();
    throw err;
  }
  return client;
}

// Every model and variant with the page's runtime, then with the other CPU runtime in a
// second worker: the .tflite copies with LiteRT.js when the page runs onnxruntime-web, the
// ONNX files with onnxruntime-web when it runs LiteRT.js
async function compareAll() {
  el.compare.disabled = true;
  el.compareTable.hidden = false;
  el.compareBody.replaceChildren();
  const other = isLiteRt() ? 'wasm' : 'litert';
  const jobsFor = (backend) => pretrainedKeys().flatMap((key) => variantsFor(key, backend).map((variant) => [backend, key, variant]));
  const jobs = [...jobsFor(state.backend), ...jobsFor(other)];
  // one frame of real-time video, as the manifest defines it (30 fps: 33.3 ms)
  const realtime = state.manifest.realtime;
  const budget = `${realtime.fps} fps: ${fmtMs(realtime.budget_ms)}`;
  el.compareRealtime.textContent = `Within one frame (${budget})`;
  const inBudget = [];
  await serial(async () => {
    clearModelError();
    let second = null;
    try {
      for (const [i, [backend, key, variant]] of jobs.entries()) {
        const label = `${modelLabel(key, variant)} with ${runtimeName(backend)}`;
        el.compareStatus.textContent = `Running ${label}: ${i + 1} of ${jobs.length}…`;
        const v = state.manifest.models[key].variants[variant];
        const bytes = fmtBytes((isLiteRt(backend) ? v.tflite : v).bytes);
        let client = state.client;
        if (backend !== state.backend) client = second ??= await secondWorker(backend);
        let cells;
        let data = {};
        let where = '—';
        try {
          if (client === state.client) await ensureModel(key, variant); // state.loaded follows it
          else await client.request(MSG.LOAD_MODEL, loadRequest(key, variant));
          const { probs, timings, mapClasses } = await classifyLoaded(key, client);
          const [best] = topK(probs, 1);
          where = mapClasses ? await mapThumbnail(key, variant, best.index, client) : `no map: ${noMapReason(key, backend)}`;
          data = { index: String(best.index), prob: String(best.prob) };
          const fits = timings.inferenceMs <= realtime.budget_ms;
          if (fits) inBudget.push(label);
          data.realtime = String(fits);
          data.ms = String(timings.inferenceMs);
          cells = [state.manifest.classes[best.index], fmtPct(best.prob), fmtMs(timings.inferenceMs), fits ? 'yes' : 'no'];
        } catch (err) {
          cells = [make('span', { className: 'lwm-error' }, err.message), '—', '—', '—'];
        }
        const runtime = isLiteRt(backend) ? 'litert' : 'ort';
        el.compareBody.append(
          make(
            'tr',
            { dataset: { model: key, variant, runtime, ...data } },
            ...[displayName(key), runtimeName(backend), variant, ...cells, bytes, where].map((c) => make('td', {}, c)),
          ),
        );
      }
      el.compareStatus.textContent = `Compared ${jobs.length} model files on this image. `
        + `${inBudget.length} of them classified it within one video frame at ${budget} in this browser`
        + (inBudget.length ? `: ${inBudget.join(', ')}.` : '.');
    } catch (err) {
      el.compareStatus.textContent = `The comparison stopped: ${err.message}`;
    } finally {
      second?.terminate();
    }
  });
  el.compare.disabled = !state.hasImage;
  schedule(); // put the chosen model back in the worker
}

// ---------------------------------------------------------------------------------------
// Images: files, drops, pastes, samples, camera frames (camera.js runs the camera)
// ---------------------------------------------------------------------------------------
function rejectInput(message) {
  el.inputError.textContent = message;
  state.hasImage = false;
  state.source = null;
  el.compare.disabled = true;
  el.imageNotes.replaceChildren();
  el.imageInfo.textContent = 'No image.';
  el.preview.setAttribute('aria-label', 'No image');
  el.preview.getContext('2d').clearRect(0, 0, el.preview.width, el.preview.height);
  clearResults('The last file was not classified; see the message above.');
}

// Whatever goes wrong while taking an image in is said where the reader looks.
function guarded(promise) {
  promise.catch((err) => {
    el.inputError.textContent = `This image could not be classified: ${err.message || err}`;
  });
}

// Said at once, before any await, so the previous answer never stands for the new image.
function announceReading(name) {
  state.generation++; // answers still in flight are for the previous image
  el.resultsSummary.textContent = `Reading ${name}…`;
}

async function takeBlob(blob, name) {
  state.inputSeen = true; // a photo is on its way: the preload's warm-up would only delay it
  announceReading(name);
  el.inputError.textContent = '';
  let info;
  let bitmap;
  try {
    checkFileSize(blob.size, name); // before reading a possibly huge file into memory
    info = inspect(new Uint8Array(await blob.arrayBuffer()), name);
    bitmap = await decodeToBitmap(blob);
    checkSize(bitmap.width, bitmap.height);
  } catch (err) {
    bitmap?.close();
    if (!(err instanceof InputError)) throw err;
    rejectInput(err.message);
    return;
  }
  const notes = [...info.notes, smallNote(bitmap.width, bitmap.height)].filter(Boolean);
  state.source = { blob, name };
  await useImage(bitmap, bitmap.width, bitmap.height, { label: name, format: info.format, notes });
  bitmap.close();
}

async function useImage(source, width, height, { label, format, notes }) {
  state.inputSeen = true; // camera frames come here directly
  // the preview, scaled to fit
  const scale = Math.min(1, PREVIEW_MAX / Math.max(width, height));
  el.preview.width = Math.max(1, Math.round(width * scale));
  el.preview.height = Math.max(1, Math.round(height * scale));
  el.preview.getContext('2d').drawImage(source, 0, 0, el.preview.width, el.preview.height);
  if (!state.camera?.live) hideMap(); // the last map belongs to the last photo
  el.preview.setAttribute('aria-label', `The image being classified: ${label}`);
  el.imageInfo.textContent = `${label}: ${format}, ${width} × ${height} pixels`;
  el.imageNotes.replaceChildren(...notes.map((n) => make('li', {}, n)));

  const rgba = toRgba(source, width, height);
  state.rgba = { ...rgba, pixels: rgba.pixels.slice() }; // the worker takes the original
  await serial(() => state.client.request(MSG.SET_IMAGE, rgba, { transfer: [rgba.pixels.buffer] }));
  state.hasImage = true;
  el.compare.disabled = false;
  await schedule();
}

function firstImageFile(files) {
  return [...(files ?? [])][0] ?? null;
}

// ---------------------------------------------------------------------------------------
// Runtime: worker, isolation, diagnostics, WebGPU opt-in
// ---------------------------------------------------------------------------------------
function renderDiagnostics(d) {
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

async function startWorker(backend) {
  state.client?.terminate();
  let early = takeEarlyWorker();
  if (early && backend !== 'wasm') {
    early.worker.terminate(); // the page's inline script starts onnxruntime-web's
    early = null;
  }
  state.client = new WorkerClient(WORKER_URL, early);
  state.loaded = null;
  const reply = await (early ? state.client.earlyInit : state.client.request(MSG.INIT, { backend }));
  state.backend = backend;
  renderDiagnostics(reply.diagnostics);
}

// 'yes', or why not: the API can exist without a usable GPU (headless, blocklisted drivers)
async function webgpuSupport() {
  if (!('gpu' in navigator)) return 'not available in this browser';
  const adapter = await navigator.gpu.requestAdapter().catch(() => null);
  return adapter ? 'yes' : 'the browser has the API but no usable GPU adapter';
}

function chosenBackend() {
  if (el.runtimes.querySelector('input:checked')?.value === 'litert') return 'litert';
  return el.webgpu.checked ? 'webgpu' : 'wasm';
}

// after a runtime change: the models and variants that runtime can open
function fitChoice() {
  refreshPicker();
  el.webgpu.disabled = state.webgpu !== 'yes' || isLiteRt();
  const key = canRun(state.key) ? state.key : pretrainedKeys().find(canRun);
  if (key) selectModel(key, state.variant);
}

async function switchBackend() {
  const backend = chosenBackend();
  if (backend === 'litert') el.webgpu.checked = false;
  el.webgpuNote.textContent = '';
  el.runtimeNote.textContent = '';
  await serial(async () => {
    try {
      await startWorker(backend);
    } catch (err) {
      el.webgpu.checked = false;
      el.runtimes.querySelector('input[value="ort"]').checked = true;
      (backend === 'litert' ? el.runtimeNote : el.webgpuNote).textContent = `${err.message} Back on onnxruntime-web.`;
      await startWorker('wasm');
    }
    fitChoice();
  });
  state.hasImage = false; // the old worker held the pixels
  if (state.source) await takeBlob(state.source.blob, state.source.name);
  else schedule();
}

// ---------------------------------------------------------------------------------------
// Start
// ---------------------------------------------------------------------------------------
function wireInputs() {
  el.file.addEventListener('change', () => {
    const file = firstImageFile(el.file.files);
    if (file) guarded(takeBlob(file, file.name));
    el.file.value = ''; // choosing the same file again must fire `change` again
  });
  // the drop zone, and the image's own frame: a new photo can be dropped onto the old one
  for (const target of [el.drop, el.previewFrame]) {
    target.addEventListener('dragover', (event) => {
      event.preventDefault();
      target.classList.add('lwm-dragging');
    });
    target.addEventListener('dragleave', () => target.classList.remove('lwm-dragging'));
    target.addEventListener('drop', (event) => {
      event.preventDefault();
      target.classList.remove('lwm-dragging');
      const file = firstImageFile(event.dataTransfer?.files);
      if (file) guarded(takeBlob(file, file.name));
      else el.inputError.textContent = 'What was dropped is not a file. Drop an image file from your computer.';
    });
  }
  document.addEventListener('paste', (event) => {
    const file = firstImageFile(event.clipboardData?.files);
    if (!file) return; // pasted text goes where it was meant to go (the search box)
    event.preventDefault();
    guarded(takeBlob(file, file.name || 'pasted image'));
  });
  state.camera = setUpCamera(
    { start: el.cameraStart, capture: el.cameraCapture, stop: el.cameraStop, live: el.live, liveStatus: el.liveStatus, video: el.video, results: el.results },
    {
      guard: guarded,
      showError: (message) => {
        el.inputError.textContent = message;
      },
      takeFrame: async (video, width, height, live) => {
        state.source = null;
        if (!live) announceReading('the camera frame');
        await useImage(video, width, height, { label: 'Camera frame', format: 'camera', notes: [] });
      },
    },
  );
  el.compare.addEventListener('click', compareAll);
  wireMaps();
  el.retry.addEventListener('click', () => schedule());
  el.webgpu.addEventListener('change', switchBackend);
  el.runtimes.addEventListener('change', switchBackend);
}

// The default model loads as soon as the page is ready, while the reader picks a photo, so
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
    el.modelStatus.textContent = `${modelLabel(state.key, state.variant)} is loaded and ready.`;
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

async function main() {
  state.isolation = await ensureIsolation(SERVICE_WORKER_URL.href, SITE.href);
  if (!state.isolation.isolated) {
    el.isolationNote.textContent = state.isolation.note;
    el.isolationNote.hidden = false;
  }
  // the worker (and with it the runtime's download and compilation) needs nothing from the
  // manifest: take over the one the page started, or start it now, while the manifest
  // downloads and the controls are built
  // ?backend=litert opens the page on LiteRT.js (a shared address keeps the reader's runtime)
  const wanted = new URLSearchParams(location.search).get('backend') === 'litert' ? 'litert' : 'wasm';
  el.runtimes.querySelector(`input[value="${wanted === 'litert' ? 'litert' : 'ort'}"]`).checked = true;
  const workerStarted = serial(() => startWorker(wanted));
  workerStarted.catch(() => {}); // reported below, once the page can show it
  const webgpuChecked = webgpuSupport();
  try {
    const response = await fetch(MANIFEST_URL);
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    state.manifest = await response.json();
  } catch (err) {
    el.startup.textContent = `The list of models (${MANIFEST_URL.pathname}) could not be loaded: ${err.message}.`;
    el.startup.classList.add('lwm-error');
    return;
  }
  buildModelPicker();
  buildGallery();
  const [key, variant, note] = initialChoice();
  state.backend = wanted; // startWorker confirms it; the picker needs it now
  if (!pretrainedKeys().some(tfliteOf)) {
    // a build without `make tflite`: nothing for LiteRT.js to open
    el.runtimes.querySelector('input[value="litert"]').disabled = true;
    el.runtimes.querySelector('input[value="ort"]').checked = true;
    el.runtimeNote.textContent = 'LiteRT.js: this build has no .tflite files.';
    if (wanted === 'litert') {
      state.backend = 'wasm';
      serial(() => startWorker('wasm')).catch(() => {});
    }
  }
  refreshPicker();
  selectModel(canRun(key) ? key : (pretrainedKeys().find(canRun) ?? key), variant);
  wireInputs();
  try {
    await workerStarted;
  } catch (err) {
    el.startup.textContent = err.message;
    el.startup.classList.add('lwm-error');
    return;
  }
  state.webgpu = await webgpuChecked;
  el.webgpu.disabled = state.webgpu !== 'yes' || isLiteRt();
  if (state.webgpu !== 'yes') el.webgpuNote.textContent = `WebGPU: ${state.webgpu}.`;
  if (state.lastDiagnostics) renderDiagnostics(state.lastDiagnostics); // now with the WebGPU answer
  el.startup.textContent = `${note ? `${note} ` : ''}Ready: choose an image.`;
  preloadModel();
}

main();
