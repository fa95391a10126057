// Request/response over postMessage: one promise per request, matched by id. No DOM.

import { ERROR_KIND, MSG } from './messages.js';

export class WorkerError extends Error {
  constructor({ kind, message }) {
    super(message);
    this.kind = kind;
  }
}

export class WorkerClient {
  // `early`: a worker the page's inline script started before this module loaded
  // (docs/classifier.md), {worker, messages, errors}; its INIT went out as request 0, and what
  // it said meanwhile was kept. `earlyInit` then settles with that INIT's answer.
  constructor(url, early = null) {
    this.worker = early ? early.worker : new Worker(url, { type: 'module' });
    this.pending = new Map();
    this.nextId = 1;
    this.dead = null;
    this.worker.onmessage = ({ data }) => this.receive(data);
    // a worker that fails to start (its script 404s, a syntax error) fails every request
    this.worker.onerror = (event) => {
      event.preventDefault();
      this.die(event.message);
    };
    this.earlyInit = null;
    if (early) {
      this.earlyInit = new Promise((resolve, reject) => this.pending.set(0, { resolve, reject }));
      for (const data of early.messages) this.receive(data);
      if (early.errors.length) this.die(early.errors[0]);
    }
  }

  receive(data) {
    const entry = this.pending.get(data.id);
    if (!entry) return;
    if (data.type === MSG.PROGRESS) {
      entry.onProgress?.(data);
      return;
    }
    this.pending.delete(data.id);
    if (data.type === MSG.DONE) entry.resolve(data);
    else entry.reject(new WorkerError(data.error));
  }

  die(message) {
    this.dead = `The classifier's worker stopped (${message || 'its script could not be loaded'}); reload the page.`;
    this.failAll(this.dead);
  }

  request(type, payload = {}, { transfer = [], onProgress } = {}) {
    if (this.dead) return Promise.reject(new WorkerError({ kind: ERROR_KIND.RUNTIME, message: this.dead }));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, onProgress });
      this.worker.postMessage({ type, id, ...payload }, transfer);
    });
  }

  failAll(message) {
    for (const { reject } of this.pending.values()) reject(new WorkerError({ kind: ERROR_KIND.RUNTIME, message }));
    this.pending.clear();
  }

  terminate() {
    this.worker.terminate();
    this.failAll('The worker was replaced.');
  }
}
