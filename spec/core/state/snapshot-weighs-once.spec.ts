// A list or map state's snapshot weighs each changed entry (its elements or entries) once: changeUnits weighed
// every changed entry for the delta chain's measure, then takeChanges weighed it again to move its patch base
// (10-15 % of a snapshot of many small lists). Counted here by the reads of the value's length or size.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StateTable } from '../../../core/state/state-table.js';

const MAXP = 8;
const KEYS = 40;

/** One snapshot as the backend takes it (changeUnits, then takeChanges), a delta for every group. */
function snapshot(t: StateTable<unknown>): void {
  t.changeUnits(new Float64Array(MAXP), new Float64Array(MAXP));
  t.takeChanges(new Uint8Array(MAXP), false);
}

for (const [kind, small, big] of [['list', 3, 12], ['map', 3, 12]] as const) {
  test(`a snapshot weighs each changed ${kind} state entry once, small or patched`, () => {
    let reads = 0;
    const value = (n: number): unknown => {
      if (kind === 'map') {
        const m = new Map<number, number>();
        for (let i = 0; i < n; i++) m.set(i, i);
        // A Map's own size getter, counted.
        Object.defineProperty(m, 'size', { get: () => { reads++; return sizeOf(m); } });
        return m;
      }
      return new Proxy(Array.from({ length: n }, (_, i) => i), { get: (a, p) => { if (p === 'length') reads++; return Reflect.get(a, p); } });
    };
    const t = new StateTable<unknown>('s', MAXP, true, undefined, () => 0);
    t.setCollection(kind);
    for (let k = 0; k < KEYS; k++) t.create(k, value(k % 2 === 0 ? small : big));
    snapshot(t);
    // Every entry changed in place: half of them (12 elements or entries) are patched, the others written whole.
    for (let k = 0; k < KEYS; k++) {
      const e = t.entry(k)!;
      if (kind === 'list') (e.value as number[]).push(-1);
      else { (e.value as Map<number, number>).set(-1, -1); t.mapKeyChanged(e, -1); }
      t.touched(e);
    }
    reads = 0;
    snapshot(t);
    // A list patch's slice reads its length once more (patched entries: half of them).
    assert.equal(reads, kind === 'list' ? KEYS + KEYS / 2 : KEYS);
  });
}

/** A Map's entry count without its (overridden) size getter. */
function sizeOf(m: Map<unknown, unknown>): number {
  return (Object.getOwnPropertyDescriptor(Map.prototype, 'size')!.get as () => number).call(m);
}
