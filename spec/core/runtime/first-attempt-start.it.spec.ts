// A first attempt that cannot start because a service is down (a source that cannot list its splits: a Redis down
// at launch) is a failed attempt the restart strategy decides on, as a restart's is. It used to fail the run at
// once: the strategy applied only once the job had run. Errors of the job's definition still fail it at once.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConnectorOptionError, SourceSplitsError, run, type RunOptions } from '../../../core/index.js';
import { endsWithTest } from '../../support/ends-with-test.js';

function job(calls: string, params: Record<string, string>): URL {
  const u = new URL('./jobs/down-at-launch.ts', import.meta.url);
  u.searchParams.set('calls', calls);
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  return u;
}

const listings = (calls: string): number => readFileSync(calls, 'utf8').split('\n').length - 1;

async function inDir(f: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-first-start-'));
  try {
    await f(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const down = /^job failed \(source 'numbers' \(test-down-at-launch\): enumerateSplits failed: connect ECONNREFUSED \(listing (\d) of \d that fail\)\); restart (\d) in 0 ms from the beginning$/;

test('a source whose service is down for the first two listings: the restart strategy restarts, and the job reads everything once', { timeout: 60_000 }, async () => {
  await inDir(async (dir) => {
    const calls = path.join(dir, 'calls');
    const warnings: string[] = [];
    const options: RunOptions = { parallelism: 2, stateDir: path.join(dir, 'state'), restartStrategy: { type: 'fixed-delay', attempts: 3, delayMs: 0 }, onWarning: (m) => warnings.push(m) };
    const h = await run<{ out: number[] }>(job(calls, { fails: '2', count: '500' }), options);
    const r = await h.result;
    assert.equal(r.restarts, 2, warnings.join(' | '));
    assert.deepEqual(warnings.filter((w) => down.test(w)).map((w) => w.match(down)!.slice(1)), [['1', '1'], ['2', '2']], warnings.join(' | '));
    assert.equal(listings(calls), 3);
    assert.deepEqual([...r.collected.out].sort((a, b) => a - b), Array.from({ length: 500 }, (_, i) => i));
  });
});

test('run() returns while the first attempt waits for its restart: the handle says it is restarting, and a cancel ends the wait', { timeout: 60_000 }, async (t) => {
  await inDir(async (dir) => {
    const calls = path.join(dir, 'calls');
    const h = endsWithTest(t, await run(job(calls, { fails: '1' }), { parallelism: 2, stateDir: path.join(dir, 'state'), restartStrategy: { type: 'fixed-delay', attempts: 1, delayMs: 600_000 }, onWarning: () => {} }));
    const restarting = h.restarting();
    assert.equal(restarting?.restart, 1);
    assert.equal(restarting?.from, undefined);
    assert.equal(h.lastFailure()?.name, 'SourceSplitsError');
    const r = await h.cancel();
    assert.equal(r.cancelled, true);
    assert.equal(r.restarts, 0);
    assert.equal(listings(calls), 1);
  });
});

test('a source still down when the restarts are used up fails the job with its SourceSplitsError', { timeout: 60_000 }, async () => {
  await inDir(async (dir) => {
    const calls = path.join(dir, 'calls');
    const warnings: string[] = [];
    const h = await run(job(calls, { fails: '9' }), { parallelism: 2, stateDir: path.join(dir, 'state'), restartStrategy: { type: 'fixed-delay', attempts: 2, delayMs: 0 }, onWarning: (m) => warnings.push(m) });
    await assert.rejects(h.result, (e: unknown) => {
      assert.ok(e instanceof SourceSplitsError, String(e));
      assert.equal(e.hook, 'enumerateSplits');
      assert.equal((e.cause as { code?: string }).code, 'ECONNREFUSED');
      return true;
    });
    assert.equal(listings(calls), 3);
    assert.ok(warnings.some((w) => /; no restart left after 2 restarts \(restart strategy fixed-delay\)$/.test(w)), warnings.join(' | '));
  });
});

test('a source whose listing finds its configuration wrong fails run() at once, with no restart', { timeout: 60_000 }, async () => {
  await inDir(async (dir) => {
    const calls = path.join(dir, 'calls');
    const warnings: string[] = [];
    await assert.rejects(run(job(calls, { definition: '1' }), { parallelism: 2, stateDir: path.join(dir, 'state'), restartStrategy: { type: 'fixed-delay', attempts: 3, delayMs: 0 }, onWarning: (m) => warnings.push(m) }), (e: unknown) => {
      assert.ok(e instanceof SourceSplitsError, String(e));
      assert.ok(e.cause instanceof ConnectorOptionError, String(e.cause));
      return true;
    });
    assert.equal(listings(calls), 1);
    assert.deepEqual(warnings.filter((w) => /restart/.test(w)), []);
  });
});

test('a resume whose source cannot list its restored splits at first (a directory not readable yet): the restart strategy restarts from the checkpoint', { timeout: 60_000 }, async (t) => {
  await inDir(async (dir) => {
    const calls = path.join(dir, 'calls');
    const restores = path.join(dir, 'restores');
    const stateDir = path.join(dir, 'state');
    const u = job(calls, { count: '50', hold: '1', restores, restoreFails: '2' });
    const first = endsWithTest(t, await run<{ out: number[] }>(u, { parallelism: 2, stateDir, checkpointIntervalMs: 50, onWarning: () => {} }));
    // Committed by a checkpoint that has read every record: the resume restores it.
    let read = 0;
    for await (const _ of first.output('out')) if (++read === 50) break;
    await first.cancel();
    const warnings: string[] = [];
    let running!: () => void;
    const checkpointed = new Promise<void>((r) => { running = r; });
    // The restore in run() and the first attempt's fail; restart 1's succeeds.
    const h = endsWithTest(t, await run(u, { parallelism: 2, stateDir, checkpointIntervalMs: 50, resume: true, restartStrategy: { type: 'fixed-delay', attempts: 3, delayMs: 0 }, onWarning: (m) => warnings.push(m), onCheckpoint: () => running() }));
    await checkpointed;
    const r = await h.cancel();
    assert.equal(r.restarts, 1, warnings.join(' | '));
    assert.equal(listings(restores), 3);
    assert.equal(listings(calls), 1, 'the resume lists no fresh splits');
    const down = new RegExp(`^job failed \\(source 'numbers' \\(test-down-at-launch\\): restoreSplits failed: scandir EACCES \\(listing 2 of 2 that fail\\)\\); restart 1 in 0 ms from checkpoint ${h.restoredFrom}$`);
    assert.ok(warnings.some((w) => down.test(w)), warnings.join(' | '));
  });
});
