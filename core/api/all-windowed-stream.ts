// Runs on: main thread and every worker thread (the job module builds the graph on each). A stream that is not
// keyed, cut into windows as a whole: `windowAll(assigner)` (Flink's AllWindowedStream). Its windows hold every
// record, so the window operator runs as one subtask; `combineLocally` lets each upstream subtask fold its records
// first, so only one partial per subtask and window reaches it.

import type { OutputTypeHint, ReduceFunction } from './functions.js';
import { fieldReducer, type NumericField } from './field-aggregations.js';
import type { AggregateFunction } from './state.js';
import type { OutputTag } from './output-tag.js';
import type { DataStream } from './data-stream.js';
import { checkWindowFunction, type WindowedStream } from './windowed-stream.js';
import type { AllWindowContext, ProcessAllWindowFunction, ProcessWindowFunction, WindowContext } from './window-functions.js';
import type { Trigger } from '../windows/trigger.js';
import type { Window } from '../windows/window.js';
import type { Evictor } from '../windows/evictor.js';

/** The one key every record of an all-window has. */
export const ALL_KEY = 0;

/** A function of (ctx, elements, out) as a keyed window function, the key left out. */
function keyless<IN, R, W extends Window>(fn: ProcessAllWindowFunction<IN, R, W>, what: string): ProcessWindowFunction<IN, R, typeof ALL_KEY, W> {
  checkWindowFunction(fn, what);
  if (typeof fn === 'function') return (_k, ctx, elements, out) => fn(ctx as AllWindowContext<W>, elements, out);
  const clear = fn.clear;
  return {
    process: (_k, ctx, elements, out) => fn.process(ctx as AllWindowContext<W>, elements, out),
    ...(clear !== undefined ? { clear: (ctx: WindowContext<typeof ALL_KEY, W>) => clear.call(fn, ctx as AllWindowContext<W>) } : {}),
  };
}

/** The window operator of a windowAll: one subtask, and a later setParallelism(n > 1) refused at build time. */
function single<R>(out: DataStream<R>): DataStream<R> {
  out.setParallelism(1).node.singleSubtask = 'windowAll';
  return out;
}

export class AllWindowedStream<T, W extends Window> {
  /** @internal */
  constructor(private readonly windowed: WindowedStream<T, typeof ALL_KEY, W>) {}

  /** Replaces the assigner's default trigger. */
  trigger(trigger: Trigger<W>): this {
    this.windowed.trigger(trigger);
    return this;
  }

  /** Keeps each window's state `ms` after the watermark passes its end (as on a keyed window). */
  allowedLateness(ms: number): this {
    this.windowed.allowedLateness(ms);
    return this;
  }

  /** Leaves elements out when a window fires (see WindowedStream.evictor). */
  evictor(evictor: Evictor): this {
    this.windowed.evictor(evictor);
    return this;
  }

  /** Late records go to side output `tag` instead of being dropped. */
  sideOutputLateData(tag: OutputTag<T>): this {
    this.windowed.sideOutputLateData(tag);
    return this;
  }

  /** Each upstream subtask folds its records into one partial per window first (see WindowedStream.combineLocally). */
  combineLocally(maxHeld = 100_000): this {
    this.windowed.combineLocally(maxHeld);
    return this;
  }

  /** Incremental: one reduced value per window; emits it (or passes it to `windowFn`) when the window fires. */
  reduce(fn: ReduceFunction<T>): DataStream<T>;
  reduce<R = OutputTypeHint>(fn: ReduceFunction<T>, windowFn: ProcessAllWindowFunction<T, R, W>): DataStream<R>;
  reduce<R>(fn: ReduceFunction<T>, windowFn?: ProcessAllWindowFunction<T, R, W>): DataStream<T | R> {
    const out = windowFn === undefined ? this.windowed.reduce(fn) : this.windowed.reduce(fn, keyless(windowFn, 'windowAll reduce'));
    return single(out as DataStream<T | R>);
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

  /** Incremental: one accumulator per window; emits getResult (or passes it to `windowFn`) when the window fires. */
  aggregate<ACC, V>(agg: AggregateFunction<T, ACC, V>): DataStream<V>;
  aggregate<ACC, V, R = OutputTypeHint>(agg: AggregateFunction<T, ACC, V>, windowFn: ProcessAllWindowFunction<V, R, W>): DataStream<R>;
  aggregate<ACC, V, R>(agg: AggregateFunction<T, ACC, V>, windowFn?: ProcessAllWindowFunction<V, R, W>): DataStream<V | R> {
    const out = windowFn === undefined ? this.windowed.aggregate(agg) : this.windowed.aggregate(agg, keyless(windowFn, 'windowAll aggregate'));
    return single(out as DataStream<V | R>);
  }

  /** Keeps every element of the window; `fn` gets them all, with the window's bounds, when it fires. */
  process<R = OutputTypeHint>(fn: ProcessAllWindowFunction<T, R, W>): DataStream<R> {
    return single(this.windowed.process(keyless(fn, 'windowAll process')));
  }
}
