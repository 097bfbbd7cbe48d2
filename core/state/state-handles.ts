// Runs on: the worker thread of a keyed operator instance. The state handles user functions hold: thin views of
// a StateTable, scoped to the backend's current key at every call (so one handle serves every key). A list add or
// a map put or remove reads its entry, then writes by createAfterEntry / touchedAfterEntry (one TTL clock read per
// call); reduce and aggregate do not, since the user's function runs between their read and their write.

import type { AggregateFunction, AggregatingState, ListState, MapState, ReducingState, ValueState } from '../api/state.js';
import type { Key } from '../graph/key-groups.js';
import type { StateTable } from './state-table.js';

interface Scope {
  currentKey: Key;
}

export class ValueHandle<V> implements ValueState<V> {
  constructor(private readonly scope: Scope, private readonly t: StateTable<V>) {}
  value(): V | undefined { return this.t.get(this.scope.currentKey); }
  update(value: V): void {
    if (value === undefined) this.t.remove(this.scope.currentKey);
    else this.t.put(this.scope.currentKey, value);
  }
  clear(): void { this.t.remove(this.scope.currentKey); }
}

export class ListHandle<V> implements ListState<V> {
  constructor(private readonly scope: Scope, private readonly t: StateTable<V[]>) {}
  get(): V[] { return this.t.get(this.scope.currentKey)?.slice() ?? []; }
  add(value: V): void {
    // One handle call, nothing in between: the write may go by the read's clock reading (createAfterEntry).
    const e = this.t.entry(this.scope.currentKey);
    if (e === undefined) this.t.createAfterEntry(this.scope.currentKey, [value]);
    else { e.value.push(value); this.t.touchedAfterEntry(e); }
  }
  addAll(values: Iterable<V>): void {
    const list = [...values];
    if (list.length === 0) return;
    const e = this.t.entry(this.scope.currentKey);
    if (e === undefined) this.t.createAfterEntry(this.scope.currentKey, list);
    else { for (const v of list) e.value.push(v); this.t.touchedAfterEntry(e); }
  }
  update(values: Iterable<V>): void {
    const list = [...values];
    if (list.length === 0) this.t.remove(this.scope.currentKey);
    else this.t.put(this.scope.currentKey, list);
  }
  clear(): void { this.t.remove(this.scope.currentKey); }
}

export class MapHandle<MK extends Key, MV> implements MapState<MK, MV> {
  constructor(private readonly scope: Scope, private readonly t: StateTable<Map<MK, MV>>) {}
  get(key: MK): MV | undefined { return this.t.get(this.scope.currentKey)?.get(key); }
  put(key: MK, value: MV): void {
    const e = this.t.entry(this.scope.currentKey);
    if (e === undefined) this.t.createAfterEntry(this.scope.currentKey, new Map([[key, value]]));
    else { e.value.set(key, value); this.t.touchedAfterEntry(e); }
  }
  remove(key: MK): void {
    const e = this.t.entry(this.scope.currentKey);
    if (e === undefined || !e.value.delete(key)) return;
    if (e.value.size === 0) this.t.remove(this.scope.currentKey);
    else this.t.touchedAfterEntry(e);
  }
  contains(key: MK): boolean { return this.t.get(this.scope.currentKey)?.has(key) ?? false; }
  entries(): [MK, MV][] { return [...(this.t.get(this.scope.currentKey) ?? [])]; }
  keys(): MK[] { return [...(this.t.get(this.scope.currentKey)?.keys() ?? [])]; }
  values(): MV[] { return [...(this.t.get(this.scope.currentKey)?.values() ?? [])]; }
  isEmpty(): boolean { return (this.t.get(this.scope.currentKey)?.size ?? 0) === 0; }
  clear(): void { this.t.remove(this.scope.currentKey); }
}

export class ReducingHandle<V> implements ReducingState<V> {
  constructor(private readonly scope: Scope, private readonly t: StateTable<V>, private readonly reduce: (a: V, b: V) => V) {}
  get(): V | undefined { return this.t.get(this.scope.currentKey); }
  add(value: V): void {
    const e = this.t.entry(this.scope.currentKey);
    this.t.put(this.scope.currentKey, e === undefined ? value : this.reduce(e.value, value));
  }
  clear(): void { this.t.remove(this.scope.currentKey); }
}

export class AggregatingHandle<IN, ACC, OUT> implements AggregatingState<IN, OUT> {
  constructor(private readonly scope: Scope, private readonly t: StateTable<ACC>, private readonly agg: AggregateFunction<IN, ACC, OUT>) {}
  get(): OUT | undefined {
    const e = this.t.entry(this.scope.currentKey);
    return e === undefined ? undefined : this.agg.getResult(e.value);
  }
  add(value: IN): void {
    const e = this.t.entry(this.scope.currentKey);
    this.t.put(this.scope.currentKey, this.agg.add(value, e === undefined ? this.agg.createAccumulator() : e.value));
  }
  clear(): void { this.t.remove(this.scope.currentKey); }
}
