// The Redis Streams source resumed from a savepoint under another configuration, against a private redis-server:
// streams added to `streams` are read from their start, streams removed are no longer read (with a warning), the
// kept streams exactly once across the restore, in plain and in consumer-group mode (there at another
// parallelism), and across a restart from the savepoint before the resumed run's first checkpoint; a switch
// between plain and group reading is refused before any thread starts.

import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { JobDefinitionError, run, type RunOptions } from '../../../../core/index.js';
import { redisForSpecFile } from '../../../support/redis.js';
import { tally } from '../../checkpoint/ledger.js';
import { redisJob, fillStream } from './redis-job.js';
import { endsWithTest } from '../../../support/ends-with-test.js';

const db = redisForSpecFile();

const job = (params: Record<string, string>): URL => redisJob(db.server.url, params);

const fill = (stream: string, from: number, to: number): Promise<void> => fillStream(db.redis, stream, from, to);

const ids = async (stream: string): Promise<number[]> => (await db.redis.xrange(stream, '-', '+')).map(([, f]) => Number(f[f.indexOf('i') + 1]));

/** Runs the job until `done()` holds after a completed checkpoint, then `end`s it (a savepoint 'sp' or a cancel). */
async function runUntil(t: TestContext, url: URL, options: RunOptions, done: () => Promise<boolean>, end: 'savepoint' | 'cancel') {
  let wake: () => void = () => {};
  const warnings: string[] = [];
  const h = endsWithTest(t, await run(url, { restartStrategy: { type: 'none' }, onWarning: (m) => warnings.push(m), onCheckpoint: () => wake(), ...options }));
  let ended = false;
  void h.result.finally(() => { ended = true; wake(); }).catch(() => {});
  for (;;) {
    // Armed before done() runs: a checkpoint or the job's end while it awaits Redis still wakes this wait.
    const woken = new Promise<void>((r) => { wake = r; });
    if (ended || await done()) break;
    await woken;
  }
  assert.equal(ended, false, `the job ended by itself: ${warnings.join(' | ')}`);
  const result = end === 'savepoint' ? (await h.stopWithSavepoint('sp'), await h.result) : await h.cancel();
  return { result, warnings };
}

// Kept stream a: ids 0..11999, the last 2000 added after the savepoint; added stream c: 12000..13999; removed
// stream b: 100000 on.
const N = 14_000;
const B = 100_000;

for (const [mode, p1, p2] of [['plain', 2, 2], ['group', 2, 1]] as const) {
  test(`${mode} reading (parallelism ${p1}, then ${p2}), resumed with stream b removed and c added: c read from its start exactly once, b no longer read (a warning names it), a exactly once across the restore`, async (t) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-redis-restore-'));
    const [a, b, c, out] = [`${mode}-a`, `${mode}-b`, `${mode}-c`, `${mode}-out`];
    const group = mode === 'group' ? 'g' : '';
    try {
      const stateDir = path.join(dir, 'state');
      await fill(a, 0, 10_000);
      await fill(b, B, B + 1000);
      // A savepoint while a is read (count 20 per read: not all of it by then).
      await runUntil(t, job({ case: 'eo', in: `${a},${b}`, out, group, count: '20' }), { parallelism: p1, stateDir }, async () => (await db.redis.xlen(out)) >= 200, 'savepoint');
      const first = await ids(out);
      const bBefore = first.filter((i) => i >= B).sort((x, y) => x - y);
      await fill(a, 10_000, 12_000);
      await fill(b, B + 1000, B + 2000);
      await fill(c, 12_000, N);
      const { warnings } = await runUntil(
        t, job({ case: 'eo', in: `${a},${c}`, out, group, count: '20' }), { parallelism: p2, stateDir, resume: { savepoint: 'sp' } },
        // As many as the fix reads; without it, b's 1000 new entries instead of c's.
        async () => (await db.redis.xlen(out)) >= N + bBefore.length, 'cancel',
      );
      const all = await ids(out);
      assert.deepEqual(tally(all.filter((i) => i < B), N), { lost: 0, duplicated: 0, unexpected: 0 }, 'a and c exactly once');
      assert.deepEqual(all.filter((i) => i >= B).sort((x, y) => x - y), bBefore, 'b not read after the restore');
      const removed = warnings.filter((w) => w.includes(`stream '${b}'`));
      assert.equal(removed.length, 1, warnings.join(' | '));
      assert.match(removed[0]!, new RegExp(`^source 'read', resumed from checkpoint \\d+ \\(savepoint 'sp'\\): stream '${b}' is no longer in \`streams\`: it is not read any more, and its read position is dropped`));
      assert.ok(!warnings.some((w) => w.includes(`'${c}'`)), 'an added stream is no warning');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

// A restart before the resumed run's first checkpoint restores the savepoint again: with the splits the resume
// decided on (c, not b), not those stored.
test('plain reading resumed with b removed and c added fails before its first checkpoint: the restart from the savepoint reads c, not b, and warns once', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-redis-restore-'));
  const [a, b, c, out] = ['r-a', 'r-b', 'r-c', 'r-out'];
  try {
    const stateDir = path.join(dir, 'state');
    await fill(a, 0, 1000);
    await fill(b, B, B + 1000);
    const sp = (await runUntil(t, job({ case: 'eo', in: `${a},${b}`, out }), { parallelism: 2, stateDir }, async () => (await db.redis.xlen(out)) >= 2000, 'savepoint')).result.stoppedWithSavepoint!.id;
    const bBefore = (await ids(out)).filter((i) => i >= B).sort((x, y) => x - y);
    await fill(a, 1000, 2000);
    await fill(b, B + 1000, B + 2000);
    await fill(c, 2000, 3000);
    // No periodic checkpoints: the failure (at c's first entry) comes before any, and the restart is from the savepoint.
    const warnings: string[] = [];
    let failed!: () => void;
    const restart = new Promise<void>((r) => { failed = r; });
    const h = endsWithTest(t, await run(job({ case: 'eo', in: `${a},${c}`, out, failAt: '2000', marker: path.join(dir, 'marker') }), {
      parallelism: 2, stateDir, resume: { savepoint: 'sp' }, checkpointIntervalMs: 0, restartStrategy: { type: 'fixed-delay', attempts: 1, delayMs: 0 },
      onWarning: (m) => { warnings.push(m); if (/restart 1/.test(m)) failed(); },
    }));
    await restart;
    // Then checkpoints on request commit the output (refused until the restart has run).
    for (let k = 0; (await db.redis.xlen(out)) < 3000 + bBefore.length; k++) {
      try {
        await h.savepoint(`s${k}`);
      } catch (e) {
        if (!/restarting/.test(String(e))) throw e;
        await new Promise((r) => setImmediate(r));
      }
    }
    const result = await h.cancel();
    assert.equal(result.restarts, 1, warnings.join(' | '));
    assert.ok(warnings.some((w) => new RegExp(`^job failed \\(.*injected failure at record 2000\\. To drop or dead-letter such records instead: .*\\); restart 1 in 0 ms from checkpoint ${sp}$`).test(w)), warnings.join(' | '));
    const all = await ids(out);
    assert.deepEqual(tally(all.filter((i) => i < B), 3000), { lost: 0, duplicated: 0, unexpected: 0 }, 'a and c exactly once');
    assert.deepEqual(all.filter((i) => i >= B).sort((x, y) => x - y), bBefore, 'b not read after the restore, nor after the restart');
    assert.equal(warnings.filter((w) => w.includes(`stream '${b}'`)).length, 1, warnings.join(' | '));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

for (const [from, to] of [['plain', 'group'], ['group', 'plain']] as const) {
  test(`a savepoint of ${from} reading resumed in ${to} mode: refused before any thread starts, naming the source and the ways out; allowed, it starts over`, async (t) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-redis-mode-'));
    const [s, out] = [`mode-${from}-in`, `mode-${from}-out`];
    try {
      const stateDir = path.join(dir, 'state');
      await fill(s, 0, 100);
      await runUntil(t, job({ case: 'eo', in: s, out, group: from === 'group' ? 'g' : '' }), { parallelism: 1, stateDir }, async () => (await db.redis.xlen(out)) >= 100, 'savepoint');
      const groups = async (): Promise<number> => (await db.redis.xinfo('GROUPS', s) as unknown[]).length;
      const groupsBefore = await groups();
      const url = job({ case: 'eo', in: s, out, group: to === 'group' ? 'g2' : '' });
      const warnings: string[] = [];
      await assert.rejects(run(url, { parallelism: 1, stateDir, resume: { savepoint: 'sp' }, onWarning: (w) => warnings.push(w) }), (e: Error) => {
        assert.ok(e instanceof JobDefinitionError, String(e));
        assert.match(e.message, /^checkpoint \d+ \(savepoint 'sp'\) holds read positions of source 'read' that it cannot resume from: /);
        assert.match(e.message, to === 'group' ? /plain reading \(no consumer group\), and the source now reads through group 'g2'/ : /consumer-group positions \(consumers 'sluice-0'\), and the source now reads without a group/);
        assert.match(e.message, /Give the source another uid, or allow dropping those positions \(allowNonRestoredState \/ --allow-non-restored-state/);
        return true;
      });
      assert.equal(await groups(), groupsBefore, 'no reader started (none created a group)');
      assert.equal(await db.redis.xlen(out), 100, 'nothing written');
      // Allowed: the positions are dropped, said, and the source reads from its start (in group mode: a new group).
      const { warnings: allowed } = await runUntil(t, url, { parallelism: 1, stateDir, resume: { savepoint: 'sp' }, allowNonRestoredState: true }, async () => (await db.redis.xlen(out)) >= 200, 'cancel');
      assert.ok(allowed.some((w) => /^source 'read': .*; its read positions in checkpoint \d+ \(savepoint 'sp'\) are dropped \(allowNonRestoredState\) and it reads from its configured start$/.test(w)), allowed.join(' | '));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

// Regression (a review): positions did not say their group, so a savepoint of group 'g' resumed through group 'g2'
// started, and failed on every attempt (NOGROUP); had 'g2' existed, its pending entries would have been acknowledged.
test('a savepoint of consumer-group reading resumed through another group: refused before any thread starts, naming both groups', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-redis-group-'));
  const [s, out] = ['rename-in', 'rename-out'];
  try {
    const stateDir = path.join(dir, 'state');
    await fill(s, 0, 100);
    await runUntil(t, job({ case: 'eo', in: s, out, group: 'g' }), { parallelism: 1, stateDir }, async () => (await db.redis.xlen(out)) >= 100, 'savepoint');
    await assert.rejects(run(job({ case: 'eo', in: s, out, group: 'g2' }), { parallelism: 1, stateDir, resume: { savepoint: 'sp' }, onWarning: () => {} }), (e: Error) => {
      assert.ok(e instanceof JobDefinitionError, String(e));
      assert.match(e.message, /holds read positions of source 'read' that it cannot resume from: they are positions of consumer group 'g', and the source now reads through group 'g2'/);
      return true;
    });
    assert.equal(await db.redis.xlen(out), 100, 'nothing written');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
