// LiteRT.js (Google's LiteRT, formerly TensorFlow Lite, in WebAssembly) behind the part of
// onnxruntime-web's API that the workers use: InferenceSession.create, session.run and
// release, Tensor and env.wasm.numThreads. worker.js (the classifier) and
// benchmarks/benchworker.js (the benchmark) then load, run, warm up and time either runtime
// with the same code, and so the same configuration. No DOM. Inputs and outputs are named as
// in the ONNX files (export/tflite.py gives the .tflite signature the manifest's names).
//
// LiteRT.js is written for a page's main thread. In a module worker it needs three things:
// - its loader runs the Emscripten .js with importScripts(), which module workers refuse:
//   importScripts is replaced, before loading, by a synchronous same-origin fetch evaluated
//   as a classic script (what importScripts does);
// - the Emscripten code finds its .wasm (and, threaded, the script each thread runs) next to
//   the *worker's* script unless told: self.Module gives it locateFile and mainScriptUrlOrBlob;
// - it creates a WebGPU device for every load, which this CPU backend never uses: the worker
//   hides navigator.gpu while it loads, so no GPU is woken (LiteRT.js then logs one warning).

// the npm package bundled by the site's build (site_app/bundles/litert.js), and its builds
const VENDOR = new URL('../vendor/litertjs/', import.meta.url);
const WASM_DIR = new URL('wasm/', VENDOR);

// loadLiteRt picks the file: threads need relaxed SIMD and cross-origin isolation; without
// relaxed SIMD (browsers other than Chromium's, for now) it takes the "compat" build
const BUILDS = Object.freeze({
  threaded: 'litert_wasm_threaded_internal.js',
  relaxed: 'litert_wasm_internal.js',
  compat: 'litert_wasm_compat_internal.js',
});

// wasm-feature-detect's relaxed-SIMD probe (i32x4.relaxed_trunc_f32x4_s), as LiteRT.js uses
const RELAXED_SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 15, 1, 13, 0, 65, 1, 253, 15, 65, 2, 253,
  15, 253, 128, 2, 11,
]);

let lib = null; // the bundled npm module, once loaded
let runtime = null; // what loadLiteRt returns

function classicImportScripts(...urls) {
  for (const url of urls) {
    const xhr = new XMLHttpRequest();
    xhr.open('GET', url, false); // synchronous, as importScripts is; allowed in workers
    xhr.send();
    if (xhr.status !== 200) throw new Error(`${url}: HTTP ${xhr.status}`);
    (0, eval)(`${xhr.responseText}\n//# sourceURL=${url}`); // global scope, as a classic script
  }
}

// LiteRT's C++ logs every step at INFO through stderr, which Emscripten prints as console
// errors, and warns at every load that it has no NPU plugin (a browser has none): keep the
// other warnings and errors, as warnings (a real failure is also thrown)
function printErr(text) {
  if (!/^INFO: |NPU accelerator could not be loaded/.test(text)) console.warn(`LiteRT: ${text}`);
}

export const hasRelaxedSimd = () => WebAssembly.validate(RELAXED_SIMD_PROBE);

// The threaded build's threads are workers of this worker, and the runtime waits until they
// have all started, as onnxruntime-web's does (worker.js, THREADS_START_S): loadLiteRt's
// `startLimitMs` bounds that wait, counted once the WebAssembly is here.
export class ThreadsDidNotStart extends Error {}

function within(promise, ms) {
  let timer;
  const late = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new ThreadsDidNotStart(`its threads did not start within ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

// onnxruntime-web's Tensor, as far as the workers use it: float32 data, dims, dispose()
class Tensor {
  constructor(type, data, dims) {
    if (type !== 'float32') throw new Error(`LiteRT.js here takes float32 tensors, not ${type}`);
    Object.assign(this, { type, data, dims });
  }

  dispose() {}
}

// A compiled .tflite model with onnxruntime-web's run({name: Tensor}) -> {name: Tensor}
class Session {
  constructor(model) {
    this.model = model;
  }

  async run(feeds) {
    const inputs = Object.fromEntries(Object.entries(feeds).map(([name, t]) => [name, new lib.Tensor(t.data, t.dims)]));
    try {
      const outputs = await this.model.run(inputs);
      try {
        return Object.fromEntries(
          Object.entries(outputs).map(([name, t]) => [name, new Tensor('float32', Float32Array.from(t.toTypedArray()), [...t.type.layout.dimensions])]),
        );
      } finally {
        for (const t of Object.values(outputs)) t.delete();
      }
    } finally {
      for (const t of Object.values(inputs)) t.delete();
    }
  }

  async release() {
    this.model.delete();
  }
}

// Loads LiteRT.js once, with `threads` threads where the page allows them, and returns it
// shaped as onnxruntime-web's module, plus what the diagnostics show: {version, build,
// relaxedSimd}. Options of InferenceSession.create are onnxruntime-web's and are ignored.
// With `startLimitMs`, the threaded build's WebAssembly is fetched first, and its threads then
// get that long to start, or the load fails with ThreadsDidNotStart.
export async function loadLiteRt(threads, { startLimitMs = 0 } = {}) {
  if (runtime) return runtime;
  const relaxedSimd = hasRelaxedSimd();
  const threaded = threads > 1 && relaxedSimd && self.crossOriginIsolated === true;
  const build = threaded ? BUILDS.threaded : relaxedSimd ? BUILDS.relaxed : BUILDS.compat;
  self.importScripts = classicImportScripts;
  self.Module = {
    locateFile: (path) => new URL(path, WASM_DIR).href,
    mainScriptUrlOrBlob: new URL(build, WASM_DIR).href,
    printErr,
  };
  const gpu = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(navigator), 'gpu');
  if (gpu) Object.defineProperty(navigator, 'gpu', { value: undefined, configurable: true });
  const limited = threaded && startLimitMs > 0;
  if (limited) {
    // the limit must not count a slow download: the bytes first (Emscripten takes them from Module)
    const response = await fetch(new URL(build.replace(/\.js$/, '.wasm'), WASM_DIR));
    if (!response.ok) throw new Error(`${build.replace(/\.js$/, '.wasm')}: HTTP ${response.status}`);
    self.Module.wasmBinary = await response.arrayBuffer();
  }
  try {
    lib = await import(new URL('litert.mjs', VENDOR).href);
    const loading = lib.loadLiteRt(WASM_DIR.href, threaded ? { threads: true } : {});
    await (limited ? within(loading, startLimitMs) : loading);
  } finally {
    if (gpu) delete navigator.gpu; // the prototype's getter again
  }
  const numThreads = threaded ? threads : 1;
  runtime = {
    version: lib.version,
    build,
    relaxedSimd,
    env: { wasm: { numThreads } },
    Tensor,
    InferenceSession: {
      create: async (bytes) => new Session(await lib.loadAndCompile(bytes, { accelerator: 'wasm', cpuOptions: { numThreads } })),
    },
  };
  return runtime;
}
