// Restart strategies: the delay before each restart, when they give up, and exponential backoff starting over
// after a stable attempt (Flink's reset-backoff-threshold).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkRestartStrategy, DEFAULT_RESET_AFTER_MS, RestartCounter, type RestartStrategy } from '../../../core/checkpoint/restart-strategy.js';
import { JobDefinitionError } from '../../../core/api/errors.js';

const delays = (s: RestartStrategy, ranMs: number[]): (number | undefined)[] => {
  const c = new RestartCounter(s);
  return ranMs.map((ms) => c.next(ms));
};

test('exponential backoff grows by its multiplier up to its maximum, and gives up after its attempts', () => {
  const s: RestartStrategy = { type: 'exponential-backoff', initialDelayMs: 100, maxDelayMs: 1000, multiplier: 3, attempts: 5 };
  assert.deepEqual(delays(s, [10, 10, 10, 10, 10, 10]), [100, 300, 900, 1000, 1000, undefined]);
});

// A job failing once a day climbed to maxDelayMs and used up its attempts for good.
test('exponential backoff starts over after an attempt that ran resetAfterMs (default 1 h), attempts included', () => {
  const s: RestartStrategy = { type: 'exponential-backoff', initialDelayMs: 100, maxDelayMs: 10_000, attempts: 2, resetAfterMs: 5000 };
  assert.deepEqual(delays(s, [10, 10, 5000, 10, 10]), [100, 200, 100, 200, undefined]);
  const byDefault: RestartStrategy = { type: 'exponential-backoff', initialDelayMs: 100, maxDelayMs: 10_000, attempts: 1 };
  assert.deepEqual(delays(byDefault, [10, DEFAULT_RESET_AFTER_MS - 1]), [100, undefined]);
  assert.deepEqual(delays(byDefault, [10, DEFAULT_RESET_AFTER_MS, DEFAULT_RESET_AFTER_MS]), [100, 100, 100]);
});

test('fixed delay counts every restart of the run; none never restarts', () => {
  assert.deepEqual(delays({ type: 'fixed-delay', attempts: 2, delayMs: 50 }, [10, 1e9, 1e9]), [50, 50, undefined]);
  assert.deepEqual(delays({ type: 'none' }, [1e9]), [undefined]);
});

test('bad strategies are JobDefinitionErrors', () => {
  for (const bad of [
    { type: 'exponential-backoff', initialDelayMs: 10, maxDelayMs: 5 },
    { type: 'exponential-backoff', initialDelayMs: 10, maxDelayMs: 50, resetAfterMs: -1 },
    { type: 'exponential-backoff', initialDelayMs: 10, maxDelayMs: 50, multiplier: 0.5 },
    { type: 'fixed-delay', attempts: -1, delayMs: 0 },
    { type: 'sometimes' },
  ]) {
    assert.throws(() => checkRestartStrategy(bad as never), JobDefinitionError, JSON.stringify(bad));
  }
});
