// A snapshot of a state directory (what `sluice inspect` reads): copies of its files beside it, not hard links (the
// snapshot's open writes tables, and through a link it wrote the directory's), without LevelDB's lock.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CheckpointStore } from '../../../core/checkpoint/store.js';
import { snapshotStateDir } from '../../../core/checkpoint/store-snapshot.js';

test('a snapshot copies the files, skips the lock, removes itself, and opens as the directory would', async () => {
  const root = mkdtempSync(path.join(tmpdir(), 'sluice-snapshot-'));
  try {
    const dir = path.join(root, 'state');
    // A table (the first write, replayed from the log when the store opens again) and a log (the second).
    for (const [key, bytes] of [['k/1', [1, 2, 3]], ['k/2', [4, 5]]] as const) {
      const store = await CheckpointStore.open(dir);
      await store.putChunk(key, new Uint8Array(bytes));
      await store.close();
    }
    assert.ok(readdirSync(dir).some((n) => /\.(ldb|sst)$/.test(n)), 'a table to copy');
    const snap = snapshotStateDir(dir);
    try {
      assert.equal(path.dirname(snap.dir), root, 'beside the directory');
      assert.equal(snap.consistent, true);
      assert.ok(!readdirSync(snap.dir).includes('LOCK'));
      for (const f of readdirSync(snap.dir).filter((n) => /\.(ldb|sst)$/.test(n))) {
        assert.notEqual(statSync(path.join(snap.dir, f)).ino, statSync(path.join(dir, f)).ino, `${f} is a copy, not a link`);
      }
      const opened = await CheckpointStore.open(snap.dir);
      try {
        assert.deepEqual([...(await opened.rawGet('k/1'))!], [1, 2, 3]);
        assert.deepEqual([...(await opened.rawGet('k/2'))!], [4, 5]);
      } finally {
        await opened.close();
      }
    } finally {
      snap.dispose();
    }
    assert.deepEqual(readdirSync(root), ['state']);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
