// fromAsyncIterable end to end: across a restart from a checkpoint, the factory is called again and the records
// emitted by the checkpoint are skipped (exactly-once for a factory that yields the same records each time), and
// a factory that throws or returns no iterable fails the job naming the source.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../../core/index.js';
import { asyncIterableSource } from '../../../core/connectors/async-iterable.js';
import { drive } from './drive.js';
import { endsWithTest } from '../../support/ends-with-test.js';
import { polledUntil } from '../../support/polled-until.js';

const job = (dir: string, fail?: string): URL => {
  const u = new URL('./jobs/async-restart.ts', import.meta.url);
  u.searchParams.set('dir', dir);
  if (fail !== undefined) u.searchParams.set('fail', fail);
  return u;
};

// Regression: a restored reader called the factory again and emitted everything from the start, so
// the 1,000 records read by the checkpoint reached the output twice (while the warning promised at-most-once).
test('a restart from a checkpoint skips what the source had emitted by it: every record once', { timeout: 60_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-async-iterable-'));
  try {
    const warnings: string[] = [];
    const h = endsWithTest(t, await run<{ out: number[] }>(job(dir), {
      parallelism: 1, stateDir: join(dir, 'state'), checkpointIntervalMs: 20,
      restartStrategy: { type: 'fixed-delay', attempts: 2, delayMs: 0 }, onWarning: (w) => warnings.push(String(w)),
    }));
    // Record 999 is through, the source waits at 1000: the next checkpoint holds position 1000.
    await polledUntil(() => existsSync(join(dir, 'seen-999')), 'record 999 through', h, 5);
    const before = h.checkpoints().completedTotal;
    await polledUntil(() => h.checkpoints().completedTotal >= before + 2, 'two more checkpoints', h, 5);
    writeFileSync(join(dir, 'go'), '');
    const r = await h.result;
    assert.equal(r.restarts, 1, warnings.join(' | '));
    assert.ok(warnings.some((w) => /restart 1 .* from checkpoint \d+/.test(w)), warnings.join(' | '));
    assert.ok(warnings.some((w) => /records it had emitted by the checkpoint are skipped/.test(w)), 'the warning says what a restore does');
    assert.deepEqual([...r.collected.out].sort((a, b) => a - b), Array.from({ length: 2000 }, (_, i) => i));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a factory that throws, or returns no iterable, fails the job naming the source operator', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-async-iterable-'));
  try {
    for (const [fail, message] of [['factory', /the factory failed/], ['number', /the factory returned a number, not an async iterable or an iterable/]] as const) {
      const h = await run(job(dir, fail), { parallelism: 1 });
      const e = await h.result.then(() => undefined, (err: Error) => err);
      assert.equal(e?.name, 'OperatorError', String(e));
      assert.match(e!.message, /operator 'numbers' \(subtask 0\)/);
      assert.match(e!.message, message);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a reader restored at position n skips the first n records of the new iterator; a bad position is refused', async () => {
  const spec = asyncIterableSource(() => [10, 11, 12, 13, 14], 'xs');
  const reader = await spec.createReader(0, 1, [{ id: 'xs', position: 3 }]);
  assert.deepEqual((await drive(reader)).values, [13, 14]);
  assert.deepEqual(reader.snapshot(1), [{ id: 'xs', position: 5 }]);
  assert.throws(() => spec.createReader(0, 1, [{ id: 'xs', position: -1 }]), /not a position of an async iterable source/);
  const fresh = await spec.createReader(0, 1, [{ id: 'xs', position: 0 }]);
  assert.deepEqual((await drive(fresh)).values, [10, 11, 12, 13, 14]);
});
