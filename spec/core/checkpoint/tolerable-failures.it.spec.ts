// Tolerable checkpoint failures in whole jobs, beside the hung-task test in exactly-once.it.spec.ts. Regression (a
// review): checkpoints were triggered, and timed, from the moment the threads were launched, so a task still
// restoring or in a long open() made them time out; with few failures tolerated, a healthy job with a slow start
// restarted over and over (each restart starting as slowly) until its restarts ran out.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run } from '../../../core/index.js';

test('start-up is no failed checkpoint: an open() three times the checkpoint timeout, none tolerated, the job runs through', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-slow-open-'));
  try {
    const warnings: string[] = [];
    const h = await run<{ out: number[] }>(new URL('./jobs/slow-open.ts?openMs=1500&n=4000', import.meta.url), {
      parallelism: 2, stateDir: path.join(dir, 'state'), checkpointIntervalMs: 50, checkpointTimeoutMs: 500, tolerableCheckpointFailures: 0,
      restartStrategy: { type: 'none' }, onWarning: (w) => warnings.push(String(w)),
    });
    const r = await h.result;
    assert.equal(r.restarts, 0, warnings.join(' | '));
    assert.equal(r.checkpoints.abortedTotal, 0, 'no checkpoint timed out');
    assert.ok(r.checkpoints.completedTotal > 0, 'checkpoints were taken once the tasks ran');
    assert.equal(r.collected.out.length, 4000);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// The other side of naming a thread stuck in one call: threads that run (a slow sink) or wait (its producers,
// parked on full rings) are not named when a checkpoint times out behind the backlog.
test('a checkpoint timing out behind a slow sink names the subtasks waiting, and no thread as stuck', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-slow-sink-'));
  try {
    const u = new URL('./jobs/slow-sink.ts', import.meta.url);
    for (const [k, v] of Object.entries({ n: 30_000, interval: 50, mode: 'aligned', ledger: path.join(dir, 'ledger'), everyN: 2 })) u.searchParams.set(k, String(v));
    const h = await run(u, { parallelism: 2, stateDir: path.join(dir, 'state'), checkpointTimeoutMs: 200, ringBytes: 4096, onWarning: () => {} });
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
