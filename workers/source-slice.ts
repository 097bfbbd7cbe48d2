// Runs on: a worker thread. How many records a source subtask asks its reader for in one step.
//
// A reader's read(emit, max) runs the whole chain behind the source for each record, and a step takes no barrier
// and gives the thread's other subtasks no turn until it returns: with a slow chained operator (10 ms a record)
// the task loop's budget, 1024 records, was a 10 s step, so checkpoints every 50 ms completed only at the job's end
// (one slower than the checkpoint timeout per budget could never complete). The input gate's pump is sliced by
// time for the same reason; a read cannot be cut short, so its size follows the time the last one took.

/** Longest a source step should run, ms (the input gate's pump slice). */
export const SOURCE_SLICE_MS = 10;

/** Records the first read asks for. */
export const FIRST_READ = 64;

export class SourceSlice {
  /** The first read's cost is not known: a batch small enough to bound it, large enough to fill a ring. */
  private max = FIRST_READ;

  /** Records to ask the reader for now, at most `budget`. */
  next(budget: number): number {
    return Math.min(budget, this.max);
  }

  /** A read asked for `asked` records, emitted `records` and took `ms`. */
  took(asked: number, records: number, ms: number): void {
    if (records > 0 && ms > SOURCE_SLICE_MS) this.max = Math.max(1, Math.floor((records * SOURCE_SLICE_MS) / ms));
    // Cheap (or fewer records than asked, as a paced source gives): grow back towards the budget.
    else if (ms < SOURCE_SLICE_MS / 2 && this.max <= asked) this.max = Math.min(asked * 2, 1 << 20);
  }
}
