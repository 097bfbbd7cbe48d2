// A connector's own calls that throw (not a record's): the job fails naming the source or sink, the subtask where
// there is one, and the call, with what it threw as `cause`.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { OperatorError, SourceSplitsError, run, type RunOptions } from '../../../core/index.js';

const job = (hook: string): URL => {
  const u = new URL('./jobs/hook-throws.ts', import.meta.url);
  u.searchParams.set('hook', hook);
  return u;
};

/** The job's failure, however it comes (run() rejects before threads start; result rejects after). */
async function failure(hook: string, options: RunOptions = {}): Promise<Error> {
  try {
    await (await run(job(hook), { parallelism: 2, ...options })).result;
  } catch (e) {
    return e as Error;
  }
  assert.fail(`the job with a throwing ${hook} ran to its end`);
}

/** The cause is what the hook threw: its class's name, message and plain fields (across threads too). */
function assertCause(e: Error, hook: string): void {
  const cause = e.cause as Error & { extra?: string };
  assert.equal(cause?.name, 'HookFailure');
  assert.equal(cause.message, `hook ${hook} failed`);
  assert.equal(cause.extra, 'kept');
}

// Regression: a custom sink whose createWriter threw failed the job with its bare Error, naming no sink.
test('a sink whose createWriter throws fails the job with an OperatorError naming the sink, the subtask and createWriter', async () => {
  const e = await failure('createWriter');
  assert.ok(e instanceof OperatorError, `OperatorError, got ${e.name}: ${e.message}`);
  assert.equal(e.operator, 'hooked-out');
  assert.ok(e.subtask === 0 || e.subtask === 1, `subtask ${e.subtask}`);
  assert.equal(e.hook, 'createWriter');
  assert.equal(e.message, `operator 'hooked-out' (subtask ${e.subtask}) failed in createWriter: hook createWriter failed`);
  assertCause(e, 'createWriter');
});

// Regression: the same for a source's reader.
test('a source whose createReader throws fails the job with an OperatorError naming the source, the subtask and createReader', async () => {
  const e = await failure('createReader');
  assert.ok(e instanceof OperatorError, `OperatorError, got ${e.name}: ${e.message}`);
  assert.equal(e.operator, 'numbers');
  assert.equal(e.hook, 'createReader');
  assert.match(e.message, /^operator 'numbers' \(subtask [01]\) failed in createReader: hook createReader failed$/);
  assertCause(e, 'createReader');
});

// Regression: enumerateSplits and ownerOf run on the main thread before any thread starts; they failed bare.
for (const hook of ['enumerateSplits', 'ownerOf']) {
  test(`a source whose ${hook} throws fails the run with a SourceSplitsError naming the source, its kind and ${hook}`, async () => {
    const e = await failure(hook);
    assert.ok(e instanceof SourceSplitsError, `SourceSplitsError, got ${e.name}: ${e.message}`);
    assert.equal(e.code, 'SOURCE_SPLITS_FAILED');
    assert.equal(e.message, `source 'numbers' (hooked-numbers): ${hook} failed: hook ${hook} failed`);
    assertCause(e, hook);
  });
}

// Regression: a source's snapshot that threw (here the final one, at its end of input) failed the job bare; at a
// barrier it was named after the task, not the source.
test('a source whose snapshot throws fails the job with an OperatorError naming the source and snapshot', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-hook-snapshot-'));
  try {
    const e = await failure('snapshot', { stateDir: dir, restartStrategy: { type: 'none' }, onWarning: () => {} });
    assert.ok(e instanceof OperatorError, `OperatorError, got ${e.name}: ${e.message}`);
    assert.equal(e.operator, 'numbers');
    assert.equal(e.hook, 'snapshot');
    assertCause(e, 'snapshot');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// Regression: one that threw (rather than rejected) threw in the thread's port handler: the thread died
// (WorkerDiedError), where a rejection failed the task as the source's OperatorError.
for (const how of ['throw', 'reject']) {
  test(`a source whose notifyCheckpointComplete ${how}s fails the job with an OperatorError naming the source and notifyCheckpointComplete`, async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-hook-ack-'));
    try {
      const u = new URL('./jobs/acks-throw.ts', import.meta.url);
      u.searchParams.set('how', how);
      const h = await run(u, { parallelism: 1, stateDir: dir, checkpointIntervalMs: 50, restartStrategy: { type: 'none' }, onWarning: () => {} });
      await assert.rejects(h.result, (e: unknown) => {
        assert.ok(e instanceof OperatorError, `OperatorError, got ${String(e)}`);
        assert.equal(e.operator, 'acking');
        assert.equal(e.hook, 'notifyCheckpointComplete');
        assert.equal((e.cause as Error).message, 'ack failed');
        return true;
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

// Regression: what a source's close threw was ignored, unseen: a close that acknowledges or releases upstream what
// was read failed silently.
test('a source whose close throws: the job ends as it would, and a warning names the source, the subtask and close', async () => {
  const warnings: string[] = [];
  const r = await (await run(job('close'), { parallelism: 2, onWarning: (m) => warnings.push(m) })).result;
  assert.equal(r.cancelled, false);
  const said = (s: number): string => `source 'numbers' (subtask ${s}) failed in close: hook close failed. What it does on close (acknowledging, committing or releasing upstream what it read) may not be done`;
  assert.deepEqual(warnings.filter((w) => w.includes('failed in close')).sort(), [said(0), said(1)]);
});

// Regression: the same for a sink's abort (a failed or cancelled run's writers), which may leave output behind. The
// job's own failure stays its error.
test('a job that fails with a throwing close and abort: its error is the failure, and the close and abort are warnings', async () => {
  const warnings: string[] = [];
  const e = await failure('read,close,abort', { onWarning: (m) => warnings.push(m) });
  assert.ok(e instanceof OperatorError, `OperatorError, got ${e.name}: ${e.message}`);
  assert.equal(e.operator, 'numbers');
  assert.match(e.message, /^operator 'numbers' \(subtask [01]\) failed: hook read failed$/);
  assert.equal(warnings.filter((w) => /^source 'numbers' \(subtask [01]\) failed in close: hook close failed\. /.test(w)).length, 2, warnings.join(' | '));
  assert.equal(warnings.filter((w) => /^sink 'hooked-out' \(subtask [01]\) failed in abort: hook abort failed\. What it holds of this run \(unpublished output, connections\) may be left behind$/.test(w)).length, 2, warnings.join(' | '));
});

test('the same job with no hook throwing runs to its end (the specs above fail for the hook alone)', async () => {
  await (await run(job('none'), { parallelism: 2 })).result;
});
