// Runs on: the worker thread of one subtask. What the operators of one chain share while a record passes through
// it: the record's timestamp, the task's event-time watermark, and where the subtask sits in the job.
//
// Why a shared register instead of a timestamp argument on every push: chained operators call each other
// synchronously, so one record is in flight in a chain at a time; a field the pusher sets and the next operator
// reads is Flink's StreamRecord timestamp without a wrapper object or a wider call signature on the hot path.

import { MIN_WATERMARK } from '../time/watermark.js';

/**
 * The event-loop turns of the task loop running a subtask (Infinity where no task loop runs: unit tests). One object
 * per task loop, shared by its subtasks' contexts, written by that loop and its marker (`loopCameBack`). A source's
 * promise settles only in a turn, so a source waiting on one is idle only up to `turnAt`: heavy user code that keeps
 * the thread from the event loop, or the OS starving the thread, is not the source's silence.
 */
export interface EventLoopTurns {
  /**
   * Up to when every timer and I/O callback due has had its turn: a return of the loop from the event loop after
   * which a timers phase and a poll phase have run. The return itself is not enough: one that ends a wait the OS
   * starved may come in the poll or check phase, and timers that fell due meanwhile (a source's ready()) run only in
   * the next timers phase; a second return in the same pass (a neighbour's yield) comes before it too.
   */
  turnAt: number;
  /** The return whose marker is scheduled (NaN: none): one at a time. */
  markAt: number;
}

export function eventLoopTurns(now: number): EventLoopTurns {
  return { turnAt: now, markAt: Number.NaN };
}

/**
 * The task loop came back from the event loop at `now`: a marker moves `turnAt` there once a timers phase (a 1 ms
 * timer, after every timer due by `now`) and then a poll phase (its setImmediate, in the check phase after it) ran.
 */
export function loopCameBack(turns: EventLoopTurns, now: number): void {
  if (turns.markAt === turns.markAt) return;
  turns.markAt = now;
  setTimeout(() => setImmediate(() => { turns.turnAt = turns.markAt; turns.markAt = Number.NaN; }), 0).unref();
}

export class TaskContext {
  /** Event time of the record being pushed (NaN: it has none). Set by whoever pushes: source, input gate, operator. */
  timestamp = NaN;
  /**
   * The watermark where the chain is now: the minimum over the task's inputs (set by the input gate), except
   * below an operator that makes its own event time (a timestamps operator, a chained broadcast merging its
   * inputs). Such an operator sets its own while it calls down the chain and puts the one above back when the
   * call returns: operators above it never see it (else a re-stamping assigner chained behind a window makes
   * the window drop on-time records as late).
   */
  watermark = MIN_WATERMARK;
  /**
   * The task's watermark as its chain emits it, for metrics: written by an operator that makes its own event time
   * (NaN: none does; the task's is `watermark`).
   */
  emittedWatermark = NaN;
  /** Source tasks: when the source's reads began finding nothing (performance.now()), or NaN while it has data. */
  sourceIdleSince = NaN;
  /**
   * Source tasks: the source's last read found nothing and its reader holds no split (SourceReader.hasSplits): an
   * assigner right behind it is idle whatever its strategy's idleness, until a record comes.
   */
  sourceHoldsNoSplit = false;
  /** Source tasks: the promise the source waits on (its ready()) has settled, and it has not been read since. */
  sourceSettled = false;
  /** The task loop's last event-loop turn (set by runTaskLoop before its first round). */
  eventLoop: EventLoopTurns = { turnAt: Infinity, markAt: Number.NaN };
  /**
   * Source tasks: how often the source's reader has been called. A per-split idleness clock moves on only over an
   * interval with a read: held records draining into the chain under backpressure are no read of any split.
   */
  sourceReads = 0;
  /** Rings this thread's doorbell: work for the task arrived from outside the loop (an async completion). Set by the task host. */
  wake: () => void = () => {};
  /** Keyed state snapshots encode values as typed columns (RunOptions.columnarState). Set by the task host. */
  columnarState = true;
  /** State's fast paths: KeySlots for typed state, one timer per key inline, TTL slack, own and broadcast state packed at the barrier (RunOptions.stateFastPaths). Set by the task host. */
  stateFastPaths = true;

  constructor(
    readonly taskName: string,
    readonly subtask: number,
    readonly parallelism: number,
    readonly maxParallelism: number,
  ) {}
}
