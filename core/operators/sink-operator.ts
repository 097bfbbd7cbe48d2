// Runs on: the worker thread of the subtask. The end of a chain that writes to a sink.
//
// With checkpointing, a transactional sink writer prepares a transaction at every barrier (what it wrote since
// the last one, durable but not yet visible); the transactions travel in the checkpoint, and the main thread
// publishes them once the checkpoint is complete (two-phase commit, SinkSpec.commit).

import { randomUUID } from 'node:crypto';
import type { PreparedTransaction, SinkWriter } from '../connectors/sink.js';
import type { OperatorRestore, OperatorSnapshot } from '../checkpoint/snapshot.js';
import { Operator, type Downstream } from './operator.js';
import type { TaskContext } from './task-context.js';
import { STREAM_ACTIVE, STREAM_IDLE, STREAM_UNTOLD } from '../time/stream-status.js';

const NOWHERE: Downstream<never> = { push() {}, watermark() {}, idle() {}, finish() {} };

export class SinkOperator<T> extends Operator<T, never> {
  result: unknown = undefined;
  /**
   * Transactions prepared and not yet known to be committed. Every snapshot carries all of them, so a
   * transaction prepared for a checkpoint that was then aborted is committed with the next one that completes.
   */
  private pending: PreparedTransaction[] = [];
  private ended = false;
  /** Transactions are prepared only when the job checkpoints (`checkpointing`) and the writer supports them. */
  readonly transactional: boolean;

  /** Whether the writer wants to hear of each batch's end (SinkWriter.batchEnd). */
  readonly endsBatches: boolean;
  /** recordsIn at the last batch end: a batch that wrote nothing is not told. */
  private batchMark = 0;

  constructor(name: string, ctx: TaskContext, protected readonly writer: SinkWriter<T>, checkpointing: boolean) {
    super(name, ctx, NOWHERE);
    this.transactional = checkpointing && typeof writer.prepareCommit === 'function';
    this.endsBatches = typeof writer.batchEnd === 'function';
  }

  /** The thread's step that may have written here is over (SinkWriter.batchEnd). */
  batchEnd(): void {
    if (this.recordsIn === this.batchMark || this.ended || !this.endsBatches) return;
    this.batchMark = this.recordsIn;
    try { this.writer.batchEnd!(); } catch (e) { this.fail(e); }
  }

  push(value: T): void {
    this.recordsIn++;
    try { this.writer.write(value); } catch (e) { this.rejected(e, value); }
  }

  /** At a barrier: prepares a transaction; after the end (checkpointId -1): the final state. */
  override snapshotState(checkpointId: number, savepoint: boolean): OperatorSnapshot | undefined {
    if (!this.transactional) return undefined;
    if (!this.ended && checkpointId >= 0) this.prepare(checkpointId, savepoint);
    return { operator: this.pending.slice(), redistribute: 'split' };
  }

  override restoreState(state: OperatorRestore): void {
    // Committed again by the coordinator on restore (idempotently); kept until a checkpoint confirms it. Not an end
    // of input: the restore published it before this thread started, and no checkpoint confirms an end
    // (notifyCheckpointComplete keeps them), so every later checkpoint, and restore, published it again.
    this.pending = (state.operator as PreparedTransaction[]).filter((t) => t.checkpointId >= 0);
  }

  override notifyCheckpointComplete(checkpointId: number): void {
    this.pending = this.pending.filter((t) => t.checkpointId < 0 || t.checkpointId > checkpointId);
  }

  private prepare(checkpointId: number, savepoint = false): void {
    this.batchEnd();
    let transaction: unknown;
    try { transaction = this.writer.prepareCommit!(checkpointId, savepoint); } catch (e) { this.fail(e); }
    // An end of input gets an id of its own: this subtask may end again after a restore (PreparedTransaction.end).
    this.pending.push(checkpointId < 0
      ? { checkpointId, subtask: this.ctx.subtask, transaction, end: randomUUID() }
      : { checkpointId, subtask: this.ctx.subtask, transaction });
  }

  /** Whether the last status to reach it was idleness (core/time/stream-status.ts: the task's idle metric). */
  streamStatus = STREAM_UNTOLD;

  override watermark(_watermark: number): void {
    this.streamStatus = STREAM_ACTIVE;
  }

  override idle(idle: boolean): void {
    this.streamStatus = idle ? STREAM_IDLE : STREAM_ACTIVE;
  }

  /** At the thread's flushes: nothing here; a live collect sink hands its records over (LiveSinkOperator). */
  flushLive(): void {}

  /**
   * The job was cancelled or failed: the writer lets go of what it holds (SinkWriter.abort), unless it had ended.
   * Throws what abort threw: the task host says it, and the job's own outcome stands.
   */
  abort(): void {
    if (this.ended) return;
    this.ended = true;
    this.writer.abort?.();
  }

  /** The job was cancelled: what an untransactional writer hands back anyway (`SinkWriter.stopped`), if anything. */
  stoppedResult(): unknown {
    if (this.transactional || this.writer.stopped === undefined) return undefined;
    // Ended before the stop (another subtask of its thread ran on): what its writer finished with, lost
    // otherwise: the writer hands its records over only once (to `finish`, or to `stopped`).
    if (this.ended) return this.result;
    try { return this.writer.stopped(); } catch { return undefined; }
  }

  override finish(): void {
    this.batchEnd();
    this.ended = true;
    if (this.transactional) this.prepare(-1);
    try { this.result = this.writer.finish(); } catch (e) { this.fail(e); }
    // A writer that finishes asynchronously (Redis): the task host awaits it before the thread reports done; a
    // rejection until then must not count as unhandled.
    if (this.result instanceof Promise) this.result.catch(() => {});
  }
}
