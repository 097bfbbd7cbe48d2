// cancel(), stopWithSavepoint(), savepoint() and checkpoint() after the job ended, or while it stops: a cancel is a
// no-op that returns the run's result (its failure, for a failed job); a request that would take a checkpoint is
// refused with a JobNotRunningError saying how the job ended, never a bare "the job is not running".

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JobNotRunningError, OperatorError, run, type NotRunningState, type RunOptions } from '../../../core/index.js';
import { endsWithTest } from '../../support/ends-with-test.js';

const unbounded = new URL('./jobs/unbounded.ts', import.meta.url);
const endsOrFails = (fail: boolean): URL => new URL(`./jobs/ends-or-fails.ts${fail ? '?fail=1' : ''}`, import.meta.url);

async function withStateDir(fn: (options: RunOptions) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-after-the-end-'));
  try {
    await fn({ parallelism: 1, stateDir: join(dir, 'state'), restartStrategy: { type: 'none' }, onWarning: () => {} });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Rejects with a JobNotRunningError in one of `states`, whose message starts with `what` and says `detail`. */
async function refused(p: Promise<unknown>, what: string, states: NotRunningState[], detail: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof JobNotRunningError, `JobNotRunningError, got ${String(e)}`);
    assert.ok(states.includes(e.state), `state ${e.state}, expected one of ${states.join(', ')}`);
    assert.ok(e.message.startsWith(`${what}: the job is not running: `), e.message);
    assert.match(e.message, detail);
    return true;
  });
}

test('stopWithSavepoint() then cancel(): the cancel returns the stopped run\'s result; later requests say it stopped with that savepoint', async (t) => {
  await withStateDir(async (options) => {
    const h = endsWithTest(t, await run(unbounded, options));
    const sp = await h.stopWithSavepoint('sp1');
    const r = await h.cancel();
    assert.equal(r.cancelled, true);
    assert.equal(r.stoppedWithSavepoint?.id, sp.id);
    assert.equal((await h.cancel()).stoppedWithSavepoint?.id, sp.id, 'a second cancel: the same result');
    const stopped = new RegExp(`it stopped with savepoint 'sp1' \\(checkpoint ${sp.id}\\); nothing was taken$`);
    // Regression: "the job is already stopping with savepoint 'sp1'", after it had stopped.
    await refused(h.stopWithSavepoint('sp2'), "stopWithSavepoint('sp2')", ['stopped'], stopped);
    // Regression: a bare Error('the job is not running').
    await refused(h.savepoint('sp3'), "savepoint 'sp3'", ['stopped'], stopped);
    await refused(h.checkpoint(), 'checkpoint', ['stopped'], stopped);
  });
});

// Regression: the stop rejected with a bare Error('the job is not running').
test('stopWithSavepoint() with a cancel() right behind it: the cancel wins, and the stop says the job was cancelled', async (t) => {
  await withStateDir(async (options) => {
    const h = endsWithTest(t, await run(unbounded, options));
    // Checked as it settles (it may before the cancel's result does).
    const stopping = refused(h.stopWithSavepoint('never'), "stopWithSavepoint('never')", ['cancelling', 'cancelled'], /it (is being|was) cancelled; nothing was taken$/);
    const r = await h.cancel();
    assert.equal(r.cancelled, true);
    assert.equal(r.stoppedWithSavepoint, undefined);
    await stopping;
  });
});

test('cancel() twice returns the same result; stopWithSavepoint() and savepoint() after it say the job was cancelled', async () => {
  await withStateDir(async (options) => {
    const h = await run(unbounded, options);
    const [a, b] = await Promise.all([h.cancel(), h.cancel()]);
    assert.equal(a.cancelled, true);
    assert.equal(b, a);
    assert.equal(await h.cancel(), a);
    // Regression: a bare Error('the job is not running').
    await refused(h.stopWithSavepoint('late'), "stopWithSavepoint('late')", ['cancelled'], /it was cancelled; nothing was taken$/);
    await refused(h.savepoint('late'), "savepoint 'late'", ['cancelled'], /it was cancelled; nothing was taken$/);
  });
});

test('after the job finished: cancel() returns its result (not cancelled); stopWithSavepoint() says it had finished', async () => {
  await withStateDir(async (options) => {
    const h = await run(endsOrFails(false), options);
    const r = await h.result;
    assert.equal(r.cancelled, false);
    assert.equal(await h.cancel(), r);
    // Regression: a bare Error('the job is not running').
    await refused(h.stopWithSavepoint('late'), "stopWithSavepoint('late')", ['finished'], /it had already finished \(its input ended\); nothing was taken$/);
  });
});

test('after the job failed: cancel() rejects with its failure; stopWithSavepoint() says it failed, and why', async () => {
  await withStateDir(async (options) => {
    const h = await run(endsOrFails(true), options);
    const failure = await h.result.then(() => assert.fail('the job ran to its end'), (e: unknown) => e);
    assert.ok(failure instanceof OperatorError, String(failure));
    await assert.rejects(h.cancel(), (e: unknown) => e === failure);
    // Regression: "it had already finished (its last checkpoint is final)", of a job that had failed.
    await refused(h.stopWithSavepoint('late'), "stopWithSavepoint('late')", ['failed'], /it failed \(OperatorError: operator 'maybe-fail' \(subtask 0\) failed: record 1 refused\. To drop or dead-letter such records instead: \.onError\('drop' \| 'dead-letter'\) on 'maybe-fail'\); nothing was taken$/);
  });
});
