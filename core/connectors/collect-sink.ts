// Runs on: main thread (spec, commits, readers) and the worker thread of each sink subtask (writer). The collect
// sink: every record back to the caller (result.collected, handle.output), exactly once with checkpoints.

import type { OutputTarget } from '../runtime/output-stream.js';
import type { SinkSpec } from './sink.js';

/**
 * Every record back to the caller, in `result.collected[sinkName]` (for tests and embedding). A cancelled job's
 * result holds what it received so far (without checkpoints) or what completed checkpoints committed.
 * Transactional: with checkpointing, records reach the result only through completed checkpoints (or the end of
 * the job), so a job that fails and resumes collects every record exactly once.
 */
export function collectSink<T>(): CollectSinkSpec<T> {
  let committed: T[] = [];
  /**
   * Per subtask, the newest checkpoint whose transaction was published: commits come in checkpoint order, each
   * with every transaction of its subtasks not yet confirmed (aborted checkpoints' ones included), so a transaction
   * at or below the mark was published. A set of every id would grow for as long as the job runs (318 MiB a day
   * at 8 subtasks and 10 checkpoints a second), which a reader of an unbounded job would meet.
   */
  const publishedUpTo = new Map<number, number>();
  /** End-of-input transactions, by their own id (a subtask can end again after a restore). */
  const ends = new Set<string>();
  /** Records published (committed) over the run: what a reader's hold counts taken records against. */
  let published = 0;
  /** The run counts only (`collect: 'count'`): transactions are counts, and records that come anyway are not kept. */
  let counting = false;
  /** A reader (handle.output): committed records go there instead of into `committed`. */
  let reader: OutputTarget<T> | undefined;
  /**
   * Without checkpoints, with no reader: what each subtask handed over so far (`received`), kept apart so that the
   * result lists subtask 0's records first, then subtask 1's, whatever order they came in (`settle`).
   */
  let bySubtask: T[][] = [];
  const takeBySubtask = (): T[] => {
    const parts = bySubtask.filter((p) => p !== undefined);
    bySubtask = [];
    // concat, not flat(): flat() took ~0.2 s over 2 M records (a measurement), concat copies them in bulk.
    return parts.length === 0 ? [] : parts.length === 1 ? parts[0]! : parts[0]!.concat(...parts.slice(1));
  };
  return {
    kind: 'collect',
    fingerprint: 'collect',
    createWriter() {
      let items: T[] = [];
      return {
        write: (v) => { items.push(v); },
        prepareCommit: () => {
          const t = items;
          items = [];
          return t;
        },
        // Without checkpoints: what was not drained; with them, nothing is left after the final prepareCommit.
        finish: () => take(),
        // Cancelled, without checkpoints: what came since the last drain (with them, only committed records reach
        // the result).
        stopped: () => take(),
        // Without checkpoints, while the job runs: to the main thread, where a reader (handle.output) gets them.
        drain: () => (items.length > 0 ? take() : undefined),
      };
      function take(): T[] {
        const t = items;
        items = [];
        return t;
      }
    },
    commit(transactions, context) {
      for (const t of transactions) {
        // Idempotent: a transaction published before a failure is passed again after the restore.
        if (t.end !== undefined || t.checkpointId < 0) {
          const id = t.end ?? `${t.subtask}/end`;
          if (ends.has(id)) continue;
          ends.add(id);
        } else {
          if (t.checkpointId <= (publishedUpTo.get(t.subtask) ?? -1)) continue;
          publishedUpTo.set(t.subtask, t.checkpointId);
        }
        // A counting run's transaction is a count (countingWriter); a checkpoint written by a run that kept records
        // counts its records.
        const count = typeof t.transaction === 'number' ? t.transaction : (t.transaction as T[]).length;
        // Counted before the reader gets them: it may read some at once, and its hold then reads this count.
        published += count;
        if (counting) continue;
        if (typeof t.transaction === 'number') {
          // Resumed from a checkpoint a counting run (sluice run) wrote: its records were never kept. Said, naming
          // each sink that had some, not lost silently.
          if (count > 0 && context !== undefined) {
            const { sink, checkpointId } = context;
            context.warnOnce(`collect-count:${checkpointId}:${sink}`, `checkpoint ${checkpointId} was written by a run that counted its collect sinks' records (collect: 'count', as sluice run does): the records it publishes again to collect sink '${sink}' are not there to publish (counted only, not in result.collected nor read by handle.output)`);
          }
          continue;
        }
        if (reader !== undefined) reader.deliver(t.transaction as T[]);
        else for (const v of t.transaction as T[]) committed.push(v);
      }
    },
    committed: () => committed,
    published: () => published,
    countOnly() {
      counting = true;
    },
    attach(target) {
      if (reader !== undefined) throw new Error('already being read');
      reader = target;
      // What was committed (or received) before the reader came goes to it first, in order.
      const before = committed;
      committed = [];
      target.deliver(before);
      target.deliver(takeBySubtask());
    },
    detach(unread) {
      reader = undefined;
      // In place: after the end, this array is already the result's (result.collected[name]).
      for (const v of unread) committed.push(v);
    },
    received(subtask, items) {
      if (reader !== undefined) reader.deliver(items);
      else {
        const kept = bySubtask[subtask];
        if (kept === undefined) bySubtask[subtask] = items;
        else for (const v of items) kept.push(v);
      }
    },
    settle() {
      const all = takeBySubtask();
      if (committed.length === 0) committed = all;
      else for (const v of all) committed.push(v);
    },
  };
}

/** The sink as a collect sink (`collect()`: records back to the caller, readable live), or undefined. */
export function asCollectSink(spec: SinkSpec<unknown> | undefined): CollectSinkSpec<unknown> | undefined {
  return spec !== undefined && typeof (spec as Partial<CollectSinkSpec<unknown>>).received === 'function' ? spec as CollectSinkSpec<unknown> : undefined;
}

/** The collect sink on the main thread: committed records, and a reader that takes them as they come. */
export interface CollectSinkSpec<T> extends SinkSpec<T> {
  committed(): T[];
  /** Records published by `commit` so far (checkpointed runs), deduplicated: each once. */
  published(): number;
  /**
   * The run counts this sink's records (`collect: 'count'`): its transactions are counts (countingWriter), `published`
   * is the result, and records a restored transaction holds are counted, not kept.
   */
  countOnly(): void;
  /** Committed records go to `target` from now on (those so far first); throws if another reader has it. */
  attach(target: OutputTarget<T>): void;
  /** The reader stopped: `unread` and later records are kept for the result again. */
  detach(unread: T[]): void;
  /**
   * Records a subtask handed over (no checkpoints: while it ran, and when it ended): to the reader if one is
   * attached, else kept until `settle`.
   */
  received(subtask: number, items: T[]): void;
  /** No more records come (no checkpoints): what was received goes to `committed`, subtask 0's first. */
  settle(): void;
}
