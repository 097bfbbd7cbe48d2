// Retention under load: checkpoints taken back to back, each one's garbage collection overlapping the next
// checkpoint, must leave every retained checkpoint intact (every chunk its manifest names present and matching).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../../core/index.js';
import { CheckpointStore } from '../../../core/checkpoint/store.js';
import { loadCheckpoint } from '../../../core/checkpoint/restore.js';
import { endsWithTest } from '../../support/ends-with-test.js';
import { polledUntil } from '../../support/polled-until.js';

test('regression: a checkpoint that completes while an older one\'s garbage collection runs keeps its chunks', { timeout: 120_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-retention-'));
  try {
    // Checkpoints as fast as the coordinator triggers them (every 10 ms tick): retention of checkpoint n, which
    // reads every manifest and chunk key, is still running when n + 1 completes.
    const h = endsWithTest(t, await run(new URL('../cli/jobs/ticking.ts', import.meta.url), { parallelism: 2, stateDir: dir, checkpointIntervalMs: 1, retainedCheckpoints: 2 }));
    await polledUntil(() => h.checkpoints().completed.length >= 60, '60 checkpoints', h, 20);
    await h.cancel();
    const store = await CheckpointStore.open(dir);
    try {
      const ids = await store.manifestIds();
      assert.ok(ids.length >= 2, `retained: ${ids.join(', ')}`);
      const bad: string[] = [];
      for (const id of ids) await loadCheckpoint(store, id).catch((e: Error) => bad.push(e.message));
      assert.deepEqual(bad, []);
    } finally {
      await store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
