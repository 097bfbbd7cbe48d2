// Runs on: worker threads (workerWarnings: what a thread's readers say while the job runs, through their
// ReaderContext) and the main thread (WorkerWarningsListener: the run's warn, so onWarning and the CLI hear it).
//
// A BroadcastChannel per attempt, named in the thread's assignment: no port to transfer. Each thread's run opens
// its own end and closes it when the run ends (a kept thread runs job after job: nothing is left in module state).
//
// A thread's result comes back through piscina, not through this channel, and may arrive first: the thread counts
// the warnings it posted in its result, and the attempt waits for that many before it stops listening.

import { BroadcastChannel } from 'node:worker_threads';
import { randomUUID } from 'node:crypto';
import type { ThreadResult } from '../../workers/assignment.js';

/** How long the attempt waits for warnings a thread posted (they are on their way already). */
const RECEIVE_BOUND_MS = 10_000;

/** What a thread posts: its number, so the main thread can count per thread. */
interface PostedWarning {
  thread: number;
  message: string;
}

export interface WorkerWarnings {
  warn(message: string): void;
  /** Warnings posted on the channel so far (ThreadResult.warnings). */
  readonly posted: number;
  close(): void;
}

/** Worker thread, for one run: where its readers' warnings go (no channel: a process warning of the thread). */
export function workerWarnings(name: string | undefined, thread: number): WorkerWarnings {
  if (name === undefined) return { warn: (m) => { process.emitWarning(m, 'SluiceWarning'); }, posted: 0, close() {} };
  const channel = new BroadcastChannel(name);
  // A channel is no reason to keep a thread alive.
  (channel as unknown as { unref?: () => void }).unref?.();
  let posted = 0;
  return {
    warn: (message) => { channel.postMessage({ thread, message } satisfies PostedWarning); posted++; },
    get posted() { return posted; },
    close: () => { channel.close(); },
  };
}

/** Main thread: a channel whose messages go to `warn`, counted per thread. */
export class WorkerWarningsListener {
  readonly name = `sluice-warnings-${randomUUID()}`;
  private readonly channel = new BroadcastChannel(this.name);
  private readonly received = new Map<number, number>();
  /** Called when a warning arrives, while the attempt waits for the last ones. */
  private onWarning: (() => void) | undefined;

  constructor(warn: (message: string) => void) {
    (this.channel as unknown as { unref?: () => void }).unref?.();
    // Typed by hand: DOM's and undici's MessageEvent differ, and a user's check may see either.
    this.channel.onmessage = (e: unknown) => {
      const { thread, message } = (e as { data: PostedWarning }).data;
      this.received.set(thread, (this.received.get(thread) ?? 0) + 1);
      warn(message);
      this.onWarning?.();
    };
  }

  /**
   * Resolves once every warning the threads' results count has arrived. A thread that died or was terminated
   * counts none. Bounded: a warning still missing at the bound is said as missing, not waited for.
   */
  async allReceived(results: readonly ThreadResult[], warn: (message: string) => void): Promise<void> {
    const missing = (): string[] => results
      .filter((r) => (r.warnings ?? 0) > (this.received.get(r.thread) ?? 0))
      .map((r) => `thread ${r.thread}: ${this.received.get(r.thread) ?? 0} of ${r.warnings}`);
    if (missing().length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    try {
      await new Promise<void>((resolve) => {
        this.onWarning = () => { if (missing().length === 0) resolve(); };
        timer = setTimeout(() => {
          warn(`warnings of worker threads did not all arrive within ${RECEIVE_BOUND_MS} ms (${missing().join(', ')})`);
          resolve();
        }, RECEIVE_BOUND_MS);
      });
    } finally {
      this.onWarning = undefined;
      clearTimeout(timer);
    }
  }

  close(): void {
    this.channel.close();
  }
}
