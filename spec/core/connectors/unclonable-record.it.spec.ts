// A record a collect sink cannot hand to the main thread (it holds a function: structured clone refuses it) failed
// the job with a bare DataCloneError ("() => i could not be cloned.") naming no operator, whatever the sink's
// error policy; with checkpoints, the same came from the snapshot that carried the sink's transaction. Now it is
// the sink's bad input: 'fail' names the sink, 'drop' and 'dead-letter' keep the other records.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run, OperatorError, type DeadLetter } from '../../../core/index.js';

function job(sink: string): URL {
  const u = new URL('./jobs/unclonable-record.ts', import.meta.url);
  u.searchParams.set('sink', sink);
  return u;
}

test("a record a collect sink cannot clone fails the job as that sink's OperatorError, not a bare DataCloneError", async () => {
  await assert.rejects((await run(job('fail'), { parallelism: 1 })).result, (e: unknown) => {
    assert.ok(e instanceof OperatorError, `an OperatorError, got ${(e as Error).name}: ${(e as Error).message}`);
    assert.equal(e.operator, 'out');
    assert.match(e.message, /a record cannot be sent to the main thread: .*could not be cloned.*structured-cloneable/);
    return true;
  });
});

test("the sink's 'drop' and 'dead-letter' keep every other record and count the one", async () => {
  const dropped = await (await run(job('drop'), { parallelism: 1 })).result;
  assert.deepEqual(dropped.collected.out, [{ i: 1 }, { i: 2 }, { i: 4 }]);
  assert.equal(dropped.metrics.operators.find((o) => o.operator === 'out')!.dropped, 1);
  const dead = await (await run(job('dead-letter'), { parallelism: 1 })).result;
  assert.deepEqual(dead.collected.out, [{ i: 1 }, { i: 2 }, { i: 4 }]);
  const letters = dead.collected['out-dead'] as DeadLetter[];
  assert.equal(letters.length, 1);
  assert.equal(letters[0]!.operator, 'out');
  assert.match(letters[0]!.error.message, /cannot be sent to the main thread/);
  assert.equal(dead.metrics.operators.find((o) => o.operator === 'out')!.deadLettered, 1);
});

test('with checkpoints, a transaction the snapshot cannot carry fails the job naming the sink', async () => {
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'sluice-unclonable-'));
  try {
    const h = await run(job('fail'), { parallelism: 1, stateDir, checkpointIntervalMs: 60_000, restartStrategy: { type: 'none' } });
    await assert.rejects(h.result, (e: unknown) => {
      assert.ok(e instanceof OperatorError, `an OperatorError, got ${(e as Error).name}: ${(e as Error).message}`);
      assert.equal(e.operator, 'out');
      assert.match(e.message, /its final state cannot be sent to the main thread: .*could not be cloned/);
      return true;
    });
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
  }
});
