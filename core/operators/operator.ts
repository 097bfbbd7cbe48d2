// Runs on: the worker thread of the subtask. The contract between chained operators.
//
// A chain is a linked list of operators: each `push` runs the user function and pushes its outputs into the
// next. Chained operators exchange records as plain function calls: no ring, no encoding. A record's timestamp
// travels beside it in the chain's TaskContext. Watermarks and the idle status flow down the same links, in
// order with the records.

import { JobDefinitionError, OperatorError } from '../api/errors.js';
import { deadLetter, type DeadLetter, type ErrorPolicy } from '../api/dead-letters.js';
import type { TaskContext } from './task-context.js';
import type { OperatorSnapshot, OperatorRestore } from '../checkpoint/snapshot.js';

export interface Downstream<T> {
  /** A record; its timestamp is the chain's `TaskContext.timestamp`. */
  push(value: T): void;
  /** Event time has reached `watermark`: no record with a smaller timestamp should follow. */
  watermark(watermark: number): void;
  /** This stream has nothing to deliver for now (true), or is active again (false): downstream watermarks stop or resume waiting for it. */
  idle(idle: boolean): void;
  /** End of stream: flush whatever the operator still holds, then pass the end on. */
  finish(): void;
}

/** Counters of one operator instance; `in` counts records pushed into it. */
export interface OperatorCounters {
  recordsIn: number;
  recordsOut: number;
  /** Records dropped because they were late (event-time windows and joins without a late-data side output). */
  lateRecordsDropped: number;
  /** Records skipped by the 'drop' error policy. */
  dropped: number;
  /** Records sent to DEAD_LETTERS by the 'dead-letter' error policy. */
  deadLettered: number;
  /** Records sent to side outputs (ctx.output, a window's late data), read or not; dead letters count above. */
  sideOutputRecords: number;
}

/**
 * An operator that holds records across steps and emits their results later (async I/O). The subtask stops
 * feeding the chain while `canAcceptInput()` is false (backpressure), polls `pollPending` every step, and lets the
 * end of input pass only once the operator is `drained`. Completions ring the thread's doorbell
 * (`TaskContext.wake`), so a parked thread wakes to emit them.
 */
export interface HoldsRecords {
  canAcceptInput(): boolean;
  /** `pollPending` would emit something (or start held inputs) now. */
  hasPendingWork(): boolean;
  /** Emits up to `budget` finished results; returns the work done. */
  pollPending(budget: number): number;
  /** Nothing held: every input's result is out. */
  readonly drained: boolean;
  /** The job stops: abandon what is held (abort requests). */
  close?(): void;
  /** Async operators: requests started whose result is not out yet, and at most how many may be (metrics). */
  readonly inFlight?: number;
  readonly capacity?: number;
  /**
   * Async operators: holds a latency marker until every input taken before it is out, then calls `pass` with it
   * (at once if none is due), so that markers measure the time records wait here.
   */
  holdMarker?<M>(marker: M, pass: (marker: M) => void): void;
  /** Async operators: latency markers dropped so far, past the most it holds (metrics). */
  readonly latencyMarkersDropped?: number;
}

export function holdsRecords<T extends object>(op: T): op is T & HoldsRecords {
  return typeof (op as Partial<HoldsRecords>).pollPending === 'function';
}

export abstract class Operator<I, O> implements Downstream<I>, OperatorCounters {
  recordsIn = 0;
  recordsOut = 0;
  lateRecordsDropped = 0;
  dropped = 0;
  deadLettered = 0;
  sideOutputRecords = 0;
  /** What happens when this operator's user function throws (set by the task host from the job definition). */
  errorPolicy: ErrorPolicy = 'fail';
  /**
   * The operator whose `.onError` sets this one's policy (core/graph/on-error-target.ts), named when 'fail' fails
   * the job for a record; undefined where no policy can be set.
   */
  onErrorTarget: string | undefined = undefined;
  /** Its DEAD_LETTERS side output, wired by the task host when something reads it. */
  deadLetters: Downstream<DeadLetter> | undefined = undefined;
  /** Set: this is one input's function of an unkeyed co-map / co-flatMap, and its dead letters say which. */
  coInput: 1 | 2 | undefined = undefined;
  constructor(
    readonly name: string,
    readonly ctx: TaskContext,
    protected readonly next: Downstream<O>,
  ) {}

  get subtask(): number {
    return this.ctx.subtask;
  }

  abstract push(value: I): void;

  watermark(watermark: number): void {
    this.next.watermark(watermark);
  }

  idle(idle: boolean): void {
    this.next.idle(idle);
  }

  finish(): void {
    this.next.finish();
  }

  /** When this operator next wants `onProcessingTime` (Date.now() clock, ms), or Infinity. */
  nextProcessingTime(): number {
    return Infinity;
  }

  /** Processing time has reached `now`: fire what is due. */
  onProcessingTime(_now: number): void {}

  /**
   * Asked once by the subtask that runs the operator: may the timers the final watermark makes due be left to
   * `fireDueTimers`, called from its steps (so checkpoints and backpressure come between them)? False: no such timers.
   */
  sliceDueTimers(): boolean {
    return false;
  }

  /** Timers the final watermark made due have not all fired yet (sliceDueTimers). */
  hasDueTimers(): boolean {
    return false;
  }

  /** Fires up to `max` of them, stopping early when `stop()` says so; returns how many fired. */
  fireDueTimers(_max: number, _stop: () => boolean): number {
    return 0;
  }

  /**
   * At a checkpoint barrier (synchronously, between records): the operator's state, or undefined for none.
   * `savepoint`: keyed state in full (a savepoint shares nothing with other checkpoints). checkpointId -1: the
   * final state at end of input.
   */
  snapshotState(_checkpointId: number, _savepoint: boolean): OperatorSnapshot | undefined {
    return undefined;
  }

  /** Before the first record, when the job resumes from a checkpoint. */
  restoreState(_state: OperatorRestore): void {}

  /** Checkpoint `checkpointId` is complete everywhere: side effects covered by it may be made final. */
  notifyCheckpointComplete(_checkpointId: number): void {}

  // No shared `emit(value)` helper here: a call site in a base-class method sees every operator class as its
  // receiver and goes megamorphic, which stops V8 from inlining the chain. Each operator calls `this.next.push`
  // from its own `push`, so each call site stays monomorphic for a given job.

  /** Wraps an exception from user code, once, with this operator's name and subtask. */
  protected fail(e: unknown): never {
    if (e instanceof OperatorError) throw e;
    throw new OperatorError(this.name, this.ctx.subtask, e);
  }

  /** The 'fail' policy on a record: as `fail`, the message ending with the `.onError` that would have kept the job going. */
  protected failRecord(e: unknown): never {
    if (e instanceof OperatorError) throw e;
    throw new OperatorError(this.name, this.ctx.subtask, e, undefined, this.onErrorTarget);
  }

  /**
   * User code threw `e` on `input`: applies the error policy ('fail' throws an OperatorError). Only catch blocks
   * call it, so records that do not fail pay nothing. An OperatorError is another operator's failure (raised
   * further down the chain) and always passes through; a JobDefinitionError (state declared wrongly, found at
   * the first record that uses it) is the job's fault, not the record's, and always fails too. `side`: the input
   * of a two-input operator the record came in on.
   */
  protected rejected(e: unknown, input: unknown, side?: 1 | 2): void {
    if (e instanceof OperatorError || e instanceof JobDefinitionError) this.fail(e);
    this.reject(e, input, undefined, side);
  }

  /** Drops or dead-letters a record (policy 'drop' or 'dead-letter'); a source's bad input comes here too. */
  reject(e: unknown, raw: unknown, position: string | undefined, side?: 1 | 2): void {
    if (this.errorPolicy === 'drop') { this.dropped++; return; }
    if (this.errorPolicy !== 'dead-letter') this.failRecord(e);
    const out = this.deadLetters;
    // validate() makes a 'dead-letter' operator have a reader of DEAD_LETTERS; this is the runtime's own check.
    if (out === undefined) this.fail(new Error(`error policy 'dead-letter' but nothing reads the DEAD_LETTERS side output (${e instanceof Error ? e.message : String(e)})`));
    this.deadLettered++;
    out.push(deadLetter(this.name, this.ctx.subtask, e, raw, position, side ?? this.coInput));
  }
}
