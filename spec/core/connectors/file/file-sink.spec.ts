// fileSink's options, checked while the job is built: rollIntervalMs. Its commit and recover with what the
// runtime tells them (CommitContext): a part a consumer took after it was published.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileSink, jsonLines } from '../../../../core/index.js';
import { ConnectorOptionError, FileCommitError } from '../../../../core/connectors/errors.js';
import type { CommitContext, PreparedTransaction } from '../../../../core/connectors/sink.js';
import { warnOnce } from '../../../../core/runtime/warn-once.js';

test('rollIntervalMs: a finite number >= 0, refused with a ConnectorOptionError otherwise; part of the fingerprint', () => {
  const dir = '/nonexistent/out';
  for (const bad of [-1, Number.NaN, Infinity, '5' as unknown as number]) {
    assert.throws(() => fileSink({ dir, format: jsonLines(), rollIntervalMs: bad }), (e: unknown) => e instanceof ConnectorOptionError && /rollIntervalMs/.test(e.message), String(bad));
  }
  const a = fileSink({ dir, format: jsonLines(), rollIntervalMs: 0 });
  const b = fileSink({ dir, format: jsonLines(), rollIntervalMs: 1000 });
  const c = fileSink({ dir, format: jsonLines() });
  assert.equal(new Set([a.fingerprint, b.fingerprint, c.fingerprint]).size, 3);
});

function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-file-sink-'));
  return fn(dir).finally(() => rmSync(dir, { recursive: true, force: true }));
}

/** Moves every visible file of `out` into `taken`, as a consumer of the sink does; returns their names. */
function take(out: string, taken: string): string[] {
  mkdirSync(taken, { recursive: true });
  const files = readdirSync(out).filter((f) => !f.startsWith('.'));
  for (const f of files) renameSync(join(out, f), join(taken, f));
  return files;
}

test('commit: a part published and then taken away is taken as published once the PUBLISHED mark shows its commit began, said once; never before', async () => {
  await withDir(async (dir) => {
    const out = join(dir, 'out');
    const spec = fileSink<{ i: number }>({ dir: out, format: jsonLines(), rollIntervalMs: 0 });
    const w = spec.createWriter(0, 1);
    w.write({ i: 0 });
    const t3: PreparedTransaction = { checkpointId: 3, subtask: 0, transaction: w.prepareCommit!(3) };
    w.write({ i: 1 });
    const end: PreparedTransaction = { checkpointId: -1, subtask: 0, transaction: w.prepareCommit!(-1), end: 'e1' };
    const said: string[] = [];
    const once = warnOnce((m) => said.push(m));
    const context = (checkpointId: number, publishedBefore: number): CommitContext => ({ checkpointId, publishedBefore, warnOnce: once });
    await spec.commit!([t3, end], context(4, 0));
    const files = take(out, join(dir, 'taken'));
    assert.equal(files.length, 2);
    // The mark behind checkpoint 3: its commit never began, so its part was never published: lost, an error.
    await assert.rejects(async () => spec.commit!([t3], context(4, 2)), (e: unknown) => e instanceof FileCommitError && /no commit of its checkpoint had begun/.test(e.message));
    await spec.commit!([t3], context(5, 3));
    // An end of input has no checkpoint of its own: the one being published, which holds it, decides.
    await assert.rejects(async () => spec.commit!([end], context(5, 4)), FileCommitError);
    await spec.commit!([end], context(5, 5));
    await spec.commit!([t3, end], context(6, 6)); // a restore of checkpoint 6, whose commit had begun
    assert.equal(said.length, 1, said.join('\n'));
    assert.ok(said[0]!.includes(join(out, (t3.transaction as { parts: { final: string }[] }).parts[0]!.final)), said[0]);
    assert.deepEqual(readdirSync(out), [], 'nothing was written back');
    // Without a context (a caller that knows nothing of earlier commits): the error, as before.
    await assert.rejects(async () => spec.commit!([t3]), FileCommitError);
  });
});

test('recover: a part open at the restored checkpoint, published by an earlier restore and taken since, likewise', async () => {
  await withDir(async (dir) => {
    const out = join(dir, 'out');
    const spec = fileSink<{ i: number }>({ dir: out, format: jsonLines() });
    const w = spec.createWriter(0, 1);
    w.write({ i: 0 });
    const t2: PreparedTransaction = { checkpointId: 2, subtask: 0, transaction: w.prepareCommit!(2) };
    assert.ok((t2.transaction as { open?: unknown }).open !== undefined, 'the part stays open across the barrier');
    w.abort!();
    const said: string[] = [];
    const context = (checkpointId: number, publishedBefore: number): CommitContext => ({ checkpointId, publishedBefore, warnOnce: warnOnce((m) => said.push(m)) });
    await spec.recover!([t2], context(2, 1));
    assert.equal(take(out, join(dir, 'taken')).length, 1);
    await assert.rejects(async () => spec.recover!([t2], context(2, 1)), (e: unknown) => e instanceof FileCommitError && /no commit of its checkpoint had begun/.test(e.message));
    await spec.recover!([t2], context(2, 2));
    assert.equal(said.length, 1);
  });
});
