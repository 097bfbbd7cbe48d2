// Runs on: the worker thread of the subtask. Keyed operators: rolling reduce and keyed process functions with
// keyed state and timers. State lives in memory on this thread (core/state/), scoped to the record's key.

import type { Key } from '../graph/key-groups.js';
import { canonicalKey, decodeKey, KeyDecoder, type UserKey } from '../graph/tuple-key.js';
import type { Collector, KeyedContext, KeyedProcessFunction, KeyedProcessHandler, OnTimerContext, ReduceFunction, TimerService as UserTimerService } from '../api/functions.js';
import type { AggregateFunction, AggregatingState, ListState, MapState, ReducingState, StateOptions, ValueState } from '../api/state.js';
import type { OutputTag } from '../api/output-tag.js';
import { KeyedStateBackend } from '../state/keyed-state-backend.js';
import { NO_KEY } from '../state/no-key.js';
import { TimerService, type TimeDomain } from '../state/timer-service.js';
import type { StateTable } from '../state/state-table.js';
import type { TypedStateTable } from '../state/typed-state-table.js';
import type { FieldDef } from '../../shm/codec/schema.js';
import type { OperatorRestore, OperatorSnapshot } from '../checkpoint/snapshot.js';
import { EVENT_TIME_RANGE, MAX_WATERMARK, describeTime, inEventTimeRange } from '../time/watermark.js';
import { Operator, type Downstream } from './operator.js';
import { SideOutputs } from './side-outputs.js';
import { firstCheckOf } from '../api/field-aggregations.js';
import { checkedOnce, KEPT_AS_STATE, notAsync } from './sync-call.js';
import { ownInstance } from './own-instance.js';
import type { TaskContext } from './task-context.js';
import { JobDefinitionError } from '../api/errors.js';

/**
 * At the final watermark, how many timers registered while the pending ones fire may fire too, at least, before
 * onTimer is taken to re-arm itself for good (END_TIMER_CASCADE per timer pending then, if more): a day of
 * one-second re-arms is 86,400, and an endless re-arm reaches this in seconds where it would otherwise spin until
 * its timestamps reach MAX_WATERMARK.
 */
export const END_TIMER_CASCADE_MIN = 10_000_000;
const END_TIMER_CASCADE = 100;

/** What every keyed operator shares: its state backend and timers, their snapshots and restores. */
export abstract class KeyedOperator<I, O> extends Operator<I, O> {
  /** END_TIMER_CASCADE_MIN (tests lower it: an endless re-arm takes seconds to reach it). */
  endTimerCascadeMin = END_TIMER_CASCADE_MIN;
  readonly backend: KeyedStateBackend;
  readonly timers: TimerService;
  readonly sideOutputs = new SideOutputs(this);

  constructor(name: string, ctx: TaskContext, next: Downstream<O>, tracking: boolean) {
    super(name, ctx, next);
    this.backend = new KeyedStateBackend(name, ctx.maxParallelism, tracking, {
      processing: () => Date.now(),
      // The record's own time (NaN > x is false: no timestamp), never behind the watermark; in an event-time timer,
      // the timer's time (the watermark that fired it may be far ahead: at end of input, MAX_WATERMARK would expire
      // every entry a timer read).
      event: () => (this.eventTimerTs === this.eventTimerTs ? this.eventTimerTs : ctx.timestamp > ctx.watermark ? ctx.timestamp : ctx.watermark),
      watermark: () => ctx.watermark,
    }, ctx.columnarState, ctx.stateFastPaths);
    this.timers = new TimerService(this.backend, { inlineSingle: ctx.stateFastPaths });
  }

  override watermark(watermark: number): void {
    this.fireEventTimers(watermark);
    this.sideOutputs.watermark(watermark);
    this.next.watermark(watermark);
  }

  override idle(idle: boolean): void {
    this.sideOutputs.idle(idle);
    this.next.idle(idle);
  }

  override finish(): void {
    this.finishSideOutputs();
    this.next.finish();
  }

  /** End of input on every side output (an operator overriding finish calls it once it can emit no more). */
  protected finishSideOutputs(): void {
    this.sideOutputs.finish();
  }

  // A processing-time timer for T fires once the clock has passed T (now >= T + 1), as Flink's timer service does:
  // the millisecond T itself may still bring records for a window whose maxTimestamp is T, and a timer fired within
  // it would leave them to fire the window again, as a second, partial result.
  override nextProcessingTime(): number {
    return this.timers.nextProcessingTime() + 1;
  }

  override onProcessingTime(now: number): void {
    this.timers.fire('processing', now - 1, (key, ts) => this.fireTimer('processing', key, ts));
  }

  /** Fires the event-time timers due at `upTo`, those registered while they fire too. */
  protected fireEventTimers(upTo: number): void {
    if (upTo < MAX_WATERMARK) {
      this.timers.fire('event', upTo, (key, ts) => this.fireTimer('event', key, ts));
      return;
    }
    // The final watermark makes every timer due, those onTimer registers too: one re-armed from onTimer fires again
    // at once, for good (the job never ends). Past any plausible cascade of timers registering timers, it fails.
    const pending = this.timers.eventCount;
    const cascade = Math.max(this.endTimerCascadeMin, END_TIMER_CASCADE * pending);
    let left = pending + cascade;
    this.timers.fire('event', upTo, (key, ts) => {
      if (--left < 0) this.fail(new Error(`at the end of input, onTimer kept registering event-time timers (${cascade.toLocaleString('en-US')} fired after the ${pending.toLocaleString('en-US')} pending when the final watermark came): once the watermark is MAX_WATERMARK every timer is due at once, so a timer re-armed in onTimer fires again until its time reaches MAX_WATERMARK; stop re-arming once ctx.timerService.currentWatermark() is MAX_WATERMARK`));
      this.fireTimer('event', key, ts);
    });
  }

  /** A timer of the current key fired; the record timestamp is the timer's (event) or none (processing). */
  protected onTimer(_domain: TimeDomain, _ts: number): void {}

  protected fireTimer(domain: TimeDomain, key: Key, ts: number): void {
    this.backend.currentKey = key;
    this.ctx.timestamp = domain === 'event' ? ts : NaN;
    if (domain === 'event') this.eventTimerTs = ts;
    try { this.onTimer(domain, ts); } catch (e) { this.rejected(e, { timer: ts, domain, key: decodeKey(key) }); } finally { this.eventTimerTs = NaN; }
  }

  /** The event-time timer firing now (NaN: none), the TTL event clock while it runs. */
  private eventTimerTs = NaN;

  protected emitSide(tag: OutputTag<unknown>, value: unknown): void {
    this.sideOutputs.emit(tag.id, value);
  }

  override snapshotState(_checkpointId: number, savepoint: boolean): OperatorSnapshot {
    const { chunks, entries } = this.backend.snapshot(savepoint);
    return { keyed: chunks, keyedEntries: entries };
  }

  override restoreState(state: OperatorRestore): void {
    this.backend.restore(state.keyed);
    this.timers.rebuild();
  }
}

export class ReduceOperator<T> extends KeyedOperator<T, T> {
  private readonly table: StateTable<T> | undefined;
  /** With a state schema: the accumulators in typed columns. */
  private readonly typed: TypedStateTable<T> | undefined;
  private unchecked = true;

  constructor(
    name: string, ctx: TaskContext, next: Downstream<T>, private readonly key: (v: T) => UserKey, private readonly fn: ReduceFunction<T>, tracking: boolean,
    stateFields?: readonly FieldDef[],
  ) {
    super(name, ctx, next, tracking);
    if (stateFields !== undefined) this.typed = this.backend.typedTable<T>('reduce', stateFields, `reduce '${name}'`);
    else this.table = this.backend.table<T>('reduce', 'internal', undefined);
    this.checkFirst = firstCheckOf(fn);
  }

  /** A field aggregation's check of a key's first record (field-aggregations.ts CHECK_FIRST). */
  private readonly checkFirst: ((first: T) => void) | undefined;

  push(value: T): void {
    this.recordsIn++;
    let acc: T;
    try {
      const k = canonicalKey(this.key(value));
      const typed = this.typed;
      if (typed !== undefined) {
        const before = typed.get(k);
        if (before === undefined) {
          this.checkFirst?.(value);
          typed.put(k, value);
          // As the state holds it (declared fields only, f32 rounded), as every later result is: the raw record
          // keeps fields the schema drops, so a key's first result would differ from the rest.
          acc = typed.get(k)!;
        } else {
          acc = this.fn(before, value);
          if (this.unchecked) this.unchecked = checkedOnce(acc, this.name, 'its reduce function', KEPT_AS_STATE);
          typed.put(k, acc);
        }
      } else {
        const e = this.table!.entries.get(k);
        if (e === undefined) this.checkFirst?.(value);
        if (e === undefined) acc = value;
        else {
          acc = this.fn(e.value, value);
          if (this.unchecked) this.unchecked = checkedOnce(acc, this.name, 'its reduce function', KEPT_AS_STATE);
        }
        this.table!.put(k, acc);
      }
    } catch (e) { this.rejected(e, value); return; }
    this.recordsOut++;
    this.next.push(acc);
  }
}

export class KeyedProcessOperator<K extends UserKey, I, O> extends KeyedOperator<I, O> implements KeyedContext<K>, OnTimerContext<K>, Collector<O>, UserTimerService {
  private readonly handler: KeyedProcessHandler<K, I, O>;
  /** Keys handed to user code (ctx.key), decoded. */
  protected readonly keys = new KeyDecoder();
  timeDomain: 'event' | 'processing' = 'event';

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
    if (k === NO_KEY) throw new JobDefinitionError('ctx.key read in open(): no key is set there (open runs once per subtask, before any record)');
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
    } catch (e) { this.rejected(e, value); }
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
