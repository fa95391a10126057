// The photo inputs: a file, a drop, a paste, a sample photo, a camera frame (camera.js runs
// the camera). Each photo is decoded here (imagefile.js), drawn as the preview and handed to
// the worker, then classified (classify.js).
//
// A photo can arrive before the classifier is ready (a slow network: the manifest or the
// runtime still downloading). It waits in `pending` (the newest wins) and is read as soon as
// `photosReady()` says the page can; the page's inline script (docs/classifier.md) keeps a
// photo given before this module had even loaded (window.lwmEarlyPhoto).

import { el, guarded, serial, state } from './appstate.js';
import { setUpCamera } from './camera.js';
import { clearResults, schedule } from './classify.js';
import { make } from './dom.js';
import { checkFileSize, checkSize, decodeToBitmap, InputError, inspect, smallNote, toRgba } from './imagefile.js';
import { siteUrl } from './manifest.js';
import { hideMap } from './mapview.js';
import { MSG } from './messages.js';

const PREVIEW_MAX = 320; // CSS pixels of the preview's longer side

let pending = null; // {blob, name}: the newest photo given before the page was ready

// Every photo goes through here: read now, or kept until the page is ready.
export function givePhoto(blob, name) {
  if (state.ready) return takeBlob(blob, name);
  state.inputSeen = true; // a photo is waiting: the preload's warm-up would only delay it
  pending = { blob, name };
  el.inputError.textContent = '';
  el.resultsSummary.textContent = `${name} is read as soon as the classifier has loaded…`;
  return Promise.resolve();
}

// The page is ready: from now on photos are read at once, and the one that waited goes first.
export function photosReady() {
  state.ready = true;
  if (!pending) return;
  const { blob, name } = pending;
  pending = null;
  guarded(takeBlob(blob, name));
}

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

// Said at once, before any await, so the previous answer never stands for the new image.
function announceReading(name) {
  state.inputSeen = true;
  state.generation++; // answers still in flight are for the previous image
  el.resultsSummary.textContent = `Reading ${name}…`;
  // the page's "Ready: choose an image." has been answered (a note about the address stays)
  el.startup.textContent = el.startup.dataset.note ?? '';
}

export async function takeBlob(blob, name) {
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

const firstFile = (files) => [...(files ?? [])][0] ?? null;

// The file input, drops and pastes: wired as soon as this module runs (they need nothing
// from the manifest), and the photo the inline script kept meanwhile is taken over.
export function wirePhotoInputs() {
  el.file.addEventListener('change', () => {
    const file = firstFile(el.file.files);
    if (file) guarded(givePhoto(file, file.name));
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
      const file = firstFile(event.dataTransfer?.files);
      if (file) guarded(givePhoto(file, file.name));
      else el.inputError.textContent = 'What was dropped is not a file. Drop an image file from your computer.';
    });
  }
  document.addEventListener('paste', (event) => {
    const file = firstFile(event.clipboardData?.files);
    if (!file) return; // pasted text goes where it was meant to go (the search box)
    event.preventDefault();
    guarded(givePhoto(file, file.name || 'pasted image'));
  });
  const early = window.lwmEarlyPhoto;
  if (early) early.taken = true; // from here on the listeners above take every photo
  const file = early?.file ?? firstFile(el.file.files);
  if (file) guarded(givePhoto(file, file.name || 'pasted image'));
  el.file.value = '';
}

export function wireCamera() {
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
}

// the sample photos: a few kB thumbnail on each button, the full photo fetched on a click
export function buildGallery() {
  // the page comes with the same photos, disabled, holding their place (hooks/shortcodes.py)
  el.gallery.replaceChildren();
  for (const sample of state.manifest.samples) {
    const url = siteUrl(`models/${sample.file}`);
    // An older manifest has no thumbnail: show the PNG itself.
    const thumb = siteUrl(`models/${sample.thumbnail ?? sample.file}`);
    const button = make(
      'button',
      { type: 'button', className: 'lwm-sample', 'aria-label': `Classify the sample photo: ${sample.description}` },
      make('img', { src: thumb, alt: '', loading: 'lazy', width: 96, height: 72 }),
    );
    const classifySample = async () => {
      announceReading(sample.description);
      const response = await fetch(url);
      if (!response.ok) {
        rejectInput(`The sample photo ${sample.file} could not be loaded (HTTP ${response.status}).`);
        return;
      }
      await givePhoto(await response.blob(), sample.file.split('/').pop());
    };
    button.addEventListener('click', () => guarded(classifySample()));
    el.gallery.append(make('figure', {}, button, make('figcaption', {}, sample.description)));
  }
  // the photos' licences and sources, together under the tool: the thumbnails stay one row
  const credits = state.manifest.samples.map((s) => `${s.description} (${s.license}; ${s.source})`);
  el.credits.textContent = credits.length ? `Sample photos: ${credits.join('; ')}.` : '';
}
