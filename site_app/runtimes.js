// The two runtimes a worker can run a model with, one object each: what the page shows of
// them and which of a model's files each opens. `id` is the one name a runtime has on the
// page: the radio's value, the comparison table's data-runtime and the address's ?backend=
// (where the default runtime is left out).
//
// onnxruntime-web runs on WebAssembly or, if the reader opts in, WebGPU: `backend(webgpu)` is
// the worker's INIT backend (messages.js). LiteRT.js opens a variant's .tflite copy (fp32 and
// int8), where `make tflite` made one.

const ORT = {
  id: 'ort',
  label: 'onnxruntime-web',
  latencyLabel: 'onnxruntime', // the export machine's latency in the model card
  missing: 'No ONNX file of this model in this build', // the picker's tooltip on a model it cannot open
  hasMaps: true, // the ONNX files carry the class activation maps' outputs
  backend: (webgpu) => (webgpu ? 'webgpu' : 'wasm'),
  // the manifest lists each model's variants in the exporter's order (fp32, fp16, int8)
  variants: (entry) => Object.keys(entry.variants),
  // the file behind a variant's figures in the model card
  file: (entry, variant) => entry.variants[variant],
  fileKind: (variant) => variant,
  // what choosing a variant downloads: the WebAssembly backend opens the pre-optimized copy
  downloadFile: (entry, variant, webgpu) => {
    const v = entry.variants[variant];
    return !webgpu && v.optimized ? v.optimized : v;
  },
};

const LITERT = {
  id: 'litert',
  label: 'LiteRT.js',
  latencyLabel: 'LiteRT',
  missing: 'No LiteRT (.tflite) copy in this build',
  hasMaps: true, // the .tflite files carry the same map outputs (export/tflite.py)
  backend: () => 'litert',
  // in the exporter's order, as the ONNX variants
  variants: (entry) => Object.keys(entry.variants).filter((v) => entry.variants[v].tflite),
  file: (entry, variant) => entry.variants[variant].tflite,
  fileKind: (variant) => `${variant} .tflite`,
  downloadFile: (entry, variant) => entry.variants[variant].tflite,
};

export const RUNTIMES = Object.freeze({ ort: ORT, litert: LITERT });
// The runtime a reader gets without choosing one. The build writes it into the classifier page
// (data-default-runtime, hooks/shortcodes.py default_runtime): LiteRT.js where the default model
// has an int8 .tflite file, as it answers several times sooner with the int8 files
// (benchmarks.md), else onnxruntime-web. (The only DOM this module reads.)
export const DEFAULT_RUNTIME = RUNTIMES[globalThis.document?.getElementById('lwm-classifier')?.dataset.defaultRuntime] ?? ORT;

// a runtime can open a model when the model classifies and the runtime has a file of it
export const canOpen = (runtime, entry) => Boolean(entry.pretrained) && runtime.variants(entry).length > 0;

// the CPU runtime the page is not running (the comparison's second worker)
export const otherRuntime = (runtime) => (runtime === ORT ? LITERT : ORT);

// why a model's answer comes without a map with this runtime
export function noMapReason(runtime, entry) {
  if (!runtime.hasMaps) return runtime.noMaps;
  const cam = entry.cam;
  return cam?.kind ? 'the model file gave none' : cam?.reason ?? 'this export has no maps';
}
