// What a numeric option's error says it got. A string was said bare: setParallelism('2') failed with "got 2",
// which reads as a valid parallelism; NaN and Infinity said through JSON.stringify came out as "got null".

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StreamEnvironment } from '../../../core/api/environment.js';
import { JobDefinitionError } from '../../../core/api/errors.js';
import { shownValue } from '../../../core/api/shown-value.js';
import { checkParallelism, runtimeSettings } from '../../../core/runtime/run-options.js';
import type { PhysicalPlan } from '../../../core/graph/physical-plan.js';

const refused = (call: () => unknown, message: string): void => {
  assert.throws(call, (e: unknown) => e instanceof JobDefinitionError && e.message === message, message);
};

test("setParallelism('2') says it got the string \"2\"", () => {
  const env = new StreamEnvironment(2);
  env.fromCollection([1]).name('src').map((x) => x).name('double').setParallelism('2' as never).collect();
  refused(() => env.graph.validate(), "operator 'double' (map): parallelism must be an integer >= 1, got the string \"2\"");
  const job = new StreamEnvironment(2);
  job.setParallelism('4' as never).fromCollection([1]).collect();
  refused(() => job.graph.validate(), 'job parallelism must be an integer >= 1, got the string "4"');
});

test('run options say a string, NaN and Infinity as what they are', () => {
  refused(() => checkParallelism({ parallelism: '2' as never }, 2), 'parallelism must be an integer >= 1, got the string "2"');
  refused(() => checkParallelism({ parallelism: 2, threads: '1' as never }, 2), 'threads must be an integer >= 1, got the string "1"');
  const plan = { channels: [] } as unknown as PhysicalPlan;
  refused(() => runtimeSettings({ bufferTimeoutMs: '5' as never }, plan), 'bufferTimeoutMs must be a number >= 0, got the string "5"');
  refused(() => runtimeSettings({ bufferTimeoutMs: Number.NaN }, plan), 'bufferTimeoutMs must be a number >= 0, got NaN');
  refused(() => runtimeSettings({ recordBatch: '32' as never }, plan), 'recordBatch must be an integer >= 1, got the string "32"');
  refused(() => runtimeSettings({ outputBufferRecords: Number.NaN }, plan), 'outputBufferRecords must be an integer from 1 to 2^30, or Infinity, got NaN');
});

test('shownValue names what is not a number', () => {
  assert.deepEqual(
    [2, -1.5, Number.NaN, Infinity, '2', '', 2n, true, undefined, null, [2], { n: 2 }, () => 2, Symbol('s')].map(shownValue),
    ['2', '-1.5', 'NaN', 'Infinity', 'the string "2"', 'the string ""', 'the bigint 2n', 'true', 'undefined', 'null', 'an array', 'an object', 'a function', 'a symbol'],
  );
});
