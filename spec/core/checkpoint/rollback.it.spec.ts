// A rollback (a run resumed from an older savepoint) abandons the checkpoints after it. A regression: when the
// rolled-back run ended before its first checkpoint, `--resume` ('latest') took the abandoned run's newest, and
// the rollback was undone without a word. Flink recovers such a job from the savepoint it started from.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run, type JobHandle, type RunOptions } from '../../../core/index.js';
import { CheckpointStore } from '../../../core/checkpoint/store.js';
import { writePublishedMark } from '../../../core/checkpoint/published-mark.js';
import { dirProblems, inspectDir } from '../../../core/cli/inspect.js';

const job = new URL('./jobs/keyed-counts.ts', import.meta.url);

async function abandonedIds(stateDir: string): Promise<{ abandoned: number[]; problems: string[] }> {
  const store = await CheckpointStore.open(stateDir);
  try {
    const rows = await inspectDir(store, false);
    return { abandoned: rows.filter((r) => r.abandoned).map((r) => r.id), problems: (await dirProblems(store, rows)).problems };
  } finally {
    await store.close();
  }
}

/** Starts the job with `resume`, checks where it started, and cancels it before it checkpoints. */
async function startAndCancel(stateDir: string, resume: RunOptions['resume'], warnings: string[] = [], then?: (h: JobHandle) => Promise<unknown>): Promise<number | undefined> {
  const h = await run(job, { parallelism: 2, stateDir, checkpointIntervalMs: 0, onWarning: (m) => warnings.push(m), ...(resume === undefined ? {} : { resume }) });
  // Cancelled however `then` ends: a job left running would keep the test process alive.
  try { await then?.(h); } finally { await h.cancel(); }
  return h.restoredFrom;
}

test('a rolled-back run that ended before its first checkpoint is resumed from where it rolled back to, not from the run it abandoned', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-rollback-'));
  try {
    const stateDir = path.join(dir, 'state');
    const h = await run(job, { parallelism: 2, stateDir, checkpointIntervalMs: 0, onWarning: () => {} });
    while ((await h.checkpoint()).keyedEntries < 1000);
    const a = await h.savepoint('a');
    const b = await h.checkpoint();
    const last = await h.stopWithSavepoint('last');
    await h.result;

    assert.equal(await startAndCancel(stateDir, { savepoint: 'a' }), a.id);
    assert.deepEqual((await abandonedIds(stateDir)).abandoned, [last.id, b.id]);
    // Output the abandoned run published is published again from 'a' (the rollback said so): not refused.
    writePublishedMark(stateDir, last.id);
    assert.deepEqual((await abandonedIds(stateDir)).problems, []);
    const warnings: string[] = [];
    assert.equal(await startAndCancel(stateDir, 'latest', warnings), a.id);
    assert.ok(warnings.some((w) => w.includes(`resuming from checkpoint ${a.id}, where the last run started over`) && w.includes('published again')), warnings.join('\n'));
    // Asked for by id, an abandoned checkpoint still restores.
    assert.equal(await startAndCancel(stateDir, { checkpoint: last.id }), last.id);

    // Once the rolled-back run has a checkpoint of its own, that one.
    let own: number | undefined;
    await startAndCancel(stateDir, { savepoint: 'a' }, [], async (h) => { own = (await h.checkpoint()).id; });
    assert.equal(await startAndCancel(stateDir, 'latest'), own);

    // A run started over from nothing abandons everything before it: a resume then starts from nothing too.
    assert.equal(await startAndCancel(stateDir, undefined), undefined);
    assert.equal(await startAndCancel(stateDir, 'latest'), undefined);
    assert.equal(await startAndCancel(stateDir, { savepoint: 'a' }), a.id);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
