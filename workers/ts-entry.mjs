// Runs on: a worker thread, first. Loads the worker's real module, which may be TypeScript.
//
// Why: on Node 20 a worker does not inherit the parent's `--import tsx` loader hooks, so a .ts module fails
// with ERR_UNKNOWN_FILE_EXTENSION. Registering tsx here makes workers load TypeScript exactly as the main thread
// does, with no build step. Plain .js modules load without tsx.
//
// The module to load is passed as workerData.__entry (a file URL string).
import { workerData } from 'node:worker_threads';

const entry = workerData && workerData.__entry;
if (typeof entry !== 'string') throw new TypeError('ts-entry: workerData.__entry must be the URL of the worker module');
if (/\.(c|m)?tsx?$/.test(new URL(entry).pathname)) {
  const { register } = await import('tsx/esm/api');
  register();
}
await import(entry);
