// A restore publishes its checkpoint's transactions again before the attempt starts (startAttempt): a sinks' commit
// that did not return there held the run without bound and without a word, and no cancel reached it (there was no
// attempt to stop; on a resume, run() had not returned a handle, and options.signal did nothing). It is now warned
// about after checkpointTimeoutMs, and an abort or a cancel gives it up after stopGraceMs: the run ends cancelled.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run, type RunOptions } from '../../../core/index.js';
import { fileAppears } from '../../support/file-appears.js';
import { readLedger, tally } from './ledger.js';
import { hangInCommitJob } from './hang-in-commit-job.js';
import { endsWithTest } from '../../support/ends-with-test.js';

const SLOW = /^the sinks' commit of checkpoint \d+ \(published again as the job restores it\) has not returned after 300 ms \(checkpointTimeoutMs\); the job does not start until it does$/;
const GIVEN_UP = /^the sinks' commit of checkpoint \d+ \(published again as the job restores it\) had not returned 100 ms after the job was cancelled \(stopGraceMs\): no longer waited for; its checkpoint is complete, so a resume publishes its transactions again$/;

/** The run options, with every warning kept in `warnings` and the slow-commit one also resolving `slow`. */
function watched(o: RunOptions): { options: RunOptions; warnings: string[]; slow: Promise<string> } {
  const warnings: string[] = [];
  let said!: (w: string) => void;
  const slow = new Promise<string>((r) => { said = r; });
  const onWarning = (w: string): void => { warnings.push(w); if (/has not returned/.test(w)) said(w); o.onWarning?.(w); };
  return { options: { ...o, checkpointTimeoutMs: 300, stopGraceMs: 100, onWarning }, warnings, slow };
}

test("a resume's publish of its checkpoint that hangs is warned about, and options.signal's abort settles run() after stopGraceMs", { timeout: 60_000 }, async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-restore-publish-'));
  try {
    const count = 1_000_000;
    const armed = path.join(dir, 'armed');
    const { url, stateDir, ledger, marker } = hangInCommitJob(dir, 1, count, { armed });
    let checkpointed!: () => void;
    const first = endsWithTest(t, await run(url, { parallelism: 1, stateDir, onWarning: () => {}, onCheckpoint: () => checkpointed() }));
    await new Promise<void>((r) => { checkpointed = r; });
    await first.cancel();
    writeFileSync(armed, '');

    const ac = endsWithTest(t, new AbortController());
    const { options, warnings, slow } = watched({ parallelism: 1, stateDir, resume: true, signal: ac.signal });
    const resumed = run(url, options);
    const settled = resumed.then(() => { throw new Error('run() returned although the restore hung'); });
    await fileAppears(marker, settled);
    assert.match(await Promise.race([slow, settled]), SLOW);
    const reason = new Error('aborted by the test');
    ac.abort(reason);
    // Without the bound this never settles: the test's own timeout fails it.
    await assert.rejects(resumed, (e) => e === reason);
    assert.ok(warnings.some((w) => GIVEN_UP.test(w)), warnings.join(' | '));

    // The hung publish had published the restored checkpoint again before it hung: the records up to it, each once.
    const records = readLedger<number>(ledger);
    assert.deepEqual(tally(records, Math.max(...records) + 1), { lost: 0, duplicated: 0, unexpected: 0 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("an in-process restart's publish of its checkpoint that hangs is warned about, and cancel() returns after stopGraceMs", { timeout: 60_000 }, async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-restart-publish-'));
  try {
    const armed = path.join(dir, 'armed');
    const fail = path.join(dir, 'fail');
    const { url, stateDir, marker } = hangInCommitJob(dir, 1, 1_000_000, { armed, fail });
    let checkpointed!: () => void;
    const checkpoint = new Promise<void>((r) => { checkpointed = r; });
    const { options, warnings, slow } = watched({
      parallelism: 1, stateDir, restartStrategy: { type: 'fixed-delay', attempts: 1, delayMs: 0 }, onCheckpoint: () => checkpointed(),
      // The failed attempt has ended when its restart is announced: only the restart's restore sees the file.
      onWarning: (w) => { if (/restart 1 in 0 ms from checkpoint/.test(w)) writeFileSync(armed, ''); },
    });
    const h = endsWithTest(t, await run(url, options));
    const ended = h.result.then(() => { throw new Error('the job ended although its restore hung'); });
    await Promise.race([checkpoint, ended]);
    writeFileSync(fail, '');
    await fileAppears(marker, ended);
    assert.match(await Promise.race([slow, ended]), SLOW);
    assert.equal(h.restarting()?.restart, 1, 'restart 1 is still starting: its restore hangs');
    const r = await h.cancel();
    assert.equal(r.cancelled, true);
    assert.ok(warnings.some((w) => GIVEN_UP.test(w)), warnings.join(' | '));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
