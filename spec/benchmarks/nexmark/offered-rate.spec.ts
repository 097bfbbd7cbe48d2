// A latency figure describes the offered load only if the sources achieved it: each subtask's rate over its own
// schedule, summed; at least 95 % of the offer.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { achievedPerSec, keptUp } from '../../../benchmarks/nexmark/offered-rate.js';

const end = (subtask: number, anchorMs: number, emitted: number, lastEmitMs: number) => ({ subtask, parallelism: 2, anchorMs, ratePerSec: 500, emitted, lastEmitMs });

test('achieved rate: events over the time from the schedule start to the last emission, summed over subtasks', () => {
  // Subtask 0 on schedule (1000 events in 2 s); subtask 1 started later and took 2.5 s for its 1000.
  assert.equal(achievedPerSec([end(0, 1_000, 1_000, 3_000), end(1, 1_200, 1_000, 3_700)]), 500 + 400);
  // A subtask that emitted nothing adds nothing (and no division by zero).
  assert.equal(achievedPerSec([end(0, 1_000, 1_000, 3_000), end(1, Number.NaN, 0, Number.NaN)]), 500);
});

test('a run kept up when it achieved >= 95 % of the offered rate', () => {
  assert.equal(keptUp(1_000, 950), true);
  assert.equal(keptUp(1_000, 949.9), false);
  assert.equal(keptUp(1_000, 1_003), true);
});
