// Runs on: a worker thread. Live records (untransactional runs only), on the thread's port to the main thread
// (ThreadAssignment.port): what its collect sinks' writers drain while the job runs goes up to the main thread,
// where a reader (handle.output) can take it before the job ends. With checkpoints, records travel as committed
// transactions instead (exactly once across restarts), and none go this way.

import type { MessagePort } from 'node:worker_threads';

/** One batch of a sink subtask's records, in the order the subtask wrote them. */
export interface LiveRecords {
  /** Its kind among the messages on the thread's port (ThreadAssignment.port). */
  readonly type: 'records';
  readonly node: number;
  readonly subtask: number;
  readonly items: unknown[];
}

export class OutputLink {
  /**
   * Batches posted so far; the thread's result carries the count, and the main thread waits for that many before
   * it takes the result's own records (the end's), which come on another channel and could overtake them.
   */
  batches = 0;

  constructor(private readonly port: MessagePort) {}

  post(node: number, subtask: number, items: unknown[]): void {
    const m: LiveRecords = { type: 'records', node, subtask, items };
    this.port.postMessage(m);
    this.batches++;
  }
}
