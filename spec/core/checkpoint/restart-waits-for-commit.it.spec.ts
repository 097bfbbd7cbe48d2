// Regression: once drain() gave a hung sinks' commit up after stopGraceMs (for a cancel), a failed attempt's
// restart did not wait for it either: the restart published the same checkpoint's transactions (and ran the
// sinks' recover) beside the commit still running. A restart now waits for the commit, up to checkpointTimeoutMs;
// past that the run fails (SinkCommitHungError, no restart), and a resume publishes every record once.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run, SinkCommitHungError, type RunOptions } from '../../../core/index.js';
import { readLedger, tally } from './ledger.js';
import { fileAppears } from '../../support/file-appears.js';
import { endsWithTest } from '../../support/ends-with-test.js';

const COUNT = 12_000;

function setUp(): { dir: string; marks: string; ledger: string; url: URL; options: RunOptions; mark: (name: string) => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-restart-commit-'));
  const marks = path.join(dir, 'marks');
  mkdirSync(marks);
  const ledger = path.join(dir, 'ledger');
  const url = new URL('./jobs/fail-during-commit.ts', import.meta.url);
  for (const [k, v] of Object.entries({ ledger, dir: marks, hangAt: 3, count: COUNT })) url.searchParams.set(k, String(v));
  const options: RunOptions = { parallelism: 1, stateDir: path.join(dir, 'state'), stopGraceMs: 100, restartStrategy: { type: 'fixed-delay', attempts: 3, delayMs: 0 }, onWarning: () => {} };
  const mark = (name: string): void => {
    writeFileSync(path.join(marks, `${name}.tmp`), '');
    renameSync(path.join(marks, `${name}.tmp`), path.join(marks, name));
  };
  return { dir, marks, ledger, url, options, mark };
}

test("a failed attempt's restart waits for a sinks' commit still running; every record once", { timeout: 90_000 }, async (t) => {
  const { dir, marks, ledger, url, options, mark } = setUp();
  try {
    const h = endsWithTest(t, await run(url, { ...options, checkpointTimeoutMs: 30_000 }));
    await fileAppears(path.join(marks, 'failed'), h.result.then(() => { throw new Error('the job ended before it failed'); }));
    mark('release');
    const r = await h.result;
    assert.equal(r.restarts, 1);
    assert.equal(existsSync(path.join(marks, 'overlap')), false, 'the restart ran while the commit was still running');
    assert.deepEqual(tally(readLedger<number>(ledger), COUNT), { lost: 0, duplicated: 0, unexpected: 0 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a sinks' commit that does not return within checkpointTimeoutMs of a failure fails the run, not restarted beside it; a resume publishes every record once", { timeout: 90_000 }, async () => {
  const { dir, marks, ledger, url, options, mark } = setUp();
  try {
    const h = await run(url, { ...options, checkpointTimeoutMs: 1000 });
    await assert.rejects(h.result, (e: Error) => {
      assert.ok(e instanceof SinkCommitHungError, String(e));
      assert.match(e.message, /^the sinks' commit of checkpoint \d+ had not returned 1000 ms after the job failed \(checkpointTimeoutMs\): no longer waited for; .*; not restarted beside it \(.*fails while a sink commit hangs/);
      return true;
    });
    assert.equal(existsSync(path.join(marks, 'overlap')), false, 'a restart ran while the commit was still running');
    // The commit given up returns now (it held a watcher open), then the job resumes.
    mark('release');
    await fileAppears(path.join(marks, 'returned'));
    const resumed = await run(url, { ...options, resume: true });
    assert.equal((await resumed.result).cancelled, false);
    assert.deepEqual(tally(readLedger<number>(ledger), COUNT), { lost: 0, duplicated: 0, unexpected: 0 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
