// StateTable: per-key-group counts, change tracking for incremental snapshots (each change listed once, removals
// as tombstones unless written again), and TTL order (entries kept in expiry order, restored ones re-sorted).

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { StateTable } from '../../../core/state/state-table.js';
import { keyGroupFor, type Key } from '../../../core/graph/key-groups.js';

const MAXP = 8;
const none = (): boolean => false;
const all = (): boolean => true;

function changes(t: StateTable<unknown>, full: (kg: number) => boolean = none): { puts: [Key, unknown][]; dels: Key[] } {
  const out = { puts: [] as [Key, unknown][], dels: [] as Key[] };
  const mask = Uint8Array.from({ length: MAXP }, (_, kg) => (full(kg) ? 1 : 0));
  for (const g of t.takeChanges(mask, full !== none).values()) {
    out.puts.push(...g.puts.map((e): [Key, unknown] => [e.key, e.value]));
    out.dels.push(...g.dels);
  }
  out.puts.sort((a, b) => String(a[0]).localeCompare(String(b[0])));
  out.dels.sort((a, b) => String(a).localeCompare(String(b)));
  return out;
}

describe('StateTable', () => {
  test('property: counts per key group equal the live entries of each group', () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 30 }))), (ops) => {
      const t = new StateTable<number>('s', MAXP, true, undefined, () => 0);
      for (const [put, k] of ops) put ? t.put(k, k) : t.remove(k);
      const expected = new Int32Array(MAXP);
      for (const k of t.entries.keys()) expected[keyGroupFor(k, MAXP)]!++;
      assert.deepEqual(t.counts, expected);
      assert.equal(t.size, t.entries.size);
    }));
  });

  test('each changed entry is listed once per snapshot, with its latest value', () => {
    const t = new StateTable<number>('s', MAXP, true, undefined, () => 0);
    t.put('a', 1); t.put('a', 2); t.put('b', 1);
    const e = t.entry('b')!;
    e.value = 5; t.touched(e); t.touched(e);
    assert.deepEqual(changes(t), { puts: [['a', 2], ['b', 5]], dels: [] });
    assert.deepEqual(changes(t), { puts: [], dels: [] }, 'a new epoch starts empty');
  });

  test('removed keys are tombstones; removed then written again is a put; written then removed is a tombstone', () => {
    const t = new StateTable<number>('s', MAXP, true, undefined, () => 0);
    t.put('x', 1); t.put('y', 1); t.put('z', 1);
    changes(t);
    t.remove('x');
    t.remove('y'); t.put('y', 2);
    t.put('new', 1); t.remove('new');
    t.remove('never');
    const c = changes(t);
    assert.deepEqual(c.puts, [['y', 2]]);
    assert.deepEqual(c.dels.filter((k) => k !== 'new'), ['x'], 'tombstones for what a restore may hold');
  });

  test('a full group lists every live entry and no tombstones; other groups still list their changes', () => {
    const t = new StateTable<number>('s', MAXP, true, undefined, () => 0);
    for (let i = 0; i < 20; i++) t.put(i, i);
    changes(t);
    t.remove(0); t.put(1, 100);
    const g0 = keyGroupFor(0, MAXP);
    const mask = new Uint8Array(MAXP);
    mask[g0] = 1;
    const groups = t.takeChanges(mask, true);
    const full = groups.get(g0)!;
    assert.deepEqual(full.dels, []);
    assert.deepEqual(full.puts.map((e) => e.key).sort(), [...t.entries.keys()].filter((k) => keyGroupFor(k, MAXP) === g0).sort());
    if (keyGroupFor(1, MAXP) !== g0) assert.deepEqual(groups.get(keyGroupFor(1, MAXP))!.puts.map((e) => [e.key, e.value]), [[1, 100]]);
  });

  test('property: a full group lists each live entry once, a delta group what was written and removed since (member lists kept per group)', () => {
    type TableOp = { t: 'put'; k: number } | { t: 'remove'; k: number } | { t: 'snap'; fullMask: number };
    const opArb: fc.Arbitrary<TableOp> = fc.oneof(
      { arbitrary: fc.record({ t: fc.constant('put' as const), k: fc.integer({ min: 0, max: 40 }) }), weight: 5 },
      { arbitrary: fc.record({ t: fc.constant('remove' as const), k: fc.integer({ min: 0, max: 40 }) }), weight: 3 },
      { arbitrary: fc.record({ t: fc.constant('snap' as const), fullMask: fc.integer({ min: 0, max: 255 }) }), weight: 1 },
    );
    fc.assert(fc.property(fc.array(opArb, { maxLength: 200 }), (ops) => {
      const t = new StateTable<number>('s', MAXP, true, undefined, () => 0);
      const live = new Map<number, number>();
      const written = new Set<number>();
      const removed = new Set<number>();
      let v = 0;
      for (const op of ops) {
        if (op.t === 'put') { t.put(op.k, ++v); live.set(op.k, v); written.add(op.k); continue; }
        if (op.t === 'remove') { t.remove(op.k); if (live.delete(op.k)) removed.add(op.k); continue; }
        const mask = Uint8Array.from({ length: MAXP }, (_, kg) => (op.fullMask >> kg) & 1);
        const groups = t.takeChanges(mask, op.fullMask !== 0);
        for (let kg = 0; kg < MAXP; kg++) {
          const g = groups.get(kg) ?? { puts: [], dels: [] };
          const inGroup = (k: number): boolean => keyGroupFor(k, MAXP) === kg;
          const puts = g.puts.map((e) => [e.key, e.value]).sort((a, b) => Number(a[0]) - Number(b[0]));
          if (mask[kg] === 1) {
            assert.deepEqual(puts, [...live].filter(([k]) => inGroup(k)).sort((a, b) => a[0] - b[0]), `full group ${kg}`);
            assert.deepEqual(g.dels, []);
          } else {
            assert.deepEqual(puts, [...live].filter(([k]) => inGroup(k) && written.has(k)).sort((a, b) => a[0] - b[0]), `delta group ${kg}`);
            assert.deepEqual([...g.dels].sort(), [...removed].filter((k) => inGroup(k) && !live.has(k)).sort(), `tombstones of group ${kg}`);
          }
        }
        written.clear();
        removed.clear();
      }
    }), { numRuns: 300 });
  });

  test('without tracking nothing is listed, and a full snapshot still lists everything', () => {
    const t = new StateTable<number>('s', MAXP, false, undefined, () => 0);
    t.put('a', 1); t.remove('a'); t.put('b', 1);
    assert.deepEqual(changes(t), { puts: [], dels: [] });
    assert.deepEqual(changes(t, all).puts, [['b', 1]]);
  });

  test('with a TTL, entries stay in expiry order (a write moves its entry last), and restores re-sort them', () => {
    let now = 0;
    const t = new StateTable<number>('s', MAXP, true, { ttlMs: 100, readRenews: false, eventTime: false }, () => now);
    for (const k of ['a', 'b', 'c']) { t.put(k, 0); now += 10; }
    t.put('a', 1);
    assert.deepEqual([...t.entries.keys()], ['b', 'c', 'a']);
    const r = new StateTable<number>('s', MAXP, true, { ttlMs: 100, readRenews: false, eventTime: false }, () => now);
    const kg = (k: string): number => keyGroupFor(k, MAXP);
    r.restorePut('late', kg('late'), 0, 500); r.restorePut('early', kg('early'), 0, 100); r.restorePut('mid', kg('mid'), 0, 300);
    r.restoreDone();
    assert.deepEqual([...r.entries.keys()], ['early', 'mid', 'late']);
    now = 300;
    assert.equal(r.cleanup(), 2);
    assert.deepEqual([...r.entries.keys()], ['late']);
  });

  test('restorePut and restoreDelete keep counts and are not changes', () => {
    const t = new StateTable<number>('s', MAXP, true, undefined, () => 0);
    t.restorePut('a', keyGroupFor('a', MAXP), 1, Infinity); t.restorePut('a', keyGroupFor('a', MAXP), 2, Infinity); t.restorePut('b', keyGroupFor('b', MAXP), 1, Infinity);
    t.restoreDelete('b'); t.restoreDelete('absent');
    assert.equal(t.counts.reduce((s, x) => s + x, 0), 1);
    assert.equal(t.get('a'), 2);
    assert.deepEqual(changes(t), { puts: [], dels: [] });
  });
});
