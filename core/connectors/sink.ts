// Runs on: main thread (spec, commits) and the worker thread of each sink subtask (writer).
//
// A sink may be transactional (two-phase commit, for exactly-once output with checkpoints): its writer
// `prepareCommit`s at every checkpoint barrier, and the spec's `commit` publishes the prepared transactions on
// the main thread once the checkpoint that covers them is complete. Without checkpointing, writers just write.

export interface SinkWriter<in T> {
  write(value: T): void;
  /**
   * After a batch of `write`s that arrived together (one read of a chained source, one drain of the thread's
   * inputs, one slice of due timers), before the thread goes on to other work or parks, and before
   * `prepareCommit` and `finish`; not called when nothing was written since the last call. Not a commit: a writer that defers per-record work to the batch's end does it
   * here (a latency sink reads its clock once for the batch: every record of it had arrived by then).
   */
  batchEnd?(): void;
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
  commit?(transactions: PreparedTransaction[], context?: CommitContext): void | Promise<void>;
  /**
   * Main thread, when a job restores a checkpoint (before its threads start), instead of `commit`: publishes the
   * restored checkpoint's transactions (idempotently), then removes what the crashed attempt left that no
   * restored transaction vouches for (a file sink's in-progress and pending parts). Without it, `commit` runs.
   * Also called with no transactions when a job restarts from the beginning (no checkpoint had completed).
   */
  recover?(transactions: PreparedTransaction[], context?: CommitContext): void | Promise<void>;
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
      commit: (transactions, context) => recover.call(spec, transactions, context),
    });
  }
  return out;
}

/** What the runtime tells a sink's `commit` and `recover` (absent where a caller has none: tests, a writer's own commit). */
export interface CommitContext {
  /** The checkpoint whose transactions these are (on restore: the restored one). */
  readonly checkpointId: number;
  /** The sink's uid (its name unless the job gave it another), as sluice's messages name it: a warning says which sink. */
  readonly sink: string;
  /**
   * The ids of the checkpoints (savepoints too) still in the state directory, this one among them: only these can
   * pass a transaction again (a restore), so what a sink keeps to publish idempotently it may drop for the others.
   */
  readonly stored: readonly number[];
  /** Says `message` once per run for each `key`: what the user should know, and nothing fails for. */
  warnOnce(key: string, message: string): void;
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
