// Runs on: main thread. Live records of collect sinks in an untransactional run (no checkpoints), the `records`
// messages on each thread's port (workers/output-link.ts is the other end). Each batch goes to its sink as it
// comes, so a reader (handle.output) gets it while the job runs; without a reader the sink keeps it for the result.
//
// A thread's result comes back through piscina, not through this port, and may arrive first: the attempt waits
// for every batch the thread says it posted before it takes the results its sinks posted after them.

import type { MessagePort } from 'node:worker_threads';
import type { LiveRecords } from '../../workers/output-link.js';
import type { ThreadResult } from '../../workers/assignment.js';
import type { CollectSinkSpec } from '../connectors/collect-sink.js';

/** How long the attempt waits for batches a thread posted (they are in its port's queue already). */
const RECEIVE_BOUND_MS = 10_000;

export class LiveRecordPorts {
  private readonly received: number[];
  private readonly listeners: ((m: { type?: unknown }) => void)[];
  /** Called when a batch arrives, while the attempt waits for the last ones. */
  private onBatch: (() => void) | undefined;

  /** `ports`: the main thread's end of each thread's port, by thread (the attempt's; other kinds pass by). */
  constructor(private readonly ports: readonly MessagePort[], sinkOf: (node: number) => CollectSinkSpec<unknown> | undefined) {
    this.received = new Array<number>(ports.length).fill(0);
    this.listeners = ports.map((port, thread) => {
      const listener = (m: { type?: unknown }): void => {
        if (m.type !== 'records') return;
        const r = m as LiveRecords;
        this.received[thread]!++;
        sinkOf(r.node)?.received(r.subtask, r.items);
        this.onBatch?.();
      };
      port.on('message', listener);
      return listener;
    });
  }

  /**
   * Resolves once every batch the threads' results count has arrived. A thread that died or was terminated counts
   * none (its run failed or was stopped: what came, came). Bounded, and says what is missing if the bound is hit.
   */
  async allReceived(results: readonly ThreadResult[]): Promise<void> {
    const missing = (): string[] => results
      .filter((r) => (r.liveBatches ?? 0) > this.received[r.thread]!)
      .map((r) => `thread ${r.thread}: ${this.received[r.thread]} of ${r.liveBatches}`);
    if (missing().length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        this.onBatch = () => { if (missing().length === 0) resolve(); };
        timer = setTimeout(() => reject(new Error(`live records of collect sinks did not all arrive within ${RECEIVE_BOUND_MS} ms (${missing().join(', ')})`)), RECEIVE_BOUND_MS);
      });
    } finally {
      this.onBatch = undefined;
      clearTimeout(timer);
    }
  }

  /** Stops listening (the attempt closes the ports). */
  close(): void {
    this.ports.forEach((port, thread) => port.off('message', this.listeners[thread]!));
  }
}
