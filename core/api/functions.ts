// Runs on: the worker thread that runs the operator. The shapes of user functions.

import type { UserKey } from '../graph/tuple-key.js';
import type { KeyedStateStore, StateOptions, ValueState } from './state.js';
import type { OutputTag } from './output-tag.js';

export type MapFunction<T, R> = (value: T) => R;
export type FilterFunction<T> = (value: T) => boolean;
/** Returns the outputs for one input (any iterable, e.g. an array), or emits them through `out`. */
export type FlatMapFunction<T, R> = (value: T, out: Collector<R>) => Iterable<R> | void;
export type KeySelector<T, K extends UserKey> = (value: T) => K;
export type ReduceFunction<T> = (accumulator: T, value: T) => T;

/**
 * What a callback the engine calls record by record may return: anything but a promise (or another thenable), and
 * it is not used. Not `void`, which takes any function, an async one too (a Promise is assignable to `void`): an
 * async process function would compile, then run what follows its first `await` under the next record's key. Not
 * `void | undefined` either, which refuses `(x) => ok && out.collect(x)` and `(x) => seen.add(x)`.
 */
export type Sync = void | undefined | null | boolean | number | string | bigint | symbol | (object & { then?: never });

export interface Collector<T> {
  collect(value: T): void;
}

/**
 * The default output type of a function that emits through `out` (process, window functions, flatMap): TypeScript
 * does not infer a type from calls to `out.collect`, so without a type argument or an annotated `out` the output
 * type is this string, and the compiler's error on `out.collect(x)` reads as its fix (a plain default of `never`
 * gave "not assignable to parameter of type 'never'"). A string, not an object keyed by the message: the compiler
 * names an object type by its alias in the error, and the message was lost (output-type-hint.spec.ts). A stream of
 * it takes string methods; nothing flows on it. A function passed with its type (generic code included)
 * infers R as usual.
 */
export type OutputTypeHint = 'the output type cannot be inferred from out.collect: name it (process<R>(...), aggregate<ACC, V, R>(...)) or annotate the parameter (out: Collector<R>)';

/** Timers of the current key. Event time is the watermark; processing time is the wall clock (Date.now()). */
export interface TimerService {
  currentWatermark(): number;
  currentProcessingTime(): number;
  registerEventTimeTimer(timestamp: number): void;
  deleteEventTimeTimer(timestamp: number): void;
  registerProcessingTimeTimer(timestamp: number): void;
  deleteProcessingTimeTimer(timestamp: number): void;
}

/** What a process function knows of the record it is called for, on any stream. */
export interface ProcessContext {
  /** The record's event time (in onTimer: the timer's time), or undefined when it has none. */
  readonly timestamp: number | undefined;
  /** Index of this parallel instance, 0-based. */
  readonly subtask: number;
  /** The operator's event time: no record older than this should come. */
  currentWatermark(): number;
  currentProcessingTime(): number;
  /** Emits to a side output (read with `getSideOutput(tag)`); dropped when nothing reads it. */
  output<X>(tag: OutputTag<X>, value: X): void;
}

/**
 * A process function on a stream that is not keyed (Flink's ProcessFunction): each record with its time and side
 * outputs. State and timers belong to a key: `keyBy(...).process(...)` has them.
 */
export interface ProcessHandler<T, R> {
  /** Once per parallel instance, before the first record. */
  open?(ctx: ProcessContext): Sync;
  processElement(value: T, ctx: ProcessContext, out: Collector<R>): Sync;
}

export type ProcessFunction<T, R> = ((value: T, ctx: ProcessContext, out: Collector<R>) => Sync) | ProcessHandler<T, R>;

export interface KeyedContext<K> extends KeyedStateStore, ProcessContext {
  /** The key of the record (or timer) being processed. */
  readonly key: K;
  readonly timerService: TimerService;
  /** The value state named `name` for the current key (shorthand for `valueState`). */
  state<V>(name: string, options?: StateOptions): ValueState<V>;
}

export interface OnTimerContext<K> extends KeyedContext<K> {
  readonly timeDomain: 'event' | 'processing';
}

/** A keyed process function as an object: per-record logic plus timer callbacks. */
export interface KeyedProcessHandler<K extends UserKey, T, R> {
  /** Once per parallel instance, before the first record: state handles kept on `this` here are the instance's own (own-instance.ts). No key is set: declare handles, do not read state. */
  open?(ctx: KeyedContext<K>): Sync;
  processElement(value: T, ctx: KeyedContext<K>, out: Collector<R>): Sync;
  onTimer?(timestamp: number, ctx: OnTimerContext<K>, out: Collector<R>): Sync;
}

export type KeyedProcessFunction<K extends UserKey, T, R> =
  | ((value: T, ctx: KeyedContext<K>, out: Collector<R>) => Sync)
  | KeyedProcessHandler<K, T, R>;
