// KeyedStateBackend: handles of every kind scoped to the current key; incremental snapshots by key group restore
// exactly the live state of their checkpoint, into one backend or into several at another parallelism; chunks
// whose counts or bytes were damaged are refused with a typed error.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { KeyedStateBackend, MAX_DELTA_CHAIN } from '../../../core/state/keyed-state-backend.js';
import { decodeKeyGroup, KeyGroupFormatError } from '../../../core/state/key-group-codec.js';
import { Packr } from 'msgpackr';
import { crc32 } from '../../../shm/checksum.js';
import { keyGroupFor, keyGroupRange, type Key } from '../../../core/graph/key-groups.js';
import { JobDefinitionError } from '../../../core/api/errors.js';
import { KeyTypeError } from '../../../core/graph/tuple-key.js';
import type { KeyGroupChunk } from '../../../core/checkpoint/snapshot.js';
import {
  applyToBackend, applyToModel, canonical, ChunkStore, cloneModel, emptyModel, handles, keyArb, ManualClocks, modelEntries,
  opArb, readBackend, valueArb, average, type Acc, type Model, type Op,
} from './fixtures.js';

const backend = (maxP = 128, tracking = true, clocks = new ManualClocks(), columns = true): KeyedStateBackend =>
  new KeyedStateBackend('op', maxP, tracking, clocks, columns);

interface Checkpoint { store: ChunkStore; model: Model; entries: number }

/** Runs `ops` on a backend and a model; at every snapshot op, records the store as a checkpoint would keep it. */
/** `columns`: the snapshots' encoding (format 3 columns, or format 2 rows: the switch off). */
function runOps(ops: Op[], maxP: number, columns = true): { b: KeyedStateBackend; model: Model; keys: Set<Key>; checkpoints: Checkpoint[] } {
  const b = backend(maxP, true, new ManualClocks(), columns);
  const h = handles(b);
  const model = emptyModel();
  const accs = new Map<Key, Acc>();
  const keys = new Set<Key>();
  const store = new ChunkStore();
  const checkpoints: Checkpoint[] = [];
  for (const op of ops) {
    if (op.t === 'snapshot') {
      const { chunks, entries } = b.snapshot(op.full);
      assert.equal(entries, modelEntries(model), 'snapshot reports the live entry count');
      for (const c of chunks) {
        assert.ok(c.keyGroup >= 0 && c.keyGroup < maxP);
        if (op.full) assert.ok(c.full, 'a full snapshot writes only full chunks');
      }
      assert.deepEqual(chunks.map((c) => c.keyGroup), [...new Set(chunks.map((c) => c.keyGroup))].sort((x, y) => x - y), 'one chunk per key group, in order');
      store.add(chunks);
      checkpoints.push({ store: store.copy(), model: cloneModel(model), entries });
    } else {
      keys.add(op.key);
      applyToBackend(b, h, op);
      applyToModel(model, op, accs);
    }
  }
  return { b, model, keys, checkpoints };
}

describe('KeyedStateBackend handles', () => {
  test('every kind of handle reads and writes the current key only', () => {
    const b = backend();
    const h = handles(b);
    b.currentKey = 'a';
    h.value.update({ x: 1 });
    h.list.add(1); h.list.addAll([2, 3]);
    h.map.put('m', 'A');
    h.reducing.add(5); h.reducing.add(6);
    h.aggregating.add(2); h.aggregating.add(4);
    b.currentKey = 'b';
    assert.equal(h.value.value(), undefined);
    assert.deepEqual(h.list.get(), []);
    assert.equal(h.map.isEmpty(), true);
    assert.equal(h.map.get('m'), undefined);
    assert.equal(h.reducing.get(), undefined);
    assert.equal(h.aggregating.get(), undefined);
    h.value.update({ x: 2 });
    h.list.update([9]);
    b.currentKey = 'a';
    assert.deepEqual(h.value.value(), { x: 1 });
    assert.deepEqual(h.list.get(), [1, 2, 3]);
    assert.deepEqual(h.map.entries(), [['m', 'A']]);
    assert.equal(h.map.contains('m'), true);
    assert.deepEqual(h.map.keys(), ['m']);
    assert.deepEqual(h.map.values(), ['A']);
    assert.equal(h.reducing.get(), 11);
    assert.equal(h.aggregating.get(), '6/2');
    assert.equal(b.entryCount, 7, 'a: five states, b: value and list');
    assert.equal(b.sizeOf('list'), 2);
    b.currentKey = 'b';
    assert.deepEqual(h.value.value(), { x: 2 });
    assert.deepEqual(h.list.get(), [9]);
  });

  test('clearing, emptying a list or map, and updating a value to undefined remove the entry', () => {
    const b = backend();
    const h = handles(b);
    b.currentKey = 1n;
    h.value.update(1); h.list.add(1); h.map.put(1, 1); h.reducing.add(1); h.aggregating.add(1);
    assert.equal(b.entryCount, 5);
    h.value.update(undefined as unknown);
    h.list.update([]);
    h.map.remove(1);
    h.reducing.clear();
    h.aggregating.clear();
    assert.equal(b.entryCount, 0);
    h.map.remove('absent');
    h.list.addAll([]);
    assert.equal(b.entryCount, 0, 'no-ops create nothing');
  });

  test('list and map reads are copies: changing them does not change the state', () => {
    const b = backend();
    const h = handles(b);
    b.currentKey = true;
    h.list.add('x');
    h.list.get().push('y');
    assert.deepEqual(h.list.get(), ['x']);
    h.map.put('k', 1);
    h.map.entries()[0]![1] = 2;
    h.map.keys().push('z');
    assert.deepEqual(h.map.entries(), [['k', 1]]);
  });

  test('one handle object serves every key, and asking again returns the same handle', () => {
    const b = backend();
    assert.equal(b.valueState('v'), b.valueState('v'));
  });

  // Regression: before a key was set (a process function's open()), every call went to key '' silently.
  test('every handle call made before a key is set is a JobDefinitionError naming the operator and the state, and writes nothing', () => {
    const b = new KeyedStateBackend('counter', 128, true, new ManualClocks());
    const h = handles(b);
    const calls: [string, () => unknown][] = [
      ['value', () => h.value.value()], ['value', () => h.value.update(1)], ['value', () => h.value.clear()],
      ['list', () => h.list.get()], ['list', () => h.list.add(1)], ['list', () => h.list.addAll([])], ['list', () => h.list.update([1])], ['list', () => h.list.clear()],
      ['map', () => h.map.get('m')], ['map', () => h.map.put('m', 1)], ['map', () => h.map.remove('m')], ['map', () => h.map.contains('m')],
      ['map', () => h.map.entries()], ['map', () => h.map.keys()], ['map', () => h.map.values()], ['map', () => h.map.isEmpty()], ['map', () => h.map.clear()],
      ['reducing', () => h.reducing.get()], ['reducing', () => h.reducing.add(1)], ['reducing', () => h.reducing.clear()],
      ['aggregating', () => h.aggregating.get()], ['aggregating', () => h.aggregating.add(1)], ['aggregating', () => h.aggregating.clear()],
    ];
    for (const [name, call] of calls) {
      assert.throws(call, (e: unknown) => e instanceof JobDefinitionError && e.message.startsWith(`operator 'counter': state '${name}' read or written in open(), where no key is set`), `${name}: ${String(call)}`);
    }
    assert.equal(b.entryCount, 0);
    assert.deepEqual(b.snapshot(true).chunks, []);
    b.currentKey = '';
    h.value.update(1);
    assert.equal(h.value.value(), 1, "'' is a key like any other once set");
  });

  test('one state name asked for as two kinds is a JobDefinitionError naming the operator and the state', () => {
    const b = new KeyedStateBackend('counter', 128, false, new ManualClocks());
    b.valueState('s');
    assert.throws(() => b.listState('s'), (e: unknown) => e instanceof JobDefinitionError && /operator 'counter'/.test(e.message) && /'s' is a value state, not a list state/.test(e.message));
    assert.throws(() => b.mapState('s'), JobDefinitionError);
    assert.throws(() => b.reducingState('s', (a: number, x: number) => a + x), JobDefinitionError);
    b.aggregatingState('t', { createAccumulator: () => 0, add: (x: number, a: number) => a + x, getResult: (a) => a });
    assert.throws(() => b.valueState('t'), /'t' is a aggregating state, not a value state|'t' is an aggregating state/);
    assert.throws(() => b.table('t', 'internal', undefined), JobDefinitionError);
  });

  // Regression: a second declaration with another TTL or function returned the first handle, silently keeping
  // the first TTL and function.
  test('a state declared again with another TTL, reduce or aggregate function is a JobDefinitionError naming the operator, the state and the difference', () => {
    const b = new KeyedStateBackend('counter', 128, false, new ManualClocks());
    const refused = (call: () => unknown, diff: RegExp): void => {
      assert.throws(call, (e: unknown) => e instanceof JobDefinitionError && /^operator 'counter': state '\w+' was declared with /.test(e.message) && diff.test(e.message), String(call));
    };
    b.valueState('v', { ttl: { ttlMs: 1000 } });
    refused(() => b.valueState('v'), /with a TTL of 1000 ms \(processing time, renewed on write\), and again with no TTL/);
    refused(() => b.valueState('v', { ttl: { ttlMs: 2000 } }), /and again with a TTL of 2000 ms/);
    refused(() => b.valueState('v', { ttl: { ttlMs: 1000, update: 'read-write' } }), /renewed on read and write/);
    refused(() => b.valueState('v', { ttl: { ttlMs: 1000, time: 'event' } }), /event time/);
    b.listState('l');
    refused(() => b.listState('l', { ttl: { ttlMs: 5 } }), /with no TTL, and again with a TTL of 5 ms/);
    b.reducingState<number>('r', (a, x) => a + x);
    refused(() => b.reducingState<number>('r', (a, x) => Math.max(a, x)), /with one reduce function, and again with another/);
    refused(() => b.reducingState<number>('r', Math.max), /reduce function/);
    b.aggregatingState('g', average);
    refused(() => b.aggregatingState('g', { ...average, getResult: (acc: Acc) => String(acc.sum) }), /with one aggregate function, and again with another/);
  });

  test('a state declared again the same way (equal options, a closure of the same source) is the same handle', () => {
    const b = new KeyedStateBackend('counter', 128, false, new ManualClocks());
    const v = b.valueState('v', { ttl: { ttlMs: 1000 } });
    assert.equal(b.valueState('v', { ttl: { ttlMs: 1000, update: 'write', time: 'processing' } }), v);
    const decl = () => b.reducingState<number>('r', (a, x) => a + x);
    assert.equal(decl(), decl(), 'a closure made again per record');
    assert.equal(b.reducingState<number>('m', Math.max), b.reducingState<number>('m', Math.max));
    const g = b.aggregatingState('g', average);
    assert.equal(b.aggregatingState('g', { ...average }), g);
  });

  test('a restored state keeps its first declaration too', () => {
    const src = new KeyedStateBackend('counter', 128, true, new ManualClocks());
    src.currentKey = 'k';
    src.valueState<number>('v', { ttl: { ttlMs: 1000 } }).update(1);
    const b = new KeyedStateBackend('counter', 128, true, new ManualClocks());
    b.restore(src.snapshot(true).chunks);
    b.valueState('v', { ttl: { ttlMs: 1000 } });
    assert.throws(() => b.valueState('v', { ttl: { ttlMs: 9 } }), (e: unknown) => e instanceof JobDefinitionError && /state 'v' was declared with a TTL of 1000 ms .*, and again with a TTL of 9 ms/.test(e.message));
  });

  // Regression: a map key that is not a key was stored: an object found only by identity (a restore brings back
  // another object), a symbol failing the next snapshot.
  test('a map put whose map key is not a key is a KeyTypeError naming the operator and the state, and writes nothing', () => {
    const b = new KeyedStateBackend('counter', 128, true, new ManualClocks());
    const m = b.mapState<Key, number>('byId');
    b.currentKey = 'k';
    for (const [bad, what] of [[{ id: 1 }, 'an object'], [[1], 'an array'], [null, 'null'], [undefined, 'undefined'], [Symbol('s'), 'symbol'], [() => 1, 'function']] as const) {
      assert.throws(() => m.put(bad as unknown as Key, 1), (e: unknown) => e instanceof KeyTypeError
        && e.message.startsWith(`operator 'counter': map state 'byId': a map key must be a string, number, bigint or boolean, got ${what}`), what);
    }
    // A lone surrogate: a checkpoint keeps it as U+FFFD, so the entry came back under another key (the bad-input trial).
    assert.throws(() => m.put('a\ud800', 1), (e: unknown) => e instanceof KeyTypeError
      && e.message.startsWith(`operator 'counter': map state 'byId': a string map key must be well-formed Unicode, got one with a lone surrogate`));
    assert.equal(b.entryCount, 0);
    for (const k of ['s', 1, 1n, true, NaN]) m.put(k, 1);
    const r = new KeyedStateBackend('counter', 128, true, new ManualClocks());
    r.restore(b.snapshot(true).chunks);
    r.currentKey = 'k';
    assert.deepEqual(r.mapState<Key, number>('byId').keys(), ['s', 1, 1n, true, NaN], 'every kind of key is a map key, and restores as itself');
  });

  test('a TTL that is not a positive number of ms is a JobDefinitionError naming the operator and the state', () => {
    const b = new KeyedStateBackend('sessions', 128, false, new ManualClocks());
    for (const ttl of [{ ttlMs: 0 }, { ttlMs: -1 }, { ttlMs: NaN }, { ttlMs: Infinity }, { ttlMs: 5, update: 'never' }, { ttlMs: 5, time: 'ingestion' }]) {
      assert.throws(() => b.valueState('v', { ttl: ttl as never }), (e: unknown) => e instanceof JobDefinitionError && /operator 'sessions', state 'v'/.test(e.message));
    }
  });
});

describe('KeyedStateBackend snapshots', () => {
  // A state filled with many entries, then mostly small changes with incremental snapshots in between: deltas
  // chain up to MAX_DELTA_CHAIN before a full chunk; now and then a savepoint.
  const fillKeys = fc.oneof(keyArb, fc.integer({ min: 100, max: 10_000 }));
  const runs = fc.tuple(
    fc.array(opArb(fillKeys, valueArb, 0), { minLength: 40, maxLength: 120 }),
    fc.array(opArb(keyArb, valueArb, 10, 0.03), { minLength: 60, maxLength: 150 }),
  ).map(([fill, rest]) => [...fill, ...rest]);

  test('property: restoring the latest chunk chain of every key group gives exactly the live state at that snapshot', () => {
    fc.assert(fc.property(runs, fc.constantFrom(1, 1, 2, 4, 16, 128), fc.nat(5), fc.boolean(), (ops, maxP, offset, columns) => {
      ops.push({ t: 'snapshot', full: false });
      const { keys, checkpoints } = runOps(ops, maxP, columns);
      // Restore checkpoints only now, after all later writes (snapshots are encoded when taken): every sixth from a
      // random offset, and the last.
      for (const [i, cp] of checkpoints.entries()) {
        if ((i + offset) % 6 !== 0 && i !== checkpoints.length - 1) continue;
        const r = backend(maxP);
        r.restore(cp.store.chunks());
        assert.equal(r.entryCount, cp.entries);
        assert.deepEqual(canonical(readBackend(r, keys)), canonical(cp.model));
        // Deltas never exceed the chain limit before a full chunk.
        for (const chain of cp.store.groups.values()) assert.ok(chain.length <= MAX_DELTA_CHAIN + 1, `chain of ${chain.length} chunks`);
      }
    }), { numRuns: 80 });
  });

  test('property: restoring into N backends owning disjoint key-group ranges gives the same union (rescaling)', () => {
    fc.assert(fc.property(runs, fc.constantFrom(4, 16, 128), fc.integer({ min: 1, max: 5 }), fc.boolean(), (ops, maxP, n, columns) => {
      ops.push({ t: 'snapshot', full: false });
      const { keys, checkpoints } = runOps(ops, maxP, columns);
      const cp = checkpoints.at(-1)!;
      const union = emptyModel();
      let entries = 0;
      for (let i = 0; i < n; i++) {
        const [start, end] = keyGroupRange(i, maxP, n);
        const r = backend(maxP);
        r.restore(cp.store.chunks(start, end));
        entries += r.entryCount;
        const part = readBackend(r, keys);
        for (const [name, map] of Object.entries(part) as [keyof Model, Map<Key, never>][]) {
          for (const [k, v] of map) {
            const kg = keyGroupFor(k, maxP);
            assert.ok(kg >= start && kg < end, `key ${String(k)} (group ${kg}) restored into subtask ${i} owning [${start}, ${end})`);
            assert.ok(!union[name].has(k));
            (union[name] as Map<Key, unknown>).set(k, v);
          }
        }
        // The rescaled backend carries on: its next snapshot restores like any other.
        const h = handles(r);
        for (const k of keys) {
          const kg = keyGroupFor(k, maxP);
          if (kg < start || kg >= end) continue;
          r.currentKey = k;
          h.reducing.add(1);
        }
        const next = r.snapshot(false);
        const s2 = cp.store.copy();
        for (const kg of s2.groups.keys()) if (kg < start || kg >= end) s2.groups.delete(kg);
        s2.add(next.chunks);
        const again = backend(maxP);
        again.restore(s2.chunks());
        assert.deepEqual(canonical(readBackend(again, keys)), canonical(readBackend(r, keys)));
      }
      assert.equal(entries, cp.entries);
      assert.deepEqual(canonical(union), canonical(cp.model));
    }), { numRuns: 50 });
  });

  test('an unchanged key group writes no chunk; a changed one writes a delta, then a full chunk once deltas add up', () => {
    const b = backend(128);
    const v = b.valueState<number>('v');
    // Ten keys of one key group.
    const keys: string[] = [];
    for (let i = 0; keys.length < 10; i++) if (keyGroupFor(`k${i}`, 128) === 7) keys.push(`k${i}`);
    for (const k of keys) { b.currentKey = k; v.update(0); }
    const first = b.snapshot(false).chunks;
    assert.deepEqual(first.map((c) => [c.keyGroup, c.full, c.entries]), [[7, true, 10]]);
    assert.deepEqual(b.snapshot(false).chunks, [], 'nothing changed');
    b.currentKey = keys[0]!; v.update(1);
    const d = b.snapshot(false).chunks;
    assert.deepEqual(d.map((c) => [c.keyGroup, c.full, c.entries]), [[7, false, 10]]);
    // Nine more single changes: the deltas since the full chunk reach the group's size, so it is written in full.
    const kinds: boolean[] = [];
    for (let i = 1; i < 10; i++) { b.currentKey = keys[i]!; v.update(1); kinds.push(b.snapshot(false).chunks[0]!.full); }
    assert.ok(kinds.includes(true), 'a full chunk comes back');
    assert.ok(kinds.indexOf(true) < MAX_DELTA_CHAIN, `full within ${MAX_DELTA_CHAIN} deltas: ${kinds}`);
  });

  // Regression: a restore set each group's delta count back to 0, so the chain it restored did not count, and
  // deltas after it ran on to the chain's cap (or the group's turn) instead of ending once they added up.
  test('a restored key group ends its delta chain where the original would: the restored deltas count', () => {
    const a = backend(128);
    const va = a.valueState<number>('v');
    // Ten keys of key group 3: no turn of its own comes in the snapshots below (turns 0-4 of the original, 0-1 of
    // the restored one).
    const keys: string[] = [];
    for (let i = 0; keys.length < 10; i++) if (keyGroupFor(`k${i}`, 128) === 3) keys.push(`k${i}`);
    for (const k of keys) { a.currentKey = k; va.update(0); }
    const chain = [...a.snapshot(false).chunks];
    // Two deltas of 3 changes each: 6 of the group's 10 entries since its full chunk.
    for (let d = 1; d <= 2; d++) {
      for (let i = 0; i < 3; i++) { a.currentKey = keys[3 * (d - 1) + i]!; va.update(d); }
      chain.push(...a.snapshot(false).chunks);
    }
    assert.deepEqual(chain.map((c) => [c.keyGroup, c.full]), [[3, true], [3, false], [3, false]]);
    const b = backend(128);
    b.restore(chain);
    const vb = b.valueState<number>('v');
    // The same changes to both: 9 entries, a delta; 12, past the group's size, full.
    const kinds = (x: KeyedStateBackend, v: typeof va): boolean[] => [0, 1].map((s) => {
      for (let i = 0; i < 3; i++) { x.currentKey = keys[(6 + 3 * s + i) % 10]!; v.update(10 + s); }
      return x.snapshot(false).chunks[0]!.full;
    });
    assert.deepEqual(kinds(a, va), [false, true]);
    assert.deepEqual(kinds(b, vb), [false, true]);
  });

  // Regression: the restore counted a patched map (or list) as one entry, where the snapshots that wrote it counted
  // the map entries the patch changed: after a restore the chain ran on past where the original ended it.
  test('a restored chain of map patches counts what the patches changed, as the snapshots did', () => {
    const a = backend(128);
    let key = '';
    for (let i = 0; key === ''; i++) if (keyGroupFor(`k${i}`, 128) === 3) key = `k${i}`;
    const ma = a.mapState<string, number>('m');
    a.currentKey = key;
    for (let i = 0; i < 20; i++) ma.put(`e${i}`, 0);
    const chain = [...a.snapshot(false).chunks];
    // Two deltas patching 4 of the map's 20 entries each: 8 of 20 since the full chunk.
    let e = 0;
    const change = (x: KeyedStateBackend, m: typeof ma, v: number): void => { x.currentKey = key; for (let i = 0; i < 4; i++) m.put(`e${e++ % 20}`, v); };
    for (let d = 1; d <= 2; d++) { change(a, ma, d); chain.push(...a.snapshot(false).chunks); }
    assert.deepEqual(chain.map((c) => [c.keyGroup, c.full]), [[3, true], [3, false], [3, false]]);
    const b = backend(128);
    b.restore(chain);
    const mb = b.mapState<string, number>('m');
    // 12 and 16 of 20: deltas; 20: full.
    const kinds = (x: KeyedStateBackend, m: typeof ma): boolean[] => [0, 1, 2].map((s) => { change(x, m, 10 + s); return x.snapshot(false).chunks[0]!.full; });
    const from = e;
    assert.deepEqual(kinds(b, mb), [false, false, true]);
    e = from;
    assert.deepEqual(kinds(a, ma), [false, false, true]);
  });

  test('a long run of small changes to a big group is written in full at its turn, every MAX_DELTA_CHAIN snapshots', () => {
    const b = backend(1);
    const v = b.valueState<number>('v');
    for (let i = 0; i < 1000; i++) { b.currentKey = i; v.update(i); }
    assert.equal(b.snapshot(false).chunks[0]!.full, true);
    const fulls: boolean[] = [];
    for (let s = 0; s < 2 * (MAX_DELTA_CHAIN + 1); s++) { b.currentKey = s; v.update(-s); fulls.push(b.snapshot(false).chunks[0]!.full); }
    const expected = Array.from({ length: fulls.length }, (_, i) => (i + 1) % MAX_DELTA_CHAIN === 0);
    assert.deepEqual(fulls, expected);
  });

  test('groups that all change at every checkpoint are not all written in full at the same one (a periodic stall of a whole snapshot)', () => {
    const b = backend(128);
    const v = b.valueState<number>('v');
    const byGroup: number[][] = Array.from({ length: 128 }, () => []);
    for (let k = 0; byGroup.some((g) => g.length < 40); k++) { const g = byGroup[keyGroupFor(k, 128)]!; if (g.length < 40) { g.push(k); b.currentKey = k; v.update(0); } }
    assert.equal(b.snapshot(false).chunks.filter((c) => c.full).length, 128, 'the first snapshot is full');
    // One change per group per checkpoint: far from a group's size, so only the chain's length ends the deltas.
    const fullsPer: number[] = [];
    const fullsOf = new Int32Array(128);
    for (let s = 1; s <= 3 * MAX_DELTA_CHAIN; s++) {
      for (const g of byGroup) { b.currentKey = g[s % g.length]!; v.update(s); }
      const chunks = b.snapshot(false).chunks;
      assert.equal(chunks.length, 128, 'every group changed');
      fullsPer.push(chunks.filter((c) => c.full).length);
      for (const c of chunks) if (c.full) fullsOf[c.keyGroup]!++;
    }
    assert.ok(Math.max(...fullsPer) <= 128 / MAX_DELTA_CHAIN, `full chunks per snapshot: ${fullsPer}`);
    for (let kg = 0; kg < 128; kg++) assert.ok(fullsOf[kg]! >= 2, `group ${kg} written in full ${fullsOf[kg]} times in ${fullsPer.length} snapshots`);
  });

  test('a key group whose last entry is removed writes an empty full chunk, which replaces its older chunks', () => {
    const b = backend(128);
    const v = b.valueState<number>('v');
    b.currentKey = 'only'; v.update(1);
    const store = new ChunkStore();
    store.add(b.snapshot(false).chunks);
    v.clear();
    const chunks = b.snapshot(false).chunks;
    assert.deepEqual(chunks.map((c) => [c.keyGroup, c.full, c.entries]), [[keyGroupFor('only', 128), true, 0]]);
    store.add(chunks);
    const r = backend(128);
    r.restore(store.chunks());
    assert.equal(r.entryCount, 0);
  });

  test('a full snapshot (savepoint) writes every group that holds entries in full', () => {
    const b = backend(16);
    const v = b.valueState<number>('v');
    for (let i = 0; i < 50; i++) { b.currentKey = i; v.update(i); }
    b.snapshot(false);
    b.currentKey = 0; v.update(100);
    const { chunks, entries } = b.snapshot(true);
    assert.equal(entries, 50);
    assert.ok(chunks.every((c) => c.full));
    assert.equal(chunks.length, new Set(Array.from({ length: 50 }, (_, i) => keyGroupFor(i, 16))).size);
    const r = backend(16);
    r.restore(chunks);
    r.currentKey = 0;
    assert.equal(r.valueState<number>('v').value(), 100);
  });

  test('with tracking off (no checkpoints), a snapshot is still complete: every changed group is written in full', () => {
    const b = backend(16, false);
    const v = b.valueState<number>('v');
    for (let i = 0; i < 20; i++) { b.currentKey = i; v.update(i); }
    const { chunks, entries } = b.snapshot(true);
    assert.equal(entries, 20);
    const r = backend(16, false);
    r.restore(chunks);
    assert.equal(r.entryCount, 20);
  });
});

describe('KeyedStateBackend restore', () => {
  function sample(): { chunks: KeyGroupChunk[]; keys: Key[] } {
    const b = backend(8);
    const h = handles(b);
    const keys: Key[] = ['a', 'b', 3, 4n, false, 'ab', 'xyz', 17];
    for (const k of keys) { b.currentKey = k; h.value.update({ k: String(k), d: new Date(5), s: new Set([1]) }); h.list.add(k); }
    const store = new ChunkStore();
    store.add(b.snapshot(false).chunks);
    b.currentKey = 'a'; h.list.add('again'); h.value.clear();
    store.add(b.snapshot(false).chunks);
    return { chunks: store.chunks(), keys };
  }

  test('restored tables adopt their kind when the job first declares them; a second kind is then refused', () => {
    const { chunks } = sample();
    const r = backend(8);
    r.restore(chunks);
    r.currentKey = 'a';
    // Before any declaration, nothing is lost and nothing is typed yet.
    assert.equal(r.sizeOf('list'), 8);
    const list = r.listState<unknown>('list');
    assert.deepEqual(list.get(), ['a', 'again']);
    assert.throws(() => r.valueState('list'), JobDefinitionError);
    r.currentKey = 'b';
    assert.deepEqual(r.valueState('value').value(), { k: 'b', d: new Date(5), s: new Set([1]) });
  });

  // Regression: a checkpointed list state read back as a value state was accepted, and the
  // job then read each key's array as its value. Chunks now record each state's kind; a restore checks it.
  test('a state checkpointed as one kind and read back as another is refused, naming the operator, the state and both kinds', () => {
    for (const columns of [true, false]) {
      const b = backend(8, true, new ManualClocks(), columns);
      const h = handles(b);
      b.currentKey = 'a'; h.list.add(1); h.value.update(2);
      const store = new ChunkStore();
      store.add(b.snapshot(false).chunks);
      const r = backend(8);
      r.restore(store.chunks());
      r.currentKey = 'a';
      assert.throws(() => r.valueState('list'), (e: unknown) => e instanceof JobDefinitionError
        && e.message.startsWith("operator 'op': state 'list' was checkpointed as a list state, and this job reads it as a value state"));
      assert.throws(() => r.reducingState<number>('value', (x, y) => x + y), (e: unknown) => e instanceof JobDefinitionError
        && e.message.includes("state 'value' was checkpointed as a value state, and this job reads it as a reducing state"));
      // The kind survives a checkpoint taken before the job asks for the state again.
      const again = new ChunkStore();
      again.add(r.snapshot(true).chunks);
      const r2 = backend(8);
      r2.restore(again.chunks());
      r2.currentKey = 'a';
      assert.throws(() => r2.mapState('list'), JobDefinitionError);
      assert.deepEqual(r2.listState('list').get(), [1]);
    }
  });

  test('chunks of an older checkpoint (no kinds recorded) restore, and the first declaration sets the kind', () => {
    const b = backend(8);
    b.currentKey = 'a'; b.listState<number>('l').add(1);
    const { chunks } = b.snapshot(false);
    const old = chunks.map((c) => ({ ...c, bytes: withoutKinds(c.bytes) }));
    assert.equal(decodeKeyGroup(old[0]!.bytes).tables[0]!.kind, undefined);
    const r = backend(8);
    r.restore(old);
    r.currentKey = 'a';
    assert.deepEqual(r.listState('l').get(), [1]);
  });

  test('a kinds list that does not match the chunk is KeyGroupFormatError', () => {
    const b = backend(8);
    b.currentKey = 'a'; b.listState<number>('l').add(1);
    const c = b.snapshot(false).chunks[0]!;
    for (const kinds of [['nope'], [], ['list', 'value'], 'list']) {
      assert.throws(() => decodeKeyGroup(withKinds(c.bytes, kinds)), KeyGroupFormatError);
    }
  });

  test('a chunk whose entry count was tampered with is KeyGroupFormatError', () => {
    fc.assert(fc.property(fc.nat(), fc.integer({ min: -3, max: 3 }).filter((d) => d !== 0), (pick, delta) => {
      const { chunks } = sample();
      const i = pick % chunks.length;
      const bad = chunks.map((c, j) => (j === i ? { ...c, entries: c.entries + delta } : c));
      assert.throws(() => backend(8).restore(bad), KeyGroupFormatError);
    }));
  });

  test('a delta without its full chunk, a full flag that disagrees with the bytes, or a chunk under the wrong key group is KeyGroupFormatError', () => {
    const { chunks } = sample();
    const delta = chunks.find((c) => !c.full)!;
    assert.throws(() => backend(8).restore([delta]), /a delta chunk without the full chunk/);
    assert.throws(() => backend(8).restore(chunks.map((c) => (c === delta ? { ...c, full: true } : c))), KeyGroupFormatError);
    const full = chunks.find((c) => c.full && c.entries > 0)!;
    const other = (full.keyGroup + 1) % 8;
    assert.throws(() => backend(8).restore([{ ...full, keyGroup: other }]), KeyGroupFormatError);
  });

  test('property: truncated or corrupted chunk bytes fail with KeyGroupFormatError, or restore exactly the original state', () => {
    const { chunks, keys } = sample();
    const good = backend(8);
    good.restore(chunks);
    const expected = canonical(readBackend(good, keys));
    fc.assert(fc.property(fc.nat(chunks.length - 1), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }), fc.nat(), (which, flips, cut) => {
      const c = chunks[which]!;
      const flipped = Uint8Array.from(c.bytes);
      for (const [pos, x] of flips) flipped[pos % flipped.length]! ^= x;
      const truncated = Uint8Array.from(c.bytes).subarray(0, cut % c.bytes.length);
      for (const bytes of [flipped, truncated]) {
        const r = backend(8);
        try {
          r.restore(chunks.map((x, j) => (j === which ? { ...x, bytes } : x)));
        } catch (e) {
          assert.ok(e instanceof KeyGroupFormatError, `untyped error: ${String(e)}`);
          continue;
        }
        assert.deepEqual(canonical(readBackend(r, keys)), expected, 'restored a wrong value');
      }
    }), { numRuns: 2000 });
  });
});

test('keys of every kind keep their type through a snapshot (1, "1", 1n and true are four keys)', () => {
  fc.assert(fc.property(fc.uniqueArray(keyArb, { maxLength: 30, comparator: 'SameValueZero' }), (keys) => {
    const b = backend(16);
    const v = b.valueState<number>('v');
    keys.forEach((k, i) => { b.currentKey = k; v.update(i); });
    const r = backend(16);
    r.restore(b.snapshot(false).chunks);
    const rv = r.valueState<number>('v');
    keys.forEach((k, i) => { r.currentKey = k; assert.equal(rv.value(), i, `key ${typeof k} ${String(k)}`); });
    assert.equal(r.entryCount, keys.length);
  }));
});

/** A chunk re-sealed with its kinds list replaced (undefined: removed, as chunks before kinds were recorded). */
function withKinds(bytes: Uint8Array, kinds: unknown): Uint8Array {
  const packr = (): Packr => new Packr({ useRecords: true, sequential: true, moreTypes: true });
  const v = packr().unpack(bytes.subarray(0, bytes.length - 4)) as unknown[];
  const body = kinds === undefined ? v.slice(0, 3) : [...v.slice(0, 3), kinds];
  const packed = packr().pack(body);
  const out = new Uint8Array(packed.length + 4);
  out.set(packed);
  new DataView(out.buffer).setUint32(packed.length, crc32(packed, 0, packed.length), true);
  return out;
}

function withoutKinds(bytes: Uint8Array): Uint8Array {
  return withKinds(bytes, undefined);
}
