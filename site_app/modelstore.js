// Model files: download with progress, verify against the manifest, cache. No DOM.
//
// A file is used only if its SHA-256 equals the manifest's. The Cache API keeps verified
// files under a key made of the file's URL and that digest, so a new export (new digest)
// never reuses an old file, and a cached entry that fails verification is deleted.

import { ERROR_KIND } from './messages.js';

const CACHE_NAME = 'lightweight-models-onnx';

export class ModelError extends Error {
  constructor(kind, message) {
    super(message);
    this.kind = kind;
  }
}

export async function sha256Hex(bytes) {
  if (!globalThis.crypto?.subtle) {
    throw new ModelError(
      ERROR_KIND.CHECKSUM,
      'This page cannot verify model files here: SubtleCrypto needs a secure origin (https:// or http://127.0.0.1).',
    );
  }
  const digest = await crypto.subtle.digest('SHA-256', bytes);
  return Array.from(new Uint8Array(digest), (x) => x.toString(16).padStart(2, '0')).join('');
}

const cacheKey = (url, sha256) => {
  const key = new URL(url);
  key.searchParams.set('sha256', sha256);
  return key.href;
};

async function openCache() {
  try {
    return globalThis.caches ? await caches.open(CACHE_NAME) : null;
  } catch {
    return null; // storage disabled (private mode, insecure origin): download every time
  }
}

// Read a response body into one buffer, reporting bytes as they arrive.
async function readWithProgress(response, expected, onProgress) {
  // The stream yields decoded bytes; with Content-Encoding (serve.py sends models in brotli)
  // Content-Length counts the compressed ones. The manifest's size is the decoded size.
  const encoded = (response.headers.get('Content-Encoding') ?? 'identity') !== 'identity';
  const total = expected || (!encoded && Number(response.headers.get('Content-Length'))) || 0;
  if (!response.body) {
    const all = new Uint8Array(await response.arrayBuffer());
    onProgress(all.length, total);
    return all;
  }
  let buffer = new Uint8Array(total);
  let received = 0;
  const reader = response.body.getReader();
  let lastReport = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (received + value.length > buffer.length) {
      const bigger = new Uint8Array(Math.max(buffer.length * 2, received + value.length));
      bigger.set(buffer.subarray(0, received));
      buffer = bigger;
    }
    buffer.set(value, received);
    received += value.length;
    const now = performance.now();
    if (now - lastReport > 100) {
      onProgress(received, total);
      lastReport = now;
    }
  }
  onProgress(received, total);
  // onnxruntime reads the whole ArrayBuffer, so hand it one without spare room
  return received === buffer.length ? buffer : buffer.slice(0, received);
}

// {url, sha256, bytes, label} -> {bytes: Uint8Array, fromCache, downloadMs, verifyMs}
// `handed`: a promise of the Response the page already fetched for this URL (worker.js,
// HAND_OVER), or of null: read and checked like one fetched here.
export async function getModel({ url, sha256, bytes: expected, label }, onProgress = () => {}, handed = null) {
  const cache = await openCache();
  const key = cacheKey(url, sha256);
  const t0 = performance.now();

  if (cache) {
    const hit = await cache.match(key);
    if (hit) {
      const data = new Uint8Array(await hit.arrayBuffer());
      const t1 = performance.now();
      if ((await sha256Hex(data)) === sha256) {
        handed?.then((r) => r?.body?.cancel()).catch(() => {}); // kept already: the page's copy is not needed
        return { bytes: data, fromCache: true, downloadMs: t1 - t0, verifyMs: performance.now() - t1 };
      }
      await cache.delete(key); // corrupt entry: never used, never kept
    }
  }

  let response;
  try {
    response = (await handed) ?? (await fetch(url));
  } catch (err) {
    throw new ModelError(ERROR_KIND.HTTP, `Could not download ${label}: the network request failed (${err.message}).`);
  }
  if (!response.ok) {
    throw new ModelError(ERROR_KIND.HTTP, `Could not download ${label}: the server answered ${response.status} ${response.statusText}.`.replace(' .', '.'));
  }
  let data;
  try {
    data = await readWithProgress(response, expected, onProgress);
  } catch (err) {
    throw new ModelError(ERROR_KIND.HTTP, `The download of ${label} broke off (${err.message}).`);
  }
  const t1 = performance.now();
  const actual = await sha256Hex(data);
  const verifyMs = performance.now() - t1;
  if (actual !== sha256) {
    throw new ModelError(
      ERROR_KIND.CHECKSUM,
      `${label} failed its checksum: the downloaded file (${data.length.toLocaleString('en')} bytes) has SHA-256 ` +
        `${actual.slice(0, 12)}…, the manifest says ${sha256.slice(0, 12)}…. The file was not used.`,
    );
  }
  if (cache) {
    // kept in the background: writing megabytes to storage must not hold up the first answer
    // (the bytes are only read from here on, by the runtime and by the store)
    (async () => {
      // drop older exports of the same file, then keep this one
      for (const old of await cache.keys()) {
        const u = new URL(old.url);
        if (u.pathname === new URL(url).pathname && u.searchParams.get('sha256') !== sha256) await cache.delete(old);
      }
      await cache.put(key, new Response(data, { headers: { 'Content-Type': 'application/octet-stream' } }));
    })().catch(() => {}); // quota exceeded: the model still works, it is just downloaded again next time
  }
  return { bytes: data, fromCache: false, downloadMs: t1 - t0, verifyMs };
}
