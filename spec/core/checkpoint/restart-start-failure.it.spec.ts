// A restart whose start fails (its restore publishes the restored checkpoint's transactions to a sink whose
// service is still down: a Redis that has not come back yet) is a failed attempt the restart strategy decides on.
// It used to fail the run at once: a service down for two restart delays ended the job after one restart,
// whatever the strategy allowed.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run } from '../../../core/index.js';
import { readLedger, tally } from './ledger.js';

test('a sink down through two restarts\' restores: the restart strategy restarts again, and the job ends exactly once', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-restart-start-'));
  try {
    const n = 2000;
    const ledger = path.join(dir, 'ledger');
    const u = new URL('./jobs/down-for-restarts.ts', import.meta.url);
    u.searchParams.set('ledger', ledger);
    u.searchParams.set('count', String(n));
    // The running attempt's commit fails, then restart 1's and restart 2's restores: restart 3 publishes.
    u.searchParams.set('fails', '3');
    const warnings: string[] = [];
    const h = await run(u, { stateDir: path.join(dir, 'state'), restartStrategy: { type: 'fixed-delay', attempts: 3, delayMs: 0 }, onWarning: (m) => warnings.push(m) });
    const { restarts } = await h.result;
    assert.equal(restarts, 3, warnings.join(' | '));
    const failed = warnings.filter((w) => /^job failed \(sink 'out' \(test-down-at-first\): publishing checkpoint \d+'s transactions failed: service down \(commit \d of 3 that fail\)\); restart \d in 0 ms from checkpoint \d+$/.test(w));
    assert.equal(failed.length, 3, warnings.join(' | '));
    assert.deepEqual(tally(readLedger<number>(ledger), n), { lost: 0, duplicated: 0, unexpected: 0 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
