// Runs on: the worker thread of a keyed operator. The keyed state a user function reads and writes: every handle
// is scoped to the key of the record (or timer) being processed.

import type { StateTtl } from '../state/ttl.js';
import type { Key } from '../graph/key-groups.js';

export type { StateTtl } from '../state/ttl.js';

export interface StateOptions {
  /** Entries expire this long after their last write (see StateTtl). */
  ttl?: StateTtl;
}

export interface ValueState<V> {
  /**
   * The stored value itself, not a copy: a change made to it in place is checkpointed only once it is written
   * back with update() (change tracking sees writes, not mutations).
   */
  value(): V | undefined;
  update(value: V): void;
  clear(): void;
}

export interface ListState<V> {
  /**
   * The list of the current key (empty when none): a copy of the list, safe to keep; its elements are the state's
   * own. An element changed in place is not checkpointed by later adds (they write only what they append): write
   * the list back with `update`.
   */
  get(): V[];
  add(value: V): void;
  addAll(values: Iterable<V>): void;
  /** Replaces the list. */
  update(values: Iterable<V>): void;
  clear(): void;
}

/**
 * A map per key. Its keys are keys, like the stream's (string, number, bigint or boolean), compared by value as a JS
 * Map compares them; put refuses any other (an object would be found only by identity, and restored as another
 * object) with a KeyTypeError, which the operator's error policy handles.
 */
export interface MapState<MK extends Key, MV> {
  /** The stored value itself, not a copy: write a value changed in place back with put(), or the change is not checkpointed. */
  get(key: MK): MV | undefined;
  put(key: MK, value: MV): void;
  remove(key: MK): void;
  contains(key: MK): boolean;
  /** Entries of the current key's map (a copy, safe to keep). */
  entries(): [MK, MV][];
  keys(): MK[];
  values(): MV[];
  isEmpty(): boolean;
  clear(): void;
}

/** Folds every added value into one with a reduce function. */
export interface ReducingState<V> {
  get(): V | undefined;
  add(value: V): void;
  clear(): void;
}

/** Folds every added value into an accumulator; `get` returns the accumulator's result. */
export interface AggregatingState<IN, OUT> {
  get(): OUT | undefined;
  add(value: IN): void;
  clear(): void;
}

/** Incremental aggregation: one accumulator per key (and window), never the values themselves. */
export interface AggregateFunction<IN, ACC, OUT> {
  createAccumulator(): ACC;
  add(value: IN, accumulator: ACC): ACC;
  getResult(accumulator: ACC): OUT;
  /** Combines two accumulators (session windows that merge need it). */
  merge?(a: ACC, b: ACC): ACC;
}

/**
 * Keyed state of the current key, by name. Names are per operator; one name is one state, declared the same way
 * every time (kind, TTL, reduce or aggregate function), or the job fails.
 */
export interface KeyedStateStore {
  valueState<V>(name: string, options?: StateOptions): ValueState<V>;
  listState<V>(name: string, options?: StateOptions): ListState<V>;
  mapState<MK extends Key, MV>(name: string, options?: StateOptions): MapState<MK, MV>;
  reducingState<V>(name: string, reduce: (a: V, b: V) => V, options?: StateOptions): ReducingState<V>;
  aggregatingState<IN, ACC, OUT>(name: string, aggregate: AggregateFunction<IN, ACC, OUT>, options?: StateOptions): AggregatingState<IN, OUT>;
}
