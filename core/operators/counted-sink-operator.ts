// Runs on: the worker thread of the subtask. A collect sink's subtask in a checkpointed run with an output bound:
// counts the records it takes in the attempt (shm/layout.ts, output hold), which hold the sources upstream once its
// reader is a bound behind (core/runtime/output-hold.ts). It never refuses input: its barriers must pass for the
// reader to get anything.

import type { SinkWriter } from '../connectors/sink.js';
import { SinkOperator } from './sink-operator.js';
import type { TaskContext } from './task-context.js';

export class CountedSinkOperator<T> extends SinkOperator<T> {
  /** Taken and not yet added to the shared count. */
  private uncounted = 0;

  /** `taken`: the output-hold buffer; `at`: this sink's OUTPUT_HOLD_TAKEN in it. */
  constructor(name: string, ctx: TaskContext, writer: SinkWriter<T>, private readonly taken: Int32Array, private readonly at: number) {
    super(name, ctx, writer, true);
  }

  override push(value: T): void {
    // Added COUNT_BATCH at a time: the count is one line for the sink's subtasks on every thread, and an atomic add
    // per record contends for it. Sources see it that much late (a bound overshoot of COUNT_BATCH per subtask).
    if (++this.uncounted === COUNT_BATCH) this.count();
    super.push(value);
  }

  /** The thread flushes (before it parks, too): the rest is counted, so a parked thread leaves no count behind. */
  override flushLive(): void {
    if (this.uncounted > 0) this.count();
  }

  private count(): void {
    Atomics.add(this.taken, this.at, this.uncounted);
    this.uncounted = 0;
  }
}

/** Records a CountedSinkOperator takes between two adds to the shared count. */
export const COUNT_BATCH = 64;
