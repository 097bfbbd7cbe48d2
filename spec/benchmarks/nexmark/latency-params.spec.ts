// A latency run's parameters survive the trip through the environment; its stream's event times name events.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NexmarkConfigError, nexmarkConfig } from '../../../benchmarks/nexmark/config.js';
import { handwrittenQuery } from '../../../benchmarks/nexmark/handwritten.js';
import {
  eventOfQ1Row, LATENCY_RATE_ENV, latencyConfig, latencyEnv, latencyParamsFromEnv, LATENCY_CLOCK_PER_EVENT_ENV, LATENCY_QUERY_ENV, timesNameEvents, type LatencyParams,
} from '../../../benchmarks/nexmark/latency-params.js';
import { NexmarkGenerator } from '../../../benchmarks/nexmark/generator.js';

test('latencyParamsFromEnv(latencyEnv(p)) is p', () => {
  for (const clockPerEvent of [false, true]) {
    const p: LatencyParams = { query: 'q7', dir: '/tmp/x', offeredPerSec: 123_456.5, parallelism: 2, warmupMs: 1_500, clockPerEvent };
    assert.deepEqual(latencyParamsFromEnv(latencyEnv(p)), p);
  }
});

test('a missing or bad variable is a NexmarkConfigError naming it', () => {
  const good = latencyEnv({ query: 'q1', dir: '/tmp/x', offeredPerSec: 10, parallelism: 1, warmupMs: 0 });
  assert.throws(() => latencyParamsFromEnv({}), NexmarkConfigError);
  assert.throws(() => latencyParamsFromEnv({ ...good, [LATENCY_QUERY_ENV]: 'q5' }), (e: unknown) => e instanceof NexmarkConfigError && e.message.includes(LATENCY_QUERY_ENV));
  assert.throws(() => latencyParamsFromEnv({ ...good, [LATENCY_RATE_ENV]: '0' }), (e: unknown) => e instanceof NexmarkConfigError && e.message.includes(LATENCY_RATE_ENV));
  assert.throws(() => latencyParamsFromEnv({ ...good, [LATENCY_CLOCK_PER_EVENT_ENV]: 'yes' }), (e: unknown) => e instanceof NexmarkConfigError && e.message.includes(LATENCY_CLOCK_PER_EVENT_ENV));
  assert.equal(latencyParamsFromEnv({ ...good, [LATENCY_CLOCK_PER_EVENT_ENV]: undefined }).clockPerEvent, false);
});

test('in a latency config, a q1 row names the event it came from', () => {
  const config = latencyConfig(nexmarkConfig({ seed: 9, outOfOrderGroupSize: 11 }), 2_000);
  assert.equal(timesNameEvents(config), true);
  assert.equal(config.seed, 9);
  assert.equal(timesNameEvents(nexmarkConfig()), false);
  const gen = new NexmarkGenerator(config);
  let n = 0;
  handwrittenQuery('q1', config, {
    onRow: (row) => {
      const e = gen.event(eventOfQ1Row(config, row));
      assert.ok(e.kind === 'bid' && e.auction === row.auction && e.bidder === row.bidder && e.extra === row.extra);
      n++;
    },
  });
  assert.ok(n > 1_500);
});
