// Tolerable checkpoint failures: failures in a row beyond the tolerable number fail the job; a completed checkpoint
// ends the run of failures; savepoints neither count nor reset; bad settings fail at build time.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CheckpointFailureCounter, checkTolerableFailures, TooManyCheckpointFailuresError } from '../../../core/checkpoint/failure-counter.js';
import { JobDefinitionError } from '../../../core/api/errors.js';
import { StreamEnvironment } from '../../../core/api/environment.js';

test('the failure past the tolerable number in a row fails the job, naming the count and the last reason', () => {
  const c = new CheckpointFailureCounter(2);
  assert.equal(c.failed('checkpoint', 'checkpoint 1 timed out'), undefined);
  assert.equal(c.failed('checkpoint', 'checkpoint 2 timed out'), undefined);
  const e = c.failed('checkpoint', 'checkpoint 3 declined');
  assert.ok(e instanceof TooManyCheckpointFailuresError);
  assert.equal(e.message, '3 checkpoints in a row failed (tolerable: 2); the last: checkpoint 3 declined');
  assert.equal(e.failures, 3);
});

test('a completed checkpoint ends the run of failures; a completed savepoint does not', () => {
  const c = new CheckpointFailureCounter(1);
  assert.equal(c.failed('checkpoint', 'a'), undefined);
  c.completed('checkpoint');
  assert.equal(c.failed('checkpoint', 'b'), undefined);
  c.completed('savepoint');
  assert.ok(c.failed('checkpoint', 'c') instanceof TooManyCheckpointFailuresError);
});

test('failed savepoints do not count; with 0 tolerated the first failed checkpoint fails the job; Infinity never', () => {
  const zero = new CheckpointFailureCounter(0);
  for (let i = 0; i < 5; i++) assert.equal(zero.failed('savepoint', 'sp'), undefined);
  assert.match(zero.failed('checkpoint', 'x')!.message, /^1 checkpoint in a row failed \(tolerable: 0\)/);
  const never = new CheckpointFailureCounter(Infinity);
  for (let i = 0; i < 1000; i++) assert.equal(never.failed('checkpoint', 'x'), undefined);
});

test('a tolerable number that is not an integer >= 0 or Infinity fails at build time', () => {
  for (const bad of [-1, 1.5, Number.NaN, -Infinity]) {
    assert.throws(() => checkTolerableFailures(bad, 'x'), JobDefinitionError);
    assert.throws(() => new StreamEnvironment(1).enableCheckpointing(100, { tolerableFailures: bad }), (e: unknown) => e instanceof JobDefinitionError && /enableCheckpointing: tolerableFailures: expected an integer >= 0/.test(e.message));
  }
  assert.equal(checkTolerableFailures(0, 'x'), 0);
  assert.equal(checkTolerableFailures(Infinity, 'x'), Infinity);
});
