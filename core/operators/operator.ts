// Runs on: the worker thread of the subtask. The contract between chained operators.
//
// A chain is a linked list of operators: each `push` runs the user function and pushes its outputs into the
// next. Chained operators exchange records as plain function calls: no ring, no encoding.

import { OperatorError } from '../api/errors.js';

export interface Downstream<T> {
  push(value: T): void;
  /** End of stream: flush whatever the operator still holds, then pass the end on. */
  finish(): void;
}

/** Counters of one operator instance; `in` counts records pushed into it. */
export interface OperatorCounters {
  recordsIn: number;
  recordsOut: number;
}

export abstract class Operator<I, O> implements Downstream<I>, OperatorCounters {
  recordsIn = 0;
  recordsOut = 0;
  constructor(
    readonly name: string,
    readonly subtask: number,
    protected readonly next: Downstream<O>,
  ) {}

  abstract push(value: I): void;

  finish(): void {
    this.next.finish();
  }

  // No shared `emit(value)` helper here: a call site in a base-class method sees every operator class as its
  // receiver and goes megamorphic, which stops V8 from inlining the chain. Each operator calls `this.next.push`
  // from its own `push`, so each call site stays monomorphic for a given job.

  /** Wraps an exception from user code, once, with this operator's name and subtask. */
  protected fail(e: unknown): never {
    if (e instanceof OperatorError) throw e;
    throw new OperatorError(this.name, this.subtask, e);
  }
}
