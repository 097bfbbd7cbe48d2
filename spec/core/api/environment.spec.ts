// The environment's own options objects. Regression: enableCheckpointing(1000, { tolerableFailure: 0, mod:
// 'unaligned' }) ran aligned, tolerating every failure.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StreamEnvironment } from '../../../core/api/environment.js';
import { JobDefinitionError } from '../../../core/api/errors.js';

test('enableCheckpointing refuses misspelt options, naming the nearest ones', () => {
  const env = new StreamEnvironment(1);
  assert.throws(() => env.enableCheckpointing(1000, { tolerableFailure: 0, mod: 'unaligned' } as never), (e: unknown) =>
    e instanceof JobDefinitionError && e.message === "enableCheckpointing: unknown options 'tolerableFailure' (did you mean 'tolerableFailures'?), 'mod' (did you mean 'mode'?); known: mode, alignmentTimeoutMs, tolerableFailures");
  assert.throws(() => env.enableCheckpointing(1000, null as never), /^JobDefinitionError: enableCheckpointing: options must be an object, got null$/);
  assert.equal(env.graph.checkpointing, undefined);
  const config = new StreamEnvironment(1).enableCheckpointing(1000, { mode: 'unaligned', tolerableFailures: 0, alignmentTimeoutMs: undefined }).graph.checkpointing;
  assert.deepEqual(config, { intervalMs: 1000, mode: 'unaligned', tolerableFailures: 0, alignmentTimeoutMs: undefined });
});
