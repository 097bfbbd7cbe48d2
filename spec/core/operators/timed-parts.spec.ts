// A collect sink's records go to the main thread in parts sized by how long a post takes: 65,536 large records
// in one part took longer to copy than a cancel's grace period, whose thread was then terminated mid-post and
// lost them all. The spec's clock makes each record cost what the test says: no real timing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FIRST_PART, MAX_PART, PART_TARGET_MS, timedParts } from '../../../core/operators/timed-parts.js';

/** Takes every part, the clock moving `msPer(i)` per record i of it while the part is "posted". */
function drain(items: number[], msPer: (i: number) => number): number[][] {
  let t = 0;
  const parts: number[][] = [];
  const it = timedParts(items, () => t);
  for (let r = it.next(); !r.done; r = it.next()) {
    parts.push(r.value);
    for (const i of r.value) t += msPer(i);
  }
  return parts;
}

test('a short array is one part, the array itself (no copy)', () => {
  const items = Array.from({ length: FIRST_PART }, (_, i) => i);
  const parts = [...timedParts(items)];
  assert.equal(parts.length, 1);
  assert.equal(parts[0], items);
});

// Regression: the first part was 4,096 records, posted before any timing: 4,096 records of 5,000 small objects each
// (~3.6 ms apiece to copy) took 15 s, and a cancel's thread was terminated mid-post with every record.
test('the first part of records that take 3.6 ms each to copy is posted well within a second', () => {
  const parts = drain(Array.from({ length: 10_000 }, (_, i) => i), () => 3.6);
  assert.ok(parts[0]!.length * 3.6 < 1000, `a first part of ${parts[0]!.length} records`);
});

test('every record is in exactly one part, in order', () => {
  for (const n of [FIRST_PART + 1, 3 * MAX_PART + 17]) {
    const items = Array.from({ length: n }, (_, i) => i);
    const parts = drain(items, () => 0.0005);
    assert.deepEqual(parts.flat(), items);
  }
});

test('large records: after the first part, each part takes at most about the target time', () => {
  // 2 ms per record: a fixed 65,536 would take 131 s, a first part of 4,096 took 8 s; 64 take 128 ms.
  const items = Array.from({ length: 50_000 }, (_, i) => i);
  const parts = drain(items, () => 2);
  assert.equal(parts[0]!.length, FIRST_PART);
  for (const p of parts.slice(1)) assert.ok(p.length * 2 <= PART_TARGET_MS, `a part of ${p.length} records took ${p.length * 2} ms`);
  assert.deepEqual(parts.flat(), items);
});

test('small records: parts grow to MAX_PART, and shrink when records turn large', () => {
  const items = Array.from({ length: 8 * MAX_PART }, (_, i) => i);
  const big = 5 * MAX_PART;
  const parts = drain(items, (i) => (i < big ? 0.0001 : 0.05));
  const sizes = parts.map((p) => p.length);
  assert.ok(sizes.includes(MAX_PART), `sizes ${sizes.join(',')}`);
  assert.ok(sizes.every((s) => s <= MAX_PART));
  let start = 0;
  let afterSwitch = 0;
  for (const p of parts) {
    if (start > big) {
      afterSwitch++;
      // One part after the first large one, a part fits the target.
      if (afterSwitch > 1) assert.ok(p.length * 0.05 <= PART_TARGET_MS, `a part of ${p.length} large records`);
    }
    start += p.length;
  }
  assert.ok(afterSwitch > 1);
  assert.deepEqual(parts.flat(), items);
});
