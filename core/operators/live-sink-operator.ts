// Runs on: the worker thread of the subtask. A collect sink's subtask in an untransactional run (no checkpoints):
// while a reader is attached, its records go to the main thread as the thread flushes (`live`), and while that
// reader is a bound behind (its credit in the output-flow buffer, shm/layout.ts) it takes no input. It is a record
// holder that holds nothing: refusing input makes the subtask's input wait, the rings behind it fill, and the job
// slows to the reader's pace, as Flink's collect sink blocks when its client does not fetch. Its records still flush.

import { OUTPUT_CREDIT, OUTPUT_FLOW_ON, OUTPUT_READER, OUTPUT_TAKEN } from '../../shm/layout.js';
import type { SinkWriter } from '../connectors/sink.js';
import type { HoldsRecords } from './operator.js';
import { SinkOperator } from './sink-operator.js';
import type { TaskContext } from './task-context.js';
import { timedParts } from './timed-parts.js';

export class LiveSinkOperator<T> extends SinkOperator<T> implements HoldsRecords {
  readonly drained = true;

  /** `flow`: the output-flow buffer; `base`: this sink's line in it; `live`: posts records to the main thread. */
  constructor(name: string, ctx: TaskContext, writer: SinkWriter<T>, private readonly flow: Int32Array, private readonly base: number, private readonly live: (items: unknown[]) => void) {
    super(name, ctx, writer, false);
  }

  override push(value: T): void {
    // Counted per record across the sink's subtasks: the credit then bounds them all together, whatever their
    // flushes have posted so far.
    Atomics.add(this.flow, this.base + OUTPUT_TAKEN, 1);
    super.push(value);
  }

  /** Only while a reader is attached: else the records wait for the end (no copying while the job runs). */
  override flushLive(): void {
    if (Atomics.load(this.flow, this.base + OUTPUT_READER) !== 1) return;
    let items: unknown[] | undefined;
    try { items = this.writer.drain!(); } catch (e) { this.fail(e); }
    if (items !== undefined && items.length > 0) this.post(items);
  }

  /**
   * A batch postMessage refuses (a record holding a function, a symbol, a WeakMap) goes again record by record:
   * the ones it cannot clone are this sink's bad input, under its error policy, instead of a bare DataCloneError
   * that named no operator and failed the job whatever the policy. Only that failure pays for the second pass.
   */
  private post(items: unknown[]): void {
    try { this.live(items); return; } catch (e) { if (!(e instanceof Error) || e.name !== 'DataCloneError') throw e; }
    const ok: unknown[] = [];
    for (const v of items) {
      try { structuredClone(v); ok.push(v); } catch (e) {
        this.rejected(new Error(`a record cannot be sent to the main thread: ${e instanceof Error ? e.message : String(e)} (a collect sink's records must be structured-cloneable: no functions, symbols or WeakMaps)`, { cause: e }), v);
      }
    }
    if (ok.length > 0) this.live(ok);
  }

  /**
   * At its end, what it has left goes to the main thread at once, reader or not: a finished subtask is flushed no
   * more, and its records, counted as taken, would otherwise stay out of a reader's reach until the job ended,
   * holding back the credit of every other subtask of the sink: a reader stalls for good.
   */
  override finish(): void {
    super.finish();
    const tail = this.result as unknown[] | undefined;
    this.result = [];
    if (tail === undefined || tail.length === 0) return;
    // In parts, as sink results go (workers/sink-results.ts): the main thread takes one in while this thread copies
    // the next, and a cancel meanwhile sees the handover move (its grace period waits).
    for (const part of timedParts(tail)) this.post(part);
  }

  canAcceptInput(): boolean {
    const f = this.flow;
    const b = this.base;
    return Atomics.load(f, b + OUTPUT_FLOW_ON) === 0 || ((Atomics.load(f, b + OUTPUT_CREDIT) - Atomics.load(f, b + OUTPUT_TAKEN)) | 0) > 0;
  }

  hasPendingWork(): boolean {
    return false;
  }

  pollPending(): number {
    return 0;
  }
}
