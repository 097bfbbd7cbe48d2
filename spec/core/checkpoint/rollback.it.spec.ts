// A rollback (a run resumed from an older savepoint) abandons the checkpoints after it. A regression: when the
// rolled-back run ended before its first checkpoint, `--resume` ('latest') took the abandoned run's newest, and
// the rollback was undone without a word. Flink recovers such a job from the savepoint it started from.

import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { deleteSavepoint, run, type JobHandle, type RunOptions } from '../../../core/index.js';
import type { CompletedCheckpoint } from '../../../core/checkpoint/checkpoint-history.js';
import { CheckpointStore } from '../../../core/checkpoint/store.js';
import { writePublishedMark } from '../../../core/checkpoint/published-mark.js';
import { dirProblems, inspectDir } from '../../../core/cli/inspect.js';
import { endsWithTest } from '../../support/ends-with-test.js';

const job = new URL('./jobs/keyed-counts.ts', import.meta.url);

async function listed(stateDir: string): Promise<{ ids: number[]; abandoned: number[]; problems: string[] }> {
  const store = await CheckpointStore.open(stateDir);
  try {
    const rows = await inspectDir(store, false);
    return { ids: rows.map((r) => r.id), abandoned: rows.filter((r) => r.abandoned).map((r) => r.id), problems: (await dirProblems(store, rows)).problems };
  } finally {
    await store.close();
  }
}

/** Starts the job with `resume`, runs `then`, and cancels it (however `then` ends); where it started. */
async function startAndCancel(stateDir: string, resume: RunOptions['resume'], then?: (h: JobHandle) => Promise<unknown>, warnings: string[] = []): Promise<number | undefined> {
  const h = await run(job, { parallelism: 2, stateDir, checkpointIntervalMs: 0, onWarning: (m) => warnings.push(m), ...(resume === undefined ? {} : { resume }) });
  // Cancelled however `then` ends: a job left running would keep the test process alive.
  try { await then?.(h); } finally { await h.cancel(); }
  return h.restoredFrom;
}

/** A first run: checkpoints, savepoints 'a' and 'b' between them, and a stop with savepoint 'last'. */
async function firstRun(t: TestContext, stateDir: string): Promise<{ a: CompletedCheckpoint; b: CompletedCheckpoint; last: CompletedCheckpoint }> {
  const h = endsWithTest(t, await run(job, { parallelism: 2, stateDir, checkpointIntervalMs: 0, onWarning: () => {} }));
  while ((await h.checkpoint()).keyedEntries < 1000);
  const a = await h.savepoint('a');
  await h.checkpoint();
  const b = await h.savepoint('b');
  const last = await h.stopWithSavepoint('last');
  await h.result;
  return { a, b, last };
}

test('a rolled-back run that ended before its first checkpoint is resumed from where it rolled back to, not from the run it abandoned', { timeout: 180_000 }, async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-rollback-'));
  try {
    const stateDir = path.join(dir, 'state');
    const { a, b, last } = await firstRun(t, stateDir);
    assert.equal(await startAndCancel(stateDir, { savepoint: 'a' }), a.id);
    assert.equal(await startAndCancel(stateDir, 'latest'), a.id);
    assert.deepEqual((await listed(stateDir)).abandoned, [last.id, b.id, b.id - 1]);
    // Rolled back again, to a checkpoint the first rollback abandoned: that one now (regression: it stayed abandoned,
    // and 'latest' went back to 'a').
    assert.equal(await startAndCancel(stateDir, { savepoint: 'b' }), b.id);
    assert.equal(await startAndCancel(stateDir, 'latest'), b.id);
    // Asked for by id, an abandoned checkpoint restores, and is the lineage from then on.
    assert.equal(await startAndCancel(stateDir, { checkpoint: last.id }), last.id);
    assert.equal(await startAndCancel(stateDir, 'latest'), last.id);
    assert.deepEqual((await listed(stateDir)).abandoned, []);

    // Once the rolled-back run has a checkpoint of its own, that one.
    let own = 0;
    assert.equal(await startAndCancel(stateDir, { savepoint: 'a' }, async (h) => { own = (await h.savepoint('own')).id; }), a.id);
    assert.equal(await startAndCancel(stateDir, 'latest'), own);

    // A run started over from nothing abandons everything before it: a resume then starts from nothing too.
    assert.equal(await startAndCancel(stateDir, undefined), undefined);
    assert.equal(await startAndCancel(stateDir, 'latest'), undefined);
    // Ids are never handed out twice: with the abandoned savepoints deleted (the newest ones, checkpoints and all), a
    // new run's checkpoints are numbered above every id before (regression: they took the freed ids, which counted as
    // abandoned).
    for (const name of ['own', 'last']) assert.equal((await deleteSavepoint(stateDir, name)).checkpointDeleted, true);
    let fresh = 0;
    await startAndCancel(stateDir, undefined, async (h) => { fresh = (await h.checkpoint()).id; });
    assert.ok(fresh > own, `${fresh} > ${own}`);
    assert.equal(await startAndCancel(stateDir, 'latest'), fresh);
    assert.equal(await startAndCancel(stateDir, { savepoint: 'a' }), a.id);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a rollback behind published output that ended before its first checkpoint: a resume refuses, naming where to resume from', { timeout: 120_000 }, async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-rollback-'));
  try {
    const stateDir = path.join(dir, 'state');
    const { a, last } = await firstRun(t, stateDir);
    // As a transactional sink's commit records it: output up to the newest checkpoint was published.
    writePublishedMark(stateDir, last.id);
    const said: string[] = [];
    assert.equal(await startAndCancel(stateDir, { savepoint: 'a' }, undefined, said), a.id);
    assert.ok(said.some((w) => w.includes('published again')), said.join('\n'));
    // The rollback's run published nothing, so a resume would publish that output again: refused, not warned
    // (regression: the first version resumed from 'a' with a warning).
    await assert.rejects(startAndCancel(stateDir, 'latest'), (e: Error) => e.name === 'NoCheckpointError'
      && e.message.includes(`started over from checkpoint ${a.id} and has no intact checkpoint of its own`) && e.message.includes(`Resume from checkpoint ${a.id} explicitly`));
    assert.ok((await listed(stateDir)).problems.some((p) => p.includes('of the current lineage')));
    // A fresh start over it, the same.
    assert.equal(await startAndCancel(stateDir, undefined), undefined);
    await assert.rejects(startAndCancel(stateDir, 'latest'), /started over from the beginning and has no intact checkpoint of its own/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// Regression: a run resumed from a savepoint behind published output accepted publishing
// that output again, but a worker failure before its first checkpoint then failed the job: the restart from the
// run's own start was refused as going behind published output.
test('a run resumed from a savepoint behind published output restarts from it after a failure, as it started', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-rollback-'));
  try {
    const stateDir = path.join(dir, 'state');
    const url = (params: Record<string, string | number>): URL => {
      const u = new URL('./jobs/exactly-once.ts', import.meta.url);
      for (const [k, v] of Object.entries({ unbounded: 1, rate: 5000, interval: 0, keys: 50, ledger: path.join(dir, 'ledger'), marker: path.join(dir, 'marker'), ...params })) u.searchParams.set(k, String(v));
      return u;
    };
    const h = await run(url({}), { parallelism: 1, stateDir, onWarning: () => {} });
    let a: CompletedCheckpoint;
    try {
      a = await h.savepoint('a');
      while ((await h.checkpoint()).id < a.id + 2);
    } finally {
      await h.cancel();
    }
    const said: string[] = [];
    const b = await run(url({ failAt: 2000, crash: 'throw' }), { parallelism: 1, stateDir, resume: { savepoint: 'a' }, onWarning: (m) => said.push(m) });
    try {
      for (const deadline = Date.now() + 60_000; b.restarts() === 0;) {
        assert.ok(Date.now() < deadline, `no restart: ${said.join(' / ')}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      // Running again from 'a' (a checkpoint of its own completes), not failed. A request while the new attempt
      // starts is refused ("restarting"): asked again.
      let own: number | undefined;
      for (const deadline = Date.now() + 60_000; own === undefined;) {
        try {
          own = (await b.checkpoint()).id;
        } catch (e) {
          if (!/restarting/.test((e as Error).message) || Date.now() > deadline) throw e;
          await new Promise((r) => setTimeout(r, 20));
        }
      }
      assert.ok(own > a.id + 2);
    } finally {
      await b.cancel();
    }
    assert.ok(said.some((w) => w.includes(`restart 1 in 1000 ms from`)), said.join('\n'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// Regression: retention kept the newest checkpoints by id, abandoned ones included, and deleted
// the checkpoint a rolled-back run started from, leaving a resume nothing to fall back to.
test('retention keeps the newest checkpoints of the current lineage; abandoned ones only until superseded', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-rollback-'));
  try {
    const stateDir = path.join(dir, 'state');
    const ids: number[] = [];
    const take = async (h: JobHandle, n: number): Promise<void> => { for (let i = 0; i < n; i++) ids.push((await h.checkpoint()).id); };
    const options = { parallelism: 2, stateDir, checkpointIntervalMs: 0, retainedCheckpoints: 3, onWarning: () => {} };
    const h = await run(job, options);
    try { await take(h, 5); } finally { await h.cancel(); }
    const [, , base, four, five] = ids as [number, number, number, number, number];
    const r = await run(job, { ...options, resume: { checkpoint: base } });
    try { await take(r, 1); } finally { await r.cancel(); }
    const own = ids.at(-1)!;
    assert.deepEqual((await listed(stateDir)).ids, [own, five, four, base], 'the lineage\'s newest (the run\'s own, and the one it started from: the first run kept three) and the abandoned among the newest three');
    const again = await run(job, { ...options, resume: 'latest' });
    try { await take(again, 2); } finally { await again.cancel(); }
    assert.deepEqual((await listed(stateDir)).ids, ids.slice(-3).reverse(), 'abandoned ones superseded');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
