// Shared by the keyed-state specs: arbitraries for keys and values, a plain-Map model of the five handle kinds,
// and a checkpoint store that keeps, per key group, the last full chunk and the deltas after it.

import fc from 'fast-check';
import type { Key } from '../../../core/graph/key-groups.js';
import type { KeyGroupChunk } from '../../../core/checkpoint/snapshot.js';
import { KeyedStateBackend, type StateClocks } from '../../../core/state/keyed-state-backend.js';
import type { AggregateFunction, StateOptions } from '../../../core/api/state.js';

/** Keys of every kind a stream can be keyed by, from a small space so that keys repeat. */
export const keyArb: fc.Arbitrary<Key> = fc.oneof(
  fc.string({ maxLength: 3 }),
  fc.integer({ min: -20, max: 20 }),
  fc.constantFrom(2 ** 40, Number.MAX_SAFE_INTEGER, -(2 ** 33), 1.5, -0.25),
  fc.bigInt({ min: -4n, max: 4n }),
  fc.constantFrom(2n ** 70n, -(2n ** 64n)),
  fc.boolean(),
);

// -0 comes back from msgpack as 0 (and deepStrictEqual tells them apart); every other double round-trips.
const num = fc.double({ noDefaultInfinity: false }).filter((x) => !Object.is(x, -0));
const objKey = fc.string({ maxLength: 4 }).filter((s) => s !== '__proto__');
const leaf = fc.oneof(fc.integer(), num, fc.string({ maxLength: 6 }), fc.bigInt(), fc.boolean(), fc.constant(null),
  fc.date({ noInvalidDate: true }));

/** State values: scalars, nested objects and arrays, Map, Set, Date, bigint. */
export const valueArb: fc.Arbitrary<unknown> = fc.letrec<{ v: unknown }>((tie) => ({
  v: fc.oneof({ depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.array(tie('v'), { maxLength: 3 }),
    fc.dictionary(objKey, tie('v'), { maxKeys: 3, noNullPrototype: true }),
    fc.array(fc.tuple(fc.oneof(fc.string({ maxLength: 3 }), fc.integer()), tie('v')), { maxLength: 3 }).map((es) => new Map(es)),
    fc.array(fc.oneof(fc.string({ maxLength: 3 }), fc.integer()), { maxLength: 3 }).map((xs) => new Set(xs)),
  ),
})).v;

export type Op =
  | { t: 'value'; key: Key; v: unknown }
  | { t: 'valueClear'; key: Key }
  | { t: 'listAdd'; key: Key; v: unknown }
  | { t: 'listAddAll'; key: Key; vs: unknown[] }
  | { t: 'listUpdate'; key: Key; vs: unknown[] }
  | { t: 'listClear'; key: Key }
  | { t: 'mapPut'; key: Key; mk: string | number; v: unknown }
  | { t: 'mapRemove'; key: Key; mk: string | number }
  | { t: 'mapClear'; key: Key }
  | { t: 'reduce'; key: Key; n: number }
  | { t: 'reduceClear'; key: Key }
  | { t: 'aggregate'; key: Key; n: number }
  | { t: 'aggregateClear'; key: Key }
  | { t: 'snapshot'; full: boolean };

const mk = fc.oneof(fc.constantFrom('a', 'b', 'c'), fc.integer({ min: 0, max: 3 }));

/** State operations and snapshots; `snapshotWeight` against 25 for the state operations, `fullRate` in [0, 1]. */
export function opArb(keys: fc.Arbitrary<Key> = keyArb, values: fc.Arbitrary<unknown> = valueArb, snapshotWeight = 2, fullRate = 0.5): fc.Arbitrary<Op> {
  const full = fc.integer({ min: 0, max: 999 }).map((x) => x < fullRate * 1000);
  return fc.oneof(
    { arbitrary: fc.record({ t: fc.constant('value' as const), key: keys, v: values }), weight: 4 },
    { arbitrary: fc.record({ t: fc.constant('valueClear' as const), key: keys }), weight: 1 },
    { arbitrary: fc.record({ t: fc.constant('listAdd' as const), key: keys, v: values }), weight: 3 },
    { arbitrary: fc.record({ t: fc.constant('listAddAll' as const), key: keys, vs: fc.array(values, { maxLength: 3 }) }), weight: 1 },
    { arbitrary: fc.record({ t: fc.constant('listUpdate' as const), key: keys, vs: fc.array(values, { maxLength: 3 }) }), weight: 1 },
    { arbitrary: fc.record({ t: fc.constant('listClear' as const), key: keys }), weight: 1 },
    { arbitrary: fc.record({ t: fc.constant('mapPut' as const), key: keys, mk, v: values }), weight: 3 },
    { arbitrary: fc.record({ t: fc.constant('mapRemove' as const), key: keys, mk }), weight: 2 },
    { arbitrary: fc.record({ t: fc.constant('mapClear' as const), key: keys }), weight: 1 },
    { arbitrary: fc.record({ t: fc.constant('reduce' as const), key: keys, n: fc.integer({ min: -100, max: 100 }) }), weight: 2 },
    { arbitrary: fc.record({ t: fc.constant('reduceClear' as const), key: keys }), weight: 1 },
    { arbitrary: fc.record({ t: fc.constant('aggregate' as const), key: keys, n: fc.integer({ min: -100, max: 100 }) }), weight: 2 },
    { arbitrary: fc.record({ t: fc.constant('aggregateClear' as const), key: keys }), weight: 1 },
    { arbitrary: fc.record({ t: fc.constant('snapshot' as const), full }), weight: snapshotWeight },
  );
}

export interface Acc { sum: number; count: number }
export const average: AggregateFunction<number, Acc, string> = {
  createAccumulator: () => ({ sum: 0, count: 0 }),
  add: (n, acc) => ({ sum: acc.sum + n, count: acc.count + 1 }),
  getResult: (acc) => `${acc.sum}/${acc.count}`,
};

/** The live state of every kind, as plain Maps key -> value (what the handles should show). */
export interface Model {
  value: Map<Key, unknown>;
  list: Map<Key, unknown[]>;
  map: Map<Key, Map<string | number, unknown>>;
  reducing: Map<Key, number>;
  aggregating: Map<Key, string>;
}

export function emptyModel(): Model {
  return { value: new Map(), list: new Map(), map: new Map(), reducing: new Map(), aggregating: new Map() };
}

/** Applies a state operation to the model (not snapshots). */
export function applyToModel(m: Model, op: Op, accs: Map<Key, Acc>): void {
  switch (op.t) {
    case 'value': m.value.set(op.key, op.v); return;
    case 'valueClear': m.value.delete(op.key); return;
    case 'listAdd': m.list.set(op.key, [...(m.list.get(op.key) ?? []), op.v]); return;
    case 'listAddAll': if (op.vs.length > 0) m.list.set(op.key, [...(m.list.get(op.key) ?? []), ...op.vs]); return;
    case 'listUpdate': if (op.vs.length > 0) m.list.set(op.key, [...op.vs]); else m.list.delete(op.key); return;
    case 'listClear': m.list.delete(op.key); return;
    case 'mapPut': { const x = new Map(m.map.get(op.key) ?? []); x.set(op.mk, op.v); m.map.set(op.key, x); return; }
    case 'mapRemove': {
      const x = m.map.get(op.key);
      if (x === undefined || !x.has(op.mk)) return;
      const y = new Map(x); y.delete(op.mk);
      if (y.size === 0) m.map.delete(op.key); else m.map.set(op.key, y);
      return;
    }
    case 'mapClear': m.map.delete(op.key); return;
    case 'reduce': m.reducing.set(op.key, (m.reducing.get(op.key) ?? 0) + op.n); return;
    case 'reduceClear': m.reducing.delete(op.key); return;
    case 'aggregate': {
      const a = average.add(op.n, accs.get(op.key) ?? average.createAccumulator());
      accs.set(op.key, a);
      m.aggregating.set(op.key, average.getResult(a));
      return;
    }
    case 'aggregateClear': accs.delete(op.key); m.aggregating.delete(op.key); return;
    case 'snapshot': return;
  }
}

export function cloneModel(m: Model): Model {
  return structuredClone(m);
}

/** The handles of the five states a test backend holds (declared now: a restored table adopts its kind here). */
export function handles(b: KeyedStateBackend, options?: StateOptions) {
  return {
    value: b.valueState<unknown>('value', options),
    list: b.listState<unknown>('list', options),
    map: b.mapState<string | number, unknown>('map', options),
    reducing: b.reducingState<number>('reducing', (a, x) => a + x, options),
    aggregating: b.aggregatingState<number, Acc, string>('aggregating', average, options),
  };
}

/** Applies a state operation to the backend through its handles. */
export function applyToBackend(b: KeyedStateBackend, h: ReturnType<typeof handles>, op: Op): void {
  if (op.t === 'snapshot') return;
  b.currentKey = op.key;
  switch (op.t) {
    case 'value': h.value.update(op.v); return;
    case 'valueClear': h.value.clear(); return;
    case 'listAdd': h.list.add(op.v); return;
    case 'listAddAll': h.list.addAll(op.vs); return;
    case 'listUpdate': h.list.update(op.vs); return;
    case 'listClear': h.list.clear(); return;
    case 'mapPut': h.map.put(op.mk, op.v); return;
    case 'mapRemove': h.map.remove(op.mk); return;
    case 'mapClear': h.map.clear(); return;
    case 'reduce': h.reducing.add(op.n); return;
    case 'reduceClear': h.reducing.clear(); return;
    case 'aggregate': h.aggregating.add(op.n); return;
    case 'aggregateClear': h.aggregating.clear(); return;
  }
}

/** What a backend's handles show for `keys`, in the model's shape (absent keys left out). */
export function readBackend(b: KeyedStateBackend, keys: Iterable<Key>, options?: StateOptions): Model {
  const h = handles(b, options);
  const m = emptyModel();
  for (const key of keys) {
    b.currentKey = key;
    const v = h.value.value();
    if (v !== undefined) m.value.set(key, v);
    const l = h.list.get();
    if (l.length > 0) m.list.set(key, l);
    if (!h.map.isEmpty()) m.map.set(key, new Map(h.map.entries()));
    const r = h.reducing.get();
    if (r !== undefined) m.reducing.set(key, r);
    const a = h.aggregating.get();
    if (a !== undefined) m.aggregating.set(key, a);
  }
  return m;
}

/** Entries the model holds (one per key and state). */
export function modelEntries(m: Model): number {
  return m.value.size + m.list.size + m.map.size + m.reducing.size + m.aggregating.size;
}

/** Sorts each Map of a model by key so two models compare equal regardless of insertion order. */
export function canonical(m: Model): Record<string, [string, unknown][]> {
  const out: Record<string, [string, unknown][]> = {};
  for (const [name, map] of Object.entries(m) as [string, Map<Key, unknown>][]) {
    out[name] = [...map].map(([k, v]): [string, unknown] => [`${typeof k}:${String(k)}`, v]).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  }
  return out;
}

/** A checkpoint store as the coordinator keeps one: per key group, the last full chunk and the deltas after it. */
export class ChunkStore {
  readonly groups = new Map<number, KeyGroupChunk[]>();
  add(chunks: readonly KeyGroupChunk[]): void {
    for (const c of chunks) {
      if (c.full) this.groups.set(c.keyGroup, [c]);
      else {
        const chain = this.groups.get(c.keyGroup);
        if (chain === undefined) throw new Error(`delta chunk for key group ${c.keyGroup} without a full chunk before it`);
        chain.push(c);
      }
    }
  }
  /** The chunks to restore, for the key groups in [start, end) (all by default), in apply order. */
  chunks(start = 0, end = Infinity): KeyGroupChunk[] {
    const out: KeyGroupChunk[] = [];
    for (const kg of [...this.groups.keys()].sort((a, b) => a - b)) if (kg >= start && kg < end) out.push(...this.groups.get(kg)!);
    return out;
  }
  copy(): ChunkStore {
    const s = new ChunkStore();
    for (const [kg, chain] of this.groups) s.groups.set(kg, chain.slice());
    return s;
  }
}

/** Clocks a test moves by hand. */
export class ManualClocks implements StateClocks {
  processingMs = 0;
  watermarkMs = Number.MIN_SAFE_INTEGER;
  /** Event time of the record being processed (NaN: none). */
  recordTs = NaN;
  processing = (): number => this.processingMs;
  event = (): number => (this.recordTs > this.watermarkMs ? this.recordTs : this.watermarkMs);
  watermark = (): number => this.watermarkMs;
}
