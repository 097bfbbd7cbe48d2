// Runs on: the worker thread of the subtask. A process function on a stream that is not keyed (Flink's
// ProcessOperator): each record with its time, the clocks and side outputs; no state or timers (those are per key).
// It chains like a map: splitting a stream into side outputs needs no keyBy (each side output, as any, crosses an
// exchange to what reads it).

import { JobDefinitionError } from '../api/errors.js';
import type { Collector, ProcessContext, ProcessFunction, ProcessHandler } from '../api/functions.js';
import type { OutputTag } from '../api/output-tag.js';
import type { HasSideOutputs } from './create-operator.js';
import { Operator, type Downstream } from './operator.js';
import { SideOutputs } from './side-outputs.js';
import { notAsync } from './sync-call.js';
import type { TaskContext } from './task-context.js';
import { ownInstance } from './own-instance.js';

export class ProcessOperator<I, O> extends Operator<I, O> implements HasSideOutputs, ProcessContext, Collector<O> {
  readonly sideOutputs = new SideOutputs(this);
  private readonly handler: ProcessHandler<I, O>;

  constructor(name: string, ctx: TaskContext, next: Downstream<O>, fn: ProcessFunction<I, O>) {
    super(name, ctx, next);
    this.handler = typeof fn === 'function' ? { processElement: fn } : ownInstance(fn);
  }

  /** Calls the handler's `open` once, before the first record. */
  open(): void {
    if (this.handler.open === undefined) return;
    try { notAsync(this.handler.open(this), this.name, 'open'); } catch (e) { this.fail(e); }
  }

  push(value: I): void {
    this.recordsIn++;
    try {
      const r = this.handler.processElement(value, this, this);
      if (r !== undefined) notAsync(r, this.name, 'processElement');
    } catch (e) { this.rejected(e, value); }
  }

  collect(value: O): void {
    this.recordsOut++;
    this.next.push(value);
  }

  // ---- ProcessContext
  get timestamp(): number | undefined { const t = this.ctx.timestamp; return t === t ? t : undefined; }
  currentWatermark(): number { return this.ctx.watermark; }
  currentProcessingTime(): number { return Date.now(); }
  output<X>(tag: OutputTag<X>, value: X): void {
    this.sideOutputs.emit(tag.id, value);
  }

  // ---- What a keyed context has and this one has not: a JavaScript job (or a cast) reaches for them anyway, and
  // got "ctx.state is not a function" at its first record. Refused as the job's fault, under any error policy.
  state(): never { return this.keyedOnly('keyed state (ctx.state)'); }
  valueState(): never { return this.keyedOnly('keyed state (ctx.valueState)'); }
  listState(): never { return this.keyedOnly('keyed state (ctx.listState)'); }
  mapState(): never { return this.keyedOnly('keyed state (ctx.mapState)'); }
  reducingState(): never { return this.keyedOnly('keyed state (ctx.reducingState)'); }
  aggregatingState(): never { return this.keyedOnly('keyed state (ctx.aggregatingState)'); }
  get timerService(): never { return this.keyedOnly('timers (ctx.timerService)'); }
  get key(): never { return this.keyedOnly('a key (ctx.key)'); }

  private keyedOnly(what: string): never {
    throw new JobDefinitionError(`${what} needs a keyed stream: call keyBy(...) before process(...) (state and timers belong to a key, as in Flink)`);
  }

  override watermark(watermark: number): void {
    this.sideOutputs.watermark(watermark);
    this.next.watermark(watermark);
  }

  override idle(idle: boolean): void {
    this.sideOutputs.idle(idle);
    this.next.idle(idle);
  }

  override finish(): void {
    this.sideOutputs.finish();
    this.next.finish();
  }
}
