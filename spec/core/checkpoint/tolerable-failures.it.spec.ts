// Tolerable checkpoint failures in whole jobs, beside the hung-task test in exactly-once.it.spec.ts. Regression:
// checkpoints were triggered, and timed, from the moment the threads were launched, so a task still
// restoring or in a long open() made them time out; with few failures tolerated, a healthy job with a slow start
// restarted over and over (each restart starting as slowly) until its restarts ran out.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run } from '../../../core/index.js';
import { endsWithTest } from '../../support/ends-with-test.js';

// Start-up lasts until the test ends it: past the run's own warning that it took longer than the checkpoint timeout,
// and one timeout more, so a checkpoint begun at launch would have timed out in it. After start-up each checkpoint
// must complete within the timeout (none tolerated): 2 s, not the 500 ms a loaded machine's first checkpoint
// behind the start's backlog has missed (1 run in 5 beside two busy loops).
test('start-up is no failed checkpoint: an open() over twice the checkpoint timeout, none tolerated, the job runs through', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-slow-open-'));
  try {
    const timeoutMs = 2000;
    const release = path.join(dir, 'release');
    const warnings: string[] = [];
    let timer: NodeJS.Timeout | undefined;
    const u = new URL('./jobs/slow-open.ts?n=4000', import.meta.url);
    u.searchParams.set('release', release);
    const h = await run<{ out: number[] }>(u, {
      parallelism: 2, stateDir: path.join(dir, 'state'), checkpointIntervalMs: 50, checkpointTimeoutMs: timeoutMs, tolerableCheckpointFailures: 0,
      // Were the warning never to come, open() would wait for good on its threads: cancelled, the run fails below.
      signal: AbortSignal.timeout(45_000),
      restartStrategy: { type: 'none' }, onWarning: (w) => {
        warnings.push(String(w));
        if (/start-up has taken longer than the checkpoint timeout/.test(String(w))) timer = setTimeout(() => writeFileSync(release, ''), timeoutMs);
      },
    });
    const r = await h.result.finally(() => clearTimeout(timer));
    assert.equal(r.cancelled, false, `cancelled after 45 s: ${warnings.join(' | ')}`);
    assert.ok(warnings.some((w) => /start-up has taken longer/.test(w)), `start-up outlasted the timeout: ${warnings.join(' | ')}`);
    assert.equal(r.restarts, 0, warnings.join(' | '));
    assert.equal(r.checkpoints.abortedTotal, 0, 'no checkpoint timed out');
    assert.ok(r.checkpoints.completedTotal > 0, 'checkpoints were taken once the tasks ran');
    assert.equal(r.collected.out.length, 4000);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// The other side of naming a thread stuck in one call: threads that run (a slow sink) or wait (its producers,
// parked on full rings) are not named when a checkpoint times out behind the backlog. A timeout of 1 s, so a thread
// is named after 500 ms without a turn (STUCK_MS): at 200 ms it was 100 ms, which a loaded machine's scheduler
// kept the running sink's thread from turning in 2 timeouts of 6.
test('a checkpoint timing out behind a slow sink names the subtasks waiting, and no thread as stuck', { timeout: 60_000 }, async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-slow-sink-'));
  try {
    const u = new URL('./jobs/slow-sink.ts', import.meta.url);
    for (const [k, v] of Object.entries({ n: 30_000, interval: 50, mode: 'aligned', ledger: path.join(dir, 'ledger'), everyN: 2 })) u.searchParams.set(k, String(v));
    const h = endsWithTest(t, await run(u, { parallelism: 2, stateDir: path.join(dir, 'state'), checkpointTimeoutMs: 1000, ringBytes: 4096, onWarning: () => {} }));
    const timedOut = (): string[] => h.checkpoints().aborted.map((a) => a.reason).filter((r) => /not completed within/.test(r));
    for (const deadline = Date.now() + 50_000; timedOut().length < 2 && Date.now() < deadline;) await new Promise((r) => setTimeout(r, 20));
    const reasons = timedOut();
    await h.cancel();
    assert.ok(reasons.length >= 2, `checkpoints timed out: ${reasons.join(' | ')}`);
    for (const r of reasons) {
      assert.match(r, /no barrier yet from /);
      assert.doesNotMatch(r, /in one call/, r);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Until `f()` holds, looking every 20 ms (shared-memory metrics and checkpoint stats; no timing is asserted). */
async function until(f: () => boolean, what: string, ms = 30_000): Promise<void> {
  for (const deadline = Date.now() + ms; !f();) {
    assert.ok(Date.now() < deadline, `waited ${ms} ms for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

// Regression: a thread whose tasks had all ended stopped counting its loop's turns and was named "in
// one call" in every later timeout.
test('a thread whose tasks all ended is not named stuck when a later checkpoint times out', { timeout: 60_000 }, async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-ended-thread-'));
  try {
    const h = endsWithTest(t, await run(new URL('./jobs/stuck-naming.ts?ms=1', import.meta.url), {
      parallelism: 1, threads: 3, stateDir: path.join(dir, 'state'), checkpointIntervalMs: 100, checkpointTimeoutMs: 1500, onWarning: () => {},
    }));
    const timedOut = (): string[] => h.checkpoints().aborted.map((a) => a.reason).filter((r) => /not completed within/.test(r));
    await until(() => timedOut().length >= 2, 'two checkpoint timeouts');
    const reasons = timedOut();
    await h.cancel();
    for (const r of reasons) assert.doesNotMatch(r, /in one call/, r);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// Regression: with checkpoints on request only, the loops were sampled when the checkpoint began and when
// it timed out, so a thread that turned after the start and then hung looked as if it had just moved.
test('checkpoints on request only: a thread that hangs after the checkpoint began is named', { timeout: 60_000 }, async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-manual-hang-'));
  try {
    const marker = path.join(dir, 'hang');
    const h = endsWithTest(t, await run(new URL(`./jobs/stuck-naming.ts?ms=0.5&marker=${encodeURIComponent(marker)}`, import.meta.url), {
      parallelism: 1, threads: 2, stateDir: path.join(dir, 'state'), checkpointIntervalMs: 0, checkpointTimeoutMs: 1500, stopGraceMs: 200, ringBytes: 16 * 1024, onWarning: () => {},
    }));
    const mapIn = (): number => h.metrics().operators.filter((o) => o.operator === 'slow-map').reduce((t, o) => t + o.recordsIn, 0);
    await until(() => mapIn() > 1000, 'slow-map at work');
    const checkpoint = h.checkpoint();
    // The barrier waits behind the ring's backlog (~1,600 records, 0.5 ms each). Its loop turns a few times after
    // the checkpoint began (200 records: 100 ms, its pump gives the thread back every 10 ms), then it hangs on its
    // next record: a sample at the start and at the timeout alone would see a thread that had moved.
    const at = mapIn();
    await until(() => mapIn() > at + 200, 'slow-map moving on after the trigger');
    writeFileSync(marker, 'hang');
    const reason = await checkpoint.then(() => 'completed', (e: Error) => e.message);
    await h.cancel();
    assert.match(reason, /not completed within 1500 ms; no barrier yet from .*; thread \d has been in one call for \d+ ms \(user code that does not return\?\), running [^;]*slow-map/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// Checkpoints wait for every task to run, so a task hung in open() fails no checkpoint; the run says so.
test('start-up longer than the checkpoint timeout is warned of, naming the thread still starting', { timeout: 60_000 }, async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-hung-open-'));
  try {
    let warned!: (w: string) => void;
    const warning = new Promise<string>((resolve) => { warned = resolve; });
    const h = endsWithTest(t, await run(new URL('./jobs/slow-open.ts?openMs=120000&n=100', import.meta.url), {
      parallelism: 1, stateDir: path.join(dir, 'state'), checkpointIntervalMs: 50, checkpointTimeoutMs: 300, tolerableCheckpointFailures: 0, stopGraceMs: 200,
      onWarning: (w) => { if (/start-up/.test(String(w))) warned(String(w)); },
    }));
    const w = await warning;
    const r = await h.cancel();
    assert.match(w, /^no checkpoint is taken until every task runs, and start-up has taken longer than the checkpoint timeout \(300 ms\): (thread \d \(gen \(subtask 0\)\), )?thread \d \(slow-open -> out \(subtask 0\)\) ha(s|ve) not finished building, restoring and opening (its|their) tasks/);
    assert.equal(r.checkpoints.abortedTotal, 0, 'no checkpoint failed meanwhile');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
