// The model picker and the model card: the models (the classifiers as a row of choices, the
// untrained ones folded away), the chosen model's variants with their download sizes, the
// runtime radios, and the card of the chosen file. The address keeps the choice shareable.

import { el, entryOf, link, nameOf, state, tableRows } from './appstate.js';
import { make } from './dom.js';
import { fmtBytes, fmtCount, fmtMs, fmtPct, fmtPublishedPct } from './format.js';
import { DEFAULT_VARIANT, pretrainedKeys } from './manifest.js';
import { canOpen, DEFAULT_RUNTIME, RUNTIMES } from './runtimes.js';

const variantsOf = (key) => state.runtime.variants(entryOf(key));
const canRun = (key) => canOpen(state.runtime, entryOf(key));

// "mobilenet_v2: no pretrained weights found; download from ... failed (...)" -> "no pretrained weights found"
function shortReason(entry) {
  const reason = entry.weights?.missing_reason || 'exported without pretrained weights';
  return reason.replace(/^[\w.-]+:\s*/, '').split(/;|\s\(|\.\s/)[0];
}

// The classifiers first, as a compact row of choices; the untrained models after them, in the
// same radio group but folded away in a <details> (disabled, each with its reason): visible to
// whoever looks for them, out of the way of the reader who came to classify a photo.
// `onChoice` runs after the reader picks a model or a variant.
export function buildModelPicker(onChoice) {
  let untrained = 0;
  for (const [key, entry] of Object.entries(state.manifest.models)) {
    const input = make('input', { type: 'radio', name: 'lwm-model', value: key, disabled: !entry.pretrained });
    const text = entry.pretrained ? nameOf(key) : `${nameOf(key)} (untrained in this build: ${shortReason(entry)})`;
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
    onChoice();
  });
  el.variants.addEventListener('change', (event) => {
    selectModel(state.key, event.target.value);
    onChoice();
  });
}

// a runtime opens some models only (LiteRT.js: those with a .tflite copy, none when `make
// tflite` has not run)
export function refreshPicker() {
  for (const input of el.models.querySelectorAll('input')) {
    const entry = entryOf(input.value);
    if (!entry.pretrained) continue;
    input.disabled = !canRun(input.value);
    input.parentElement.title = input.disabled ? state.runtime.missing : '';
  }
}

export function selectModel(key, variant) {
  const variants = variantsOf(key);
  state.key = key;
  state.variant = variants.includes(variant) ? variant : variants.includes(DEFAULT_VARIANT) ? DEFAULT_VARIANT : variants[0];
  for (const input of el.models.querySelectorAll('input')) input.checked = input.value === key;
  const entry = entryOf(key);
  el.variants.replaceChildren(
    make('legend', {}, 'Variant'),
    ...variants.map((v) =>
      make(
        'label',
        {},
        make('input', { type: 'radio', name: 'lwm-variant', value: v, checked: v === state.variant }),
        ` ${v} · ${fmtBytes(state.runtime.downloadFile(entry, v, state.gpu).bytes)}`,
      ),
    ),
  );
  renderCard();
  // keep the address shareable: ?model=<key>&variant=<v>, and &backend=<runtime> unless the default
  const url = new URL(location.href);
  url.searchParams.set('model', key);
  url.searchParams.set('variant', state.variant);
  if (state.runtime !== DEFAULT_RUNTIME) url.searchParams.set('backend', state.runtime.id);
  else url.searchParams.delete('backend');
  history.replaceState(null, '', url);
}

// the model the address asks for, the variant, and a note when it cannot be had
export function initialChoice() {
  const params = new URLSearchParams(location.search);
  const wanted = params.get('model');
  const models = state.manifest.models;
  const fallback = pretrainedKeys(state.manifest)[0];
  if (wanted && !(wanted in models)) return [fallback, params.get('variant'), `There is no model called “${wanted}” in this build; ${nameOf(fallback)} is selected instead.`];
  if (wanted && !models[wanted].pretrained) {
    return [fallback, params.get('variant'), `${nameOf(wanted)} is untrained in this build (${shortReason(models[wanted])}), so it cannot classify; ${nameOf(fallback)} is selected instead.`];
  }
  return [wanted || fallback, params.get('variant'), null];
}

// the address's runtime (?backend=litert): a shared address keeps the reader's runtime
export const wantedRuntime = () => RUNTIMES[new URLSearchParams(location.search).get('backend')] ?? DEFAULT_RUNTIME;

export function showRuntime(runtime) {
  el.runtimes.querySelector(`input[value="${runtime.id}"]`).checked = true;
}

// the runtime the radios ask for, and whether on WebGPU
export function chosenRuntime() {
  const runtime = RUNTIMES[el.runtimes.querySelector('input:checked')?.value] ?? DEFAULT_RUNTIME;
  return { runtime, gpu: runtime === RUNTIMES.ort && el.webgpu.checked };
}

// WebGPU is onnxruntime-web's, and only where the browser has a usable adapter
export function offerWebgpu() {
  el.webgpu.disabled = state.webgpu !== 'yes' || state.runtime !== RUNTIMES.ort;
}

// the chosen model, or the first that runs, where it exists
export function selectFirstRunnable(key, variant) {
  selectModel(canRun(key) ? key : (pretrainedKeys(state.manifest).find(canRun) ?? key), variant);
}

// after a runtime change: the models and variants that runtime can open
export function fitChoice() {
  refreshPicker();
  offerWebgpu();
  const key = canRun(state.key) ? state.key : pretrainedKeys(state.manifest).find(canRun);
  if (key) selectModel(key, state.variant);
}

export function renderCard() {
  const entry = entryOf(state.key);
  const rt = state.runtime;
  const v = rt.file(entry, state.variant);
  const published = entry.weights?.published;
  const latency = (threads) => (v.latency_ms?.[threads] ? fmtMs(v.latency_ms[threads].median_ms) : '—');
  const rows = [
    ['Parameters', `${fmtCount(entry.params)} (${entry.params.toLocaleString('en')})`],
    ['Multiply-accumulates per image', fmtCount(entry.macs)],
    ['Depth (conv and linear layers on the longest path)', String(entry.depth)],
    ['Input', `${entry.preprocess.input_size} × ${entry.preprocess.input_size} pixels, ${entry.preprocess.interpolation}, ${entry.preprocess.resize_mode.replaceAll('_', ' ')}`],
    [`File (${rt.fileKind(state.variant)})`, `${fmtBytes(v.bytes)}; ${fmtBytes(v.gzip_bytes)} gzipped`],
    ['Peak activation memory', fmtBytes(entry.variants[state.variant].activation_memory_bytes)],
    [
      `Top-1 agreement with PyTorch fp32 (${v.validation.images} validation images)`,
      fmtPct(v.validation.top1_agreement),
    ],
    [`Export machine latency, ${rt.latencyLabel} CPU (1 / 2 threads, median)`, `${latency('1')} / ${latency('2')}`],
  ];
  if (published?.top1 != null) {
    rows.push(['Published ImageNet top-1', make('span', {}, `${fmtPublishedPct(published.top1)} (`, link(published.citation), ')')]);
  }
  if (entry.weights?.paper) rows.push(['Paper', link(entry.weights.paper)]);
  if (entry.weights?.license) rows.push(['Weights licence', entry.weights.license]);
  tableRows(el.card, rows);
}
