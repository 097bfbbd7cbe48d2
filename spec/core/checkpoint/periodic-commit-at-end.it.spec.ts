// A bounded job whose input has ended while a periodic checkpoint's sinks' commit does not return: that checkpoint
// holds every subtask's final state, so their reports are in and finish() runs, waiting for the commit in progress
// before its final checkpoint. Its warning said only that no checkpoint starts until it returns, while the job's end
// waited for it too: that is now said. A cancel, or an abort of options.signal, gives the commit up after
// stopGraceMs; a resume publishes that checkpoint again: every record once.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run, type JobHandle } from '../../../core/index.js';
import { fileAppears } from '../../support/file-appears.js';
import { readLedger, tally } from './ledger.js';
import { hangInCommitJob } from './hang-in-commit-job.js';
import { endsWithTest } from '../../support/ends-with-test.js';

const SLOW = /^the sinks' commit of checkpoint (\d+) has not returned after 300 ms \(checkpointTimeoutMs\); no checkpoint starts \(nor a restart\) until it does$/;
const END_WAITS = /^the sinks' commit of checkpoint (\d+) has not returned after 300 ms \(checkpointTimeoutMs\); the job does not end until it does \(a cancel gives it up after stopGraceMs\)$/;
const GIVEN_UP = /^the sinks' commit of checkpoint (\d+) had not returned 100 ms after the job was cancelled \(stopGraceMs\): no longer waited for; its checkpoint is complete, so a resume publishes its transactions again$/;

for (const how of ['cancel', 'abort'] as const) test(`finish() waiting for a periodic checkpoint's sinks' commit that hangs: ${how === 'cancel' ? 'cancel()' : "options.signal's abort"} gives it up after stopGraceMs; the resume publishes every record once`, { timeout: 60_000 }, async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-periodic-commit-end-'));
  try {
    const count = 400;
    const hold = path.join(dir, 'hold');
    const { url, stateDir, ledger, marker } = hangInCommitJob(dir, 'end', count, { hold });
    const warnings: string[] = [];
    let slowSaid!: () => void;
    const slow = new Promise<void>((r) => { slowSaid = r; });
    const ac = new AbortController();
    const h: JobHandle = endsWithTest(t, await run(url, {
      parallelism: 1, stateDir, checkpointTimeoutMs: 300, stopGraceMs: 100, signal: ac.signal,
      onWarning: (w) => { warnings.push(w); if (SLOW.test(w)) slowSaid(); },
    }));
    const ended = h.result.then(() => { throw new Error('the job ended although a commit hung'); });
    // The writers hold the threads until `hold` exists: the commit that hangs (the first holding end-of-input
    // transactions) is a periodic checkpoint's, taken after every final state was reported.
    await fileAppears(marker, ended);
    const hung = h.checkpoints().completed.at(-1)!;
    assert.equal(hung.kind, 'checkpoint');
    await Promise.race([slow, ended]);
    // Queued behind the hung one; refused when finish() stops the checkpoints, its first step: the signal that it runs.
    const queued = h.checkpoint();
    writeFileSync(hold, '');
    await assert.rejects(Promise.race([queued, ended]), /^Error: the job stopped before the checkpoint could start$/);
    assert.deepEqual(warnings.map((w) => END_WAITS.exec(w)?.[1]).filter((id) => id !== undefined), [String(hung.id)], warnings.join(' | '));

    // Without the bound this never settles: the test's own timeout fails it.
    if (how === 'cancel') await h.cancel();
    else ac.abort(new Error('aborted by the test'));
    assert.equal((await h.result).cancelled, true);
    const gaveUp = warnings.map((w) => GIVEN_UP.exec(w)).find((m) => m !== null);
    assert.equal(gaveUp?.[1], String(hung.id), warnings.join(' | '));

    const resumed = endsWithTest(t, await run(url, { parallelism: 1, stateDir, resume: true, onWarning: () => {} }));
    assert.equal(resumed.restoredFrom, hung.id);
    assert.equal((await resumed.result).cancelled, false);
    assert.deepEqual(tally(readLedger<number>(ledger), count), { lost: 0, duplicated: 0, unexpected: 0 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
