// A map state's changed map keys are noted per entry by the entry's listing number (its mark), not in a Map of
// Sets (a lookup and an add per put): a patch still carries each changed map key once, in first-change order,
// past the array's 16 (a Set then), and entries numbered again past markLimit are still listed once per epoch.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { markLimit, StateTable } from '../../../core/state/state-table.js';
import type { Patch } from '../../../core/state/collection-deltas.js';

const MAXP = 4;

/** A delta snapshot of every group, as the backend takes one: its patches and whole puts by key. */
function delta(t: StateTable<Map<number, number>>): { patches: Map<unknown, unknown>; whole: unknown[] } {
  t.changeUnits(new Float64Array(MAXP), new Float64Array(MAXP));
  const patches = new Map<unknown, unknown>();
  const whole: unknown[] = [];
  for (const c of t.takeChanges(new Uint8Array(MAXP), false).values()) {
    for (const p of (c.patches ?? []) as Patch[]) patches.set(p.entry.key, p.payload);
    for (const e of c.puts) whole.push(e.key);
  }
  return { patches, whole };
}

function mapTable(keys: number, size: number): StateTable<Map<number, number>> {
  const t = new StateTable<Map<number, number>>('m', MAXP, true, undefined, () => 0);
  t.setCollection('map');
  for (let k = 0; k < keys; k++) t.create(k, new Map(Array.from({ length: size }, (_, i) => [i, i])));
  delta(t);
  return t;
}

/** A handle's put or remove of map key mk in key k's map. */
function change(t: StateTable<Map<number, number>>, k: number, mk: number, v?: number): void {
  const e = t.entry(k)!;
  if (v === undefined) e.value.delete(mk); else e.value.set(mk, v);
  t.mapKeyChanged(e, mk);
  t.touchedAfterEntry(e);
}

test('a patch carries each changed map key once, in first-change order, also past 16 noted keys', () => {
  const t = mapTable(3, 100);
  // Key 1: 30 distinct map keys (a Set past 16), each changed twice, some removed; key 0 one put; key 2 none.
  const order = Array.from({ length: 30 }, (_, i) => (i * 37) % 100);
  for (const mk of order) change(t, 1, mk, -mk);
  change(t, 0, 7, -7);
  for (const mk of order) if (mk % 3 === 0) change(t, 1, mk); else change(t, 1, mk, mk + 1000);
  const { patches, whole } = delta(t);
  assert.deepEqual(whole, []);
  assert.deepEqual(patches.get(0), [[7, -7], []]);
  const puts = order.filter((mk) => mk % 3 !== 0).flatMap((mk) => [mk, mk + 1000]);
  assert.deepEqual(patches.get(1), [puts, order.filter((mk) => mk % 3 === 0)]);
  assert.equal(patches.has(2), false);
});

test('more changed map keys than half the map: written whole (counted distinct, as before)', () => {
  const t = mapTable(1, 16);
  // 8 distinct keys put over and over: 8 * 2 > 16 + 1 is false, patched.
  for (let r = 0; r < 5; r++) for (let mk = 0; mk < 8; mk++) change(t, 0, mk, r);
  let d = delta(t);
  assert.equal((d.patches.get(0) as unknown[][])[0]!.length, 16);
  // A ninth: whole.
  for (let mk = 0; mk < 9; mk++) change(t, 0, mk, -1);
  d = delta(t);
  assert.deepEqual([d.patches.size, d.whole], [0, [0]]);
});

test('entries numbered again past markLimit: each changed entry still listed once per snapshot, with its keys', () => {
  const saved = markLimit.value;
  markLimit.value = 5;
  try {
    const t = mapTable(12, 20);
    for (let epoch = 0; epoch < 10; epoch++) {
      // A different subset every epoch, some entries changed twice; their marks run past the limit and start again.
      const ks = Array.from({ length: 12 }, (_, k) => k).filter((k) => (k + epoch) % 3 !== 0);
      for (const k of ks) change(t, k, epoch, epoch * 100 + k);
      for (const k of ks) if (k % 2 === 0) change(t, k, 50 + epoch, k);
      const { patches, whole } = delta(t);
      assert.deepEqual(whole, [], `epoch ${epoch}`);
      assert.deepEqual([...patches.keys()].sort((a, b) => Number(a) - Number(b)), ks, `epoch ${epoch}`);
      for (const k of ks) assert.deepEqual(patches.get(k), [k % 2 === 0 ? [epoch, epoch * 100 + k, 50 + epoch, k] : [epoch, epoch * 100 + k], []], `epoch ${epoch} key ${k}`);
    }
  } finally {
    markLimit.value = saved;
  }
});
