// A Nexmark config survives the trip through environment variables that sluice worker threads inherit.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NexmarkConfigError, nexmarkConfig } from '../../../benchmarks/nexmark/config.js';
import { nexmarkConfigFromEnv, nexmarkEnv, RATE_ENV } from '../../../benchmarks/nexmark/env.js';
import { COUNT_ENV } from '../../../benchmarks/job-generator.js';

test('nexmarkConfigFromEnv(nexmarkEnv(config)) is the config', () => {
  for (const config of [nexmarkConfig({ events: 12_345, seed: 7, eventsPerSec: 250, outOfOrderGroupSize: 40 }), nexmarkConfig({ events: Infinity })]) {
    assert.deepEqual(nexmarkConfigFromEnv(nexmarkEnv(config)), config);
  }
});

test('a missing count or a malformed variable is a NexmarkConfigError', () => {
  assert.throws(() => nexmarkConfigFromEnv({}), (e: unknown) => e instanceof NexmarkConfigError && e.message.includes(COUNT_ENV));
  assert.throws(() => nexmarkConfigFromEnv({ [COUNT_ENV]: '10', [RATE_ENV]: 'fast' }), NexmarkConfigError);
  assert.throws(() => nexmarkConfigFromEnv({ [COUNT_ENV]: '10', [RATE_ENV]: '-1' }), NexmarkConfigError);
});
