// The module worker that owns the runtime, onnxruntime-web or LiteRT.js: the page never
// touches it.
//
// It loads the runtime from the site's own copy (never a CDN), fetches and verifies model
// files (modelstore.js), keeps one inference session at a time, and preprocesses pixels
// (preprocess.js) off the page's thread. Requests are handled one after another, in the
// order they arrive, so a model switch can never race an inference. One worker runs one
// backend: the page starts a new worker to change it. LiteRT.js comes shaped as
// onnxruntime-web (litert.js), so everything after loading the runtime is the same code.

import { colorize, describe, normalize, upsample } from './cammap.js';
import { hasRelaxedSimd, loadLiteRt, ThreadsDidNotStart } from './litert.js';
import { ERROR_KIND, MSG } from './messages.js';
import { getModel, ModelError } from './modelstore.js';
import { preprocess } from './preprocess.js';
import { SESSION_OPTIONS } from './sessionoptions.js';

const VENDOR = new URL('../vendor/onnxruntime-web/', import.meta.url);

// The plain WASM runtime is the default; the WebGPU-capable one is much larger and is
// imported only when the reader opts in.
const RUNTIMES = {
  wasm: { module: 'ort.wasm.min.mjs', providers: ['wasm'] },
  webgpu: { module: 'ort.webgpu.min.mjs', providers: ['webgpu', 'wasm'] },
  // LiteRT.js on the CPU, with the model's .tflite copy
  litert: { module: 'LiteRT.js', providers: ['wasm'] },
};

// wasm-feature-detect's SIMD probe: a tiny module that only validates if SIMD is supported
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11,
]);

// The smallest ONNX model (one Identity node, float[1] -> float[1]), serialized: opening it
// makes onnxruntime-web fetch and compile its WebAssembly (see init)
const WARMUP_MODEL = new Uint8Array([
  8, 8, 18, 0, 58, 55, 10, 16, 10, 1, 120, 18, 1, 121, 34, 8, 73, 100, 101, 110, 116, 105, 116, 121, 18, 1, 119, 90,
  15, 10, 1, 120, 18, 10, 10, 8, 8, 1, 18, 4, 10, 2, 8, 1, 98, 15, 10, 1, 121, 18, 10, 10, 8, 8, 1, 18, 4, 10, 2, 8,
  1, 66, 4, 10, 0, 16, 13,
]);

// The runtime's WebAssembly, which onnxruntime-web's plain build (ort.wasm.min.mjs) loads
const ORT_WASM = new URL('ort-wasm-simd-threaded.wasm', VENDOR).href;

// onnxruntime-web's second thread is a worker of this worker, and the runtime waits until it
// has started. Firefox has been seen never starting it (a page load in five to ten, on a busy
// machine, with or without the service worker): the runtime then waits forever. So, with two
// threads, the runtime gets this long to start once its WebAssembly is here (compiling it and
// starting the thread take about a second on a phone); after that the model's load fails with
// ERROR_KIND.THREADS, and the page starts a new worker on one thread (classify.js).
const THREADS_START_S = 15;

// Files the page started fetching for this worker before it could (docs/classifier.md):
// INIT's handOver names them, then HAND_OVER messages bring each one's bytes as they arrive.
// URL -> {response: a promise of a Response streaming those bytes, or of null when the page
// could not fetch the file (the worker then fetches it itself), resolve, controller}.
const handedOver = new Map();

function expectHandOver(urls = []) {
  for (const url of urls) {
    const entry = { controller: null };
    entry.response = new Promise((resolve) => (entry.resolve = resolve));
    handedOver.set(url, entry);
  }
}

function receiveHandOver({ url, chunk, done, failed }) {
  const entry = handedOver.get(url);
  if (!entry) return;
  if (!entry.controller) {
    if (failed) {
      entry.resolve(null);
      return;
    }
    const body = new ReadableStream({ start: (controller) => (entry.controller = controller) });
    entry.resolve(new Response(body));
  }
  if (chunk) entry.controller.enqueue(chunk);
  if (done) entry.controller.close();
  if (failed) entry.controller.error(new Error('the connection broke off'));
}

// the page's response for `url`, once (a second load of the same file fetches it again); null
// for a URL the page did not announce
function takeHandOver(url) {
  const entry = handedOver.get(url);
  if (!entry || entry.taken) return null;
  entry.taken = true;
  return entry.response;
}

let wasmFromPage = null; // the .wasm's URL, when onnxruntime-web took the page's bytes of it
let ort = null; // the runtime's module: onnxruntime-web's, or LiteRT.js shaped as it (litert.js)
let warmup = Promise.resolve();
let warmupError = null; // why the runtime failed to start, if it did
let runtime = null;
let backend = null;
let session = null;
let sessionLabel = null;
let sessionFile = null; // which file the session was made from, and why that one
let sessionFileNote = null;
let sessionsOpen = 0;
let image = null;
// the class activation maps of the last classification (five classes), kept for MAP
let lastMaps = null;

const post = (message, transfer = []) => self.postMessage(message, transfer);

function diagnostics() {
  const wasmFiles = performance
    .getEntriesByType('resource')
    .map((e) => e.name)
    .filter((name) => name.endsWith('.wasm'))
    .concat(wasmFromPage ? [wasmFromPage] : []) // the page fetched it: no entry here
    .map((name) => new URL(name).pathname.split('/').pop());
  return {
    crossOriginIsolated: self.crossOriginIsolated === true,
    threads: ort ? ort.env.wasm.numThreads : null, // LiteRT.js: once loaded
    simd: WebAssembly.validate(SIMD_PROBE),
    relaxedSimd: hasRelaxedSimd(),
    runtime: ort?.build ?? runtime?.module ?? null,
    runtimeName: backend === 'litert' ? 'LiteRT.js' : 'onnxruntime-web',
    runtimeVersion: (backend === 'litert' ? ort?.version : ort?.env?.versions?.web) ?? null,
    wasmFiles: [...new Set(wasmFiles)],
    webgpuAvailable: 'gpu' in navigator,
    backend,
    sessionsOpen,
    model: sessionLabel,
    modelFile: sessionFile,
    modelFileNote: sessionFileNote,
  };
}

// LiteRT.js's load failed: its threads did not start (the page then asks for one thread), or
// the runtime itself
function litertError(err) {
  if (err instanceof ThreadsDidNotStart) {
    return new ModelError(ERROR_KIND.THREADS, `LiteRT.js's second thread did not start within ${THREADS_START_S} s.`);
  }
  return new ModelError(ERROR_KIND.RUNTIME, `The LiteRT.js runtime failed to load: ${err.message || err}`);
}

// `threads`: 1 to run on one thread even where two are possible (the page asks for it after
// two threads failed to start); by default two where the page is cross-origin isolated.
// `background`: LiteRT.js loads while INIT answers at once, so that the model's download,
// the next request, runs beside the runtime's instead of after it (a second on a slow
// connection); its failure is then the model's (openSession). onnxruntime-web always starts
// this way (warmup).
async function init({ backend: name, threads = null, background = false }) {
  if (runtime) throw new Error('the worker is already initialised; start a new worker to change backend');
  runtime = RUNTIMES[name];
  if (!runtime) throw new Error(`unknown backend ${name}`);
  // two threads need SharedArrayBuffer, which only a cross-origin isolated page has
  const numThreads = threads === 1 || !self.crossOriginIsolated ? 1 : 2;
  if (name === 'litert') {
    backend = name;
    // two threads (its threaded build) need cross-origin isolation, as onnxruntime-web's do
    const loading = loadLiteRt(numThreads, { startLimitMs: THREADS_START_S * 1000 }).then((rt) => {
      ort = rt;
    });
    if (background) {
      warmup = loading.catch((err) => {
        warmupError = err;
      });
      return { diagnostics: diagnostics() };
    }
    try {
      await loading;
    } catch (err) {
      throw litertError(err);
    }
    return { diagnostics: diagnostics() };
  }
  try {
    ort = await import(new URL(runtime.module, VENDOR).href);
  } catch (err) {
    throw new ModelError(ERROR_KIND.RUNTIME, `The onnxruntime-web runtime (${runtime.module}) failed to load: ${err.message}`);
  }
  backend = name;
  ort.env.wasm.wasmPaths = VENDOR.href; // the .mjs/.wasm pair comes from the site itself
  ort.env.wasm.numThreads = numThreads;
  ort.env.logLevel = 'error';
  // onnxruntime-web fetches and compiles its .wasm only for the first session; start that now,
  // while the reader picks a photo, so that it overlaps the model's download instead of
  // following it (benchmarks/run.py measures the cold start this shortens)
  // The page may be fetching the .wasm already: then onnxruntime-web takes its bytes rather
  // than fetch the file a second time (it compiles them once they are all here, while the
  // model, which is larger, still downloads).
  // With the plain build, the worker holds the .wasm's bytes before the runtime starts (the
  // page's, or fetched here), so that the time limit on starting the threads never counts a
  // slow download. The WebGPU build fetches its own, larger, file: no limit there.
  warmup = (name === 'wasm' ? wasmBytes() : Promise.resolve(null))
    .then((wasm) => {
      if (!wasm) return;
      ort.env.wasm.wasmBinary = wasm;
      if (numThreads > 1) ort.env.wasm.initTimeout = THREADS_START_S * 1000;
    })
    .then(() => ort.InferenceSession.create(WARMUP_MODEL, { executionProviders: ['wasm'] }))
    .then((s) => s.release())
    .catch((err) => {
      warmupError = err; // reported by the real model's load
    });
  return { diagnostics: diagnostics() };
}

// The plain build's .wasm: the page's bytes, else fetched here; null when neither works
// (onnxruntime-web then fetches it itself, and says why it cannot)
async function wasmBytes() {
  try {
    const fromPage = await (await takeHandOver(ORT_WASM))?.arrayBuffer();
    if (fromPage) {
      wasmFromPage = ORT_WASM;
      return fromPage;
    }
  } catch {
    // a broken hand-over: fetched here instead
  }
  try {
    const response = await fetch(ORT_WASM);
    return response.ok ? await response.arrayBuffer() : null;
  } catch {
    return null;
  }
}

async function releaseSession() {
  lastMaps = null;
  if (!session) return;
  const old = session;
  session = null;
  sessionLabel = null;
  sessionFile = null;
  sessionFileNote = null;
  await old.release();
  sessionsOpen--;
}

const fileName = (url) => new URL(url).pathname.split('/').pop();

async function openSession(file, id) {
  const got = await getModel(file, (received, total) => post({ type: MSG.PROGRESS, id, received, total }), takeHandOver(file.url));
  await warmup;
  if (backend === 'litert' && warmupError) throw litertError(warmupError);
  if (/due to timeout/.test(warmupError?.message ?? '')) {
    throw new ModelError(ERROR_KIND.THREADS, `onnxruntime-web's second thread did not start within ${THREADS_START_S} s.`);
  }
  const t0 = performance.now();
  const created = await ort.InferenceSession.create(got.bytes, {
    executionProviders: runtime.providers,
    ...SESSION_OPTIONS,
  });
  return { created, got, sessionMs: performance.now() - t0, file: fileName(file.url) };
}

async function loadModel(msg, id) {
  // the previous session goes first: a failed load must not leave the old model answering
  await releaseSession();
  // LiteRT.js opens the model's .tflite copy, verified like every file
  if (backend === 'litert') {
    if (!msg.tflite) throw new ModelError(ERROR_KIND.SESSION, `${msg.label} has no LiteRT (.tflite) copy in this build.`);
    msg = { ...msg, ...msg.tflite, optimized: null };
  }
  // The WebAssembly backend takes the pre-optimized file when there is one: the same model,
  // opened without the QDQ fusion that costs about half a second (benchmarks/run.py). If this
  // runtime cannot open it (a newer onnxruntime wrote it), the portable file still can. A
  // download or checksum failure (ModelError) is reported as it is: the other file would
  // fare no better.
  let opened = null;
  let note = null;
  if (backend === 'wasm' && msg.optimized) {
    try {
      opened = await openSession({ ...msg, ...msg.optimized }, id);
      note = 'pre-optimized for onnxruntime-web';
    } catch (err) {
      if (err instanceof ModelError) throw err;
      note = 'portable file, after the pre-optimized one failed';
    }
  }
  if (!opened) {
    try {
      opened = await openSession(msg, id);
    } catch (err) {
      if (err instanceof ModelError) throw err;
      const name = backend === 'litert' ? 'LiteRT.js' : 'onnxruntime';
      throw new ModelError(ERROR_KIND.SESSION, `${name} could not open ${msg.label}: ${err.message || err}`);
    }
  }
  session = opened.created;
  sessionsOpen++;
  sessionLabel = msg.label;
  sessionFile = opened.file;
  sessionFileNote = note;
  const { got } = opened;
  return {
    fromCache: got.fromCache,
    bytes: got.bytes.length,
    timings: { downloadMs: got.downloadMs, verifyMs: got.verifyMs, sessionMs: opened.sessionMs },
    diagnostics: diagnostics(),
  };
}

// One run on a blank input, and one resize of a blank photo: WebAssembly and JavaScript start
// on quickly compiled code and get their optimised code only once they have run for a while,
// so the very first inference is several times slower than the next. The page asks for this
// after preloading a model, if no photo has arrived yet. The results are thrown away.
const WARM_PHOTO = { width: 400, height: 300 };

async function warmUp({ inputName, inputShape, preprocess: p }) {
  if (!session) throw new ModelError(ERROR_KIND.NO_MODEL, 'No model is loaded.');
  const t0 = performance.now();
  const { width, height } = WARM_PHOTO;
  preprocess(new Uint8Array(width * height * 4), width, height, 4, p);
  const input = new ort.Tensor('float32', new Float32Array(inputShape.reduce((a, b) => a * b, 1)), inputShape);
  const outputs = await session.run({ [inputName]: input });
  for (const t of Object.values(outputs)) t.dispose();
  input.dispose();
  return { warmupMs: performance.now() - t0 };
}

// The benchmark's fixed input (benchmarks/benchworker.js): not zeros, so no kernel can take a
// shortcut on them; the weights and the input do not change how long a run takes.
function fixedInput(shape) {
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) data[i] = Math.sin(i * 0.001) * 2;
  return data;
}

async function timeRuns({ inputName, inputShape, warmup, runs, budgetMs }) {
  if (!session) throw new ModelError(ERROR_KIND.NO_MODEL, 'No model is loaded.');
  const input = new ort.Tensor('float32', fixedInput(inputShape), inputShape);
  const once = async () => {
    const t0 = performance.now();
    const outputs = await session.run({ [inputName]: input });
    const ms = performance.now() - t0;
    for (const t of Object.values(outputs)) t.dispose();
    return ms;
  };
  try {
    // the first run pays for allocations and first-touch of the weights: reported, not pooled
    const firstRunMs = await once();
    for (let i = 1; i < warmup; i++) await once();
    const runsMs = [];
    const start = performance.now();
    while (runsMs.length < runs && (runsMs.length < 3 || performance.now() - start < budgetMs)) runsMs.push(await once());
    return { runsMs, firstRunMs };
  } finally {
    input.dispose();
  }
}

// `cam`: the names of the model's map outputs (manifest: cam.outputs), or null when it has
// none. The file computes the maps in every run (a fraction of a percent of its work); they are
// kept here, and turned into a picture only when the page asks (MAP).
async function classify({ preprocess: p, inputName, outputName, cam = null }) {
  if (!session) throw new ModelError(ERROR_KIND.NO_MODEL, 'No model is loaded.');
  if (!image) throw new ModelError(ERROR_KIND.NO_IMAGE, 'No image has been given.');
  lastMaps = null;
  const t0 = performance.now();
  const { data, dims } = preprocess(image.pixels, image.width, image.height, image.channels, p);
  const t1 = performance.now();
  const input = new ort.Tensor('float32', data, dims);
  const outputs = await session.run({ [inputName]: input });
  const t2 = performance.now();
  const logits = Float32Array.from(outputs[outputName].data);
  const maps = cam ? outputs[cam.maps] : null;
  if (maps) {
    const [, count, h, w] = maps.dims;
    lastMaps = {
      maps: Float32Array.from(maps.data),
      classes: Array.from(outputs[cam.classes].data, Number),
      count,
      h,
      w,
      label: sessionLabel,
    };
  }
  for (const t of Object.values(outputs)) t.dispose();
  input.dispose();
  return {
    logits,
    mapClasses: lastMaps ? lastMaps.classes : null,
    timings: { preprocessMs: t1 - t0, inferenceMs: t2 - t1 },
    transfer: [logits.buffer],
  };
}

// The map of one of the last classification's classes, upsampled to size x size (the model's
// input grid), scaled to 0..1, coloured, and described in words.
function classMap({ classIndex, size }) {
  if (!lastMaps) throw new ModelError(ERROR_KIND.NO_MAP, 'There is no map: classify an image with a model that has one first.');
  const row = lastMaps.classes.indexOf(classIndex);
  if (row < 0) {
    throw new ModelError(ERROR_KIND.NO_MAP, `The model made maps for its ${lastMaps.count} most probable classes only, not for class ${classIndex}.`);
  }
  const t0 = performance.now();
  const { h, w } = lastMaps;
  const low = lastMaps.maps.subarray(row * h * w, (row + 1) * h * w);
  const grid = normalize(upsample(low, h, w, size, size));
  const rgba = colorize(grid);
  const description = describe(grid, size, size);
  return {
    classIndex,
    model: lastMaps.label,
    lowRes: [h, w],
    width: size,
    height: size,
    grid,
    rgba,
    ...description,
    mapMs: performance.now() - t0,
    transfer: [grid.buffer, rgba.buffer],
  };
}

async function handle(msg) {
  switch (msg.type) {
    case MSG.INIT:
      return init(msg);
    case MSG.LOAD_MODEL:
      return loadModel(msg, msg.id);
    case MSG.WARM_UP:
      return warmUp(msg);
    case MSG.SET_IMAGE:
      image = { pixels: msg.pixels, width: msg.width, height: msg.height, channels: msg.channels };
      lastMaps = null;
      return {};
    case MSG.CLASSIFY:
      return classify(msg);
    case MSG.MAP:
      return classMap(msg);
    case MSG.TIME_RUNS:
      return timeRuns(msg);
    default:
      throw new Error(`unknown message type ${msg.type}`);
  }
}

let queue = Promise.resolve();
self.onmessage = ({ data: msg }) => {
  // a hand-over is no request: it is taken at once, whatever the queue is doing, by the
  // request that waits for it; and the files INIT announces are expected from now on, not
  // from when INIT's turn comes, so that none arrives unexpected
  if (msg.type === MSG.HAND_OVER) {
    receiveHandOver(msg);
    return;
  }
  if (msg.type === MSG.INIT) expectHandOver(msg.handOver);
  queue = queue.then(async () => {
    try {
      const { transfer = [], ...result } = (await handle(msg)) ?? {};
      post({ type: MSG.DONE, id: msg.id, ...result }, transfer);
    } catch (err) {
      const kind = err instanceof ModelError ? err.kind : ERROR_KIND.RUNTIME;
      post({ type: MSG.FAILED, id: msg.id, error: { kind, message: err.message || String(err) } });
    }
  });
};
