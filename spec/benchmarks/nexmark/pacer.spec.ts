// Wall-clock pacing for latency runs, on a fake clock: never ahead of schedule, catches up after a stall.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NexmarkConfigError } from '../../../benchmarks/nexmark/config.js';
import { WallClockPacer, paced } from '../../../benchmarks/nexmark/pacer.js';

test('the pacer releases events at the rate, never ahead, and catches up after a stall', () => {
  let now = 1000;
  const pacer = new WallClockPacer(2000, () => now);
  assert.equal(pacer.due(), 0);
  assert.equal(pacer.waitMs(), 0.5);
  now += 10; // 10 ms at 2000/s: 20 events
  assert.equal(pacer.due(), 20);
  pacer.took(15);
  assert.equal(pacer.due(), 5);
  pacer.took(5);
  assert.equal(pacer.due(), 0);
  assert.equal(pacer.waitMs(), 0.5);
  now += 100; // a stall: the 200 events due meanwhile are all due now
  assert.equal(pacer.due(), 200);
  // Event n goes once n + 1 events have accrued: event 0 after 0.5 ms, event 4000 after 2000.5 ms.
  assert.equal(pacer.dueAt(0), 1000.5);
  assert.equal(pacer.dueAt(4000), 3000.5);
  assert.throws(() => new WallClockPacer(0), NexmarkConfigError);
});

test('paced() yields every event, in order', async () => {
  const out: number[] = [];
  for await (const x of paced([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 5000)) out.push(x);
  assert.deepEqual(out, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
});

test('dueAt agrees with due(): event n is released exactly when its due time is reached (was one interval early)', () => {
  let now = 0;
  const pacer = new WallClockPacer(1000, () => now);
  for (const n of [0, 1, 7, 999]) {
    now = pacer.dueAt(n) - 1e-6;
    assert.equal(pacer.due(), n, `just before event ${n}'s due time`);
    now = pacer.dueAt(n);
    assert.equal(pacer.due(), n + 1, `at event ${n}'s due time`);
  }
});
