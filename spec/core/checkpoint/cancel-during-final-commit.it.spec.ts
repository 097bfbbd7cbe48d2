// A bounded job at its end while the sinks' commit of its final checkpoint does not return: the attempt awaited
// finish() without bound, so cancel() never returned, and nothing was said (only a periodic checkpoint's commit
// was warned about). It is now warned about after checkpointTimeoutMs, and a cancel gives it up after stopGraceMs
// (drain, as a periodic one's); a resume publishes the final checkpoint again: every record once.

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

// stopGraceMs above checkpointTimeoutMs too. Regression: a cancel gave the commit up after checkpointTimeoutMs (the
// bound of a failed attempt, whose restart must not run beside it), saying the job had failed.
for (const grace of [100, 1500]) test(`the final checkpoint's sinks' commit that hangs is warned about, and a cancel returns after stopGraceMs (${grace} ms); the resume publishes every record once`, { timeout: 60_000 }, async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-final-commit-'));
  try {
    const count = 400;
    const { url, stateDir, ledger, marker } = hangInCommitJob(dir, 'end', count);
    const warnings: string[] = [];
    let slowSaid!: (w: string) => void;
    const slow = new Promise<string>((r) => { slowSaid = r; });
    // No periodic checkpoint: one taken between the subtask's final report and finish() would hold the end-of-input
    // transactions first, and its commit would hang instead (a run under load did; periodic-commit-at-end.it).
    const h = endsWithTest(t, await run(url, {
      parallelism: 1, stateDir, checkpointIntervalMs: 3_600_000, checkpointTimeoutMs: 300, stopGraceMs: grace,
      onWarning: (w) => { warnings.push(w); if (/has not returned/.test(w)) slowSaid(w); },
    }));
    const ended = h.result.then(() => { throw new Error('the job ended although its final commit hung'); });
    await fileAppears(marker, ended);
    assert.match(await Promise.race([slow, ended]), /^the sinks' commit of the final checkpoint \d+ has not returned after 300 ms \(checkpointTimeoutMs\); the job does not end until it does \(a cancel gives it up after stopGraceMs\)$/);
    // Without the bound this never settles: the test's own timeout fails it.
    await h.cancel();
    assert.equal((await h.result).cancelled, true);
    assert.ok(warnings.some((w) => new RegExp(`^the sinks' commit of the final checkpoint \\d+ had not returned ${grace} ms after the job was cancelled \\(stopGraceMs\\): no longer waited for; its checkpoint is complete, so a resume publishes its transactions again$`).test(w)), warnings.join(' | '));
    assert.ok(!warnings.some((w) => /after the job failed/.test(w)), warnings.join(' | '));

    const resumed = await run(url, { parallelism: 1, stateDir, resume: true, onWarning: () => {} });
    assert.equal((await resumed.result).cancelled, false);
    assert.deepEqual(tally(readLedger<number>(ledger), count), { lost: 0, duplicated: 0, unexpected: 0 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
