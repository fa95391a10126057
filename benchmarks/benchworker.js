// The benchmark's module worker (benchmarks/latency.py drives it from headless Chromium).
//
// It is not part of the site: the benchmark copies it beside the files it makes for the run
// (site/_bench/, removed at the end), where ../vendor/ is the site's onnxruntime-web. It times
// onnxruntime-web's session.run alone, on a fixed input, so that its figures compare with
// native onnxruntime's (export/measure.py) and not with decoding, resizing or posting messages. A worker measures
// one configuration: onnxruntime-web's environment (threads) is fixed once per worker.
//
// The same code times LiteRT.js (runtime 'litert') on a model's .tflite copy, loaded as the
// classifier loads it (../app/litert.js, shaped as onnxruntime-web): its relaxed-SIMD build
// for 1 thread, its threaded build for 2.
//
// request  {runtime: 'ort' | 'litert', modelUrl, inputName, inputShape, threads, warmup, runs,
//           budgetMs, options}
// answer   {ok: true, times: [ms…], runtimeMs, sessionMs, firstRunMs, threads, crossOriginIsolated,
//           version, build}
//          {ok: false, error}

import { loadLiteRt } from '../app/litert.js';

// onnxruntime-web's profiler (request {profile: true}) prints its events to this worker's
// console, one JSON object a line, through a console.log the runtime takes when it loads:
// so the console is wrapped before, and the lines that parse as kernel events are kept.
const profileLines = [];
let keepProfile = false;
const consoleLog = console.log.bind(console);
console.log = (...args) => {
  if (keepProfile && args.length === 1 && typeof args[0] === 'string') profileLines.push(args[0]);
  else consoleLog(...args);
};

function kernelEvents() {
  const events = [];
  for (const line of profileLines.splice(0)) {
    try {
      const e = JSON.parse(line.trim().replace(/,$/, ''));
      if (e.cat === 'Node' && e.name?.endsWith('_kernel_time')) {
        events.push({ node: e.name.slice(0, -'_kernel_time'.length), op: e.args?.op_name ?? '', us: e.dur });
      }
    } catch {
      // not an event (the profile's opening and closing brackets)
    }
  }
  return events;
}

const VENDOR = new URL('../vendor/onnxruntime-web/', import.meta.url);
const ORT_BUILD = 'ort-wasm-simd-threaded.wasm'; // the one file of onnxruntime-web's npm package it runs

// A fixed, deterministic input: the same numbers on every run and every machine, in the
// range the preprocessing produces. Its values do not change the work a CNN does.
function fixedInput(shape) {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = Math.sin(i * 0.001) * 2;
  return data;
}

async function loadOrt(threads) {
  const ort = await import(new URL('ort.wasm.min.mjs', VENDOR).href);
  ort.env.wasm.wasmPaths = VENDOR.href;
  ort.env.wasm.numThreads = threads;
  ort.env.logLevel = 'error';
  return ort;
}

async function bench({ runtime = 'ort', modelUrl, inputName, inputShape, threads, warmup, runs, budgetMs, options, profile = false }) {
  // LiteRT.js compiles its WebAssembly here; onnxruntime-web with its first session (sessionMs)
  const r0 = performance.now();
  const ort = runtime === 'litert' ? await loadLiteRt(threads) : await loadOrt(threads);
  const runtimeMs = performance.now() - r0;
  const response = await fetch(new URL(modelUrl, self.location.href));
  if (!response.ok) throw new Error(`${modelUrl}: HTTP ${response.status}`);
  const bytes = new Uint8Array(await response.arrayBuffer());
  const t0 = performance.now();
  if (profile && runtime !== 'ort') throw new Error('only onnxruntime-web has a profiler here');
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], ...options, enableProfiling: profile });
  keepProfile = profile;
  const sessionMs = performance.now() - t0;
  const input = new ort.Tensor('float32', fixedInput(inputShape), inputShape);
  const once = async () => {
    const outputs = await session.run({ [inputName]: input });
    for (const t of Object.values(outputs)) t.dispose();
  };
  // the first run pays for allocations and first-touch of the weights: part of a cold start
  const f0 = performance.now();
  await once();
  const firstRunMs = performance.now() - f0;
  for (let i = 1; i < warmup; i++) await once();
  // at least 3 timed runs; then stop at `runs` or when the time budget is spent (ResNet-50)
  const times = [];
  const start = performance.now();
  while (times.length < runs && (times.length < 3 || performance.now() - start < budgetMs)) {
    const a = performance.now();
    await once();
    times.push(performance.now() - a);
  }
  let events = null;
  if (profile) {
    session.endProfiling();
    keepProfile = false;
    events = kernelEvents();
  }
  await session.release();
  return {
    events, // with `profile`: every kernel's time in every run (warm-up and first run included)
    ok: true,
    times,
    runtimeMs,
    sessionMs,
    firstRunMs,
    threads: ort.env.wasm.numThreads,
    crossOriginIsolated: self.crossOriginIsolated === true,
    version: (runtime === 'litert' ? ort.version : ort.env.versions?.web) ?? null,
    build: runtime === 'litert' ? ort.build : ORT_BUILD,
  };
}

self.onmessage = async ({ data }) => {
  try {
    self.postMessage(await bench(data));
  } catch (err) {
    self.postMessage({ ok: false, error: err?.message || String(err) });
  }
};
