// List and map states in delta chunks: an entry changed in place since its last snapshot is written as a patch
// (elements appended, map entries put and removed), so a checkpoint's bytes follow what changed, not the whole
// value; restores (same parallelism and rescaled, from chains of any length, TTL on or off) give exactly what a
// plain model holds.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { KeyedStateBackend, MAX_DELTA_CHAIN } from '../../../core/state/keyed-state-backend.js';
import { keyGroupFor, keyGroupRange, type Key } from '../../../core/graph/key-groups.js';
import type { StateOptions } from '../../../core/api/state.js';
import { decodeKeyGroup, KeyGroupFormatError } from '../../../core/state/key-group-codec.js';
import { ChunkStore, ManualClocks } from './fixtures.js';

const backend = (maxP: number, clocks = new ManualClocks(), columns = true): KeyedStateBackend => new KeyedStateBackend('op', maxP, true, clocks, columns);

/** Bytes of a snapshot's chunks. */
const bytesOf = (chunks: readonly { bytes: Uint8Array }[]): number => chunks.reduce((n, c) => n + c.bytes.length, 0);

describe('list and map state deltas: bytes follow what changed', () => {
  for (const columns of [true, false]) {
    test(`a list growing by 100 per checkpoint: a delta writes the 100 appended, not the list (${columns ? 'columns' : 'rows'})`, () => {
      // One key group: its turn to end a chain comes every MAX_DELTA_CHAIN snapshots (the 1st, 9th, 17th...).
      const b = backend(1, new ManualClocks(), columns);
      const list = b.listState<number>('l');
      const sizes: { full: boolean; bytes: number }[] = [];
      let n = 0;
      for (let cp = 0; cp < 2 * MAX_DELTA_CHAIN + 2; cp++) {
        for (const key of ['a', 'b']) {
          b.currentKey = key;
          for (let i = 0; i < 100; i++) list.add(n++ * 1.5);
        }
        const { chunks } = b.snapshot(false);
        assert.equal(chunks.length, 1);
        sizes.push({ full: chunks[0]!.full, bytes: bytesOf(chunks) });
      }
      const first = sizes[0]!.bytes;
      assert.ok(sizes[0]!.full);
      // The 10th checkpoint holds 10x the elements of the first, and writes about as much as the first.
      assert.equal(sizes[9]!.full, false);
      assert.ok(sizes[9]!.bytes < 1.3 * first, `10th checkpoint ${sizes[9]!.bytes} bytes, the first ${first}`);
      for (const [i, s] of sizes.entries()) {
        if (s.full) assert.equal(i % MAX_DELTA_CHAIN, 0, `a full chunk only at the group's turn (checkpoint ${i + 1})`);
        else assert.ok(s.bytes < 1.3 * first, `delta ${i + 1}: ${s.bytes} bytes`);
      }
    });
  }

  test('a map of 10,000 entries with one put and one removal per checkpoint writes those two, not the map', () => {
    const b = backend(1);
    const map = b.mapState<number, string>('m');
    b.currentKey = 'k';
    for (let i = 0; i < 10_000; i++) map.put(i, `v${i}`);
    const full = bytesOf(b.snapshot(false).chunks);
    for (let cp = 1; cp < MAX_DELTA_CHAIN; cp++) {
      b.currentKey = 'k';
      map.put(20_000 + cp, 'new');
      map.remove(cp);
      const { chunks } = b.snapshot(false);
      assert.equal(chunks[0]!.full, false);
      assert.ok(bytesOf(chunks) < 100, `checkpoint ${cp + 1}: ${bytesOf(chunks)} bytes (the full map: ${full})`);
    }
  });

  test('a list or map of fewer than 8 elements at its last snapshot is written whole; from 8 on, patched', () => {
    const b = backend(1);
    const list = b.listState<number>('l');
    const map = b.mapState<number, number>('m');
    const kinds = (): string[] => decodeKeyGroup(b.snapshot(false).chunks[0]!.bytes).tables.map((t) => `${t.name}:${t.puts.length > 0 ? 'whole' : ''}${(t.patches?.length ?? 0) > 0 ? 'patch' : ''}`);
    b.currentKey = 'small'; list.addAll([1, 2, 3]); for (let i = 0; i < 7; i++) map.put(i, i);
    b.currentKey = 'big'; list.addAll([1, 2, 3, 4, 5, 6, 7, 8]); for (let i = 0; i < 8; i++) map.put(i, i);
    b.snapshot(false);
    b.currentKey = 'small'; list.add(4); map.put(0, -1);
    assert.deepEqual(kinds(), ['l:whole', 'm:whole']);
    b.currentKey = 'big'; list.add(9); map.put(0, -1);
    assert.deepEqual(kinds(), ['l:patch', 'm:patch']);
  });

  test("a delta chain ends once what it wrote adds up to the group's size, counted in elements", () => {
    // One key group (its turn comes at the 1st and 9th snapshot): a list of 100 and one of 1.
    const b = backend(1);
    const list = b.listState<number>('l');
    const fill = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
    b.currentKey = 'a'; list.addAll(fill(100));
    b.currentKey = 'b'; list.add(0);
    const full: boolean[] = [b.snapshot(false).chunks[0]!.full];
    // One element replaced per checkpoint: 1, 2, 3 of 101 (counted in entries, 2 of 2 entries would end it at once).
    for (let i = 0; i < 3; i++) {
      b.currentKey = 'b'; list.update([i]);
      full.push(b.snapshot(false).chunks[0]!.full);
    }
    // 100 appended: a patch of 100 elements, 103 of 201.
    b.currentKey = 'a'; list.addAll(fill(100));
    full.push(b.snapshot(false).chunks[0]!.full);
    // The list of 200 replaced by 150: 253 written against 151 held: the chain ends.
    b.currentKey = 'a'; list.update(fill(150));
    full.push(b.snapshot(false).chunks[0]!.full);
    assert.deepEqual(full, [true, false, false, false, false, true]);
  });
});

// A plain model of list and map states (optionally with a processing-time TTL: a key's list or map expires as one,
// renewed by every write that changes it).
type Op =
  | { t: 'add'; key: Key; vs: unknown[] }
  | { t: 'update'; key: Key; vs: unknown[] }
  | { t: 'clear'; key: Key }
  | { t: 'put'; key: Key; mks: (number | string)[]; v: unknown }
  | { t: 'remove'; key: Key; mk: number | string }
  | { t: 'mapClear'; key: Key }
  | { t: 'value'; key: Key; v: unknown }
  | { t: 'tick'; ms: number }
  | { t: 'snapshot'; full: boolean }
  | { t: 'restore'; n: number };

// Few keys, so that lists and maps grow past the 8 elements a patch needs.
const keyArb: fc.Arbitrary<Key> = fc.oneof(fc.integer({ min: 0, max: 5 }), fc.constantFrom('a', 'b'), fc.constantFrom(5n, true));
const num = fc.oneof(fc.integer({ min: -200, max: 200 }), fc.integer(), fc.double({ noNaN: false }).filter((x) => !Object.is(x, -0)));
const elem: fc.Arbitrary<unknown> = fc.oneof(num, num, fc.string({ maxLength: 3 }), fc.record({ x: fc.integer() }), fc.constant(null));
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: fc.record({ t: fc.constant('add' as const), key: keyArb, vs: fc.array(elem, { maxLength: 6 }) }), weight: 8 },
  { arbitrary: fc.record({ t: fc.constant('update' as const), key: keyArb, vs: fc.array(elem, { maxLength: 3 }) }), weight: 1 },
  { arbitrary: fc.record({ t: fc.constant('clear' as const), key: keyArb }), weight: 1 },
  { arbitrary: fc.record({ t: fc.constant('put' as const), key: keyArb, mks: fc.array(fc.oneof(fc.integer({ min: 0, max: 29 }), fc.constantFrom('x', 'y')), { minLength: 1, maxLength: 6 }), v: elem }), weight: 8 },
  { arbitrary: fc.record({ t: fc.constant('remove' as const), key: keyArb, mk: fc.oneof(fc.integer({ min: 0, max: 29 }), fc.constantFrom('x', 'y')) }), weight: 3 },
  { arbitrary: fc.record({ t: fc.constant('mapClear' as const), key: keyArb }), weight: 1 },
  { arbitrary: fc.record({ t: fc.constant('value' as const), key: keyArb, v: elem }), weight: 2 },
  { arbitrary: fc.record({ t: fc.constant('tick' as const), ms: fc.integer({ min: 0, max: 60 }) }), weight: 2 },
  { arbitrary: fc.record({ t: fc.constant('snapshot' as const), full: fc.integer({ min: 0, max: 19 }).map((x) => x === 0) }), weight: 4 },
  { arbitrary: fc.record({ t: fc.constant('restore' as const), n: fc.integer({ min: 1, max: 3 }) }), weight: 1 },
);

interface Cell<V> { v: V; exp: number }
class Model {
  readonly list = new Map<Key, Cell<unknown[]>>();
  readonly map = new Map<Key, Cell<Map<number | string, unknown>>>();
  readonly value = new Map<Key, Cell<unknown>>();
  constructor(private readonly ttl: number) {}
  clone(): Model {
    const m = new Model(this.ttl);
    for (const name of ['list', 'map', 'value'] as const) for (const [k, c] of this[name]) (m[name] as Map<Key, Cell<unknown>>).set(k, structuredClone(c));
    return m;
  }
  private live<V>(m: Map<Key, Cell<V>>, key: Key, now: number): Cell<V> | undefined {
    const c = m.get(key);
    if (c !== undefined && c.exp <= now) { m.delete(key); return undefined; }
    return c;
  }
  apply(op: Op, now: number): void {
    const exp = now + this.ttl;
    switch (op.t) {
      case 'add': {
        if (op.vs.length === 0) return;
        const c = this.live(this.list, op.key, now);
        if (c === undefined) this.list.set(op.key, { v: [...op.vs], exp });
        else { c.v.push(...op.vs); c.exp = exp; }
        return;
      }
      case 'update': if (op.vs.length === 0) this.list.delete(op.key); else this.list.set(op.key, { v: [...op.vs], exp }); return;
      case 'clear': this.list.delete(op.key); return;
      case 'put': {
        const c = this.live(this.map, op.key, now);
        if (c === undefined) this.map.set(op.key, { v: new Map(op.mks.map((mk) => [mk, op.v])), exp });
        else { for (const mk of op.mks) c.v.set(mk, op.v); c.exp = exp; }
        return;
      }
      case 'remove': {
        const c = this.live(this.map, op.key, now);
        if (c === undefined || !c.v.delete(op.mk)) return;
        if (c.v.size === 0) this.map.delete(op.key); else c.exp = exp;
        return;
      }
      case 'mapClear': this.map.delete(op.key); return;
      case 'value': this.value.set(op.key, { v: op.v, exp }); return;
      default: return;
    }
  }
  /** What the handles should show at `now`, per state: key -> value (live entries only). */
  view(now: number): Record<string, [string, unknown][]> {
    const out: Record<string, [string, unknown][]> = {};
    for (const [name, m] of [['list', this.list], ['map', this.map], ['value', this.value]] as const) {
      const rows: [string, unknown][] = [];
      for (const [k, c] of m as Map<Key, Cell<unknown>>) if (c.exp > now) rows.push([`${typeof k}:${String(k)}`, c.v instanceof Map ? [...c.v].sort(byKey) : c.v]);
      out[name] = rows.sort(byKey);
    }
    return out;
  }
}
const byKey = (a: [unknown, unknown], b: [unknown, unknown]): number => (String(a[0]) < String(b[0]) ? -1 : String(a[0]) > String(b[0]) ? 1 : 0);

/** Backends that own disjoint ranges of key groups (one: all of them), and their handles. */
class Subtasks {
  readonly parts: { b: KeyedStateBackend; start: number; end: number }[] = [];
  constructor(readonly maxP: number, n: number, private readonly clocks: ManualClocks, private readonly options: StateOptions | undefined, private readonly columns: boolean, store?: ChunkStore) {
    for (let i = 0; i < n; i++) {
      const [start, end] = keyGroupRange(i, maxP, n);
      const b = backend(maxP, clocks, columns);
      if (store !== undefined) b.restore(store.chunks(start, end));
      this.parts.push({ b, start, end });
    }
  }
  owner(key: Key): KeyedStateBackend {
    const kg = keyGroupFor(key, this.maxP);
    return this.parts.find((p) => kg >= p.start && kg < p.end)!.b;
  }
  apply(op: Op): void {
    if (!('key' in op)) return;
    const b = this.owner(op.key);
    b.currentKey = op.key;
    const o = this.options;
    switch (op.t) {
      case 'add': b.listState('list', o).addAll(op.vs); return;
      case 'update': b.listState('list', o).update(op.vs); return;
      case 'clear': b.listState('list', o).clear(); return;
      case 'put': for (const mk of op.mks) b.mapState<number | string, unknown>('map', o).put(mk, op.v); return;
      case 'remove': b.mapState<number | string, unknown>('map', o).remove(op.mk); return;
      case 'mapClear': b.mapState('map', o).clear(); return;
      case 'value': b.valueState('value', o).update(op.v); return;
    }
  }
  view(keys: Iterable<Key>): Record<string, [string, unknown][]> {
    const out: Record<string, [string, unknown][]> = { list: [], map: [], value: [] };
    for (const key of keys) {
      const b = this.owner(key);
      b.currentKey = key;
      const k = `${typeof key}:${String(key)}`;
      const l = b.listState('list', this.options).get();
      if (l.length > 0) out.list!.push([k, l]);
      const m = b.mapState<number | string, unknown>('map', this.options);
      if (!m.isEmpty()) out.map!.push([k, m.entries().sort(byKey)]);
      const v = b.valueState('value', this.options).value();
      if (v !== undefined) out.value!.push([k, v]);
    }
    for (const rows of Object.values(out)) rows.sort(byKey);
    return out;
  }
  restoredFrom(store: ChunkStore, n: number): Subtasks {
    return new Subtasks(this.maxP, n, this.clocks, this.options, this.columns, store);
  }
}

describe('list and map state deltas: restores equal a plain model', () => {
  test('property: random appends, updates, clears, puts, removes, TTL expiry, snapshots and restores (rescaled too)', () => {
    const patched = [0, 0];
    fc.assert(fc.property(
      fc.array(opArb, { minLength: 20, maxLength: 160 }), fc.constantFrom(1, 4, 16, 128), fc.boolean(), fc.constantFrom(0, 100),
      (ops, maxP, columns, ttlMs) => {
        const clocks = new ManualClocks();
        const options = ttlMs > 0 ? { ttl: { ttlMs } } : undefined;
        let model = new Model(ttlMs > 0 ? ttlMs : Infinity);
        let checkpointed = model.clone();
        const keys = new Set<Key>();
        const store = new ChunkStore();
        let subtasks = new Subtasks(maxP, 1, clocks, options, columns);
        ops.push({ t: 'snapshot', full: false }, { t: 'restore', n: 2 });
        for (const op of ops) {
          if (op.t === 'tick') { clocks.processingMs += op.ms; continue; }
          if (op.t === 'snapshot') {
            for (const p of subtasks.parts) store.add(p.b.snapshot(op.full).chunks);
            checkpointed = model.clone();
            continue;
          }
          if (op.t === 'restore') {
            // A restore goes back to the last snapshot (what was written since is lost, as in a failover): so does the model.
            subtasks = subtasks.restoredFrom(store, op.n);
            model = checkpointed.clone();
            assert.deepEqual(subtasks.view(keys), model.view(clocks.processingMs));
            continue;
          }
          keys.add(op.key);
          subtasks.apply(op);
          model.apply(op, clocks.processingMs);
        }
        for (const chain of store.groups.values()) {
          assert.ok(chain.length <= MAX_DELTA_CHAIN + 1, `a chain of ${chain.length} chunks`);
          for (const c of chain) for (const t of decodeKeyGroup(c.bytes).tables) if (t.patches !== undefined) patched[t.name === 'list' ? 0 : 1]++;
        }
      },
    ), { numRuns: 150 });
    assert.ok(patched[0]! > 0 && patched[1]! > 0, `runs wrote list and map patches: ${patched.join(', ')}`);
  });
});

describe('list and map state deltas: damaged or misplaced patches are refused', () => {
  /** A full chunk, then a delta that patches a list and a map (with a TTL, or without). */
  function chain(columns: boolean, ttl: boolean): { chunks: ReturnType<KeyedStateBackend['snapshot']>['chunks']; b: KeyedStateBackend } {
    const b = backend(1, new ManualClocks(), columns);
    const o = ttl ? { ttl: { ttlMs: 1e6 } } : undefined;
    const chunks = [];
    b.currentKey = 'k';
    // At least 8 elements and entries: smaller lists and maps are written whole.
    b.listState<unknown>('l', o).addAll([1, 2, 'x', 4, 5, 6, 7, 8]);
    for (const [k, v] of [...'abcdefgh'].entries()) b.mapState<string, unknown>('m', o).put(v, k);
    chunks.push(...b.snapshot(false).chunks);
    b.listState<unknown>('l', o).addAll([3, 4.5, { y: 1 }]);
    b.mapState<string, unknown>('m', o).put('d', [4]);
    b.mapState<string, unknown>('m', o).remove('e');
    chunks.push(...b.snapshot(false).chunks);
    return { chunks, b };
  }

  test('property: a flipped or truncated patch chunk fails with KeyGroupFormatError, or restores exactly (CRC)', () => {
    fc.assert(fc.property(fc.boolean(), fc.boolean(), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }), fc.nat(), (columns, ttl, flips, cut) => {
      const { chunks } = chain(columns, ttl);
      assert.equal(chunks[1]!.full, false);
      assert.ok((decodeKeyGroup(chunks[1]!.bytes).tables.find((t) => t.name === 'l')?.patches?.length ?? 0) > 0, 'the delta holds patches');
      const o = ttl ? { ttl: { ttlMs: 1e6 } } : undefined;
      const read = (b: KeyedStateBackend): unknown => { b.currentKey = 'k'; return [b.listState('l', o).get(), b.mapState('m', o).entries()]; };
      const good = backend(1);
      good.restore(chunks);
      const expected = read(good);
      assert.deepEqual(expected, [[1, 2, 'x', 4, 5, 6, 7, 8, 3, 4.5, { y: 1 }], [...'abcdfgh'].map((v) => [v, v === 'd' ? [4] : 'abcdefgh'.indexOf(v)])]);
      const flipped = Uint8Array.from(chunks[1]!.bytes);
      for (const [pos, x] of flips) flipped[pos % flipped.length]! ^= x;
      for (const bytes of [flipped, chunks[1]!.bytes.slice(0, cut % chunks[1]!.bytes.length)]) {
        const r = backend(1);
        try {
          r.restore([chunks[0]!, { ...chunks[1]!, bytes }]);
        } catch (e) {
          assert.ok(e instanceof KeyGroupFormatError, `untyped error: ${String(e)}`);
          continue;
        }
        assert.deepEqual(read(r), expected, 'restored a wrong value');
      }
    }), { numRuns: 500 });
  });

  test('a patch with no value to apply to (its full chunk does not hold the key) is KeyGroupFormatError naming the state and key', () => {
    const { chunks } = chain(true, false);
    const empty = backend(1);
    empty.valueState('v');
    empty.currentKey = 'other';
    empty.valueState<number>('v').update(1);
    const otherFull = empty.snapshot(false).chunks[0]!;
    // A delta's entry count is the group's: restoring it onto another full chunk fails either by count or by patch.
    assert.throws(() => backend(1).restore([otherFull, { ...chunks[1]!, entries: 1 }]), (e: unknown) => e instanceof KeyGroupFormatError && /state '[lm]', key k: a (list append|map patch) to no value/.test(e.message));
  });
});
