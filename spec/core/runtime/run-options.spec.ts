// run()'s options checked before the job starts: misspelt names, and ringBytes blamed for its own faults (a ring of
// 2048 bytes was said to be ringMemoryBytes' doing; 100000 failed in the ring, naming no option).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JobDefinitionError } from '../../../core/api/errors.js';
import { checkParallelism, runtimeSettings, type RunOptions } from '../../../core/runtime/run-options.js';
import type { PhysicalPlan } from '../../../core/graph/physical-plan.js';

const refused = (call: () => unknown, message: RegExp): void => {
  assert.throws(call, (e: unknown) => e instanceof JobDefinitionError && message.test(e.message), String(message));
};
const plan = (channels: number): PhysicalPlan => ({ channels: Array.from({ length: channels }, () => ({})) }) as unknown as PhysicalPlan;

test('misspelt run options are refused with the nearest name', () => {
  refused(() => checkParallelism({ paralellism: 1 } as RunOptions, 2), /^run\(\): unknown option 'paralellism' \(did you mean 'parallelism'\?\); known: parallelism, /);
  refused(() => checkParallelism({ parallelism: 1, checkpointInterval: 100, statedir: 'x' } as RunOptions, 2),
    /^run\(\): unknown options 'checkpointInterval' \(did you mean 'checkpointIntervalMs'\?\), 'statedir' \(did you mean 'stateDir'\?\);/);
  refused(() => checkParallelism(null as never, 2), /^run\(\): options must be an object, got null$/);
});

test('every known run option passes the name check, set or undefined', () => {
  assert.equal(checkParallelism({ parallelism: 3, threads: undefined, stateDir: undefined, resume: false, onWarning: () => undefined }, 2), 3);
});

test('ringBytes not a power of two, or below 4096, is refused naming ringBytes', () => {
  refused(() => runtimeSettings({ ringBytes: 2048 }, plan(2)), /^ringBytes must be a power of two from 4096 to 1073741824 \(2\^30\), got 2048$/);
  refused(() => runtimeSettings({ ringBytes: 100_000 }, plan(2)), /^ringBytes must be a power of two .* got 100000$/);
  refused(() => runtimeSettings({ ringBytes: 2 ** 31 }, plan(0)), /^ringBytes must be a power of two .* got 2147483648$/);
  assert.equal(runtimeSettings({ ringBytes: 4096 }, plan(2)).ringBytes, 4096);
  assert.equal(runtimeSettings({ ringBytes: 2 ** 20 }, plan(2)).ringBytes, 2 ** 20);
});

test('ringMemoryBytes is blamed only when the budget lowered the ring', () => {
  refused(() => runtimeSettings({ ringBytes: 65536, ringMemoryBytes: 8192 }, plan(4)), /^the job needs 4 ring channels: ringMemoryBytes 8192 leaves 2048 bytes each, below 4096; raise ringMemoryBytes/);
  const s = runtimeSettings({ ringBytes: 65536, ringMemoryBytes: 4 * 16384 }, plan(4));
  assert.equal(s.ringBytes, 16384);
  assert.equal(s.rt.ringOption, 'ringMemoryBytes');
});

test("collect is 'records' or 'count', named when it is neither; only 'count' makes the threads count", () => {
  refused(() => runtimeSettings({ collect: 'counts' } as unknown as RunOptions, plan(0)), /^collect must be 'records' or 'count', got the string "counts"$/);
  refused(() => runtimeSettings({ collect: true } as unknown as RunOptions, plan(0)), /^collect must be 'records' or 'count', got true$/);
  assert.equal(runtimeSettings({ collect: 'count' }, plan(0)).rt.collectCount, true);
  assert.equal(runtimeSettings({ collect: 'records' }, plan(0)).rt.collectCount, false);
  assert.equal(runtimeSettings({}, plan(0)).rt.collectCount, false);
});
