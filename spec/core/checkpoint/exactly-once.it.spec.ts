// Exactly-once through failures, like Jepsen: every record i of the source is logged at the sink by the update it
// caused; lost, duplicated and unexpected records are counted, and the per-key running counts must read 1, 2, 3,
// ... with no gap and no repeat. Failures are real: exceptions in user code, a worker thread that exits, a
// snapshot that throws, a restore that throws. Each test also compares with a failure-free oracle.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run, SplitRandom, type JobMetrics, type RunOptions } from '../../../core/index.js';
import { brokenCounts, tally } from './ledger.js';
import type { Update } from './jobs/exactly-once.ts';

const JOB = new URL('./jobs/exactly-once.ts', import.meta.url);

function jobUrl(params: Record<string, string | number>): URL {
  const u = new URL(JOB);
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, String(v));
  return u;
}

/** Final count per key of the job's input, computed on one thread (the oracle). */
function oracle(n: number, keys: number): Map<string, number> {
  const r = new SplitRandom();
  const out = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const k = `k${r.reset(7, i).int(keys)}`;
    out.set(k, (out.get(k) ?? 0) + 1);
  }
  return out;
}

function finalCounts(updates: readonly Update[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const u of updates) out.set(u.key, Math.max(out.get(u.key) ?? 0, u.count));
  return out;
}

function tmp(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'sluice-eo-'));
}

/**
 * Runs the job with failures injected (each once), and checks the Jepsen tally. `expectRestarts`: exact, or
 * [min, max] when failures on different threads can land in the same attempt (one restart for both).
 */
async function runAndCheck(
  name: string, params: Record<string, string | number>, expectRestarts: number | [number, number], parallelism = 2,
  options: Partial<RunOptions> = {}, expectWarning?: RegExp,
): Promise<void> {
  const dir = tmp();
  try {
    const n = Number(params.n);
    const keys = Number(params.keys);
    const warnings: string[] = [];
    const handle = await run(jobUrl({ ...params, marker: path.join(dir, 'marker') }), {
      parallelism, stateDir: path.join(dir, 'state'),
      restartStrategy: { type: 'fixed-delay', attempts: 10, delayMs: 0 },
      onWarning: (m) => warnings.push(m),
      ...options,
    });
    const result = await handle.result;
    const updates = result.collected.out as Update[];
    const [min, max] = typeof expectRestarts === 'number' ? [expectRestarts, expectRestarts] : expectRestarts;
    assert.ok(result.restarts >= min && result.restarts <= max, `${name}: ${result.restarts} restarts, expected ${min}..${max} (warnings: ${warnings.join(' | ')})`);
    if (expectWarning !== undefined) assert.ok(warnings.some((w) => expectWarning.test(w)), `${name}: a warning matching ${expectWarning} (warnings: ${warnings.join(' | ')})`);
    for (const at of String(params.failAt ?? '').split(',').filter((x) => x !== '' && params.crash !== 'snapshot' && params.crash !== 'restore')) {
      assert.ok(existsSync(path.join(dir, `marker.${at}`)), `${name}: the failure at record ${at} happened`);
    }
    assert.deepEqual(tally(updates.map((u) => u.i), n), { lost: 0, duplicated: 0, unexpected: 0 }, `${name}: records at the sink`);
    assert.deepEqual(brokenCounts(updates), [], `${name}: per-key counts are 1, 2, 3, ... exactly once`);
    assert.deepEqual(finalCounts(updates), oracle(n, keys), `${name}: final state equals a failure-free run`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('an exception in user code at three points: restarts from the last checkpoint, nothing lost or counted twice', async () => {
  await runAndCheck('throw', { n: 30_000, keys: 500, rate: 60_000, interval: 20, failAt: '9000,18001,27000', crash: 'throw' }, [2, 3]);
});

test('a worker thread that exits at random points, many times: the job restarts and stays exactly-once', async () => {
  const r = new SplitRandom().reset(Date.now() % 100_000, 1);
  const at = Array.from({ length: 4 }, (_, k) => 3_000 + k * 7_000 + r.int(6_000)).join(',');
  await runAndCheck(`exit at ${at}`, { n: 30_000, keys: 500, rate: 60_000, interval: 20, failAt: at, crash: 'exit' }, [1, 4]);
});

test('the same with the reduce state in typed columns (stateSchema): worker threads exit at random points, the job stays exactly-once', async () => {
  const r = new SplitRandom().reset(Date.now() % 100_000, 2);
  const at = Array.from({ length: 3 }, (_, k) => 3_000 + k * 9_000 + r.int(6_000)).join(',');
  await runAndCheck(`typed, exit at ${at}`, { n: 30_000, keys: 500, rate: 60_000, interval: 20, failAt: at, crash: 'exit', typed: 1 }, [1, 3]);
});

test('a task hung in user code: its checkpoints time out, the job fails past the tolerable failures (0) and restarts from its last checkpoint, exactly-once', { timeout: 60_000 }, async () => {
  // The hung thread never looks at the stop flag: the restart needs it terminated (after stopGraceMs).
  // A loaded machine may time out a healthy checkpoint too (one more restart, still exactly-once).
  await runAndCheck('hang', { n: 30_000, keys: 300, rate: 60_000, interval: 20, failAt: '24000', crash: 'hang' }, [1, 3], 2,
    { checkpointTimeoutMs: 1000, tolerableCheckpointFailures: 0, stopGraceMs: 200 },
    // The missing barriers may be a downstream subtask's alone (the hung one took the barrier, then hung before it
    // went on, as seen in CI): the thread that does not come back is named with what runs there. On a loaded
    // machine no checkpoint may have completed before the hang (seen while a stress run shared the cores): the
    // restart is then from the beginning.
    /job failed \(1 checkpoint in a row failed \(tolerable: 0\); the last: checkpoint \d+ not completed within 1000 ms; no barrier yet from [^;]*; thread \d has been in one call for \d+ ms \(user code that does not return\?\), running [^;]*inject[^;]*\); restart \d .* from (checkpoint \d+|the beginning)/);
});

test('a snapshot that throws (a sink whose prepareCommit fails) fails the checkpoint and the job, which restarts exactly-once', async () => {
  await runAndCheck('snapshot', { n: 30_000, keys: 300, rate: 60_000, interval: 20, failAt: '15000', crash: 'snapshot' }, 1);
});

test('a restore that throws (open() after a restore) is one more failure; the next restore succeeds', async () => {
  await runAndCheck('restore', { n: 30_000, keys: 300, rate: 60_000, interval: 20, failAt: '15000', crash: 'restore' }, 2);
});

test('without a failure the checkpointed job gives the same output as the oracle, at parallelism 1 and 3', async () => {
  await runAndCheck('p1', { n: 30_000, keys: 200, rate: 0, interval: 10, crash: 'none' }, 0, 1);
  // No failed checkpoint tolerated: a run without failures has none (every checkpoint completes in time).
  await runAndCheck('p3', { n: 30_000, keys: 200, rate: 0, interval: 10, crash: 'none' }, 0, 3, { tolerableCheckpointFailures: 0 });
});

// Regression: counters started from zero at each restart (negative rates on the live line, a summary of
// the last attempt only); between attempts the control socket listed the ended attempt's checkpoints twice, and a
// savepoint request was told "the job is not running".
test('across a restart: counters never go down, checkpoints are listed once, and requests are told the job is restarting', async () => {
  const dir = tmp();
  try {
    const n = 20_000;
    let during: Promise<{ metrics: JobMetrics; ids: number[]; savepoint: unknown }> | undefined;
    let before: JobMetrics | undefined;
    const h = await run(jobUrl({ n, keys: 100, rate: 20_000, interval: 20, failAt: '12000', crash: 'throw', marker: path.join(dir, 'marker') }), {
      parallelism: 1, stateDir: path.join(dir, 'state'),
      restartStrategy: { type: 'fixed-delay', attempts: 2, delayMs: 1500 },
      onWarning: (m) => {
        // Called as the restart delay begins: the next attempt starts 1.5 s later.
        if (!m.startsWith('job failed')) return;
        during = (async () => ({
          metrics: h.metrics(), ids: h.checkpoints().completed.map((c) => c.id), savepoint: await h.savepoint('mid-restart').catch((e: Error) => e.message),
        }))();
      },
    });
    const sourceOut = (m: JobMetrics): number => m.operators.filter((o) => o.operator === 'gen').reduce((s, o) => s + o.recordsOut, 0);
    before = h.metrics();
    const r = await h.result;
    assert.equal(r.restarts, 1);
    const d = await during!;
    assert.ok(sourceOut(d.metrics) > 12_000, `between attempts, the source's count stays (${sourceOut(d.metrics)})`);
    assert.ok(sourceOut(d.metrics) >= sourceOut(before));
    assert.equal(new Set(d.ids).size, d.ids.length, `each checkpoint once: ${d.ids.join(',')}`);
    assert.match(String(d.savepoint), /^the job is restarting \(restart 1\): try again once it runs$/);
    // The whole run's counts: every record from the source at least once (those replayed after the restart twice).
    assert.ok(sourceOut(r.metrics) >= n + 1, `the summary counts both attempts (${sourceOut(r.metrics)})`);
    assert.equal(new Set(r.checkpoints.completed.map((c) => c.id)).size, r.checkpoints.completed.length);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
