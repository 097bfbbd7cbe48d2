// Runs on: main thread (the test). A savepoint, or a stop with savepoint, under way when the job's attempt fails
// (a thread exits at the savepoint's barrier): refused saying the job failed and restarts, not that it stopped,
// and a stop says the job was not stopped; the restarted job takes the next one.

import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run, type JobHandle } from '../../../core/index.js';
import { CheckpointAbortedError } from '../../../core/checkpoint/checkpoint-refusal.js';
import { endsWithTest } from '../../support/ends-with-test.js';
import { polledUntil } from '../../support/polled-until.js';

const until = (file: string, h: JobHandle): Promise<void> => polledUntil(() => existsSync(file), file, h, 5);

async function started(t: TestContext, dir: string) {
  const u = new URL('./jobs/fail-at-savepoint.ts', import.meta.url);
  u.searchParams.set('dir', dir);
  const h = endsWithTest(t, await run(u, { parallelism: 1, stateDir: path.join(dir, 'state'), restartStrategy: { type: 'fixed-delay', attempts: 3, delayMs: 50 }, onWarning: () => {} }));
  await until(path.join(dir, 'started'), h);
  return h;
}

// Regression (review): "checkpoint 1 was aborted: the job stopped", while the job restarted and ran on (a stop with
// savepoint then ran the job to its end, its user told it had stopped).
test('a savepoint whose attempt fails is refused saying the job failed and restarts; the restarted job takes the next', { timeout: 60_000 }, async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-sp-failed-'));
  try {
    const h = await started(t, dir);
    await assert.rejects(h.savepoint('first'), (e: Error) => {
      assert.equal(e.name, 'CheckpointAbortedError', e.message);
      assert.equal((e as CheckpointAbortedError).reason, 'attempt-failed');
      assert.match(e.message, /^checkpoint \d+ was aborted: the job failed \(it restarts from its last completed checkpoint if the failure and its restart strategy allow; else it ends failed\)$/);
      return true;
    });
    await until(path.join(dir, 'restarted'), h);
    const sp = await h.savepoint('second');
    assert.equal(sp.kind, 'savepoint');
    assert.equal(h.restarts(), 1);
    await h.cancel();
    assert.equal((await h.result).cancelled, true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a stop with savepoint whose attempt fails says the job was not stopped; it runs on and a second stop stops it', { timeout: 60_000 }, async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-sp-failed-'));
  try {
    const h = await started(t, dir);
    await assert.rejects(h.stopWithSavepoint('first'), (e: Error) => {
      assert.match(String(e), /^CheckpointAbortedError: checkpoint \d+ was aborted: the job failed \(.*\); the job was not stopped$/);
      // Typed as what refused it: the attempt's failure, not the stop.
      assert.equal((e as CheckpointAbortedError).reason, 'attempt-failed');
      return true;
    });
    await until(path.join(dir, 'restarted'), h);
    const sp = await h.stopWithSavepoint('second');
    const r = await h.result;
    assert.equal(r.cancelled, true);
    assert.equal(r.stoppedWithSavepoint?.id, sp.id);
    assert.equal(r.restarts, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
