// ThreadCache's options, checked where the cache is made (no threads start here).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ThreadCache } from '../../../core/runtime/thread-cache.js';

// Regression: { maxIdlePool: 0 } kept the default 4 idle pools, without a word.
test('a misspelt option is refused, naming it and the option meant', () => {
  assert.throws(() => new ThreadCache({ maxIdlePool: 0 } as never), (e: unknown) => e instanceof TypeError
    && e.message === "ThreadCache: unknown option 'maxIdlePool' (did you mean 'maxIdlePools'?); known: maxIdlePools");
  assert.throws(() => new ThreadCache(null as never), /ThreadCache: options must be an object, got null/);
  assert.equal(new ThreadCache({ maxIdlePools: 0 }).size, 0);
  assert.equal(new ThreadCache().size, 0);
});
