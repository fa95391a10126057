// "Compare all models on this image": every classifying model and variant with the page's
// runtime, then with the other CPU runtime in a second worker (the .tflite copies with
// LiteRT.js when the page runs onnxruntime-web, the ONNX files with onnxruntime-web when it
// runs LiteRT.js), one row each, with a small copy of the photo under the model's map.

import { backendOf, el, entryOf, labelOf, nameOf, serial, state, threadsAsked } from './appstate.js';
import { classifyLoaded, clearModelError, ensureModel, giveImage, schedule } from './classify.js';
import { make } from './dom.js';
import { fmtBytes, fmtMs, fmtPct } from './format.js';
import { WORKER_URL, loadModel, pretrainedKeys } from './manifest.js';
import { mapThumbnail } from './mapview.js';
import { ERROR_KIND, MSG } from './messages.js';
import { topK } from './postprocess.js';
import { noMapReason, otherRuntime } from './runtimes.js';
import { WorkerClient } from './workerclient.js';

// A worker for the runtime the page is not running, holding the current image; on one
// thread if its threads do not start (worker.js, THREADS), as the page's own worker would be
async function secondWorker(runtime, threads = threadsAsked()) {
  const client = new WorkerClient(WORKER_URL);
  try {
    await client.request(MSG.INIT, { backend: backendOf(runtime, false), ...threads });
    await giveImage(client);
  } catch (err) {
    client.terminate();
    if (err.kind === ERROR_KIND.THREADS && threads.threads !== 1) return secondWorker(runtime, { threads: 1 });
    throw err;
  }
  return client;
}

// one row: the model's answer with `runtime` on `client`, or why there is none
async function compareOne(runtime, client, key, variant, realtime, inBudget) {
  const entry = entryOf(key);
  const label = `${labelOf(key, variant)} with ${runtime.label}`;
  let cells;
  let data = {};
  let where = '—';
  try {
    if (client === state.client) await ensureModel(key, variant); // state.loaded follows it
    else await loadModel(client, state.manifest, key, variant);
    const { probs, timings, mapClasses } = await classifyLoaded(key, client);
    const [best] = topK(probs, 1);
    where = mapClasses ? await mapThumbnail(key, variant, best.index, client) : `no map: ${noMapReason(runtime, entry)}`;
    data = { index: String(best.index), prob: String(best.prob) };
    const fits = timings.inferenceMs <= realtime.budget_ms;
    if (fits) inBudget.push(label);
    data.realtime = String(fits);
    data.ms = String(timings.inferenceMs);
    cells = [state.manifest.classes[best.index], fmtPct(best.prob), fmtMs(timings.inferenceMs), fits ? 'yes' : 'no'];
  } catch (err) {
    cells = [make('span', { className: 'lwm-error' }, err.message), '—', '—', '—'];
  }
  const bytes = fmtBytes(runtime.file(entry, variant).bytes);
  return make(
    'tr',
    { dataset: { model: key, variant, runtime: runtime.id, ...data } },
    ...[nameOf(key), runtime.label, variant, ...cells, bytes, where].map((c) => make('td', {}, c)),
  );
}

export async function compareAll() {
  el.compare.disabled = true;
  el.compareTable.hidden = false;
  el.compareBody.replaceChildren();
  const here = state.runtime;
  const other = otherRuntime(here);
  const jobsFor = (runtime) =>
    pretrainedKeys(state.manifest).flatMap((key) => runtime.variants(entryOf(key)).map((variant) => [runtime, key, variant]));
  const jobs = [...jobsFor(here), ...jobsFor(other)];
  // one frame of real-time video, as the manifest defines it (30 fps: 33.3 ms)
  const realtime = state.manifest.realtime;
  const budget = `${realtime.fps} fps: ${fmtMs(realtime.budget_ms)}`;
  el.compareRealtime.textContent = `Within one frame (${budget})`;
  const inBudget = [];
  await serial(async () => {
    clearModelError();
    let second = null;
    try {
      for (const [i, [runtime, key, variant]] of jobs.entries()) {
        el.compareStatus.textContent = `Running ${labelOf(key, variant)} with ${runtime.label}: ${i + 1} of ${jobs.length}…`;
        const client = runtime === here ? state.client : (second ??= await secondWorker(runtime));
        el.compareBody.append(await compareOne(runtime, client, key, variant, realtime, inBudget));
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
