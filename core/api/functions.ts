// Runs on: the worker thread that runs the operator. The shapes of user functions.

import type { Key } from '../graph/key-groups.js';

export type MapFunction<T, R> = (value: T) => R;
export type FilterFunction<T> = (value: T) => boolean;
/** Returns the outputs for one input (any iterable, e.g. an array), or emits them through `out`. */
export type FlatMapFunction<T, R> = (value: T, out: Collector<R>) => Iterable<R> | void;
export type KeySelector<T, K extends Key> = (value: T) => K;
export type ReduceFunction<T> = (accumulator: T, value: T) => T;

export interface Collector<T> {
  collect(value: T): void;
}

/** Per-key state of one name, scoped to the key of the record being processed. */
export interface ValueState<V> {
  value(): V | undefined;
  update(value: V): void;
  clear(): void;
}

export interface KeyedContext<K> {
  /** The key of the record being processed. */
  readonly key: K;
  /** The value state named `name` for the current key. */
  state<V>(name: string): ValueState<V>;
  /** Index of this parallel instance, 0-based. */
  readonly subtask: number;
}

export type KeyedProcessFunction<K extends Key, T, R> = (value: T, ctx: KeyedContext<K>, out: Collector<R>) => void;
