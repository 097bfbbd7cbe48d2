// Runs on: the worker thread of a keyed operator instance. The state handles user functions hold: thin views of
// a StateTable, scoped to the backend's current key at every call (so one handle serves every key). A list add or
// a map put or remove reads its entry, then writes by createAfterEntry / touchedAfterEntry (one TTL clock read per
// call); reduce and aggregate do not, since the user's function runs between their read and their write.
// Every call reads the current key once through keyOf, which refuses the no-key sentinels (open(), a broadcast record).

import type { AggregateFunction, AggregatingState, ListState, MapState, ReducingState, ValueState } from '../api/state.js';
import type { Key } from '../graph/key-groups.js';
import type { StateTable } from './state-table.js';
import { isNoKey, noKeyError } from './no-key.js';
import { isMapKey, mapKeyError } from './map-key.js';

interface Scope {
  currentKey: Key;
  readonly operatorName: string;
}

/** The current key, or a JobDefinitionError naming the operator and state when none is set. */
function keyOf(scope: Scope, t: { readonly name: string }): Key {
  const k = scope.currentKey;
  if (isNoKey(k)) throw noKeyError(scope.operatorName, t.name, k);
  return k;
}

export class ValueHandle<V> implements ValueState<V> {
  constructor(private readonly scope: Scope, private readonly t: StateTable<V>) {}
  value(): V | undefined { return this.t.get(keyOf(this.scope, this.t)); }
  update(value: V): void {
    const k = keyOf(this.scope, this.t);
    if (value === undefined) this.t.remove(k);
    else this.t.put(k, value);
  }
  clear(): void { this.t.remove(keyOf(this.scope, this.t)); }
}

export class ListHandle<V> implements ListState<V> {
  constructor(private readonly scope: Scope, private readonly t: StateTable<V[]>) {}
  get(): V[] { return this.t.get(keyOf(this.scope, this.t))?.slice() ?? []; }
  add(value: V): void {
    // One handle call, nothing in between: the write may go by the read's clock reading (createAfterEntry).
    const k = keyOf(this.scope, this.t);
    const e = this.t.entry(k);
    if (e === undefined) this.t.createAfterEntry(k, [value]);
    else { e.value.push(value); this.t.touchedAfterEntry(e); }
  }
  addAll(values: Iterable<V>): void {
    const list = [...values];
    const k = keyOf(this.scope, this.t);
    if (list.length === 0) return;
    const e = this.t.entry(k);
    if (e === undefined) this.t.createAfterEntry(k, list);
    else { for (const v of list) e.value.push(v); this.t.touchedAfterEntry(e); }
  }
  update(values: Iterable<V>): void {
    const k = keyOf(this.scope, this.t);
    const list = [...values];
    if (list.length === 0) this.t.remove(k);
    else this.t.put(k, list);
  }
  clear(): void { this.t.remove(keyOf(this.scope, this.t)); }
}

export class MapHandle<MK extends Key, MV> implements MapState<MK, MV> {
  constructor(private readonly scope: Scope, private readonly t: StateTable<Map<MK, MV>>) {}
  get(key: MK): MV | undefined { return this.t.get(keyOf(this.scope, this.t))?.get(key); }
  put(key: MK, value: MV): void {
    const k = keyOf(this.scope, this.t);
    if (!isMapKey(key)) throw mapKeyError(this.scope.operatorName, `map state '${this.t.name}'`, key);
    const e = this.t.entry(k);
    if (e === undefined) this.t.createAfterEntry(k, new Map([[key, value]]));
    else { e.value.set(key, value); this.t.mapKeyChanged(e, key); this.t.touchedAfterEntry(e); }
  }
  remove(key: MK): void {
    const k = keyOf(this.scope, this.t);
    const e = this.t.entry(k);
    if (e === undefined || !e.value.delete(key)) return;
    if (e.value.size === 0) this.t.remove(k);
    else { this.t.mapKeyChanged(e, key); this.t.touchedAfterEntry(e); }
  }
  contains(key: MK): boolean { return this.t.get(keyOf(this.scope, this.t))?.has(key) ?? false; }
  entries(): [MK, MV][] { return [...(this.t.get(keyOf(this.scope, this.t)) ?? [])]; }
  keys(): MK[] { return [...(this.t.get(keyOf(this.scope, this.t))?.keys() ?? [])]; }
  values(): MV[] { return [...(this.t.get(keyOf(this.scope, this.t))?.values() ?? [])]; }
  isEmpty(): boolean { return (this.t.get(keyOf(this.scope, this.t))?.size ?? 0) === 0; }
  clear(): void { this.t.remove(keyOf(this.scope, this.t)); }
}

export class ReducingHandle<V> implements ReducingState<V> {
  constructor(private readonly scope: Scope, private readonly t: StateTable<V>, private readonly reduce: (a: V, b: V) => V) {}
  get(): V | undefined { return this.t.get(keyOf(this.scope, this.t)); }
  add(value: V): void {
    const k = keyOf(this.scope, this.t);
    const e = this.t.entry(k);
    this.t.put(k, e === undefined ? value : this.reduce(e.value, value));
  }
  clear(): void { this.t.remove(keyOf(this.scope, this.t)); }
}

export class AggregatingHandle<IN, ACC, OUT> implements AggregatingState<IN, OUT> {
  constructor(private readonly scope: Scope, private readonly t: StateTable<ACC>, private readonly agg: AggregateFunction<IN, ACC, OUT>) {}
  get(): OUT | undefined {
    const e = this.t.entry(keyOf(this.scope, this.t));
    return e === undefined ? undefined : this.agg.getResult(e.value);
  }
  add(value: IN): void {
    const k = keyOf(this.scope, this.t);
    const e = this.t.entry(k);
    this.t.put(k, this.agg.add(value, e === undefined ? this.agg.createAccumulator() : e.value));
  }
  clear(): void { this.t.remove(keyOf(this.scope, this.t)); }
}
