// Regression: run()'s callbacks are the caller's code. An onCheckpoint that threw left handle.checkpoint()'s promise
// unsettled, and its error became an unhandled rejection (which ends a Node process by default); an onWarning that
// threw from a timer was an uncaught exception.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../../core/index.js';
import { callerWarn } from '../../../core/runtime/caller-callbacks.js';
import { endsWithTest } from '../../support/ends-with-test.js';

/** Rejects with the first unhandled rejection of the process while `body` runs. */
async function withoutUnhandled<T>(body: () => Promise<T>): Promise<T> {
  let onUnhandled!: (e: unknown) => void;
  const unhandled = new Promise<never>((_, reject) => { onUnhandled = (e) => reject(new Error(`unhandled rejection: ${String(e)}`)); });
  unhandled.catch(() => {});
  process.on('unhandledRejection', onUnhandled);
  try {
    return await Promise.race([body(), unhandled]);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
}

test('an onCheckpoint that throws is warned about; the checkpoint and the ones after it complete', { timeout: 60_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-callbacks-'));
  const warnings: string[] = [];
  try {
    await withoutUnhandled(async () => {
      // A state directory and no interval: checkpoints only on request.
      const h = endsWithTest(t, await run(new URL('./jobs/unbounded.ts', import.meta.url), {
        parallelism: 1, stateDir: dir, onWarning: (w) => warnings.push(w), onCheckpoint: (c) => { throw new Error(`callback broke on ${c.id}`); },
      }));
      const first = await h.checkpoint();
      const second = await h.checkpoint();
      assert.equal(second.id, first.id + 1);
      const r = await h.cancel();
      assert.equal(r.checkpoints.completedTotal, 2);
    });
    const said = warnings.filter((w) => /^onCheckpoint threw on checkpoint \d+ \(which completed\): callback broke on \d+$/.test(w));
    assert.equal(said.length, 2, warnings.join(' | '));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an onWarning that throws does not throw into its caller: the warning is emitted with its error', async () => {
  const emitted: string[] = [];
  const onEmitted = (w: Error): void => { if (w.name === 'SluiceWarning') emitted.push(w.message); };
  process.on('warning', onEmitted);
  try {
    const warn = callerWarn(() => { throw new Error('warning callback broke'); });
    assert.doesNotThrow(() => warn('a source cannot rewind'));
    // 'warning' is emitted on the next tick.
    await new Promise<void>((resolve) => process.nextTick(resolve));
    await new Promise<void>((resolve) => setImmediate(resolve));
  } finally {
    process.off('warning', onEmitted);
  }
  assert.deepEqual(emitted, ['a source cannot rewind (onWarning threw on it: warning callback broke)']);
});
