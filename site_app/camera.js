// The camera: start it, stop it, classify one frame or frame after frame ("live"). This
// module owns the stream and the camera's controls; what a frame becomes is the page's
// business (takeFrame, in inputs.js).

import { fmtMs } from './format.js';

const DENIED = 'Camera access was denied. Allow it in the browser’s site settings, or choose a file instead.';
const START_ERRORS = {
  NotAllowedError: DENIED,
  SecurityError: DENIED,
  NotFoundError: 'No camera was found on this device. Choose a file instead.',
  OverconstrainedError: 'No suitable camera was found on this device. Choose a file instead.',
  NotReadableError: 'The camera is in use by another application, or could not be started.',
};

// el: {start, capture, stop, live, liveStatus, video, results} (buttons, the live checkbox and
// its status, the <video>, the results region). guard(promise) reports an unexpected failure;
// showError(text) says what went wrong ('' clears it); takeFrame(video, width, height, live)
// classifies the current frame. Returns {live}, true while frames are classified one after another.
export function setUpCamera(el, { guard, showError, takeFrame }) {
  const camera = { stream: null, live: false };

  function setButtons(running) {
    el.start.disabled = running;
    el.capture.disabled = !running;
    el.stop.disabled = !running;
    el.live.disabled = !running;
    el.video.hidden = !running;
  }

  async function start() {
    showError('');
    if (!navigator.mediaDevices?.getUserMedia) {
      showError('This browser offers no camera access on this page (it needs https:// or localhost). Choose a file instead.');
      return;
    }
    try {
      camera.stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false });
    } catch (err) {
      showError(START_ERRORS[err.name] ?? `The camera could not be started (${err.name}: ${err.message}).`);
      return;
    }
    el.video.srcObject = camera.stream;
    setButtons(true);
    // capture only once the camera has delivered a frame (a frame of 0x0 would be silent)
    el.capture.disabled = true;
    await el.video.play();
    if (!el.video.videoWidth) {
      await new Promise((resolve) => el.video.addEventListener('loadeddata', resolve, { once: true }));
    }
    if (camera.stream) el.capture.disabled = false;
  }

  function stop() {
    camera.live = false;
    el.live.checked = false;
    el.results.setAttribute('aria-live', 'polite');
    for (const track of camera.stream?.getTracks() ?? []) track.stop();
    camera.stream = null;
    el.video.srcObject = null;
    setButtons(false);
  }

  async function capture() {
    const { videoWidth: w, videoHeight: h } = el.video;
    if (!w || !h) {
      showError('The camera has not delivered a picture yet; try again in a moment.');
      return false;
    }
    showError('');
    await takeFrame(el.video, w, h, camera.live);
    return true;
  }

  async function liveLoop() {
    let frames = 0;
    const started = performance.now();
    while (camera.live && camera.stream) {
      if (!(await capture())) {
        await new Promise((resolve) => setTimeout(resolve, 100)); // no picture yet
        continue;
      }
      frames++;
      const perFrame = (performance.now() - started) / frames;
      el.liveStatus.textContent = `Live: ${frames} frames classified, ${fmtMs(perFrame)} per frame.`;
      await new Promise((resolve) => requestAnimationFrame(resolve));
    }
  }

  el.start.addEventListener('click', () => guard(start()));
  el.stop.addEventListener('click', stop);
  el.capture.addEventListener('click', () => guard(capture()));
  el.live.addEventListener('change', () => {
    camera.live = el.live.checked;
    // a screen reader would read every frame's answer: quiet the results while live
    el.results.setAttribute('aria-live', camera.live ? 'off' : 'polite');
    if (camera.live) guard(liveLoop());
  });
  return {
    get live() {
      return camera.live;
    },
  };
}
