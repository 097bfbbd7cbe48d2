// Runs on: the test's main thread. Starts real worker threads and collects what they report.

import { Worker } from 'node:worker_threads';

const tsEntry = new URL('../../workers/ts-entry.mjs', import.meta.url);

/** Starts a worker on a TypeScript fixture and resolves with its one message; rejects if it exits without one. */
export function runWorker<R>(fixture: URL, workerData: Record<string, unknown>): { result: Promise<R>; worker: Worker } {
  const worker = new Worker(tsEntry, { workerData: { ...workerData, __entry: fixture.href } });
  const result = new Promise<R>((resolve, reject) => {
    let got = false;
    worker.once('message', (m: R) => { got = true; resolve(m); });
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (!got) reject(new Error(`worker ${fixture.pathname} exited with code ${code} before reporting`));
    });
  });
  return { result, worker };
}
