// The final checkpoint's figures: its chunks are the subtasks' final states, written as each subtask ends, before
// its manifest; they are what it wrote.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run } from '../../../core/index.js';
import { CheckpointStore } from '../../../core/checkpoint/store.js';

// Regression: a perf trial's keyed job logged "final 11 completed: 0 B in 7 ms" (chunks 0) while `sluice inspect`
// showed that checkpoint holding 1.1 MiB in 240 chunks: the final states' writes were counted nowhere.
test('the final checkpoint reports the bytes and chunks its subtasks\' final states wrote', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-final-size-'));
  try {
    const stateDir = path.join(dir, 'state');
    // No interval: the final checkpoint is the only one, so every chunk in the directory is its own.
    const h = await run(new URL('./jobs/bounded-counts.ts', import.meta.url), { parallelism: 2, stateDir, onWarning: () => {} });
    const r = await h.result;
    assert.deepEqual(r.checkpoints.completed.map((c) => c.kind), ['final']);
    const final = r.checkpoints.completed[0]!;
    assert.equal(final.keyedEntries, 100);
    const store = await CheckpointStore.open(stateDir);
    try {
      const m = await store.readManifest(final.id);
      const refs = Object.values(m.operators).flatMap((o) => Object.values(o.keyGroups ?? {}).flatMap((g) => g.chain));
      assert.ok(refs.length > 0, 'the final checkpoint holds keyed chunks');
      assert.ok(final.chunksWritten >= refs.length, `${final.chunksWritten} chunks reported, ${refs.length} keyed ones in its manifest`);
      assert.ok(final.bytesWritten >= refs.reduce((n, c) => n + c.bytes, 0), `${final.bytesWritten} bytes reported`);
      assert.equal(final.dirtyEntries, 100);
    } finally {
      await store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
