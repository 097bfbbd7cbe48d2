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
