// The manifest (build/models/models.json, served as <site>/models/models.json) and what the
// pages ask the worker for: where a model file is and how LOAD_MODEL names it. The classifier
// and the Benchmarks page's "How fast is it here?" both import this, so both ask the worker
// for the same files in the same way. No DOM.
//
// Every URL is relative to this module (<site>/app/manifest.js), so the site works under any
// sub-path.

import { MSG } from './messages.js';

export const SITE = new URL('../', import.meta.url);
export const MANIFEST_URL = new URL('models/models.json', SITE);
export const WORKER_URL = new URL('worker.js', import.meta.url);

// int8 is the smallest download, and the export holds it to the int8 agreement targets
export const DEFAULT_VARIANT = 'int8';

// Rejects with a sentence a reader can act on.
export async function loadManifest() {
  let response;
  try {
    response = await fetch(MANIFEST_URL);
  } catch (err) {
    throw new Error(`The list of models (${MANIFEST_URL.pathname}) could not be loaded: ${err.message}.`);
  }
  if (!response.ok) throw new Error(`The list of models (${MANIFEST_URL.pathname}) could not be loaded: HTTP ${response.status}.`);
  return response.json();
}

// a file of the manifest ({file, sha256, bytes}) as the worker fetches and checks it
export const fileRef = (f) => (f ? { url: new URL(`models/${f.file}`, SITE).href, sha256: f.sha256, bytes: f.bytes } : null);

export const siteUrl = (path) => new URL(path, SITE).href;

// the paper's name from the manifest (display_name); the registry key if an older export lacks it
export const displayName = (manifest, key) => manifest.models[key].display_name ?? key;
export const modelLabel = (manifest, key, variant) => `${displayName(manifest, key)} (${variant})`;
export const pretrainedKeys = (manifest) => Object.keys(manifest.models).filter((k) => manifest.models[k].pretrained);

// LOAD_MODEL's payload: the variant's file and the other files of the same model; the worker
// picks the one its backend opens (worker.js, loadModel)
export function loadRequest(manifest, key, variant) {
  const v = manifest.models[key].variants[variant];
  return {
    ...fileRef(v),
    label: modelLabel(manifest, key, variant),
    // the same model with onnxruntime's graph optimizations already applied (int8): the
    // WebAssembly backend opens it without the costly QDQ fusion; WebGPU needs the QDQ file
    optimized: fileRef(v.optimized),
    // the same model as LiteRT's flatbuffer, for LiteRT.js
    tflite: fileRef(v.tflite),
  };
}

// LOAD_MODEL on `client` (a WorkerClient), with download progress
export const loadModel = (client, manifest, key, variant, onProgress) =>
  client.request(MSG.LOAD_MODEL, loadRequest(manifest, key, variant), { onProgress });
