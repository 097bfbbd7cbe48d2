// Runs on: main thread. Live records of collect sinks in an untransactional run (no checkpoints): one port per
// thread (workers/output-link.ts is the other end). Each batch goes to its sink as it comes, so a reader
// (handle.output) gets it while the job runs; without a reader the sink keeps it for the result.
//
// A thread's result (its records since the last batch) comes back through piscina, not through this port, and may
// arrive first: the attempt waits for every batch the thread says it posted before it takes the result's records.

import { MessageChannel, type MessagePort } from 'node:worker_threads';
import type { LiveRecords } from '../../workers/output-link.js';
import type { ThreadResult } from '../../workers/assignment.js';
import type { CollectSinkSpec } from '../connectors/collect-sink.js';

/** How long the attempt waits for batches a thread posted (they are in its port's queue already). */
const RECEIVE_BOUND_MS = 10_000;

export class LiveRecordPorts {
  private readonly channels: MessageChannel[];
  private readonly received: number[];
  /** Called when a batch arrives, while the attempt waits for the last ones. */
  private onBatch: (() => void) | undefined;

  constructor(threads: number, sinkOf: (node: number) => CollectSinkSpec<unknown> | undefined) {
    this.channels = Array.from({ length: threads }, () => new MessageChannel());
    this.received = new Array<number>(threads).fill(0);
    this.channels.forEach((c, thread) => {
      c.port1.on('message', (m: LiveRecords) => {
        this.received[thread]!++;
        sinkOf(m.node)?.received(m.subtask, m.items);
        this.onBatch?.();
      });
    });
  }

  /** The thread's end, moved to it with its assignment. */
  portOf(thread: number): MessagePort {
    return this.channels[thread]!.port2 as MessagePort;
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

  close(): void {
    for (const c of this.channels) c.port1.close();
  }
}
