// Runs on: the worker thread of the subtask. Keyed operators: rolling reduce and keyed process with per-key
// value state. State lives in memory on this thread, one map per state, keyed by the record's key.

import type { Key } from '../graph/key-groups.js';
import type { Collector, KeyedContext, KeyedProcessFunction, ReduceFunction, ValueState } from '../api/functions.js';
import { Operator, type Downstream } from './operator.js';

export class ReduceOperator<T> extends Operator<T, T> {
  /** The accumulator of every key this subtask has seen. */
  readonly state = new Map<Key, T>();
  constructor(name: string, subtask: number, next: Downstream<T>, private readonly key: (v: T) => Key, private readonly fn: ReduceFunction<T>) {
    super(name, subtask, next);
  }
  push(value: T): void {
    this.recordsIn++;
    let acc: T;
    try {
      const k = this.key(value);
      const prev = this.state.get(k);
      acc = prev === undefined ? value : this.fn(prev, value);
      this.state.set(k, acc);
    } catch (e) { this.fail(e); }
    this.recordsOut++;
    this.next.push(acc);
  }
}

class MapValueState<V> implements ValueState<V> {
  readonly map = new Map<Key, V>();
  key: Key = '';
  value(): V | undefined { return this.map.get(this.key); }
  update(value: V): void { this.map.set(this.key, value); }
  clear(): void { this.map.delete(this.key); }
}

export class KeyedProcessOperator<K extends Key, I, O> extends Operator<I, O> implements KeyedContext<K>, Collector<O> {
  private readonly states = new Map<string, MapValueState<unknown>>();
  key!: K;
  constructor(name: string, subtask: number, next: Downstream<O>, private readonly keyOf: (v: I) => K, private readonly fn: KeyedProcessFunction<K, I, O>) {
    super(name, subtask, next);
  }
  state<V>(name: string): ValueState<V> {
    let s = this.states.get(name);
    if (!s) { s = new MapValueState<unknown>(); this.states.set(name, s); }
    s.key = this.key;
    return s as MapValueState<V>;
  }
  collect(value: O): void {
    this.recordsOut++;
    this.next.push(value);
  }
  push(value: I): void {
    this.recordsIn++;
    try {
      this.key = this.keyOf(value);
      this.fn(value, this, this);
    } catch (e) { this.fail(e); }
  }
}
