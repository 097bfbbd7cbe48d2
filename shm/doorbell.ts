// Runs on: any thread. A consumer's doorbell: one place a consumer parks while waiting for any of its inputs.
//
// A thread that reads several rings parks on one doorbell that all of their producers ring, so a task waiting
// for input never stalls its neighbours on the same thread. A lone ring carries its own doorbell.
//
// Protocol (the lost-wake-up race it prevents is a consumer parking just after a producer published):
//   consumer: seq = arm()          load SEQ, then store WAITING = 1
//             check every input    (sees any data published before WAITING = 1 became visible)
//             park(seq)            Atomics.wait(SEQ, seq): returns at once if SEQ moved since arm()
//             disarm()             WAITING = 0
//   producer: store WRITE (publish), then ring(): if WAITING == 1, SEQ += 1 and notify
// Atomics are sequentially consistent, so either the consumer's check sees the producer's WRITE or the
// producer's load sees WAITING == 1 and moves SEQ, which makes the consumer's wait return.

import { DOORBELL_SEQ, DOORBELL_SLOTS, DOORBELL_WAITING } from './layout.js';
import { waitAsync } from './wait-async.js';

export class Doorbell {
  readonly i32: Int32Array;
  private readonly seqIndex: number;
  private readonly waitingIndex: number;

  /** A doorbell at Int32 index `base` of `buffer` (DOORBELL_SLOTS slots from there belong to it). */
  constructor(buffer: SharedArrayBuffer, base = 0) {
    this.i32 = new Int32Array(buffer);
    this.seqIndex = base + DOORBELL_SEQ;
    this.waitingIndex = base + DOORBELL_WAITING;
  }

  /** A doorbell in a buffer of its own, on its own cache line. */
  static create(): Doorbell {
    return new Doorbell(new SharedArrayBuffer(DOORBELL_SLOTS * 4), 0);
  }

  /** Producer side, after publishing: wake the consumer only if it said it is parking (a notify costs ~300 ns). */
  ring(): void {
    if (Atomics.load(this.i32, this.waitingIndex) !== 0) {
      // SEQ moves before the notify: a consumer between `arm` and `park` then finds SEQ changed and does not sleep.
      Atomics.add(this.i32, this.seqIndex, 1);
      Atomics.notify(this.i32, this.seqIndex);
    }
  }

  /** Wake the consumer whether or not it is parked (abort, shutdown). */
  ringAlways(): void {
    // As in `ring`: SEQ first, so a consumer about to park sees the change instead of missing the notify.
    Atomics.add(this.i32, this.seqIndex, 1);
    Atomics.notify(this.i32, this.seqIndex);
  }

  /** Consumer side: announce the intent to park. The caller must re-check its inputs before `park`. */
  arm(): number {
    const seq = Atomics.load(this.i32, this.seqIndex);
    Atomics.store(this.i32, this.waitingIndex, 1);
    return seq;
  }

  disarm(): void {
    Atomics.store(this.i32, this.waitingIndex, 0);
  }

  /** Blocks the thread until rung or `timeoutMs` passes. Only for threads with nothing else to do. */
  park(seq: number, timeoutMs: number): void {
    // A ring since `arm` changed SEQ from `seq`: the wait returns at once (the lost wake-up arm's store prevents).
    Atomics.wait(this.i32, this.seqIndex, seq, timeoutMs);
  }

  /** Resolves when rung or after `timeoutMs`; keeps the event loop running meanwhile. */
  parkAsync(seq: number, timeoutMs: number): Promise<unknown> | undefined {
    // As `park`: a ring since `arm` resolves at once.
    const r = waitAsync(this.i32, this.seqIndex, seq, timeoutMs);
    return r.async ? r.value : undefined;
  }
}
