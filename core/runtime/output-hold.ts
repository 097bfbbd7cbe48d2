// Runs on: main thread. Backpressure from a slow reader of a collect sink (handle.output) in a checkpointed run.
// Records reach the reader only when a checkpoint commits them, and a checkpoint completes only once its barriers
// have passed the sink: a sink that refused input would hold back the very barrier whose commit lets its reader go
// on. So the sources are held instead (shm/layout.ts, JOB_OUTPUT_HOLD): they read nothing while a reader has
// `bound` committed records unread, but still send barriers, so what is in flight drains, checkpoints complete, and
// the reader gets it. Unread records stay under the bound plus about two checkpoints' records: the commit that
// crossed it, and what the sources read until they were told (committed next). Output that processing-time timers
// make on their own is not held (only source reads are).

import { JOB_OUTPUT_HOLD } from '../../shm/layout.js';
import type { Flow } from './output-stream.js';

/** The run's holds: which collect sinks' readers hold the sources now, told to each attempt's threads in turn. */
export class OutputHolds {
  private readonly holding = new Set<number>();
  private attempt: { control: Int32Array; ring: () => void } | undefined;

  /** A new attempt: its sources start held if a reader is still behind (readers outlive restarts). */
  attach(control: Int32Array, ring: () => void): void {
    this.attempt = { control, ring };
    Atomics.store(control, JOB_OUTPUT_HOLD, this.holding.size);
  }

  detach(): void {
    this.attempt = undefined;
  }

  has(node: number): boolean {
    return this.holding.has(node);
  }

  set(node: number, hold: boolean): void {
    if (hold === this.holding.has(node)) return;
    if (hold) this.holding.add(node);
    else this.holding.delete(node);
    const a = this.attempt;
    if (a === undefined) return;
    Atomics.store(a.control, JOB_OUTPUT_HOLD, this.holding.size);
    // Released: held sources may be parked, and nothing else would ring them. A source that read the hold just
    // before this store parks only if its doorbell's sequence is unchanged since it looked, which this ring changes.
    if (this.holding.size === 0) a.ring();
  }
}

/** One reader's side: holds the sources once `bound` records wait unread, lets go at half of it (fewer flips). */
export class OutputHold implements Flow {
  constructor(private readonly holds: OutputHolds, private readonly node: number, private readonly bound: number) {}

  start(): void {}

  queued(unread: number): void {
    if (unread >= this.bound) this.holds.set(this.node, true);
  }

  took(unread: number): void {
    if (unread <= Math.floor(this.bound / 2)) this.holds.set(this.node, false);
  }

  stop(): void {
    this.holds.set(this.node, false);
  }

  holding(): boolean {
    return this.holds.has(this.node);
  }
}
