// Runs on: the worker thread of a window operator. Per-window state, Flink's `windowState()` of a process window
// function: state of the current key *and* window, for example how often a window has fired (a late record
// fires it again) or what its last result was.
//
// Each named state is one keyed table whose value, per key, maps a window's id to that window's value: key
// groups snapshot, restore and rescale it as any keyed state. A window's entries are removed when the window is
// (after the function's `clear`), so state a function forgets to clear does not pile up.

import { JobDefinitionError } from '../api/errors.js';
import type {
  AggregateFunction, AggregatingState, KeyedStateStore, ListState, MapState, ReducingState, StateOptions, ValueState,
} from '../api/state.js';
import type { Key } from '../graph/key-groups.js';
import type { KeyedStateBackend } from '../state/keyed-state-backend.js';
import type { StateKind } from '../state/key-group-codec.js';
import type { StateTable } from '../state/state-table.js';
import { redeclared, type StateFunction } from '../state/redeclaration.js';
import { isMapKey, mapKeyError } from '../state/map-key.js';

/** What the handles are scoped to: set by the window operator before it calls the window function. */
export interface WindowScope {
  key(): Key;
  /** The current window's id: its bounds, as "start:end". */
  window(): string;
}

/** A window's id in the per-window tables (its bounds: windows are restored from them, so the id survives). */
export function windowId(start: number, end: number): string {
  return `${start}:${end}`;
}

/** One window's value of one state: the cell every handle below reads and writes. */
class Cell<V> {
  constructor(private readonly scope: WindowScope, private readonly t: StateTable<Map<string, V>>) {}

  get(): V | undefined {
    return this.t.get(this.scope.key())?.get(this.scope.window());
  }

  set(value: V): void {
    const e = this.t.entry(this.scope.key());
    if (e === undefined) this.t.put(this.scope.key(), new Map([[this.scope.window(), value]]));
    else { e.value.set(this.scope.window(), value); this.t.touched(e); }
  }

  /** The window's value changed in place: listed for the next snapshot. */
  changed(): void {
    const e = this.t.entry(this.scope.key());
    if (e !== undefined) this.t.touched(e);
  }

  remove(): void {
    removeWindow(this.t, this.scope.key(), this.scope.window());
  }
}

/** Removes one window's value of a key from a per-window table (its key's entry goes with the last one). */
export function removeWindow(t: StateTable<Map<string, unknown>>, key: Key, id: string): void {
  const e = t.entry(key);
  if (e === undefined || !e.value.delete(id)) return;
  if (e.value.size === 0) t.remove(key);
  else t.touched(e);
}

class WindowValue<V> implements ValueState<V> {
  constructor(private readonly c: Cell<V>) {}
  value(): V | undefined { return this.c.get(); }
  update(value: V): void { if (value === undefined) this.c.remove(); else this.c.set(value); }
  clear(): void { this.c.remove(); }
}

class WindowList<V> implements ListState<V> {
  constructor(private readonly c: Cell<V[]>) {}
  get(): V[] { return this.c.get()?.slice() ?? []; }
  add(value: V): void { this.addAll([value]); }
  addAll(values: Iterable<V>): void {
    const list = [...values];
    if (list.length === 0) return;
    const cur = this.c.get();
    if (cur === undefined) { this.c.set(list); return; }
    for (const v of list) cur.push(v);
    this.c.changed();
  }
  update(values: Iterable<V>): void {
    const list = [...values];
    if (list.length === 0) this.c.remove(); else this.c.set(list);
  }
  clear(): void { this.c.remove(); }
}

class WindowMap<MK extends Key, MV> implements MapState<MK, MV> {
  constructor(private readonly c: Cell<Map<MK, MV>>, private readonly operator: string, private readonly name: string) {}
  get(key: MK): MV | undefined { return this.c.get()?.get(key); }
  put(key: MK, value: MV): void {
    if (!isMapKey(key)) throw mapKeyError(this.operator, `window state '${this.name}'`, key);
    const m = this.c.get();
    if (m === undefined) { this.c.set(new Map([[key, value]])); return; }
    m.set(key, value);
    this.c.changed();
  }
  remove(key: MK): void {
    const m = this.c.get();
    if (m === undefined || !m.delete(key)) return;
    if (m.size === 0) this.c.remove(); else this.c.changed();
  }
  contains(key: MK): boolean { return this.c.get()?.has(key) ?? false; }
  entries(): [MK, MV][] { return [...(this.c.get() ?? [])]; }
  keys(): MK[] { return [...(this.c.get()?.keys() ?? [])]; }
  values(): MV[] { return [...(this.c.get()?.values() ?? [])]; }
  isEmpty(): boolean { return (this.c.get()?.size ?? 0) === 0; }
  clear(): void { this.c.remove(); }
}

class WindowReducing<V> implements ReducingState<V> {
  constructor(private readonly c: Cell<V>, private readonly reduce: (a: V, b: V) => V) {}
  get(): V | undefined { return this.c.get(); }
  add(value: V): void {
    const cur = this.c.get();
    this.c.set(cur === undefined ? value : this.reduce(cur, value));
  }
  clear(): void { this.c.remove(); }
}

class WindowAggregating<IN, ACC, OUT> implements AggregatingState<IN, OUT> {
  constructor(private readonly c: Cell<ACC>, private readonly agg: AggregateFunction<IN, ACC, OUT>) {}
  get(): OUT | undefined {
    const acc = this.c.get();
    return acc === undefined ? undefined : this.agg.getResult(acc);
  }
  add(value: IN): void {
    const acc = this.c.get();
    this.c.set(this.agg.add(value, acc === undefined ? this.agg.createAccumulator() : acc));
  }
  clear(): void { this.c.remove(); }
}

/** The `windowState` store of one window operator: handles by name, scoped to the current key and window. */
export class WindowStateStore implements KeyedStateStore {
  /** Handles by name, with the kind each was declared as (a repeat of that kind needs no backend lookup). */
  private readonly handles = new Map<string, { kind: StateKind; handle: unknown; fn: StateFunction }>();

  constructor(
    private readonly backend: KeyedStateBackend,
    private readonly scope: WindowScope,
    /** Called with each table the job declares (the operator removes a window's entries from them). */
    private readonly declared: (t: StateTable<Map<string, unknown>>) => void,
  ) {}

  private handle<V, H>(name: string, kind: StateKind, options: StateOptions | undefined, fn: StateFunction, make: (c: Cell<V>) => H): H {
    if (options?.ttl !== undefined) {
      throw new JobDefinitionError(`operator '${this.backend.operatorName}': window state '${name}' cannot have a TTL: it is removed with its window`);
    }
    const known = this.handles.get(name);
    if (known !== undefined && known.kind === kind) {
      // As for any keyed state (keyed-state-backend.ts checkRedeclared): the first reduce or aggregate function stays.
      const diff = fn === known.fn ? undefined : redeclared({ ttl: undefined, fn: known.fn }, { ttl: undefined, fn });
      if (diff !== undefined) throw new JobDefinitionError(`operator '${this.backend.operatorName}': window state '${name}' was ${diff}: a state keeps its first declaration. Declare it the same way every time, or give the other one a new name`);
      return known.handle as H;
    }
    // The backend checks the kind (a second declaration, or a restored table, of another kind is refused).
    const t = this.backend.windowTable<V>(name, kind);
    const h = make(new Cell<V>(this.scope, t));
    this.handles.set(name, { kind, handle: h, fn });
    this.declared(t as StateTable<Map<string, unknown>>);
    return h;
  }

  valueState<V>(name: string, options?: StateOptions): ValueState<V> {
    return this.handle<V, ValueState<V>>(name, 'value', options, undefined, (c) => new WindowValue(c));
  }

  listState<V>(name: string, options?: StateOptions): ListState<V> {
    return this.handle<V[], ListState<V>>(name, 'list', options, undefined, (c) => new WindowList(c));
  }

  mapState<MK extends Key, MV>(name: string, options?: StateOptions): MapState<MK, MV> {
    return this.handle<Map<MK, MV>, MapState<MK, MV>>(name, 'map', options, undefined, (c) => new WindowMap(c, this.backend.operatorName, name));
  }

  reducingState<V>(name: string, reduce: (a: V, b: V) => V, options?: StateOptions): ReducingState<V> {
    return this.handle<V, ReducingState<V>>(name, 'reducing', options, reduce as StateFunction, (c) => new WindowReducing(c, reduce));
  }

  aggregatingState<IN, ACC, OUT>(name: string, aggregate: AggregateFunction<IN, ACC, OUT>, options?: StateOptions): AggregatingState<IN, OUT> {
    return this.handle<ACC, AggregatingState<IN, OUT>>(name, 'aggregating', options, aggregate as StateFunction, (c) => new WindowAggregating(c, aggregate));
  }
}
