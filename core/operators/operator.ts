// Runs on: the worker thread of the subtask. The contract between chained operators.
//
// A chain is a linked list of operators: each `push` runs the user function and pushes its outputs into the
// next. Chained operators exchange records as plain function calls: no ring, no encoding. A record's timestamp
// travels beside it in the chain's TaskContext. Watermarks and the idle status flow down the same links, in
// order with the records.

import { OperatorError } from '../api/errors.js';
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
}

export abstract class Operator<I, O> implements Downstream<I>, OperatorCounters {
  recordsIn = 0;
  recordsOut = 0;
  lateRecordsDropped = 0;
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

  /** When this operator next wants `onProcessingTime` (performance.now() clock), or Infinity. */
  nextProcessingTime(): number {
    return Infinity;
  }

  /** Processing time has reached `now`: fire what is due. */
  onProcessingTime(_now: number): void {}

  /** At a checkpoint barrier (synchronously, between records): the operator's state, or undefined for none. */
  snapshotState(_checkpointId: number): OperatorSnapshot | undefined {
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
}
