// Runs on: the worker thread of the subtask. A keyed process function (keyBy(k).process(fn)): user code with the
// record's key, keyed state and event- and processing-time timers scoped to it, and side outputs.

import type { Key } from '../graph/key-groups.js';
import { canonicalKey, KeyDecoder, type UserKey } from '../graph/tuple-key.js';
import type { Collector, KeyedContext, KeyedProcessFunction, KeyedProcessHandler, OnTimerContext, TimerService as UserTimerService } from '../api/functions.js';
import type { AggregateFunction, AggregatingState, ListState, MapState, ReducingState, StateOptions, ValueState } from '../api/state.js';
import type { OutputTag } from '../api/output-tag.js';
import type { TimeDomain } from '../state/timer-service.js';
import { EVENT_TIME_RANGE, MAX_WATERMARK, describeTime, inEventTimeRange } from '../time/watermark.js';
import { NO_KEY_BROADCAST, isNoKey } from '../state/no-key.js';
import { KeyedOperator } from './keyed-operator.js';
import type { Downstream } from './operator.js';
import { notAsync } from './sync-call.js';
import { ownInstance } from './own-instance.js';
import type { TaskContext } from './task-context.js';
import { JobDefinitionError } from '../api/errors.js';

export class KeyedProcessOperator<K extends UserKey, I, O> extends KeyedOperator<I, O> implements KeyedContext<K>, OnTimerContext<K>, Collector<O>, UserTimerService {
  private readonly handler: KeyedProcessHandler<K, I, O>;
  /** Keys handed to user code (ctx.key), decoded. */
  protected readonly keys = new KeyDecoder();
  timeDomain: 'event' | 'processing' = 'event';
  /** 1 in a two-input operator (its first input comes through push): a dead letter says which input. */
  protected firstInput: 1 | undefined = undefined;

  constructor(name: string, ctx: TaskContext, next: Downstream<O>, private readonly keyOf: (v: I) => UserKey, fn: KeyedProcessFunction<K, I, O>, tracking: boolean) {
    super(name, ctx, next, tracking);
    this.handler = typeof fn === 'function' ? { processElement: fn } : ownInstance(fn);
  }

  /** Calls the handler's `open` once, before the first record or timer (after a restore). */
  open(): void {
    if (this.handler.open) {
      this.opening = true;
      try { notAsync(this.handler.open(this), this.name, 'open'); } catch (e) { this.fail(e); } finally { this.opening = false; }
    }
  }

  /** In open(): no key is set, so a timer would belong to no key (it fired once per subtask, on key ''). */
  private opening = false;

  private keyOfTimer(): Key {
    if (this.opening) throw new JobDefinitionError('a timer registered or deleted in open(): no key is set there (open runs once per subtask, before any record); register timers in processElement or onTimer, as in Flink');
    return this.backend.currentKey;
  }

  // ---- KeyedContext
  // As the selector returned it: a tuple key decoded from its canonical form (tuple-key.ts).
  get key(): K {
    const k = this.backend.currentKey;
    if (isNoKey(k)) {
      throw new JobDefinitionError(k === NO_KEY_BROADCAST ? 'ctx.key read in processBroadcastElement: a broadcast record has no key' : 'ctx.key read in open(): no key is set there (open runs once per subtask, before any record)');
    }
    return this.keys.decode(k) as K;
  }
  get timestamp(): number | undefined { const t = this.ctx.timestamp; return t === t ? t : undefined; }
  get timerService(): UserTimerService { return this; }
  state<V>(name: string, options?: StateOptions): ValueState<V> { return this.backend.valueState<V>(name, options); }
  valueState<V>(name: string, options?: StateOptions): ValueState<V> { return this.backend.valueState<V>(name, options); }
  listState<V>(name: string, options?: StateOptions): ListState<V> { return this.backend.listState<V>(name, options); }
  mapState<MK extends Key, MV>(name: string, options?: StateOptions): MapState<MK, MV> { return this.backend.mapState<MK, MV>(name, options); }
  reducingState<V>(name: string, reduce: (a: V, b: V) => V, options?: StateOptions): ReducingState<V> { return this.backend.reducingState(name, reduce, options); }
  aggregatingState<IN, ACC, OUT>(name: string, agg: AggregateFunction<IN, ACC, OUT>, options?: StateOptions): AggregatingState<IN, OUT> { return this.backend.aggregatingState(name, agg, options); }
  output<X>(tag: OutputTag<X>, value: X): void { this.emitSide(tag as OutputTag<unknown>, value); }

  // ---- TimerService
  currentWatermark(): number { return this.ctx.watermark; }
  currentProcessingTime(): number { return Date.now(); }
  registerEventTimeTimer(timestamp: number): void { this.timers.register('event', this.keyOfTimer(), checkTime(timestamp)); }
  deleteEventTimeTimer(timestamp: number): void { this.timers.delete('event', this.keyOfTimer(), timestamp); }
  registerProcessingTimeTimer(timestamp: number): void { this.timers.register('processing', this.keyOfTimer(), checkTime(timestamp)); }
  deleteProcessingTimeTimer(timestamp: number): void { this.timers.delete('processing', this.keyOfTimer(), timestamp); }

  collect(value: O): void {
    this.recordsOut++;
    this.next.push(value);
  }

  push(value: I): void {
    this.recordsIn++;
    try {
      this.backend.currentKey = canonicalKey(this.keyOf(value));
      // The check only when something came back: a call per record cost the process benchmark 5%.
      const r = this.handler.processElement(value, this, this);
      if (r !== undefined) notAsync(r, this.name, 'processElement');
    } catch (e) { this.rejected(e, value, this.firstInput); }
  }

  protected override onTimer(domain: TimeDomain, ts: number): void {
    if (!this.handler.onTimer) return;
    this.timeDomain = domain;
    const r = this.handler.onTimer(ts, this, this);
    if (r !== undefined) notAsync(r, this.name, 'onTimer');
  }

  override finish(): void {
    // End of input: the final watermark has fired every event-time timer; processing-time timers do not fire
    // (a timeout that never came due is not an event).
    if (this.ctx.watermark < MAX_WATERMARK) {
      // The task's watermark first, as an input gate sets it: onTimer's currentWatermark() must have passed the timer.
      this.ctx.watermark = MAX_WATERMARK;
      this.watermark(MAX_WATERMARK);
      this.fireEndNow();
    } else if (this.hasDueTimers()) {
      this.fireEndNow();
    } else {
      // Timers registered after the final watermark (by records that arrived late, e.g. from an input that was
      // idle): no watermark will come for them, so they fire now or never.
      this.fireEventTimers(MAX_WATERMARK);
    }
    this.finishSideOutputs();
    this.next.finish();
  }
}

function checkTime(ts: number): number {
  if (!inEventTimeRange(ts)) {
    // NaN mostly comes from ctx.timestamp of a record without one: the message says so.
    const hint = ts !== ts ? ' (a record without a timestamp has ctx.timestamp undefined: call assignTimestampsAndWatermarks(...) upstream)' : '';
    throw new TypeError(`a timer timestamp must be ${EVENT_TIME_RANGE}, got ${describeTime(ts)}${hint}`);
  }
  return ts;
}
