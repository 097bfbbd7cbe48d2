// Runs on: worker threads (warnFromWorker: a reader that has something to say while the job runs) and the main
// thread (listenWorkerWarnings: the run's warn, so onWarning and the CLI hear it).
//
// A BroadcastChannel per attempt, named in the thread's assignment: no port to transfer, and a reader deep in a
// connector needs no handle on anything to use it.

import { BroadcastChannel } from 'node:worker_threads';
import { randomUUID } from 'node:crypto';

let channel: BroadcastChannel | undefined;

/** Worker thread, at the start and end of its run (undefined): where warnFromWorker posts. */
export function useWorkerWarnings(name: string | undefined): void {
  channel?.close();
  channel = undefined;
  if (name === undefined) return;
  channel = new BroadcastChannel(name);
  // A channel is no reason to keep a thread alive.
  (channel as unknown as { unref?: () => void }).unref?.();
}

/** Said to the run's warn on the main thread (outside a run, as a process warning). */
export function warnFromWorker(message: string): void {
  if (channel !== undefined) channel.postMessage(message);
  else process.emitWarning(message, 'SluiceWarning');
}

/** Main thread: a channel whose messages go to `warn`, and how to stop listening. */
export function listenWorkerWarnings(warn: (message: string) => void): { name: string; close(): void } {
  const name = `sluice-warnings-${randomUUID()}`;
  const c = new BroadcastChannel(name);
  (c as unknown as { unref?: () => void }).unref?.();
  c.onmessage = (e) => { warn(String((e as MessageEvent).data)); };
  return { name, close: () => c.close() };
}
