// Runs on: main thread (spec, commits) and the worker thread of each sink subtask (writer).
//
// A sink may be transactional (two-phase commit, for exactly-once output with checkpoints): its writer
// `prepareCommit`s at every checkpoint barrier, and the spec's `commit` publishes the prepared transactions on
// the main thread once the checkpoint that covers them is complete. Without checkpointing, writers just write.

import type { OutputTarget } from '../runtime/output-stream.js';

export interface SinkWriter<in T> {
  write(value: T): void;
  /**
   * At a checkpoint barrier (synchronously, between records), or at end of input (checkpointId -1): makes what
   * was written since the last call durable but not yet visible, and returns it as a transaction (plain data,
   * msgpack-able) that `SinkSpec.commit` will publish. `savepoint`: the barrier is a savepoint's (a file sink
   * rolls its open part then, so a job stopped with a savepoint leaves nothing unpublished).
   */
  prepareCommit?(checkpointId: number, savepoint?: boolean): unknown;
  /** End of stream: returns what goes back to the caller (collect) or undefined. */
  finish(): unknown;
  /**
   * Untransactional runs (no checkpoints) only: what goes to the main thread now, while the job runs (collect:
   * what arrived since the last call), or undefined. Called when the thread flushes its outputs (every
   * `bufferTimeoutMs`, and before it parks); what is handed over here is not returned again by `finish` or
   * `stopped`.
   */
  drain?(): unknown[] | undefined;
  /**
   * The job was cancelled (not ended): what goes back to the caller of an untransactional run anyway (collect:
   * what it received). Unlike `finish`, it must not publish anything.
   */
  stopped?(): unknown;
  /**
   * The job was cancelled or failed before this writer's end: releases what it holds (open files) and removes what
   * no transaction holds (a file sink's in-progress part). Publishes nothing.
   */
  abort?(): void;
}

export interface SinkSpec<in T> {
  readonly kind: string;
  readonly fingerprint: string;
  createWriter(subtask: number, parallelism: number): SinkWriter<T>;
  /**
   * Main thread: publishes transactions prepared by the writers, in checkpoint order, once their checkpoint is
   * complete. Must be idempotent: after a failure and restore, transactions already published are passed again.
   */
  commit?(transactions: PreparedTransaction[]): void | Promise<void>;
  /**
   * Main thread, when a job restores a checkpoint (before its threads start), instead of `commit`: publishes the
   * restored checkpoint's transactions (idempotently), then removes what the crashed attempt left that no
   * restored transaction vouches for (a file sink's in-progress and pending parts). Without it, `commit` runs.
   * Also called with no transactions when a job restarts from the beginning (no checkpoint had completed).
   */
  recover?(transactions: PreparedTransaction[]): void | Promise<void>;
  /**
   * Main thread: whether committing `transaction` makes output visible (default: any transaction but undefined,
   * null or an empty array). A checkpoint whose commit published output is marked so (a fresh run then warns, and
   * a restart does not fall back behind it); a file sink's transaction that only records an open part's length
   * publishes nothing. Not asked of a restore's `recover`, which may publish more (it counts as the default says).
   */
  publishes?(transaction: unknown): boolean;
  /**
   * Without checkpoints, each writer holds every record until its input ends and writes then: a job that does not
   * checkpoint and reads an unbounded source is warned that such a sink would write nothing.
   */
  readonly writesAtEndWithoutCheckpoints?: boolean;
  /**
   * What a checkpointed run that is cancelled (not stopped with a savepoint) leaves unpublished, said to the user
   * when it happens (a file sink's open parts, hidden until a resume).
   */
  readonly cancelNote?: string;
  /**
   * What the sink writes that no other sink of the job may write too, said in words (a file sink: its directory and
   * part names): two such sinks would take each other's files for their own (a recovery deletes what its
   * checkpoint does not name), so a job with two is refused.
   */
  readonly owns?: string;
}

/** The sinks of a job as they are published on restore: `recover` where a sink has one, else `commit`. */
export function recoveringSinks(sinks: ReadonlyMap<string, SinkSpec<unknown>>): Map<string, SinkSpec<unknown>> {
  const out = new Map<string, SinkSpec<unknown>>();
  for (const [uid, spec] of sinks) {
    const recover = spec.recover;
    out.set(uid, recover === undefined ? spec : {
      kind: spec.kind,
      fingerprint: spec.fingerprint,
      createWriter: (subtask, parallelism) => spec.createWriter(subtask, parallelism),
      // Not `publishes`: a restore publishes more than a commit does (a file sink's open parts, cut).
      commit: (transactions) => recover.call(spec, transactions),
    });
  }
  return out;
}

/** A transaction a sink subtask prepared at a checkpoint (checkpointId -1: at its end of input). */
export interface PreparedTransaction {
  readonly checkpointId: number;
  readonly subtask: number;
  readonly transaction: unknown;
  /**
   * An end-of-input transaction's own id. (subtask, -1) is not unique: a subtask that ended, and whose end was
   * published, can be restored and dealt more input (splits go out again), and then ends again. A sink that
   * publishes idempotently keys end transactions by this.
   */
  readonly end?: string;
}

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
    commit(transactions) {
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
        // Counted before the reader gets them: it may read some at once, and its hold then reads this count.
        published += (t.transaction as T[]).length;
        if (reader !== undefined) reader.deliver(t.transaction as T[]);
        else for (const v of t.transaction as T[]) committed.push(v);
      }
    },
    committed: () => committed,
    published: () => published,
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

/** Prints each record as a line on stdout, prefixed by the subtask when parallel. */
export function printSink<T>(format: (value: T) => string = (v) => (typeof v === 'string' ? v : JSON.stringify(v))): SinkSpec<T> {
  return {
    kind: 'print',
    fingerprint: 'print',
    createWriter(subtask, parallelism) {
      const prefix = parallelism > 1 ? `${subtask + 1}> ` : '';
      return { write: (v) => { process.stdout.write(`${prefix}${format(v)}\n`); }, finish: () => undefined };
    },
  };
}

/** Drops every record (counted in the metrics): for benchmarks. */
export function discardSink<T>(): SinkSpec<T> {
  return { kind: 'discard', fingerprint: 'discard', createWriter: () => ({ write() {}, finish: () => undefined }) };
}
