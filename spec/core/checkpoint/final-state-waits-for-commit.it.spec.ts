// A bounded job whose input ends while a periodic checkpoint's sinks' commit does not return: its subtasks' final
// states wait for that checkpoint (finalStateWaits), so the job fails after the final-state timeout. The failure
// blamed the subtasks ("did not report their final state"); it now names the commit they wait for.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run } from '../../../core/index.js';
import { hangInCommitJob } from './hang-in-commit-job.js';

test("the end of input while a sinks' commit hangs: the failure names the checkpoint whose commit the final states wait for", { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-final-waits-'));
  try {
    // Two seconds of input (4000 a second): it ends while checkpoint 2's commit hangs.
    const { url, stateDir } = hangInCommitJob(dir, 2, 8000);
    const h = await run(url, { parallelism: 1, stateDir, stopGraceMs: 100, checkpointTimeoutMs: 2000, onWarning: () => {} });
    // The commit never returns: the run fails (no restart beside it: restart-waits-for-commit.it), naming why.
    await assert.rejects(h.result, (e: Error) => {
      assert.equal(e.name, 'SinkCommitHungError');
      assert.match(e.message, /did not report their final state within 10000 ms: their reports wait for checkpoint 2, whose sinks' commit has not returned\)/);
      return true;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
