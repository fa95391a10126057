// Module worker that owns Pyodide. Started by runner.js on the reader's first Run, never
// on page load. Every URL is relative to this file, so the site works under any sub-path.
//
// Boot: import pyodide.mjs from the site's vendor folder, fetch models.json and our Python
// files (catalog.py is lwm/catalog.py, the very module the exporter uses), write them
// into Pyodide's file system and import them. Then cut the worker off from the network
// before any learner code runs.

import { MSG, RUN_KIND } from './messages.js';

const PYODIDE_DIR = new URL('../../vendor/pyodide/', import.meta.url).href;
const MANIFEST_URL = new URL('../../models/models.json', import.meta.url).href;
// written into Pyodide's file system before sandbox.py (which imports catalog and grader)
// loads; scaling.py is lwm/scaling.py, the layer tables the MobileNet and EfficientNet
// builders read
const PY_FILES = ['catalog.py', 'grader.py', 'sandbox.py', 'scaling.py'];
const PY_DIR = '/home/pyodide/lwm';

let booting = null;  // Promise<{pyodide, sandbox, loadMs}>, created once

async function fetchText(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response.text();
}

async function boot() {
  const started = performance.now();
  const { loadPyodide } = await import(new URL('pyodide.mjs', PYODIDE_DIR).href);
  const [pyodide, manifestText, ...sources] = await Promise.all([
    loadPyodide({ indexURL: PYODIDE_DIR }),
    fetchText(MANIFEST_URL),
    ...PY_FILES.map((name) => fetchText(new URL(name, import.meta.url))),
  ]);
  pyodide.FS.mkdirTree(PY_DIR);
  PY_FILES.forEach((name, i) => pyodide.FS.writeFile(`${PY_DIR}/${name}`, sources[i]));
  pyodide.runPython(`import sys; sys.path.insert(0, ${JSON.stringify(PY_DIR)})`);
  const sandbox = pyodide.pyimport('sandbox');
  const scaling = pyodide.pyimport('scaling');
  // the manifest goes in as text: Python's json parses it exactly as the exporter's does
  sandbox.setup(manifestText);
  cutNetwork(pyodide);
  return { pyodide, sandbox, scaling, loadMs: performance.now() - started };
}

// Learner code runs with the worker's JavaScript globals one `import js` away. Replace
// every API that can start a request with one that throws, and stop Pyodide from
// downloading packages. Done after boot, because Pyodide itself needs fetch to start.
function cutNetwork(pyodide) {
  const refuse = (name) => {
    const blocked = function () {
      throw new Error(`${name} is disabled: code on this page cannot reach the network`);
    };
    Object.defineProperty(blocked, 'name', { value: name });
    return blocked;
  };
  const apis = [
    'fetch', 'XMLHttpRequest', 'WebSocket', 'EventSource', 'importScripts', 'Worker',
    'SharedWorker', 'WebTransport', 'eval',
  ];
  for (const name of apis) {
    Object.defineProperty(self, name, { value: refuse(name), writable: false, configurable: false });
  }
  // CacheStorage.add() fetches; a getter that throws keeps `caches` out of reach
  Object.defineProperty(self, 'caches', {
    get() { throw new Error('caches is disabled: code on this page cannot reach the network'); },
    configurable: false,
  });
  // `new Function("return import(url)")` would reach dynamic import(). Keep `instanceof
  // Function` working (Pyodide uses it) by reusing the real prototype.
  const functionCtors = [
    Function,
    Object.getPrototypeOf(async function () {}).constructor,
    Object.getPrototypeOf(function* () {}).constructor,
    Object.getPrototypeOf(async function* () {}).constructor,
  ];
  for (const ctor of functionCtors) {
    const blocked = refuse(ctor.name);
    blocked.prototype = ctor.prototype;
    Object.defineProperty(ctor.prototype, 'constructor', { value: blocked, writable: false, configurable: false });
  }
  Object.defineProperty(self, 'Function', { value: Function.prototype.constructor, writable: false, configurable: false });
  // setTimeout("code") and setInterval("code") compile a string, like eval
  for (const name of ['setTimeout', 'setInterval']) {
    const original = self[name].bind(self);
    const guarded = (handler, ...rest) => {
      if (typeof handler !== 'function') throw new Error(`${name} with a string of code is disabled`);
      return original(handler, ...rest);
    };
    Object.defineProperty(self, name, { value: guarded, writable: false, configurable: false });
  }
  for (const name of ['loadPackage', 'loadPackagesFromImports']) {
    pyodide[name] = refuse(`pyodide.${name}`);
  }
}

function start() {
  booting ??= boot();
  return booting;
}

self.onmessage = async (event) => {
  const message = event.data;
  if (message.type === MSG.INIT) {
    try {
      const { loadMs } = await start();
      self.postMessage({ type: MSG.READY, loadMs });
    } catch (error) {
      self.postMessage({ type: MSG.LOAD_ERROR, message: String(error && error.message || error) });
    }
  } else if (message.type === MSG.RUN) {
    let result;
    try {
      const { sandbox, scaling } = await start();
      // sandbox returns JSON text: no proxies to free, no JS/Python number conversions
      // both are coroutines (top-level await is allowed); a PyProxy coroutine is awaitable
      let text;
      if (message.kind === RUN_KIND.SCALING) {
        text = scaling.describe_json(message.arch, message.width, message.resolution, message.depth ?? 1);
      } else {
        text = await (message.kind === RUN_KIND.CONSOLE
          ? sandbox.run_console(message.code)
          : sandbox.run_exercise(message.exercise, message.code));
      }
      result = JSON.parse(text);
    } catch (error) {
      // a fault of ours, not of the learner's code (which sandbox.py always catches)
      result = { stdout: '', stderr: '', error: `Internal error: ${error && error.message || error}` };
    }
    self.postMessage({ type: MSG.RESULT, id: message.id, result });
  }
};
