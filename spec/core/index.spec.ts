// Runs on: main thread (the test). The package entry exports what a user's code handles: the errors run(), its
// handle's checkpoint methods and a restore reject with, and the types of the options and callbacks they take
// (regression: a new user could not import CheckpointAbortedError, StateDirError, CompletedCheckpoint, ...).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as sluice from '../../core/index.js';
import type {
  CheckpointAbortReason, CheckpointConfig, CheckpointNotStartedReason, CheckpointRefusedReason, CheckpointStats, CompletedCheckpoint, OutputRefusedReason, RestartStrategy, RestoreProgress, RunOptions,
} from '../../core/index.js';

test('the errors a checkpoint method or a restore rejects with are exported classes, their reasons typed', () => {
  for (const name of ['CheckpointAbortedError', 'CheckpointNotStartedError', 'CheckpointRefusedError', 'NotCheckpointingError', 'JobNotRunningError', 'OutputRefusedError', 'NoCheckpointError', 'StateDirError'] as const) {
    assert.equal(typeof sluice[name], 'function', `${name} is exported`);
  }
  const aborted = new sluice.CheckpointAbortedError(7, 'attempt-failed', 'the job failed');
  assert.ok(aborted instanceof Error, 'an Error');
  assert.equal(aborted.reason satisfies CheckpointAbortReason, 'attempt-failed');
  const notStarted = new sluice.CheckpointNotStartedError('stopped');
  assert.equal(notStarted.reason satisfies CheckpointNotStartedReason, 'stopped');
  const refused = new sluice.CheckpointRefusedError('restarting', 'the job is restarting (restart 1): try again once it runs');
  assert.equal(refused.reason satisfies CheckpointRefusedReason, 'restarting');
  assert.equal(new sluice.CheckpointRefusedError('attempt-failed').message, 'the job is not running');
  assert.equal(new sluice.CheckpointRefusedError('already-stopping').reason satisfies CheckpointRefusedReason, 'already-stopping');
  assert.ok(new sluice.NotCheckpointingError('this job does not checkpoint') instanceof Error, 'an Error');
  const output = new sluice.OutputRefusedError('has-reader', 'out', "output('out'): the sink already has a reader (one per sink)");
  assert.equal(output.reason satisfies OutputRefusedReason, 'has-reader');
  assert.equal(output.sink, 'out');
});

test('the option and callback types run() and enableCheckpointing take can be named', () => {
  // Compile-time: each type is importable and fits where the API uses it.
  const restart: RestartStrategy | undefined = undefined;
  const checkpoints: Omit<CheckpointConfig, 'intervalMs'> = {};
  const onCheckpoint = (c: CompletedCheckpoint): number => c.id;
  const onRestoreProgress = (p: RestoreProgress): unknown => p;
  const options: RunOptions = { onCheckpoint, onRestoreProgress, ...(restart !== undefined ? { restartStrategy: restart } : {}) };
  const stats: CheckpointStats | undefined = undefined;
  assert.equal(typeof options.onCheckpoint, 'function', 'the callback fits RunOptions');
  assert.deepEqual(checkpoints, {}, 'the checkpoint options object type is nameable');
  assert.equal(stats, undefined);
});
