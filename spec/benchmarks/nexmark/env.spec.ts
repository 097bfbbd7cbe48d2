// A Nexmark config (and the sluice job's query) survives the trip through environment variables that sluice
// worker threads inherit.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_CONFIG, NexmarkConfigError, nexmarkConfig } from '../../../benchmarks/nexmark/config.js';
import {
  CONFIG_ENV, nexmarkConfigFromEnv, nexmarkEnv, nexmarkQueryEnv, nexmarkQueryFromEnv, PREFILTER_ENV, QUERY_ENV, RATE_ENV, sluiceJobSettingsFromEnv, WATERMARK_INTERVAL_ENV,
} from '../../../benchmarks/nexmark/env.js';
import { COUNT_ENV } from '../../../benchmarks/job-generator.js';

test('nexmarkConfigFromEnv(nexmarkEnv(config)) is the config, every field of it', () => {
  // Regression: only count, seed, rate and out-of-orderness travelled; a job's threads generated the
  // reference defaults for the rest (hot ratios, proportions, sizes, base time), unlike the baselines.
  const every = nexmarkConfig({
    events: 12_345, seed: 7, eventsPerSec: 250, outOfOrderGroupSize: 40, baseTime: 0, personProportion: 2, auctionProportion: 5,
    bidProportion: 10, avgPersonByteSize: 300, avgAuctionByteSize: 600, avgBidByteSize: 500, hotAuctionRatio: 1, hotSellersRatio: 3,
    hotBiddersRatio: 5, numInFlightAuctions: 50, numActivePeople: 500,
  });
  assert.deepEqual(Object.keys(every).filter((k) => (every as unknown as Record<string, unknown>)[k] === (DEFAULT_CONFIG as unknown as Record<string, unknown>)[k]), [], 'every field differs from the default');
  for (const config of [every, nexmarkConfig({ events: Infinity })]) {
    assert.deepEqual(nexmarkConfigFromEnv(nexmarkEnv(config)), config);
  }
  assert.throws(() => nexmarkConfigFromEnv({ ...nexmarkEnv(every), [CONFIG_ENV]: '{"hotRatio": 3}' }), /SLUICE_NEXMARK_CONFIG holds hotRatio, which it does not carry/);
  assert.throws(() => nexmarkConfigFromEnv({ ...nexmarkEnv(every), [CONFIG_ENV]: '{"hotAuctionRatio": 0}' }), /hotAuctionRatio must be an integer >= 1/);
});

test('a missing count or a malformed variable is a NexmarkConfigError', () => {
  assert.throws(() => nexmarkConfigFromEnv({}), (e: unknown) => e instanceof NexmarkConfigError && e.message.includes(COUNT_ENV));
  assert.throws(() => nexmarkConfigFromEnv({ [COUNT_ENV]: '10', [RATE_ENV]: 'fast' }), NexmarkConfigError);
  assert.throws(() => nexmarkConfigFromEnv({ [COUNT_ENV]: '10', [RATE_ENV]: '-1' }), NexmarkConfigError);
});

test('the sluice job\'s query and settings travel through the environment too', () => {
  const config = nexmarkConfig({ events: 100 });
  const env = nexmarkQueryEnv('q7', config, { watermarkIntervalMs: 5, prefilter: false });
  assert.equal(nexmarkQueryFromEnv(env), 'q7');
  assert.deepEqual(sluiceJobSettingsFromEnv(env), { watermarkIntervalMs: 5, prefilter: false });
  assert.deepEqual(nexmarkConfigFromEnv(env), config);
  assert.deepEqual(sluiceJobSettingsFromEnv(nexmarkQueryEnv('q0', config)), { watermarkIntervalMs: undefined, prefilter: true });
  assert.throws(() => nexmarkQueryFromEnv({}), (e: unknown) => e instanceof NexmarkConfigError && e.message.includes(QUERY_ENV));
  assert.throws(() => nexmarkQueryFromEnv({ [QUERY_ENV]: 'q6' }), /must be one of q0, q1, q2, q3, q4, q5, q7, q8, got 'q6'/);
  assert.throws(() => sluiceJobSettingsFromEnv({ [WATERMARK_INTERVAL_ENV]: '0' }), NexmarkConfigError);
  assert.throws(() => sluiceJobSettingsFromEnv({ [PREFILTER_ENV]: 'no' }), NexmarkConfigError);
});
