// What a custom sink's finish or stopped returns goes back to the main thread in its thread's result. One that
// structured clone refuses failed the whole result: the job failed as a WorkerDiedError ("worker thread 0 died:
// [object Object]"), naming neither the sink nor the hook, and a cancel came out as that failure.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { OperatorError, run } from '../../../core/index.js';
import { endsWithTest } from '../../support/ends-with-test.js';
import { polledUntil } from '../../support/polled-until.js';

const job = (hook: string, marker?: string): URL => {
  const u = new URL('./jobs/unclonable-result.ts', import.meta.url);
  u.searchParams.set('hook', hook);
  if (marker !== undefined) u.searchParams.set('marker', marker);
  return u;
};

test("a sink whose finish returns what cannot be cloned fails the job with an OperatorError naming the sink and finish", async () => {
  await assert.rejects((await run(job('finish'), { parallelism: 1 })).result, (e: unknown) => {
    assert.ok(e instanceof OperatorError, `an OperatorError, got ${(e as Error).name}: ${(e as Error).message}`);
    assert.equal(e.operator, 'odd-out');
    assert.equal(e.subtask, 0);
    assert.equal(e.hook, 'finish');
    assert.match(e.message, /^operator 'odd-out' \(subtask 0\) failed in finish: what it returned cannot be sent to the main thread: .*could not be cloned.*structured-cloneable/);
    return true;
  });
});

test("a cancelled job whose sink's stopped returns what cannot be cloned is cancelled, with a warning naming the sink and stopped", async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-unclonable-result-'));
  try {
    const marker = path.join(dir, 'written');
    const warnings: string[] = [];
    const h = endsWithTest(t, await run(job('stopped', marker), { parallelism: 1, onWarning: (m) => warnings.push(m) }));
    // The marker file: the sink has its first record (polled; the job never ends by itself).
    await polledUntil(() => existsSync(marker), 'the sink had its first record', h, 10);
    await h.cancel();
    assert.equal((await h.result).cancelled, true);
    const said = warnings.filter((w) => w.includes("operator 'odd-out' (subtask 0) failed in stopped"));
    assert.equal(said.length, 1, `warnings: ${JSON.stringify(warnings)}`);
    assert.match(said[0]!, /cannot be sent to the main thread: .*could not be cloned.*: left out of the cancelled run's result$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
