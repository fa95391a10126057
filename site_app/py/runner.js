// The page's side of the Pyodide worker: start it on first use, send runs one at a time,
// and stop a run that takes too long by terminating the worker and starting a new one.
// exercise.js and console.js share one runner per page (ES modules are singletons).

import { MSG, RUN_TIMEOUT_MS } from './messages.js';

export const TIMEOUT_SECONDS = RUN_TIMEOUT_MS / 1000;

class PythonRunner {
  #worker = null;
  #ready = null;          // Promise<loadMs> for the current worker
  #pending = new Map();   // run id -> resolve
  #nextId = 1;
  #queue = Promise.resolve();
  #listeners = new Set();

  // f(event): {state: 'loading'|'ready'|'restarting'|'failed', loadMs?, message?}
  onStatus(f) {
    this.#listeners.add(f);
  }

  #emit(event) {
    for (const f of this.#listeners) f(event);
  }

  get started() {
    return this.#ready !== null;
  }

  // Create the worker and wait for Pyodide. Nothing is downloaded before this is called.
  start(state = 'loading') {
    if (this.#ready) return this.#ready;
    this.#emit({ state });
    const worker = new Worker(new URL('./pyodide-worker.js', import.meta.url), { type: 'module' });
    this.#worker = worker;
    this.#ready = new Promise((resolve, reject) => {
      worker.onmessage = ({ data }) => {
        if (data.type === MSG.READY) {
          this.#emit({ state: 'ready', loadMs: data.loadMs });
          resolve(data.loadMs);
        } else if (data.type === MSG.LOAD_ERROR) {
          reject(new Error(data.message));
        } else if (data.type === MSG.RESULT) {
          const done = this.#pending.get(data.id);
          this.#pending.delete(data.id);
          if (done) done(data.result);
        }
      };
      worker.onerror = (event) => {
        event.preventDefault();
        reject(new Error(event.message || 'the Python worker could not start'));
      };
    });
    this.#ready.catch((error) => {
      // let the next Run try again from scratch
      if (this.#worker === worker) this.#discard();
      this.#emit({ state: 'failed', message: error.message });
    });
    worker.postMessage({ type: MSG.INIT });
    return this.#ready;
  }

  #discard() {
    this.#worker.terminate();
    this.#worker = null;
    this.#ready = null;
    this.#pending.clear();
  }

  // Run `request` ({kind, code, exercise?}) after any run already queued. Resolves with the
  // sandbox's result ({stdout, stderr, error, passed?, message?}) or {timedOut: true}.
  run(request) {
    const job = this.#queue.then(() => this.#runNow(request));
    this.#queue = job.catch(() => {});
    return job;
  }

  async #runNow(request) {
    await this.start();
    const id = this.#nextId++;
    const worker = this.#worker;
    return new Promise((resolve) => {
      // the clock starts once Pyodide is ready, so a slow download never counts as a runaway
      const timer = setTimeout(() => {
        if (this.#worker === worker) {
          this.#discard();
          this.start('restarting').catch(() => {});
        }
        resolve({ timedOut: true });
      }, RUN_TIMEOUT_MS);
      this.#pending.set(id, (result) => {
        clearTimeout(timer);
        resolve(result);
      });
      worker.postMessage({ type: MSG.RUN, id, ...request });
    });
  }
}

let runner = null;

export function getRunner() {
  runner ??= new PythonRunner();
  return runner;
}

// Text for a run that was stopped, shared by the exercises and the console.
export function timeoutMessage() {
  return `Stopped: your code was still running after ${TIMEOUT_SECONDS} seconds, so Python was ` +
    'restarted (variables you defined are gone). Check for a loop that never ends, then run again.';
}
