// Runs on: whichever thread emits events for a latency run (a baseline's main thread, a source subtask).
// Wall-clock pacing: events go out at a fixed rate, as the reference source sleeps until each event's
// wall-clock due time, so latency is measured under a known load rather than at saturation.

import { setTimeout as sleep } from 'node:timers/promises';
import { NexmarkConfigError } from './config.js';

/**
 * Tokens accrue at `eventsPerSec` from construction; `due()` says how many events may go now. It never lets a
 * burst run ahead of the schedule, and a stall is caught up (events are due by the schedule, not by the gap).
 * A parallel source gives each of its p subtasks a pacer at eventsPerSec / p.
 */
export class WallClockPacer {
  /** When the schedule starts, on this pacer's clock: event n is due at dueAt(startedAt, eventsPerSec, n). */
  readonly startedAt: number;
  private sent = 0;

  constructor(readonly eventsPerSec: number, private readonly now: () => number = () => performance.now()) {
    if (!(eventsPerSec > 0) || !Number.isFinite(eventsPerSec)) throw new NexmarkConfigError(`pacer: eventsPerSec must be a finite number > 0, got ${eventsPerSec}`);
    this.startedAt = now();
  }

  /** Events that may be emitted now. */
  due(): number {
    return Math.max(0, Math.floor(((this.now() - this.startedAt) / 1000) * this.eventsPerSec) - this.sent);
  }

  /** Records that `n` events were emitted. */
  took(n: number): void {
    this.sent += n;
  }

  /** Milliseconds until the next event is due (0 if one is due now). */
  waitMs(): number {
    return Math.max(0, ((this.sent + 1) / this.eventsPerSec) * 1000 - (this.now() - this.startedAt));
  }

  /** Wall-clock time (this pacer's clock) at which event number `n` (0-based) is due: for latency. */
  dueAt(n: number): number {
    return dueAt(this.startedAt, this.eventsPerSec, n);
  }
}

/**
 * When event number `n` (0-based) of a schedule started at `startedAt` at `eventsPerSec` falls due: `due()` lets
 * it go once n + 1 whole events have accrued. A latency measured against this time counts every wait the event
 * had after its turn came (no coordinated omission), and none before.
 */
export function dueAt(startedAt: number, eventsPerSec: number, n: number): number {
  return startedAt + ((n + 1) / eventsPerSec) * 1000;
}

/** `events` re-emitted at `eventsPerSec` of wall-clock time, sleeping between the batches that fall due. */
export async function* paced<T>(events: Iterable<T>, eventsPerSec: number): AsyncGenerator<T, void, undefined> {
  const pacer = new WallClockPacer(eventsPerSec);
  const it = events[Symbol.iterator]();
  for (;;) {
    let n = pacer.due();
    if (n === 0) {
      await sleep(Math.max(1, pacer.waitMs()));
      continue;
    }
    for (; n > 0; n--) {
      const next = it.next();
      if (next.done === true) return;
      pacer.took(1);
      yield next.value;
    }
  }
}
