// The site's service worker: cross-origin isolation on static hosts, and the site offline.
//
// Isolation. A static host that cannot send headers (GitHub Pages) cannot make the classifier
// page cross-origin isolated, which onnxruntime-web needs for two threads. This worker adds
// the headers our own server sends (site_app/serve.py): COOP, COEP and CORP to every
// same-origin response, and COOP/COEP to the classifier page only; other pages are passed
// as they came. The hook (hooks/assets.py) places this file at the site's root so its scope
// covers every page, their workers and the files they load.
//
// Offline. Every page a reader opens, and every file those pages and their workers load,
// is kept in one cache per build: the network first, so a reader online always gets what the
// host serves, and the kept copy when the network fails. Model files are not kept here:
// site_app/modelstore.js keeps each verified model under its SHA-256 in a store of its own,
// and reads it before it goes to the network. hooks/offline.py writes BUILD_ID, a digest of
// every file the build ships: a new release is a new worker with a new cache, which it fills
// again from the network with what the reader had kept, then it deletes the old one (and
// the models the new manifest no longer lists). So no page of one release meets a model
// or a script of another.

const BUILD_ID = 'unbuilt'; // replaced by hooks/offline.py
const CACHE_PREFIX = 'lightweight-models-site-';
const CACHE_NAME = CACHE_PREFIX + BUILD_ID;
const MODEL_STORE = 'lightweight-models-onnx'; // modelstore.js's CACHE_NAME
const MODEL_FILE = /\.(onnx|ort|tflite)$/;
const MANIFEST = 'models/models.json';

const ISOLATED_PAGES = ['classifier/'];
// what the word on each page names: the runtimes, by a file each one cannot run without
const RUNTIMES = [
  ['onnxruntime-web', /\/vendor\/onnxruntime-web\/ort-wasm-simd-threaded\.wasm$/],
  ['LiteRT.js', /\/vendor\/litertjs\/wasm\/litert_wasm\w*\.wasm$/],
  ['Python (Pyodide)', /\/vendor\/pyodide\/pyodide\.asm\.wasm$/],
];

const inScope = (path) => new URL(path, self.registration.scope).href;

function isolatedPage(url) {
  return ISOLATED_PAGES.some((page) => url.startsWith(inScope(page)));
}

// A page is kept once, whatever its query (?model=… on the classifier) or fragment.
function pageKey(url) {
  const key = new URL(url);
  key.search = '';
  key.hash = '';
  return key.href;
}

function withIsolation(response, page) {
  if (response.type === 'opaque' || response.type === 'opaqueredirect') return response; // headers cannot be changed
  const headers = new Headers(response.headers);
  // COEP matters on the page and on worker scripts (a worker takes its policy from its own
  // response); on anything else it is ignored, so every non-page response gets all three
  headers.set('Cross-Origin-Resource-Policy', 'same-origin');
  if (page === null || isolatedPage(page)) {
    headers.set('Cross-Origin-Opener-Policy', 'same-origin');
    headers.set('Cross-Origin-Embedder-Policy', 'require-corp');
  }
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

// Keep a response under this build. A URL's bytes cannot change within one build, so a copy
// already kept is never written again. A page is kept only when the reader opened it: not
// when a browser fetched it ahead (Firefox prefetches <link rel="next">).
async function keep(key, response, { opened = false } = {}) {
  if (response.status !== 200 || response.type !== 'basic') return;
  if (!opened && (response.headers.get('Content-Type') ?? '').startsWith('text/html')) return;
  const cache = await caches.open(CACHE_NAME);
  if (await cache.match(key)) return;
  // the body is stored decoded: its encoding, length and the Vary that chose the encoding no
  // longer describe it (a Vary would also make the kept copy miss a request without that header)
  const headers = new Headers(response.headers);
  for (const name of ['Content-Encoding', 'Content-Length', 'Vary']) headers.delete(name);
  await cache.put(key, new Response(await response.blob(), { status: 200, headers }));
}

// cache: 'no-cache' (a new release: revalidated, never the browser's older copy) or
// 'force-cache' (what the page has just loaded: the browser's copy, no network at all)
async function fetchAndKeep(url, { cache = 'no-cache', ...options } = {}) {
  const response = await fetch(url, { cache });
  if (response.ok) await keep(url, response, options);
  return response.ok;
}

self.addEventListener('install', (event) => {
  self.skipWaiting();
  // a new release: fetch again, from this release, what the reader had kept from the last one
  event.waitUntil(
    (async () => {
      const urls = new Set();
      for (const name of await caches.keys()) {
        if (!name.startsWith(CACHE_PREFIX) || name === CACHE_NAME) continue;
        for (const request of await (await caches.open(name)).keys()) urls.add(request.url);
      }
      // one at a time: this runs beside the reader's page; a file gone from this release is dropped
      for (const url of urls) await fetchAndKeep(url, { opened: true }).catch(() => false);
    })(),
  );
});

// The models the new manifest lists, as the model store keys them (URL?sha256=…); the rest go.
async function pruneModelStore() {
  const manifestResponse = await (await caches.open(CACHE_NAME)).match(inScope(MANIFEST));
  if (!manifestResponse || !(await caches.has(MODEL_STORE))) return;
  const manifest = await manifestResponse.json();
  const wanted = new Set();
  const collect = (value) => {
    if (value && typeof value === 'object') {
      if (typeof value.file === 'string' && typeof value.sha256 === 'string') wanted.add(`${new URL(value.file, inScope('models/')).pathname}#${value.sha256}`);
      Object.values(value).forEach(collect);
    }
  };
  collect(manifest.models);
  const store = await caches.open(MODEL_STORE);
  for (const request of await store.keys()) {
    const url = new URL(request.url);
    if (!wanted.has(`${url.pathname}#${url.searchParams.get('sha256')}`)) await store.delete(request);
  }
}

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) {
        if (name.startsWith(CACHE_PREFIX) && name !== CACHE_NAME) await caches.delete(name);
      }
      await pruneModelStore().catch(() => {}); // a model kept too long costs space, never a wrong answer
      await self.clients.claim();
    })(),
  );
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return; // the site never loads others; leave them alone
  if (request.cache === 'only-if-cached' && request.mode !== 'same-origin') return;
  if (request.method !== 'GET') return;
  const navigation = request.mode === 'navigate';
  const page = navigation ? request.url : null;

  if (MODEL_FILE.test(url.pathname)) {
    // the model store keeps these (and reads them before it fetches); the headers only
    event.respondWith(fetch(request).then((response) => withIsolation(response, null)));
    return;
  }
  const key = navigation ? pageKey(request.url) : request.url;
  event.respondWith(
    (async () => {
      let response;
      try {
        response = await fetch(request);
      } catch (err) {
        // offline, or the host is unreachable: the kept copy, if this reader has one
        const kept = await caches.match(key, { cacheName: CACHE_NAME });
        if (kept) return withIsolation(kept, page);
        throw err;
      }
      if (response.ok) event.waitUntil(keep(key, response.clone(), { opened: navigation }).catch(() => {}));
      return navigation && !isolatedPage(page) ? response : withIsolation(response, page);
    })(),
  );
});

// The pages' own script (docs/javascripts/offline.js) talks to this worker:
//  {type: 'keep', urls}: a page loaded before this worker controlled it asks for itself and
//    the files it loaded to be kept;
//  {type: 'offline'}: what is kept, for the word at the foot of every page.
self.addEventListener('message', (event) => {
  const { type, urls } = event.data ?? {};
  const port = event.ports[0];
  if (type === 'keep') {
    const own = (u) => {
      try {
        const url = new URL(u);
        return url.origin === self.location.origin && url.href.startsWith(self.registration.scope) && !MODEL_FILE.test(url.pathname);
      } catch {
        return false;
      }
    };
    event.waitUntil(
      (async () => {
        const cache = await caches.open(CACHE_NAME);
        const [page, ...files] = urls;
        const opened = pageKey(page);
        for (const u of new Set([opened, ...files].filter(own))) {
          if (!(await cache.match(u))) await fetchAndKeep(u, { opened: u === opened, cache: 'force-cache' }).catch(() => false);
        }
        port?.postMessage({ done: true });
      })(),
    );
  } else if (type === 'offline') {
    event.waitUntil(offlineSummary().then((summary) => port?.postMessage(summary)));
  }
});

// {build, pages: [url], runtimes: [name], models: [{file, sha256}]}
async function offlineSummary() {
  const cache = await caches.open(CACHE_NAME);
  const urls = (await cache.keys()).map((r) => r.url);
  const pages = [];
  for (const u of urls) {
    const response = await cache.match(u);
    if ((response.headers.get('Content-Type') ?? '').startsWith('text/html')) pages.push(u);
  }
  const runtimes = RUNTIMES.filter(([, file]) => urls.some((u) => file.test(new URL(u).pathname))).map(([name]) => name);
  const models = [];
  if (await caches.has(MODEL_STORE)) {
    for (const request of await (await caches.open(MODEL_STORE)).keys()) {
      const url = new URL(request.url);
      models.push({ path: url.pathname, sha256: url.searchParams.get('sha256') });
    }
  }
  return { build: BUILD_ID, pages, runtimes, models };
}
