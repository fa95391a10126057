// A service worker that makes the classifier page cross-origin isolated on static hosts
// that cannot send headers (GitHub Pages), so onnxruntime-web can use two threads.
//
// It copies every same-origin response and adds the headers our own server sends
// (site_app/serve.py): COOP, COEP and CORP. Navigations to other pages of the site pass
// through untouched, so only the classifier page becomes isolated. The hook (hooks/assets.py)
// places this file at the site's root so its scope covers the page, its worker and the
// files they load.

const ISOLATED_PAGES = ['classifier/'];

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

function isolatedPage(url) {
  const scope = self.registration.scope;
  return ISOLATED_PAGES.some((page) => url.startsWith(new URL(page, scope).href));
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return; // the site never loads others; leave them alone
  if (request.cache === 'only-if-cached' && request.mode !== 'same-origin') return;
  if (request.mode === 'navigate' && !isolatedPage(request.url)) return;

  event.respondWith(
    fetch(request).then((response) => {
      if (response.status === 0) return response; // opaque: headers cannot be changed
      const headers = new Headers(response.headers);
      // COEP matters on the page and on worker scripts (a worker takes its policy from its
      // own response); on anything else it is ignored, so every response gets all three
      headers.set('Cross-Origin-Resource-Policy', 'same-origin');
      headers.set('Cross-Origin-Opener-Policy', 'same-origin');
      headers.set('Cross-Origin-Embedder-Policy', 'require-corp');
      return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
    }),
  );
});
