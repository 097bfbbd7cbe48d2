// Runs on: main thread and every worker thread (the job module builds the graph on each). A keyed stream cut
// into windows: `keyBy(...).window(assigner)`, configured with a trigger, allowed lateness and a late-data side
// output, and ended by what each window computes (reduce, aggregate, process) into a DataStream.

import { afterOperators, JobDefinitionError } from './errors.js';
import { OutputTag } from './output-tag.js';
import type { OutputTypeHint, ReduceFunction } from './functions.js';
import { fieldReducer, firstCheckOf, type NumericField } from './field-aggregations.js';
import type { AggregateFunction } from './state.js';
import type { ProcessWindowFunction } from './window-functions.js';
import { decodeKey, type UserKey } from '../graph/tuple-key.js';
import type { LogicalEdge } from '../graph/logical-graph.js';
import { DataStream } from './data-stream.js';
import { Trigger } from '../windows/trigger.js';
import { checkAllowedLateness, WindowAssigner } from '../windows/window-assigner.js';
import type { Window } from '../windows/window.js';
import { checkWindowSpec, windowFingerprint, type AnyWindowFunction, type WindowComputation, type WindowSpec } from '../windows/window-spec.js';
import type { LogicalGraph, LogicalNode } from '../graph/logical-graph.js';
import { TumblingEventTimeWindows } from '../windows/tumbling-windows.js';
import { EventTimeTrigger } from '../windows/event-time-trigger.js';
import { Evictor } from '../windows/evictor.js';
import type { CombineSpec, PartialAggregate } from '../windows/local-combine-operator.js';
import { shownValue } from './shown-value.js';

export function checkWindowFunction(fn: unknown, what: string): void {
  if (typeof fn !== 'function' && !(fn && typeof fn === 'object' && typeof (fn as { process?: unknown }).process === 'function')) {
    throw new JobDefinitionError(`${what}: expected a window function (key, ctx, elements, out) => void or an object with process, got ${typeof fn}`);
  }
}

export function checkAggregate(agg: unknown, what: string): void {
  const a = agg as AggregateFunction<unknown, unknown, unknown> | undefined;
  if (!a || typeof a !== 'object' || typeof a.createAccumulator !== 'function' || typeof a.add !== 'function' || typeof a.getResult !== 'function') {
    throw new JobDefinitionError(`${what}: expected an AggregateFunction with createAccumulator, add and getResult`);
  }
}

export class WindowedStream<T, K extends UserKey, W extends Window> {
  private trig: Trigger<W>;
  private lateness = 0;
  private lateTag: OutputTag<T> | undefined;
  private fast = true;
  private combineHeld = 0;
  private evict: Evictor | undefined;

  /** @internal */
  constructor(
    private readonly graph: LogicalGraph,
    private readonly input: LogicalEdge,
    private readonly assigner: WindowAssigner<W>,
  ) {
    if (!(assigner instanceof WindowAssigner)) throw new JobDefinitionError(`window${this.after}: expected a window assigner (TumblingEventTimeWindows.of(ms), ...)`);
    this.trig = assigner.defaultTrigger();
  }

  private get after(): string {
    return afterOperators(this.graph.nodes[this.input.from]?.name ?? '?');
  }

  /** Replaces the assigner's default trigger (e.g. CountTrigger.of(n) for global windows). */
  trigger(trigger: Trigger<W>): this {
    if (!(trigger instanceof Trigger)) throw new JobDefinitionError(`window trigger${this.after}: expected a Trigger (CountTrigger.of(n), PurgingTrigger.of(t), ...)`);
    this.trig = trigger;
    return this;
  }

  /**
   * Event time: keeps each window's state `ms` after the watermark passes its end. A late record within that
   * time is added and fires the window again (emitting the updated result); a later one is late data.
   */
  allowedLateness(ms: number): this {
    this.lateness = checkAllowedLateness(ms, this.assigner, `window allowedLateness${this.after}`);
    return this;
  }

  /**
   * Leaves elements out when a window fires: `CountEvictor.of(n)` keeps the last n, `TimeEvictor.of(ms)` those
   * within ms of the newest (before the window function, or after it). As in Flink, the window then keeps every
   * element, and a reduce or aggregate runs over them when it fires instead of incrementally.
   */
  evictor(evictor: Evictor): this {
    if (!(evictor instanceof Evictor)) throw new JobDefinitionError(`window evictor${this.after}: expected an Evictor (CountEvictor.of(n), TimeEvictor.of(ms))`);
    this.evict = evictor;
    return this;
  }

  /** Late records (every window already past end + allowed lateness) go to side output `tag` instead of being dropped. */
  sideOutputLateData(tag: OutputTag<T>): this {
    if (!(tag instanceof OutputTag)) throw new JobDefinitionError(`window sideOutputLateData${this.after}: expected an OutputTag`);
    this.lateTag = tag;
    return this;
  }

  /**
   * Two-phase aggregation: each subtask upstream of the exchange folds its records into one accumulator per key
   * and window and sends those partials when the watermark closes the window; the window operator merges them.
   * Far fewer records cross the exchange and reach keyed state when keys repeat within a window (Flink's
   * local-global aggregation). For `aggregate` with a `merge`, or `reduce`; event-time tumbling windows with the
   * default trigger, and no late-data side output (late records would reach it as partials). `maxHeld`:
   * accumulators a subtask holds before it sends them all early (memory bound; default 100,000).
   */
  combineLocally(maxHeld = 100_000): this {
    if (!Number.isSafeInteger(maxHeld) || maxHeld < 1) throw new JobDefinitionError(`combineLocally: maxHeld must be an integer >= 1, got ${shownValue(maxHeld)}`);
    this.combineHeld = maxHeld;
    return this;
  }

  /** @internal Turns the window operator's fast paths off (tests run both ways; results must not differ). */
  withoutFastPaths(): this {
    this.fast = false;
    return this;
  }

  /** Incremental: one reduced value per (key, window); emits it (or passes it to `windowFn`) when the window fires. */
  reduce(fn: ReduceFunction<T>): DataStream<T>;
  reduce<R = OutputTypeHint>(fn: ReduceFunction<T>, windowFn: ProcessWindowFunction<T, R, K, W>): DataStream<R>;
  reduce<R>(fn: ReduceFunction<T>, windowFn?: ProcessWindowFunction<T, R, K, W>): DataStream<T | R> {
    if (typeof fn !== 'function') throw new JobDefinitionError(`window reduce${this.after}: expected a function, got ${typeof fn}`);
    if (windowFn !== undefined) checkWindowFunction(windowFn, `window reduce${this.after}`);
    return this.build({ kind: 'reduce', reduce: fn as ReduceFunction<unknown>, windowFn: windowFn as AnyWindowFunction | undefined });
  }

  /** Per window, the first record with a number field summed (a reduce). */
  sum(field: NumericField<T>): DataStream<T> { return this.reduce(fieldReducer<T>('sum', field)); }
  /** Per window, the first record with `field` the least seen (its other fields stay the first record's). */
  min(field: NumericField<T>): DataStream<T> { return this.reduce(fieldReducer<T>('min', field)); }
  /** Per window, the first record with `field` the greatest seen. */
  max(field: NumericField<T>): DataStream<T> { return this.reduce(fieldReducer<T>('max', field)); }
  /** Per window, the record with the least `field` (the earlier one on a tie). */
  minBy(field: NumericField<T>): DataStream<T> { return this.reduce(fieldReducer<T>('minBy', field)); }
  /** Per window, the record with the greatest `field` (the earlier one on a tie). */
  maxBy(field: NumericField<T>): DataStream<T> { return this.reduce(fieldReducer<T>('maxBy', field)); }

  /** Incremental: one accumulator per (key, window); emits getResult (or passes it to `windowFn`) when the window fires. */
  aggregate<ACC, V>(agg: AggregateFunction<T, ACC, V>): DataStream<V>;
  aggregate<ACC, V, R = OutputTypeHint>(agg: AggregateFunction<T, ACC, V>, windowFn: ProcessWindowFunction<V, R, K, W>): DataStream<R>;
  aggregate<ACC, V, R>(agg: AggregateFunction<T, ACC, V>, windowFn?: ProcessWindowFunction<V, R, K, W>): DataStream<V | R> {
    checkAggregate(agg, `window aggregate${this.after}`);
    if (windowFn !== undefined) checkWindowFunction(windowFn, `window aggregate${this.after}`);
    return this.build({ kind: 'aggregate', aggregate: agg as AggregateFunction<unknown, unknown, unknown>, windowFn: windowFn as AnyWindowFunction | undefined });
  }

  /** Keeps every element of the window; `fn` gets them all, with the window's key and bounds, when it fires. */
  process<R = OutputTypeHint>(fn: ProcessWindowFunction<T, R, K, W>): DataStream<R> {
    checkWindowFunction(fn, `window process${this.after}`);
    return this.build({ kind: 'process', windowFn: fn as AnyWindowFunction });
  }

  private build<R>(computation: WindowComputation): DataStream<R> {
    let input = this.input;
    let combiner: LogicalNode | undefined;
    if (this.combineHeld > 0) {
      if (this.evict !== undefined) throw new JobDefinitionError('combineLocally: cannot be combined with an evictor (a window with one keeps every element)');
      const c = combined(computation, this.assigner, this.trig, this.lateTag as OutputTag<unknown> | undefined, this.combineHeld, input.key!);
      combiner = this.graph.add({
        kind: 'combine', inputs: [{ from: input.from, partitioner: 'forward', ...(input.tag !== undefined ? { tag: input.tag } : {}) }],
        spec: c.spec, specFingerprint: `combine(${this.assigner.fingerprint};held=${this.combineHeld})`,
      });
      // A partial carries its key in canonical form; the exchange and the window operator canonicalize what the
      // edge returns, so it returns the key as the user's selector did (a tuple decoded, an escaped string too).
      input = { from: combiner.id, partitioner: 'hash', key: (p: unknown) => decodeKey((p as PartialAggregate<unknown>).k) };
      computation = c.global;
    }
    const spec: WindowSpec = {
      kind: 'window',
      assigner: this.assigner as WindowAssigner<Window>,
      trigger: this.trig as Trigger<Window>,
      allowedLateness: this.lateness,
      lateTag: this.lateTag as OutputTag<unknown> | undefined,
      computation,
      fastPaths: this.fast,
      ...(this.evict !== undefined ? { evictor: this.evict } : {}),
    };
    checkWindowSpec(spec, `window over ${this.assigner.fingerprint}`);
    const node = this.graph.add({ kind: 'window', inputs: [input], spec, specFingerprint: windowFingerprint(spec) });
    if (combiner !== undefined) node.companion = combiner;
    return new DataStream<R>(this.graph, node);
  }
}

/**
 * The local half's spec and the window operator's computation for a two-phase aggregate: partials carry an
 * accumulator (aggregate) or `[value]` (reduce), which the global half merges.
 */
function combined(computation: WindowComputation, assigner: WindowAssigner<Window>, trigger: Trigger<Window>, lateTag: OutputTag<unknown> | undefined, maxHeld: number, key: (v: unknown) => UserKey): { spec: CombineSpec; global: WindowComputation } {
  const where = 'combineLocally';
  if (!(assigner instanceof TumblingEventTimeWindows)) throw new JobDefinitionError(`${where}: needs event-time tumbling windows, not ${assigner.fingerprint}`);
  if (!(trigger instanceof EventTimeTrigger)) throw new JobDefinitionError(`${where}: needs the default event-time trigger (partials are sent when the watermark closes a window)`);
  if (lateTag !== undefined) throw new JobDefinitionError(`${where}: cannot be combined with sideOutputLateData (late records would reach the side output as partial accumulators)`);
  if (computation.kind === 'aggregate') {
    const agg = computation.aggregate!;
    if (typeof agg.merge !== 'function') throw new JobDefinitionError(`${where}: the AggregateFunction needs merge(a, b) to add up partial accumulators`);
    const merge = agg.merge.bind(agg);
    return {
      spec: { assigner, key, createAccumulator: () => agg.createAccumulator(), add: (v, acc) => agg.add(v, acc), merge, maxHeld },
      global: {
        kind: 'aggregate', windowFn: computation.windowFn,
        aggregate: { createAccumulator: () => agg.createAccumulator(), add: (p, acc) => merge(acc, (p as PartialAggregate<unknown>).a), getResult: (acc) => agg.getResult(acc), merge },
      },
    };
  }
  if (computation.kind === 'reduce') {
    const fn = computation.reduce!;
    const merge = (a: unknown, b: unknown): unknown => [fn((a as unknown[])[0], (b as unknown[])[0])];
    // A field aggregation's check of the window's first record, kept without a call of fn (as without combining).
    const checkFirst = firstCheckOf(fn);
    const first = (v: unknown): unknown[] => { checkFirst?.(v); return [v]; };
    return {
      spec: { assigner, key, createAccumulator: () => [], add: (v, acc) => ((acc as unknown[]).length === 0 ? first(v) : [fn((acc as unknown[])[0], v)]), merge, maxHeld },
      global: {
        kind: 'aggregate', windowFn: computation.windowFn,
        aggregate: {
          createAccumulator: () => [],
          add: (p, acc) => ((acc as unknown[]).length === 0 ? (p as PartialAggregate<unknown[]>).a : merge(acc, (p as PartialAggregate<unknown[]>).a)),
          getResult: (acc) => (acc as unknown[])[0],
          merge,
        },
      },
    };
  }
  throw new JobDefinitionError(`${where}: applies to aggregate and reduce, not to process (it keeps every element)`);
}
