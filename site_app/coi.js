// Cross-origin isolation for the classifier page: needed for WebAssembly threads.
//
// Our own server sends COOP/COEP, so the page is isolated from the start. On a static host
// that cannot send headers, register our service worker (coi-sw.js, at the site root) and
// reload once so it can add them. A flag in sessionStorage makes sure that reload happens
// at most once per tab: if the page is still not isolated afterwards, we run on one thread
// and say so, rather than reload again.

const RELOAD_FLAG = 'lightweight-models:coi-reload';
const ACTIVATION_TIMEOUT_MS = 4000;

// swUrl, scope: absolute URLs computed by the caller relative to the page.
// Resolves to {isolated, via, note}: note, when set, is what the page should tell the reader
// (one thread, and why). Never resolves if the page is about to reload.
export async function ensureIsolation(swUrl, scope) {
  if (self.crossOriginIsolated) {
    sessionStorage.removeItem(RELOAD_FLAG);
    const via = navigator.serviceWorker?.controller ? 'service worker' : 'server headers';
    // isolated, and still no SharedArrayBuffer: this browser has no WebAssembly threads
    // (WebKitGTK); the page says so rather than leave "isolated" to suggest two threads
    const note = typeof SharedArrayBuffer === 'undefined'
      ? 'This browser does not share memory with WebAssembly (no SharedArrayBuffer), so WebAssembly runs on one thread.'
      : null;
    return { isolated: true, via, note };
  }
  const oneThread = 'WebAssembly runs on one thread';
  if (!('serviceWorker' in navigator) || !window.isSecureContext) {
    return { isolated: false, via: null, note: `This page is not cross-origin isolated and service workers are unavailable here, so ${oneThread}.` };
  }
  if (sessionStorage.getItem(RELOAD_FLAG)) {
    return { isolated: false, via: null, note: `The isolation service worker did not take effect, so ${oneThread}.` };
  }
  try {
    // a worker that never activates (blocked, failed install) must not hold the page up
    const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error('it did not start in time')), ACTIVATION_TIMEOUT_MS));
    const started = navigator.serviceWorker.register(swUrl, { scope }).then(() => navigator.serviceWorker.ready);
    await Promise.race([started, timeout]);
  } catch (err) {
    return { isolated: false, via: null, note: `The isolation service worker could not be started (${err.message}), so ${oneThread}.` };
  }
  sessionStorage.setItem(RELOAD_FLAG, '1');
  location.reload();
  return new Promise(() => {});
}
