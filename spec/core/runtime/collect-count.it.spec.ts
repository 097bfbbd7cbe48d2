// run(job, { collect: 'count' }), what sluice run does: collect sinks count their records on their own threads and
// hand back only the counts (result.collectedCounts), so no record crosses to the main thread or is kept there
// (sluice run kept every record of an unbounded job to print a count at its end). The default still hands back
// the records. Counts are as exact as the records would be: every record the sink took without checkpoints
// (a cancel's too), each committed record once with them, through a restart.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, OperatorError, OutputRefusedError, type RunOptions } from '../../../core/index.js';
import { sinkTaken } from '../../../core/runtime/collect-watch.js';
import { endsWithTest } from '../../support/ends-with-test.js';
import { polledUntil } from '../../support/polled-until.js';

/** A generator into collect sinks 'out' (every record) and 'other' (every 100th): spec/core/runtime/jobs/output.ts. */
const job = (q: Record<string, string | number>): URL => {
  const u = new URL('./jobs/output.ts', import.meta.url);
  for (const [k, v] of Object.entries(q)) u.searchParams.set(k, String(v));
  return u;
};
/** A collection whose third record holds a function (structured clone refuses it) into collect sink 'out'. */
const unclonable = new URL('../connectors/jobs/unclonable-record.ts', import.meta.url);

async function withStateDir<T>(f: (stateDir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-collect-count-'));
  try {
    return await f(join(dir, 'state'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const checkpoints of [false, true]) {
  const named = checkpoints ? 'with checkpoints' : 'without checkpoints';
  const options = (stateDir: string): RunOptions => (checkpoints ? { stateDir, checkpointIntervalMs: 30 } : {});

  test(`${named}: collect 'count' hands back each collect sink's count and no record; the default, the records`, { timeout: 60_000 }, async () => {
    await withStateDir(async (stateDir) => {
      const counted = await (await run(job({ n: 20_000, rate: 0 }), { parallelism: 2, collect: 'count', ...options(stateDir) })).result;
      assert.deepEqual(counted.collectedCounts, { out: 20_000, other: 200 });
      assert.deepEqual(counted.collected, { out: [], other: [] });
      rmSync(stateDir, { recursive: true, force: true });
      const kept = await (await run<{ out: number[]; other: number[] }>(job({ n: 20_000, rate: 0 }), { parallelism: 2, collect: 'records', ...options(stateDir) })).result;
      assert.equal(kept.collectedCounts, undefined);
      assert.deepEqual([kept.collected.out.length, kept.collected.other.length], [20_000, 200]);
    });
  });

  // The records never reach the main thread: one that structured clone refuses, which fails the job when the sink
  // hands it back, is counted as any other.
  test(`${named}: a record that could not be handed back is counted, since none is`, { timeout: 60_000 }, async () => {
    await withStateDir(async (stateDir) => {
      const counted = await (await run(unclonable, { parallelism: 1, collect: 'count', ...options(stateDir) })).result;
      assert.deepEqual(counted.collectedCounts, { out: 4 });
      rmSync(stateDir, { recursive: true, force: true });
      await assert.rejects((await run(unclonable, { parallelism: 1, restartStrategy: { type: 'none' }, ...options(stateDir) })).result, (e: unknown) => e instanceof OperatorError && e.operator === 'out');
    });
  });
}

test("with checkpoints: collect 'count' counts each record once through a failure and restart", { timeout: 60_000 }, async (t) => {
  await withStateDir(async (stateDir) => {
    const marker = join(stateDir, '..', 'failed');
    const warnings: string[] = [];
    // 10,000 records at 20,000 a second, checkpoints every 30 ms: the failure at record 3,000 comes after some committed.
    const h = endsWithTest(t, await run(job({ n: 10_000, interval: 30, fail: 3000, marker }), {
      parallelism: 2, stateDir, collect: 'count', restartStrategy: { type: 'fixed-delay', attempts: 2, delayMs: 0 }, onWarning: (w) => warnings.push(String(w)),
    }));
    const r = await h.result;
    assert.ok(existsSync(marker), 'the failure happened');
    assert.equal(r.restarts, 1, warnings.join(' | '));
    assert.ok(r.checkpoints.completedTotal > 0, 'checkpoints committed counts before the end');
    assert.deepEqual(r.collectedCounts, { out: 10_000, other: 100 });
  });
});

// Regression: the warning named no sink, though the job has two and a user reads either.
test("a run that keeps records, resumed from a counting run's checkpoint, warns naming each collect sink whose records are not there; the reverse counts them", { timeout: 60_000 }, async () => {
  await withStateDir(async (stateDir) => {
    // No periodic checkpoint: the final one holds every count, and a resume publishes it again.
    const counted = await (await run(job({ n: 2000, rate: 0 }), { parallelism: 1, stateDir, collect: 'count', onWarning: () => {} })).result;
    assert.deepEqual(counted.collectedCounts, { out: 2000, other: 20 });
    const final = counted.checkpoints.completed.at(-1)!.id;
    const warnings: string[] = [];
    const kept = await (await run<{ out: number[]; other: number[] }>(job({ n: 2000, rate: 0 }), { parallelism: 1, stateDir, resume: true, onWarning: (w) => warnings.push(String(w)) })).result;
    assert.deepEqual(kept.collected, { out: [], other: [] }, 'nothing to hand back: the checkpoint holds counts');
    const said = (sink: string): string => `checkpoint ${final} was written by a run that counted its collect sinks' records (collect: 'count', as sluice run does): the records it publishes again to collect sink '${sink}' are not there to publish (counted only, not in result.collected nor read by handle.output)`;
    assert.deepEqual(warnings.filter((w) => w.includes('counted its collect sinks')), [said('out'), said('other')], warnings.join(' | '));
    // The reverse: a counting run resumed from a checkpoint of records counts them, and has nothing to warn about.
    rmSync(stateDir, { recursive: true, force: true });
    await (await run(job({ n: 2000, rate: 0 }), { parallelism: 1, stateDir, onWarning: () => {} })).result;
    const recount: string[] = [];
    const again = await (await run(job({ n: 2000, rate: 0 }), { parallelism: 1, stateDir, resume: true, collect: 'count', onWarning: (w) => recount.push(String(w)) })).result;
    assert.deepEqual(again.collectedCounts, { out: 2000, other: 20 });
    assert.deepEqual(recount.filter((w) => /collect sink/.test(w)), [], recount.join(' | '));
  });
});

test("without checkpoints: a cancelled counting job's count is every record its sink took", { timeout: 60_000 }, async (t) => {
  // Unbounded (no n): it ends only by the cancel.
  const h = endsWithTest(t, await run(job({ rate: 0 }), { parallelism: 2, collect: 'count' }));
  await polledUntil(() => sinkTaken(h.metrics(), 'out') >= 50_000, "the sink 'out' took 50,000 records", h);
  const r = await h.cancel();
  assert.equal(r.cancelled, true);
  const taken = sinkTaken(r.metrics, 'out');
  assert.ok(taken >= 50_000);
  assert.deepEqual(r.collectedCounts, { out: taken, other: sinkTaken(r.metrics, 'other') });
});

test("a counting run refuses handle.output, saying why", { timeout: 60_000 }, async (t) => {
  const h = endsWithTest(t, await run(job({ rate: 0 }), { parallelism: 1, collect: 'count' }));
  assert.throws(() => h.output('out'), (e: unknown) => e instanceof OutputRefusedError && e.reason === 'counting' && e.sink === 'out'
    && /^OutputRefusedError: output\('out'\): this run counts its collect sinks' records \(collect: 'count'\): none is handed back to read/.test(String(e)));
  await h.cancel();
});
