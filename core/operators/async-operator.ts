// Runs on: the worker thread of the subtask that runs an async I/O operator (`stream.asyncMap`).
//
// The async I/O core (async-io.ts) as an operator of a chain. Each input starts a request; finished results are
// emitted when the subtask polls (every step, and when a completion rings the thread's doorbell), in input order
// or as they complete. At most `capacity` requests are in flight: while full the subtask stops feeding the chain,
// so the input backs up into the rings and upstream tasks (backpressure). Inputs that arrive while full in one
// push burst (a source's read, a flatMap's outputs) wait here, not started.
//
// Exactly-once: a checkpoint stores every input whose result is not out yet (in flight, finished but not
// emitted, waiting) as operator state; a restore issues them again, first. Results emitted before the barrier are
// downstream of it, the rest come from the re-issued requests: none lost, none emitted twice (a request itself may
// run twice). Watermarks, and the stream going idle, wait behind the inputs that came before them, so no result is
// late because its request was slow. End of input waits until every request is done.

import type { AsyncMapFunction, AsyncMapOptions } from '../api/async-map.js';
import type { OperatorRestore, OperatorSnapshot } from '../checkpoint/snapshot.js';
import type { LogicalNode } from '../graph/logical-graph.js';
import { AsyncIo, type AsyncIoOptions, type FailurePolicy } from './async-io.js';
import { Operator, type Downstream, type HoldsRecords } from './operator.js';
import type { TaskContext } from './task-context.js';
import { MIN_WATERMARK } from '../time/watermark.js';

/**
 * Most latency markers held at once. A marker is a sample, not data: with a request that never settles (timeoutMs
 * left at Infinity) one more would be held every latency interval, for ever. Past this, every other one held is
 * dropped and from then on every other one that comes (the stride doubles each time), so those held stay spread
 * evenly over the wait, the oldest kept: the newest alone would show a stall of minutes as a few intervals.
 */
export const MAX_HELD_MARKERS = 64;

/** An input and its event time, as held and as checkpointed (plain data). */
interface Entry<I> {
  readonly value: I;
  readonly ts: number;
}

function toCoreOptions<I, R>(o: AsyncMapOptions<I, R>, onSettle: (() => void) | undefined, sharedSignal: boolean): AsyncIoOptions<Entry<I>, R> {
  const t = o.onTimeout;
  const onTimeout: FailurePolicy<Entry<I>, R> = t === undefined || t === 'error' ? 'fail' : t === 'drop' ? 'drop' : { fallback: (e, err) => t.fallback(e.value, err) };
  return {
    ordered: o.ordered, capacity: o.capacity, timeoutMs: o.timeoutMs, retries: o.retries, retryDelayMs: o.retryDelayMs,
    onTimeout, onError: 'fail', onSettle, sharedSignal,
  };
}

export class AsyncOperator<I, R> extends Operator<I, R> implements HoldsRecords {
  private readonly io: AsyncIo<Entry<I>, R>;
  /** Inputs pushed while full, not started yet, in order. */
  private waiting: Entry<I>[] = [];
  /** Inputs taken in so far (restored ones included): the sequence number of the next one. */
  private seq = 0;
  /** Watermarks held until every input before them (index < upTo) is out. */
  private watermarks: { wm: number; upTo: number }[] = [];
  /** Latency markers held likewise (holdMarker): passed on once every input before them is out. */
  private markers: { pass: () => void; upTo: number }[] = [];
  /** Of the markers that come while some are held, one in `markerStride` is kept; `markerSkip` more are dropped first. */
  private markerStride = 1;
  private markerSkip = 0;
  /** Markers dropped by the thinning (skipped, or let go of when full) or held at close: the task's metrics count them. */
  latencyMarkersDropped = 0;
  /**
   * Upstream went idle while results were still due: held like a watermark. Passed on at once, downstream would
   * stop waiting for this input, let its other inputs move event time on, and find those results late.
   */
  private idleHeld = false;
  /**
   * The watermark below this operator: the last one it let out. Results and held watermarks go out later, from
   * pollPending, when the chain above has put its own back (TaskContext.watermark): they go with this one (else,
   * below an assigner, operators here see the watermark from above it, or none at all).
   */
  private released = MIN_WATERMARK;
  private ending = false;
  private ended = false;
  private ioDropped = 0;
  private readonly emitResult = (r: R, e: Entry<I>): void => {
    this.ctx.timestamp = e.ts;
    this.recordsOut++;
    this.next.push(r);
  };
  private readonly failResult = (e: Entry<I>, error: Error): void => {
    this.ctx.timestamp = e.ts;
    this.rejected(error, e.value);
  };

  constructor(name: string, ctx: TaskContext, next: Downstream<R>, fn: AsyncMapFunction<I, R>, options: AsyncMapOptions<I, R>) {
    super(name, ctx, next);
    // A function that declares no signal parameter (`async (x) => ...`) cannot listen to it: its requests share one.
    this.io = new AsyncIo<Entry<I>, R>((e, signal) => fn(e.value, signal), toCoreOptions(options, () => ctx.wake(), fn.length < 2), name);
  }

  push(value: I): void {
    this.recordsIn++;
    this.take({ value, ts: this.ctx.timestamp });
  }

  private take(e: Entry<I>): void {
    this.seq++;
    if (this.waiting.length === 0 && this.io.canAccept) this.io.push(e);
    else this.waiting.push(e);
  }

  get inFlight(): number {
    return this.io.size;
  }

  get capacity(): number {
    return this.io.capacity;
  }

  holdMarker<M>(marker: M, pass: (marker: M) => void): void {
    if (this.firstPending >= this.seq) { pass(marker); return; }
    if (this.markers.length === 0) { this.markerStride = 1; this.markerSkip = 0; }
    if (this.markerSkip > 0) { this.markerSkip--; this.latencyMarkersDropped++; return; }
    if (this.markers.length >= MAX_HELD_MARKERS) {
      // Every other one, the oldest first; dropped ones' inputs are out no later than the next kept one's.
      const held = this.markers.length;
      this.markers = this.markers.filter((_, i) => i % 2 === 0);
      this.latencyMarkersDropped += held - this.markers.length;
      this.markerStride *= 2;
    }
    this.markers.push({ pass: () => pass(marker), upTo: this.seq });
    this.markerSkip = this.markerStride - 1;
  }

  /** Passes on the held markers whose inputs are all out. */
  private releaseMarkers(): number {
    const first = this.firstPending;
    let k = 0;
    while (k < this.markers.length && this.markers[k]!.upTo <= first) k++;
    if (k === 0) return 0;
    const due = this.markers.splice(0, k);
    for (const m of due) m.pass();
    return k;
  }

  canAcceptInput(): boolean {
    return this.waiting.length === 0 && this.io.canAccept;
  }

  hasPendingWork(): boolean {
    return this.io.pollable || (this.waiting.length > 0 && this.io.canAccept) || (this.ending && !this.ended && this.drained);
  }

  get drained(): boolean {
    return this.waiting.length === 0 && this.io.idle;
  }

  pollPending(budget: number): number {
    const ctx = this.ctx;
    const above = ctx.watermark;
    ctx.watermark = this.released;
    try {
      return this.poll(budget);
    } finally {
      ctx.watermark = above;
    }
  }

  private poll(budget: number): number {
    let done = this.io.poll(this.emitResult, budget, this.failResult);
    if (this.io.dropped !== this.ioDropped) { this.dropped += this.io.dropped - this.ioDropped; this.ioDropped = this.io.dropped; }
    while (this.waiting.length > 0 && this.io.canAccept) { this.io.push(this.waiting.shift()!); done++; }
    if (this.markers.length > 0) done += this.releaseMarkers();
    if (this.watermarks.length > 0) done += this.releaseWatermarks();
    if (this.idleHeld && this.nothingDue) {
      this.idleHeld = false;
      this.next.idle(true);
      done++;
    }
    if (this.ending && !this.ended && this.drained) {
      this.ended = true;
      this.next.finish();
      done++;
    }
    return done;
  }

  /** The index of the oldest input not out yet: inputs start in order, so the core's index is our sequence. */
  private get firstPending(): number {
    return this.io.firstPending;
  }

  /** No watermark is held and every input taken in so far is out: what comes now may pass at once. */
  private get nothingDue(): boolean {
    return this.watermarks.length === 0 && this.firstPending >= this.seq;
  }

  private releaseWatermarks(): number {
    const first = this.firstPending;
    let k = 0;
    while (k < this.watermarks.length && this.watermarks[k]!.upTo <= first) k++;
    if (k === 0) return 0;
    const wm = this.watermarks[k - 1]!.wm;
    this.watermarks.splice(0, k);
    this.released = wm;
    this.ctx.watermark = wm;
    this.next.watermark(wm);
    return 1;
  }

  override watermark(watermark: number): void {
    if (this.nothingDue) { this.released = watermark; this.next.watermark(watermark); return; }
    this.watermarks.push({ wm: watermark, upTo: this.seq });
  }

  override idle(idle: boolean): void {
    if (!idle) {
      // Active again before the held idleness went out: downstream never saw it go idle.
      if (this.idleHeld) this.idleHeld = false;
      else this.next.idle(false);
      return;
    }
    if (this.nothingDue) this.next.idle(true);
    else this.idleHeld = true;
  }

  override finish(): void {
    this.ending = true;
    if (this.drained) {
      if (this.markers.length > 0) this.releaseMarkers();
      if (this.watermarks.length > 0) this.releaseWatermarks();
      this.ended = true;
      this.next.finish();
    }
  }

  override snapshotState(_checkpointId: number): OperatorSnapshot {
    return { operator: [...this.io.inFlight(), ...this.waiting], redistribute: 'split' };
  }

  override restoreState(state: OperatorRestore): void {
    for (const e of state.operator as Entry<I>[]) {
      this.recordsIn++;
      this.take({ value: e.value, ts: typeof e.ts === 'number' ? e.ts : NaN });
    }
  }

  close(): void {
    // The markers held go no further (a cancel, a failure): dropped, as the thinning's are.
    this.latencyMarkersDropped += this.markers.length;
    this.markers = [];
    this.io.close();
  }
}

export function buildAsyncOperator(n: LogicalNode, ctx: TaskContext, next: Downstream<unknown>): Operator<unknown, unknown> {
  return new AsyncOperator(n.name, ctx, next, n.fn as AsyncMapFunction<unknown, unknown>, (n.spec ?? {}) as AsyncMapOptions<unknown, unknown>);
}
