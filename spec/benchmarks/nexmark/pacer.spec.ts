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
  assert.equal(pacer.dueAt(4000), 3000);
  assert.throws(() => new WallClockPacer(0), NexmarkConfigError);
});

test('paced() yields every event, in order', async () => {
  const out: number[] = [];
  for await (const x of paced([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 5000)) out.push(x);
  assert.deepEqual(out, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
});
