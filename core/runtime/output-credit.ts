// Runs on: main thread. What the subtasks of a collect sink are told of its reader (handle.output): that there is
// one (they hand their records over as they go), and, with a bound (RunOptions.outputBufferRecords), credit: they
// may take records while fewer than `bound` are taken and not yet read (shm/layout.ts, output flow;
// core/operators/live-sink-operator.ts is the other side).

import { OUTPUT_CREDIT, OUTPUT_FLOW_ON, OUTPUT_READER, OUTPUT_TAKEN } from '../../shm/layout.js';
import type { Flow } from './output-stream.js';

export class OutputCredit implements Flow {
  /** Records readers of this sink have read, over the run. */
  private read = 0;
  /** `read` when the credit was last raised. */
  private grantedAt = 0;

  /** `bound`: Infinity for none. `ring`: rings every thread's doorbell (a subtask that found no credit may be parked). */
  constructor(private readonly flow: Int32Array, private readonly base: number, private readonly bound: number, private readonly ring: () => void) {}

  /** A reader came. No ring: while FLOW_ON was 0, no subtask waited for credit. */
  start(): void {
    Atomics.store(this.flow, this.base + OUTPUT_READER, 1);
    if (this.bound === Infinity) return;
    this.grantedAt = this.read;
    Atomics.store(this.flow, this.base + OUTPUT_CREDIT, (this.read + this.bound) | 0);
    Atomics.store(this.flow, this.base + OUTPUT_FLOW_ON, 1);
  }

  /** A record was read. Raises the credit each half bound, not each record: fewer stores, fewer wake-ups. */
  took(): void {
    this.read++;
    if (this.read - this.grantedAt >= Math.max(1, Math.floor(this.bound / 2))) this.grant();
  }

  /** The reader stopped: the subtasks take input freely again. */
  stop(): void {
    Atomics.store(this.flow, this.base + OUTPUT_FLOW_ON, 0);
    Atomics.store(this.flow, this.base + OUTPUT_READER, 0);
    // After the stores: a subtask parked for credit wakes and sees the flow off (rung before, it could re-park on it).
    this.ring();
  }

  /** The subtasks have used the credit up: they take no input until the reader reads on. */
  holding(): boolean {
    const f = this.flow;
    return Atomics.load(f, this.base + OUTPUT_FLOW_ON) === 1 && ((Atomics.load(f, this.base + OUTPUT_CREDIT) - Atomics.load(f, this.base + OUTPUT_TAKEN)) | 0) <= 0;
  }

  /** More credit, as the reader reads on. */
  private grant(): void {
    const f = this.flow;
    const before = Atomics.load(f, this.base + OUTPUT_CREDIT);
    this.grantedAt = this.read;
    Atomics.store(f, this.base + OUTPUT_CREDIT, (this.read + this.bound) | 0);
    // Subtasks that reached the old credit may be parked, waiting for this one. Stored first, then checked: a
    // subtask that took the last record of the old credit after this load also read the credit after the store
    // (sequentially consistent Atomics), so it saw the new one; checked first, one could take that record between
    // the check and the store, see the old credit, park, and not be rung.
    if (((before - Atomics.load(f, this.base + OUTPUT_TAKEN)) | 0) <= 0) this.ring();
  }
}
