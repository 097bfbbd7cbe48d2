// Regression: a sinks' commit that never returned stopped every later checkpoint without a word: checkpointTimeoutMs
// ends with the manifest, and the next checkpoint waits for the commit. Now a warning says so once the commit has
// taken checkpointTimeoutMs.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run } from '../../../core/index.js';
import { hangInCommitJob } from './hang-in-commit-job.js';
import { endsWithTest } from '../../support/ends-with-test.js';

test("a sinks' commit that does not return is warned about after checkpointTimeoutMs", { timeout: 60_000 }, async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-commit-hang-'));
  try {
    const { url, stateDir } = hangInCommitJob(dir, 2, 1_000_000);
    let warned!: (w: string) => void;
    const warning = new Promise<string>((r) => { warned = r; });
    const h = endsWithTest(t, await run(url, { parallelism: 1, stateDir, checkpointTimeoutMs: 300, stopGraceMs: 100, onWarning: (w) => { if (/sinks' commit/.test(String(w))) warned(String(w)); } }));
    const w = await Promise.race([warning, h.result.then(() => { throw new Error('the job ended before its commit hung'); })]);
    assert.match(w, /^the sinks' commit of checkpoint \d+ has not returned after 300 ms \(checkpointTimeoutMs\); no checkpoint starts \(nor a restart\) until it does$/);
    await h.cancel();
    assert.equal((await h.result).cancelled, true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
