// Runs on: worker threads (workerWarnings: what a thread's readers say while the job runs, through their
// ReaderContext) and the main thread (listenWorkerWarnings: the run's warn, so onWarning and the CLI hear it).
//
// A BroadcastChannel per attempt, named in the thread's assignment: no port to transfer. Each thread's run opens
// its own end and closes it when the run ends (a kept thread runs job after job: nothing is left in module state).

import { BroadcastChannel } from 'node:worker_threads';
import { randomUUID } from 'node:crypto';

export interface WorkerWarnings {
  warn(message: string): void;
  close(): void;
}

/** Worker thread, for one run: where its readers' warnings go (no channel: a process warning of the thread). */
export function workerWarnings(name: string | undefined): WorkerWarnings {
  if (name === undefined) return { warn: (m) => { process.emitWarning(m, 'SluiceWarning'); }, close() {} };
  const channel = new BroadcastChannel(name);
  // A channel is no reason to keep a thread alive.
  (channel as unknown as { unref?: () => void }).unref?.();
  return { warn: (m) => { channel.postMessage(m); }, close: () => { channel.close(); } };
}

/** Main thread: a channel whose messages go to `warn`, and how to stop listening. */
export function listenWorkerWarnings(warn: (message: string) => void): { name: string; close(): void } {
  const name = `sluice-warnings-${randomUUID()}`;
  const c = new BroadcastChannel(name);
  (c as unknown as { unref?: () => void }).unref?.();
  // Typed by hand: DOM's and undici's MessageEvent differ, and a user's check may see either.
  c.onmessage = (e: unknown) => { warn(String((e as { data?: unknown }).data)); };
  return { name, close: () => c.close() };
}
