// The Benchmarks page's "How fast is it here?": times the selected model files in the reader's
// browser with the classifier's own worker (worker.js, through workerclient.js) and plots the
// medians against MACs beside our machine's, which the page carries inline
// (hooks/lwm_bench.py, part "device"). This module only touches the DOM.
//
// Nothing is fetched and no worker starts until the reader presses the button: until then
// this module only wires the controls.

import { fmtCount, fmtMs } from './format.js';
import { displayName, loadManifest, loadModel, modelLabel, WORKER_URL } from './manifest.js';
import { MSG } from './messages.js';
import { WorkerClient } from './workerclient.js';
import { make } from './dom.js';

// ---------------------------------------------------------------------------------------
// DOM references
// ---------------------------------------------------------------------------------------
const $ = (id) => document.getElementById(id);
const el = {
  ours: $('lwm-device-ours'),
  picker: document.querySelector('#lwm-device fieldset'),
  run: $('lwm-device-run'),
  stop: $('lwm-device-stop'),
  progress: $('lwm-device-progress'),
  status: $('lwm-device-status'),
  error: $('lwm-device-error'),
  results: $('lwm-device-results'),
  figure: $('lwm-device-figure'),
  body: $('lwm-device-table').tBodies[0],
  download: $('lwm-device-download'),
};

// as benchmarks/run.py times the browser (results.json "method"), so the figures compare
const TIMING = { warmup: 3, runs: 10, budgetMs: 4000 };

const ours = JSON.parse(el.ours.textContent);
const state = { client: null, diagnostics: null, manifest: null, running: false, stopAsked: false, results: [], url: null };

// median and p90 as export/measure.py takes them, to the microsecond
const round3 = (x) => Math.round(x * 1000) / 1000;
function summarize(runsMs) {
  const t = [...runsMs].sort((a, b) => a - b);
  const mid = t.length >> 1;
  const median = t.length % 2 ? t[mid] : (t[mid - 1] + t[mid]) / 2;
  return { median_ms: round3(median), p90_ms: round3(t[Math.floor(0.9 * (t.length - 1))]), runs: t.length };
}

// ---------------------------------------------------------------------------------------
// Running
// ---------------------------------------------------------------------------------------
async function startWorker() {
  if (state.client) return;
  const client = new WorkerClient(WORKER_URL);
  const reply = await client.request(MSG.INIT, { backend: 'wasm' });
  state.client = client;
  state.diagnostics = reply.diagnostics;
}

async function ensureManifest() {
  state.manifest ??= await loadManifest();
}

async function timeOne(key, variant, onProgress) {
  const entry = state.manifest.models[key];
  // the classifier's own request (manifest.js): the WebAssembly backend opens the pre-optimized int8 copy
  const loaded = await loadModel(state.client, state.manifest, key, variant, onProgress);
  state.diagnostics = loaded.diagnostics;
  const size = entry.preprocess.input_size;
  const timed = await state.client.request(MSG.TIME_RUNS, { inputName: entry.input.name, inputShape: [1, 3, size, size], ...TIMING });
  return {
    model: key,
    display_name: displayName(state.manifest, key),
    variant,
    pretrained: entry.pretrained,
    macs: entry.macs,
    file: loaded.diagnostics.modelFile,
    ...summarize(timed.runsMs),
    first_run_ms: round3(timed.firstRunMs),
    runs_ms: timed.runsMs.map(round3),
    session_ms: round3(loaded.timings.sessionMs),
    from_cache: loaded.fromCache,
  };
}

async function runSelected() {
  const jobs = [...el.picker.querySelectorAll('input[type=checkbox]:checked')].map((box) => box.value.split('.'));
  el.error.textContent = '';
  if (!jobs.length) {
    el.status.textContent = 'Select at least one model file to time.';
    return;
  }
  state.running = true;
  state.stopAsked = false;
  state.results = [];
  el.run.disabled = true;
  el.picker.disabled = true;
  el.stop.disabled = false;
  el.progress.hidden = false;
  el.progress.max = jobs.length;
  el.progress.value = 0;
  el.body.replaceChildren();
  el.figure.replaceChildren();
  el.results.hidden = true;
  el.download.removeAttribute('href');
  let failed = 0;
  try {
    el.status.textContent = 'Starting the runtime…';
    await Promise.all([startWorker(), ensureManifest()]);
    for (const [i, [key, variant]] of jobs.entries()) {
      if (state.stopAsked) break;
      const label = modelLabel(state.manifest, key, variant);
      const step = `${i + 1} of ${jobs.length}`;
      el.status.textContent = `Timing ${label}: ${step}…`;
      try {
        const result = await timeOne(key, variant, ({ received, total }) => {
          if (total) el.status.textContent = `Downloading ${label}: ${Math.round((100 * received) / total)} % (${step})…`;
        });
        state.results.push(result);
      } catch (err) {
        failed++;
        state.results.push({ model: key, variant, error: err.message });
      }
      el.progress.value = i + 1;
      render();
    }
    const done = state.results.length;
    el.status.textContent = `${state.stopAsked && done < jobs.length ? 'Stopped: timed' : 'Timed'} ${done} of ${jobs.length} model files`
      + `${failed ? ` (${failed} failed)` : ''} with ${threadsText()}.`;
  } catch (err) {
    el.status.textContent = '';
    el.error.textContent = err.message;
  } finally {
    state.running = false;
    el.run.disabled = false;
    el.picker.disabled = false;
    el.stop.disabled = true;
    el.progress.hidden = true;
    if (state.results.length) offerDownload();
  }
}

const threads = () => state.diagnostics?.threads ?? 1;
const threadsText = () => `${threads()} thread${threads() === 1 ? '' : 's'}`
  + (state.diagnostics?.crossOriginIsolated ? ' (cross-origin isolated)' : ' (not cross-origin isolated)');
// our machine's median for the same file and the same number of threads (1 or 2)
const oursFor = (r) => ours.median_ms[r.model]?.[r.variant]?.[String(Math.min(threads(), 2))] ?? null;

// ---------------------------------------------------------------------------------------
// The table, the chart, the download
// ---------------------------------------------------------------------------------------
function render() {
  const budget = state.manifest.realtime.budget_ms;
  el.results.hidden = false;
  el.body.replaceChildren(
    ...state.results.map((r) => {
      const name = make('th', { scope: 'row' }, r.display_name ?? r.model);
      if (r.pretrained === false) name.append(' ', make('span', { className: 'lwm-tag' }, 'untrained'));
      const cells = r.error
        ? [make('td', { colSpan: 6 }, `failed: ${r.error}`)]
        : [fmtCount(r.macs), fmtMs(r.median_ms), fmtMs(r.p90_ms), String(r.runs), fmtMs(oursFor(r)), r.median_ms <= budget ? 'yes' : 'no']
          .map((c) => make('td', {}, c));
      return make('tr', { dataset: { model: r.model, variant: r.variant, medianMs: String(r.median_ms ?? '') } },
        name, make('td', {}, r.variant), ...cells);
    }),
  );
  drawChart();
}

// The chart is drawn at the width it is shown at; a phone turned sideways, or a window made
// narrower, draws it again at the new width (its height follows; a change of height alone
// does not redraw it).
let drawnWidth = 0;
function drawChart() {
  drawnWidth = el.figure.clientWidth;
  el.figure.replaceChildren(chart(state.results.filter((r) => !r.error), state.manifest.realtime.budget_ms));
}
new ResizeObserver(() => {
  if (state.results.some((r) => !r.error) && el.figure.clientWidth !== drawnWidth) drawChart();
}).observe(el.figure);

const SVG_NS = 'http://www.w3.org/2000/svg';
function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  node.append(...children);
  return node;
}

// 1, 2, 5 × powers of ten within [lo, hi]: the ticks of a log axis
function logTicks(lo, hi) {
  const ticks = [];
  for (let p = Math.floor(Math.log10(lo)); p <= Math.ceil(Math.log10(hi)); p++) {
    for (const m of [1, 2, 5]) {
      const t = m * 10 ** p;
      if (t >= lo && t <= hi) ticks.push(t);
    }
  }
  return ticks;
}

// Median latency against MACs, both axes logarithmic: each of the reader's points (filled) beside
// our machine's for the same file (hollow), and the real-time budget as a dashed line.
function chart(rows, budget) {
  // drawn at the width it is shown at (a phone's column too), so its text stays legible
  const W = Math.round(Math.min(640, Math.max(300, el.figure.clientWidth || 640)));
  const H = Math.round(Math.max(280, W * 0.6));
  const M = { left: 56, right: 16, top: 40, bottom: 46 };
  const pts = rows.flatMap((r) => [
    { r, x: r.macs, y: r.median_ms, mine: true },
    ...(oursFor(r) ? [{ r, x: r.macs, y: oursFor(r), mine: false }] : []),
  ]);
  const xs = pts.map((p) => p.x);
  const ys = [...pts.map((p) => p.y), budget];
  // a decade's margin at least, so that one model still gets two axes
  const [x0, x1] = [Math.min(...xs) / 1.5, Math.max(...xs) * 1.5];
  const [y0, y1] = [Math.min(...ys) / 1.5, Math.max(...ys) * 1.5];
  const sx = (x) => M.left + ((Math.log10(x) - Math.log10(x0)) / (Math.log10(x1) - Math.log10(x0))) * (W - M.left - M.right);
  const sy = (y) => H - M.bottom - ((Math.log10(y) - Math.log10(y0)) / (Math.log10(y1) - Math.log10(y0))) * (H - M.top - M.bottom);
  const title = svg('title', { id: 'lwm-device-chart-title' }, 'Median latency against MACs: your device and our machine');
  const desc = svg('desc', { id: 'lwm-device-chart-desc' },
    `Both axes logarithmic. ${rows.length} model files timed in your browser with ${threadsText()}, `
    + `beside our machine's medians for the same files and threads; the dashed line is one frame of real-time video, `
    + `${fmtMs(budget)}. The table below gives every figure.`);
  const g = [];
  for (const t of logTicks(x0, x1)) {
    g.push(svg('line', { class: 'lwm-grid', x1: sx(t), x2: sx(t), y1: M.top, y2: H - M.bottom }));
    g.push(svg('text', { x: sx(t), y: H - M.bottom + 16, 'text-anchor': 'middle' }, fmtCount(t)));
  }
  for (const t of logTicks(y0, y1)) {
    g.push(svg('line', { class: 'lwm-grid', x1: M.left, x2: W - M.right, y1: sy(t), y2: sy(t) }));
    g.push(svg('text', { x: M.left - 6, y: sy(t) + 4, 'text-anchor': 'end' }, fmtMs(t)));
  }
  g.push(svg('line', { class: 'lwm-axis', x1: M.left, x2: W - M.right, y1: H - M.bottom, y2: H - M.bottom }));
  g.push(svg('line', { class: 'lwm-axis', x1: M.left, x2: M.left, y1: M.top, y2: H - M.bottom }));
  g.push(svg('text', { class: 'lwm-label', x: (M.left + W - M.right) / 2, y: H - 8, 'text-anchor': 'middle' },
    'multiply-accumulates per image (log)'));
  g.push(svg('text', { class: 'lwm-label', x: 4, y: M.top - 10 }, 'median latency (log)'));
  g.push(svg('line', { class: 'lwm-ref', x1: M.left, x2: W - M.right, y1: sy(budget), y2: sy(budget) }));
  g.push(svg('text', { class: 'lwm-ref-label', x: M.left + 4, y: sy(budget) - 5 },
    `${fmtMs(budget)}: ${state.manifest.realtime.fps} fps`));
  for (const p of pts) {
    const name = `${p.r.display_name} ${p.r.variant}${p.r.pretrained === false ? ' (untrained)' : ''}`;
    const tip = svg('title', {}, `${p.mine ? 'Your device' : 'Our machine'}: ${name}, ${fmtMs(p.y)}`);
    g.push(p.mine
      ? svg('circle', { class: 'lwm-point lwm-mine', cx: sx(p.x), cy: sy(p.y), r: 5, 'data-model': p.r.model }, tip)
      : svg('rect', { class: 'lwm-point lwm-ours', x: sx(p.x) - 4, y: sy(p.y) - 4, width: 8, height: 8 }, tip));
    // name the reader's points while they are few and the chart wide enough to read them (the table has them all)
    if (p.mine && rows.length <= 8 && W >= 500) {
      const right = sx(p.x) < W * 0.7;
      g.push(svg('text', { class: 'lwm-value', x: sx(p.x) + (right ? 8 : -8), y: sy(p.y) + 3, 'text-anchor': right ? 'start' : 'end' },
        `${p.r.display_name} ${p.r.variant}`));
    }
  }
  // the legend, top right
  g.push(svg('circle', { class: 'lwm-point lwm-mine', cx: W - 200, cy: 14, r: 5 }));
  g.push(svg('text', { x: W - 190, y: 18 }, 'your device'));
  g.push(svg('rect', { class: 'lwm-point lwm-ours', x: W - 100, y: 10, width: 8, height: 8 }));
  g.push(svg('text', { x: W - 88, y: 18 }, 'our machine'));
  const chartSvg = svg('svg', {
    class: 'lwm-chart lwm-device-chart', viewBox: `0 0 ${W} ${H}`, role: 'img',
    'aria-labelledby': 'lwm-device-chart-title lwm-device-chart-desc',
  }, title, desc, ...g);
  // the user agent is long: it goes in the download, not under the chart
  const caption = make('figcaption', {}, `Filled: this browser, ${threadsText()}. Hollow: our machine, ${ours.machine}, `
    + `measured ${ours.generated_at}, same files and threads.`);
  const frag = document.createDocumentFragment();
  frag.append(chartSvg, caption);
  return frag;
}

function offerDownload() {
  const d = state.diagnostics ?? {};
  const report = {
    measured_at: new Date().toISOString(),
    site: { url: location.href, manifest_generated_at: state.manifest?.generated_at ?? null },
    browser: {
      user_agent: navigator.userAgent,
      hardware_concurrency: navigator.hardwareConcurrency ?? null,
      cross_origin_isolated: d.crossOriginIsolated ?? self.crossOriginIsolated === true,
      threads: threads(),
      simd: d.simd ?? null,
      runtime: d.runtime ?? null,
      onnxruntime_web: d.runtimeVersion ?? null,
    },
    method: `session.run only, on a fixed input, in the classifier's worker: ${TIMING.warmup} warm-up runs, then up to `
      + `${TIMING.runs} timed runs (at least 3, fewer once ${TIMING.budgetMs} ms are spent); median and p90 in ms`,
    results: state.results,
  };
  if (state.url) URL.revokeObjectURL(state.url);
  state.url = URL.createObjectURL(new Blob([JSON.stringify(report, null, 1)], { type: 'application/json' }));
  el.download.href = state.url;
}

el.run.addEventListener('click', runSelected);
el.stop.addEventListener('click', () => {
  state.stopAsked = true;
  el.stop.disabled = true;
  el.status.textContent = 'Stopping after the current model…';
});
