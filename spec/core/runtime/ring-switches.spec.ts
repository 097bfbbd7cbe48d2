// The rings' two fast paths, publication in batches and wake hysteresis, have run options that turn them off
// (RunOptions.ringBatching, wakeHysteresis): they reach the threads' runtime options. Whole jobs run both ways in
// keyed-jobs.it.spec.ts; shm/ring.spec.ts and shm/channel.it.spec.ts run the ends both ways.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runtimeSettings } from '../../../core/runtime/run-options.js';
import { JobDefinitionError } from '../../../core/api/errors.js';
import type { PhysicalPlan } from '../../../core/graph/physical-plan.js';

const plan = { channels: [{}, {}] } as unknown as PhysicalPlan;

test('ring batching and wake hysteresis are on by default, and each switch turns its own off', () => {
  const on = runtimeSettings({}, plan).rt;
  assert.ok(on.batchBytes > 0);
  assert.equal(on.hysteresis, true);
  const unbatched = runtimeSettings({ ringBatching: false }, plan).rt;
  assert.equal(unbatched.batchBytes, 0, 'every write published at once');
  assert.equal(unbatched.hysteresis, true);
  const eager = runtimeSettings({ wakeHysteresis: false }, plan).rt;
  assert.equal(eager.batchBytes, on.batchBytes);
  assert.equal(eager.hysteresis, false);
});

test('a switch that is not a boolean is refused, naming it', () => {
  for (const k of ['ringBatching', 'wakeHysteresis'] as const) {
    assert.throws(() => runtimeSettings({ [k]: 'false' } as never, plan), (e: unknown) => e instanceof JobDefinitionError && e.message === `${k} must be true or false, got "false"`);
  }
});
