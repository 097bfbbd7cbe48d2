// A cancel while a sink's commit of a completed checkpoint does not return: the attempt waited for that commit
// without bound (CheckpointCoordinator.drain), so cancel() never returned. It now gives the commit up after
// stopGraceMs, says so, and a resume publishes the checkpoint's transactions again: every record once.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run } from '../../../core/index.js';
import { fileAppears } from '../../support/file-appears.js';
import { readLedger, tally } from './ledger.js';
import { hangInCommitJob } from './hang-in-commit-job.js';
import { endsWithTest } from '../../support/ends-with-test.js';

test('cancel while a sink commit hangs returns after stopGraceMs; the resume publishes every record once', { timeout: 60_000 }, async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-cancel-commit-'));
  try {
    const count = 20_000;
    const { url, stateDir, ledger, marker } = hangInCommitJob(dir, 3, count);
    const warnings: string[] = [];
    const h = endsWithTest(t, await run(url, { parallelism: 1, stateDir, stopGraceMs: 200, onWarning: (w) => warnings.push(String(w)) }));
    await fileAppears(marker, h.result.then(() => { throw new Error('the job ended before its commit hung'); }));
    // Without the bound this never settles: the test's own timeout fails it.
    await h.cancel();
    const r = await h.result;
    assert.equal(r.cancelled, true);
    assert.ok(warnings.some((w) => /sinks' commit of checkpoint \d+ had not returned 200 ms after the job was cancelled/.test(w)), warnings.join(' | '));

    const resumed = await run(url, { parallelism: 1, stateDir, resume: true, onWarning: () => {} });
    const done = await resumed.result;
    assert.equal(done.cancelled, false);
    assert.deepEqual(tally(readLedger<number>(ledger), count), { lost: 0, duplicated: 0, unexpected: 0 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
