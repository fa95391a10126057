// "Where did it look?": the class activation map over the photo, the class buttons that choose
// it, and the small map thumbnails of the comparison table. worker.js computes the maps
// (cammap.js); this module only draws them and says in words where they are strongest.

import { el, entryOf, guarded, labelOf, nameOf, serial, state } from './appstate.js';
import { make } from './dom.js';
import { fmtMs, fmtPct } from './format.js';
import { MSG } from './messages.js';
import { noMapReason } from './runtimes.js';

export function hideMap() {
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

const requestMap = (client, key, classIndex) => client.request(MSG.MAP, { classIndex, size: entryOf(key).preprocess.input_size });

// Show the map of the chosen class (the most probable one unless the reader picked another),
// if the reader asked for maps; otherwise say why there is none.
// `inChain`: called from a task of the serial queue, which must not wait for itself.
export async function showMap({ inChain = false } = {}) {
  const target = state.mapFor;
  for (const b of el.top5.querySelectorAll('.lwm-map-pick')) b.setAttribute('aria-pressed', String(Number(b.dataset.index) === state.mapClass));
  if (!el.camToggle.checked || !target) {
    hideMap();
    if (!el.camToggle.checked) el.camCaption.textContent = 'Tick the box to see which parts of the photo made the model choose its answer.';
    return;
  }
  if (!state.mapClasses) {
    hideMap();
    el.camCaption.textContent = `${nameOf(target.key)} has no class activation map: ${noMapReason(state.runtime, entryOf(target.key))}.`;
    return;
  }
  const classIndex = state.mapClass ?? state.mapClasses[0];
  const request = () => requestMap(state.client, target.key, classIndex);
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
  el.cam.setAttribute('aria-label', `Class activation map of ${labelOf(target.key, target.variant)}: ${sentence}`);
  el.cam.dataset.classIndex = String(classIndex);
  el.cam.dataset.peakX = String(map.peak.x);
  el.cam.dataset.peakY = String(map.peak.y);
  el.cam.hidden = false;
  el.camCaption.textContent = `Map of ${labelOf(target.key, target.variant)}: ${sentence}. Made in ${fmtMs(map.mapMs)} from its ${map.lowRes[0]} × ${map.lowRes[1]} grid.`;
}

export function wireMaps() {
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
export async function mapThumbnail(key, variant, classIndex, client) {
  const map = await requestMap(client, key, classIndex);
  const layer = document.createElement('canvas');
  drawMap(layer, map);
  const thumb = make('canvas', {
    className: 'lwm-cam-thumb',
    role: 'img',
    'aria-label': `Map of ${labelOf(key, variant)}: ${mapSentence(state.manifest.classes[classIndex], map)}`,
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
