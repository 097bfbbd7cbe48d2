// Runs on: main thread. What run() hands its caller: the handle of a running job (JobHandle) and what a job that
// ended gives back (JobResult). Types only: the run that makes them is run.ts.

import type { PhysicalPlan } from '../graph/physical-plan.js';
import type { JobMetrics } from './metrics.js';
import type { DeletedSavepoint } from '../checkpoint/delete-savepoint.js';
import type { CheckpointStats, CompletedCheckpoint } from '../checkpoint/coordinator.js';

/** Records of each collect sink, by sink name. */
export type Collected = Record<string, unknown[]>;

/**
 * `C` types `collected`: `run<{ out: WordCount[] }>(url)`. The job module is loaded at run time, so this is the
 * caller's word for what its collect sinks hold, as with a parsed JSON body: nothing checks it.
 */
export interface JobResult<C extends Record<keyof C, unknown[]> = Collected> {
  /**
   * Records of each collect sink, by sink name, subtask 0 first (with checkpoints: committed records). Cancelled:
   * what the sinks received until then (with checkpoints: what completed checkpoints committed).
   */
  collected: C;
  /**
   * With RunOptions.collect 'count' only: how many records each collect sink got, by sink name (counted as
   * `collected` would have held them: with checkpoints, committed ones), while its array in `collected` is empty.
   */
  collectedCounts?: Record<string, number>;
  metrics: JobMetrics;
  /** True when the job was stopped by cancel() rather than ending by itself. */
  cancelled: boolean;
  /** Restarts after failures. */
  restarts: number;
  checkpoints: CheckpointStats;
  /** The checkpoint the job resumed from, if any. */
  restoredFrom: number | undefined;
  /** The savepoint stopWithSavepoint() took before it stopped the job (then `cancelled` is true). */
  stoppedWithSavepoint?: CompletedCheckpoint;
  /**
   * With stoppedWithSavepoint: of the records the sources emitted (in `metrics`), those read after its barrier,
   * while it completed. In no checkpoint and never published: a job resumed from the savepoint reads them again.
   */
  readAfterSavepoint?: number;
}

/** The failure behind the run's latest restart (JobHandle.lastFailure). */
export interface JobFailure {
  name: string;
  message: string;
  /** When the attempt failed (epoch ms). */
  at: number;
}

/** A job between two attempts (JobHandle.restarting): from its failure until the next attempt runs. */
export interface Restarting {
  /** The restart being waited for or prepared (1: the first of the run). */
  restart: number;
  /** When the restart strategy's delay ends (epoch ms); the next attempt is prepared (restored) from then. */
  attemptAt: number;
  /** The checkpoint it restarts from (undefined: from the beginning). */
  from: number | undefined;
}

export interface JobHandle<C extends Record<keyof C, unknown[]> = Collected> {
  /** Resolves when a bounded job ends or the job is cancelled; rejects when the job fails. */
  readonly result: Promise<JobResult<C>>;
  readonly plan: PhysicalPlan;
  /** The job's default parallelism: run()'s option, unless the job module set its own (env.setParallelism). */
  readonly parallelism: number;
  readonly operatorNames: readonly string[];
  /** The state directory (checkpointing jobs), or undefined. */
  readonly stateDir: string | undefined;
  /** The checkpoint (or savepoint) this run resumed from, or undefined for a fresh start. */
  readonly restoredFrom: number | undefined;
  /** The savepoint's name when `restoredFrom` is one (`resume: true` takes the newest, a savepoint too). */
  readonly restoredSavepoint: string | undefined;
  /** The job's sources, with the records each delivers in total when known (progress). */
  readonly sources: readonly { readonly name: string; readonly bounded: boolean; readonly count: number | undefined }[];
  /** Restarts so far in this run (each from the last completed checkpoint, its sources from their positions there). */
  restarts(): number;
  /** While the job restarts after a failure, which restart and when; undefined while an attempt runs. */
  restarting(): Restarting | undefined;
  /** The failure behind the latest restart (or the one being prepared), or undefined before any. */
  lastFailure(): JobFailure | undefined;
  /** Live metrics, read from shared memory (values may lag by ~100 ms). */
  metrics(): JobMetrics;
  /** Checkpoints so far. */
  checkpoints(): CheckpointStats;
  /** Triggers a checkpoint now. */
  checkpoint(): Promise<CompletedCheckpoint>;
  /** Takes a savepoint named `name`: a full, aligned checkpoint kept until deleted; a job can start from it. */
  savepoint(name: string): Promise<CompletedCheckpoint>;
  /**
   * Takes a savepoint named `name`, then stops the job before anything after it is published (Flink's stop with
   * savepoint): a job resumed from it publishes each record once to durable sinks (a collect sink in the resumed
   * run gets the savepoint's own transaction again, as on any resume), where a savepoint followed by cancel() let
   * the checkpoints in between publish records the resumed job publishes again. `result` resolves with `cancelled`
   * and `stoppedWithSavepoint`. A savepoint that fails leaves the job running. A cancel() before the savepoint
   * completes cancels the job, and this rejects with a JobNotRunningError, as it does once the job has ended.
   */
  stopWithSavepoint(name: string): Promise<CompletedCheckpoint>;
  /**
   * Deletes savepoint `name` of this job's state directory: its name goes now, its checkpoint with the job's
   * retention, like any other checkpoint's (deleteSavepoint(stateDir, name) deletes it at once, with no job
   * running there).
   */
  deleteSavepoint(name: string): Promise<DeletedSavepoint>;
  /**
   * Stops the job; `result` then resolves with `cancelled: true`. Returns `result`: after the job ended (stopped,
   * finished, failed, cancelled already) it does nothing more, and returns how it ended (a failure rejects).
   */
  cancel(): Promise<JobResult<C>>;
  /**
   * The records of the collect sink `sinkName` as they come, while the job runs: with checkpoints, as each
   * checkpoint commits them (exactly once within this run, restarts included); without, as the sink's subtasks
   * flush (every `bufferTimeoutMs` while busy, and whenever their thread idles; such a run has no restarts, so
   * each record once, then the end or the job's error). The iteration ends with the job and throws its error if
   * it fails. Records read here are not also in `result.collected` (those before the reader came are read first);
   * after a `break`, the unread ones and later ones are collected again. One reader per sink. A reader
   * `outputBufferRecords` behind holds the job back until it reads on: without checkpoints the sink, with them
   * the sources. Throws an OutputRefusedError for a name that is no collect sink, a second reader, a counting run
   * (collect: 'count') or a job that has ended (one that failed: its error).
   */
  output<K extends keyof C & string>(sinkName: K): AsyncIterableIterator<C[K][number]>;
}
