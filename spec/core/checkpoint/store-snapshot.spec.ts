// A snapshot of a state directory (what `sluice inspect` reads): copies of its files beside it, not hard links (the
// snapshot's open writes tables, and through a link it wrote the directory's), without LevelDB's lock.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync, truncateSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CheckpointStore } from '../../../core/checkpoint/store.js';
import { snapshotStateDir } from '../../../core/checkpoint/store-snapshot.js';
import { currentManifest, liveTables } from '../../../core/checkpoint/leveldb-live-tables.js';
import { COMMANDED, startLevelDbWriter } from './fixtures/leveldb-writer-thread.js';
import { tableFiles, writeTables } from './fixtures/leveldb-tables.js';

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

/** The keys the writer's first flushNew() writes (leveldb-writer.ts). */
const FRESH = (j: number): string => `k/${String(1_000_000 + j).padStart(10, '0')}/op/0`;

async function withDir(f: (dir: string) => Promise<void>): Promise<void> {
  const root = mkdtempSync(path.join(tmpdir(), 'sluice-snapshot-'));
  try {
    await f(path.join(root, 'state'));
    assert.deepEqual(readdirSync(root).filter((n) => n !== 'state'), [], 'no snapshot left');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

// Regression (review r1, `sluice inspect` of a busy job's directory): a table the job wrote after the tables were
// copied and before the MANIFEST was is listed in the copied MANIFEST and was missing from the copy, which the open
// then called damage ("LevelDB table N.ldb is missing ... start over in a new state directory"). The writer flushes
// a table at exactly that step; the copy now takes it after the MANIFEST, and opens.
test('a table the job writes between the copy of the tables and of the MANIFEST is copied after it: the snapshot opens', { timeout: 60_000 }, async () => {
  await withDir(async (dir) => {
    const writer = await startLevelDbWriter(dir, COMMANDED);
    try {
      let hooked = 0;
      const snap = snapshotStateDir(dir, { afterFiles: () => { hooked++; writer.flushNew(); } });
      try {
        assert.equal(hooked, 1);
        const manifest = currentManifest(snap.dir)!;
        const copied = new Set(readdirSync(snap.dir));
        const listed = liveTables(snap.dir, manifest);
        assert.ok(listed.length > 0, 'the flush wrote a table');
        for (const t of listed) assert.ok(copied.has(`${String(t.number).padStart(6, '0')}.ldb`), `table ${t.number} copied`);
        assert.equal(snap.complete, true);
        assert.equal(snap.consistent, false, 'the listing moved: inspect takes another');
        const opened = await CheckpointStore.open(snap.dir);
        try {
          assert.equal((await opened.rawGet(FRESH(49)))?.length, 2000, 'the flushed keys are in the copy');
        } finally {
          await opened.close();
        }
      } finally {
        snap.dispose();
      }
    } finally {
      await writer.stop();
    }
  });
});

// A table the copied MANIFEST lists that the job's compaction deleted before it was copied: its records are in the
// compaction's output, which the MANIFEST copied again lists, and that is copied. A job that does it every time the
// MANIFEST is copied leaves the copy incomplete (inspect takes another), which is not the directory's damage. A
// table missing from a directory no job writes is: the copy is as complete as the directory, and the open names it.
test('a listed table deleted by a compaction before it was copied: the MANIFEST is copied again; every time, the snapshot is incomplete; missing from a still directory, damage', { timeout: 60_000 }, async () => {
  await withDir(async (dir) => {
    const writer = await startLevelDbWriter(dir, COMMANDED);
    try {
      let compactions = 0;
      const once = snapshotStateDir(dir, { afterFiles: () => writer.flushNew(), afterManifest: () => { if (compactions++ === 0) writer.compactAll(); } });
      try {
        assert.equal(compactions, 2, 'the MANIFEST was copied again');
        assert.equal(once.complete, true);
        const opened = await CheckpointStore.open(once.dir);
        try {
          assert.deepEqual((await opened.rawGet(FRESH(49)))?.[0], 50, 'the value the compaction merged in');
        } finally {
          await opened.close();
        }
      } finally {
        once.dispose();
      }
      compactions = 0;
      const every = snapshotStateDir(dir, { afterFiles: () => writer.flushNew(), afterManifest: () => { compactions++; writer.compactAll(); } });
      try {
        assert.equal(compactions, 5);
        assert.equal(every.complete, false);
      } finally {
        every.dispose();
      }
    } finally {
      await writer.stop();
    }
    const [table] = tableFiles(dir);
    unlinkSync(table!);
    const snap = snapshotStateDir(dir);
    try {
      assert.equal(snap.complete, true);
      assert.equal(snap.consistent, true);
      await assert.rejects(CheckpointStore.open(snap.dir), (e: Error) => e.name === 'StateDirError' && e.message.includes(`LevelDB table ${path.basename(table!)} is missing`));
    } finally {
      snap.dispose();
    }
  });
});

// A table copied while LevelDB was still writing it is cut short in the copy; once the MANIFEST lists it, it is
// whole in the directory and is copied again (the copy is cut here, as such a copy would be).
test('a table copied short of the size the MANIFEST records is copied again', async () => {
  await withDir(async (dir) => {
    const [table] = await writeTables(dir);
    const name = path.basename(table!);
    const snap = snapshotStateDir(dir, { afterFiles: (into) => truncateSync(path.join(into, name), 100) });
    try {
      assert.equal(statSync(path.join(snap.dir, name)).size, statSync(table!).size);
      assert.equal(snap.complete, true);
      await (await CheckpointStore.open(snap.dir)).close();
    } finally {
      snap.dispose();
    }
  });
});
