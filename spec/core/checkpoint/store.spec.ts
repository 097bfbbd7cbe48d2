// CheckpointStore garbage collection: chunks that nothing refers to are deleted, found through the store's index
// of chunk keys (one scan, then kept as chunks are written and deleted), including chunks written before the
// index was loaded, while it loads, and by an earlier process.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CheckpointStore, openFailure, pad } from '../../../core/checkpoint/store.js';
import { sha256 } from '../../../core/checkpoint/manifest.js';
import { crc32 } from '../../../shm/checksum.js';
import { storeWithDamagedKey } from './fixtures/leveldb-damage.js';

const key = (cp: number, kg: number): string => `k/${pad(cp)}/sum/${kg}`;
const bytes = new Uint8Array([1, 2, 3]);

async function stored(store: CheckpointStore): Promise<string[]> {
  const out: string[] = [];
  for await (const e of store.entries('k/')) out.push(e.key);
  return out;
}

async function withStore(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-store-'));
  try {
    await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('garbage collection deletes unreferenced chunks written before, during and after the index loads; keeps live and in-progress ones', async () => {
  await withStore(async (dir) => {
    const store = await CheckpointStore.open(dir);
    try {
      await store.putChunk(key(1, 0), bytes);
      await store.putChunk(key(1, 1), bytes);
      // The first collection loads the index; a chunk written meanwhile must be in it.
      const [n] = await Promise.all([store.collectGarbage([], 3, [key(1, 1)]), store.putChunk(key(2, 0), bytes)]);
      assert.ok(n >= 1, `deleted ${n}`);
      await store.putChunk(key(3, 0), bytes);
      await store.putChunk(key(4, 0), bytes);
      // Checkpoints from 4 on are in progress; key(1, 1) is still referred to.
      await store.collectGarbage([], 4, [key(1, 1)]);
      assert.deepEqual(await stored(store), [key(1, 1), key(4, 0)]);
      await store.collectGarbage([], 5, []);
      assert.deepEqual(await stored(store), []);
    } finally {
      await store.close();
    }
  });
});

test('chunks left by an earlier process are found when a new one collects garbage', async () => {
  await withStore(async (dir) => {
    const first = await CheckpointStore.open(dir);
    await first.putChunk(key(1, 0), bytes);
    await first.putChunk(key(2, 0), bytes);
    await first.close();
    const second = await CheckpointStore.open(dir);
    try {
      assert.equal(await second.collectGarbage([], 10, [key(2, 0)]), 1);
      assert.deepEqual(await stored(second), [key(2, 0)]);
    } finally {
      await second.close();
    }
  });
});

test('regression: a failed index scan is tried again by the next collection (it was kept as a rejected promise)', async () => {
  await withStore(async (dir) => {
    const store = await CheckpointStore.open(dir);
    try {
      await store.putChunk(key(1, 0), bytes);
      const db = (store as unknown as { db: { keys: (...a: unknown[]) => unknown } }).db;
      const keys = db.keys.bind(db);
      let failures = 1;
      db.keys = (...a: unknown[]) => {
        if (failures-- > 0) throw new Error('injected I/O error');
        return keys(...a);
      };
      await assert.rejects(store.collectGarbage([], 5, []), /injected I\/O error/);
      assert.equal(await store.collectGarbage([], 5, []), 1);
      assert.deepEqual(await stored(store), []);
    } finally {
      await store.close();
    }
  });
});

test('getChunk checks a chunk against its CRC-32 (format 2) or SHA-256 (format 1 manifests) and refuses a ref without either', async () => {
  await withStore(async (dir) => {
    const store = await CheckpointStore.open(dir);
    try {
      const data = Uint8Array.from({ length: 5000 }, (_, i) => (i * 31) & 0xff);
      const ref = await store.putChunk(key(1, 0), data);
      assert.ok(typeof ref.crc32 === 'number' && ref.sha256 === undefined);
      assert.deepEqual(new Uint8Array(await store.getChunk(1, ref)), data);
      const old = { key: ref.key, bytes: ref.bytes, sha256: sha256(data) };
      assert.deepEqual(new Uint8Array(await store.getChunk(1, old)), data);
      const flipped = data.slice();
      flipped[2500]! ^= 0x10;
      await store.rawPut(ref.key, flipped);
      await assert.rejects(store.getChunk(1, ref), /chunk k\/.* does not match its CRC-32/);
      await assert.rejects(store.getChunk(1, old), /does not match its SHA-256/);
      await assert.rejects(store.getChunk(1, { key: ref.key, bytes: ref.bytes }), /has no checksum in the manifest/);
    } finally {
      await store.close();
    }
  });
});

test('getChunk checks a sealed chunk (keyed state) against the seal its ref recorded: a flipped bit, a wrong seal, or another intact chunk under its key fail', async () => {
  await withStore(async (dir) => {
    const store = await CheckpointStore.open(dir);
    try {
      const sealedChunk = (fill: number): Uint8Array => {
        const b = new Uint8Array(3000).fill(fill);
        new DataView(b.buffer).setUint32(b.length - 4, crc32(b, 0, b.length - 4), true);
        return b;
      };
      const a = sealedChunk(1);
      const other = sealedChunk(2);
      await store.rawPut(key(1, 0), a);
      const ref = { key: key(1, 0), bytes: a.length, crc32: crc32(a, 0, a.length - 4), sealed: true };
      assert.deepEqual(new Uint8Array(await store.getChunk(1, ref)), a);
      // An older or misfiled chunk, itself intact (sealed), of the same length.
      await store.rawPut(key(1, 0), other);
      await assert.rejects(store.getChunk(1, ref), /does not match its CRC-32/);
      const flipped = a.slice();
      flipped[10]! ^= 4;
      await store.rawPut(key(1, 0), flipped);
      await assert.rejects(store.getChunk(1, ref), /does not match its CRC-32/);
      // Body intact, seal bytes damaged.
      const badSeal = a.slice();
      badSeal[a.length - 1]! ^= 1;
      await store.rawPut(key(1, 0), badSeal);
      await assert.rejects(store.getChunk(1, ref), /does not match its CRC-32/);
    } finally {
      await store.close();
    }
  });
});

// Regression: a damaged key is met only by a scan, and LevelDB's own error escaped from maxId()
// before a run's start, which then never ended.
test('a key that cannot be listed is a StateDirError naming the directory, from maxId and manifestIds', async () => {
  await withStore(async (dir) => {
    await storeWithDamagedKey(dir);
    const store = await CheckpointStore.open(dir);
    try {
      assert.deepEqual(await store.manifestIds(), [], 'no manifest key meets the damage');
      await assert.rejects(store.maxId(), (e: Error) => e.name === 'StateDirError' && e.message.includes(dir) && /keys cannot be listed \(LevelDB: Corruption/.test(e.message));
    } finally {
      await store.close();
    }
  });
});

// A state directory that cannot be created (under a file, or EPERM) gave a raw stack.
test('a state directory that cannot be created is a StateDirError saying so', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-store-'));
  try {
    const file = join(dir, 'afile');
    writeFileSync(file, 'x');
    await assert.rejects(CheckpointStore.open(join(file, 'state')), (e: Error) => e.name === 'StateDirError' && /state directory .*afile\/state cannot be created: .*afile is a file, not a directory$/.test(e.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// Regression: a state directory whose CURRENT file alone was gone was opened by `--resume`;
// LevelDB created an empty database there and deleted the old tables, every checkpoint with them.
test('a directory with LevelDB files but no CURRENT is refused, naming the file and the repair, and left as it was', async () => {
  await withStore(async (dir) => {
    const store = await CheckpointStore.open(dir);
    await store.putChunk(key(1, 0), bytes);
    await store.close();
    rmSync(join(dir, 'CURRENT'));
    const before = readdirSync(dir).sort();
    const manifest = before.find((f) => f.startsWith('MANIFEST-'))!;
    await assert.rejects(CheckpointStore.open(dir), (e: Error) => e.name === 'StateDirError'
      && e.message.includes('no CURRENT file') && e.message.includes(`echo ${manifest} > ${join(dir, 'CURRENT')}`));
    assert.deepEqual(readdirSync(dir).sort(), before, 'nothing created or deleted');
    // The repair the message gives brings the data back.
    writeFileSync(join(dir, 'CURRENT'), `${manifest}\n`);
    const repaired = await CheckpointStore.open(dir);
    try {
      assert.deepEqual(await stored(repaired), [key(1, 0)]);
    } finally {
      await repaired.close();
    }
  });
});

test('an empty or new directory still opens (a fresh state directory)', async () => {
  await withStore(async (dir) => {
    const store = await CheckpointStore.open(join(dir, 'new'));
    await store.close();
    const again = await CheckpointStore.open(dir);
    await again.close();
  });
});

// Regression: a read-only state directory was reported in use by a running job, since LevelDB's
// message names the LOCK file. The lock's own failure is told by its code (or wording); a real one too.
test('why a state directory will not open: in use (a real second open), read-only, or else damaged', async () => {
  const ro = openFailure('/mnt/ro', Object.assign(new Error('Database failed to open'), { cause: Object.assign(new Error('IO error: /mnt/ro/LOCK: Read-only file system'), { code: 'LEVEL_IO_ERROR' }) }));
  assert.match(ro.message, /^state directory \/mnt\/ro cannot be written \(read-only, or not this user's\?\)/);
  const other = openFailure('/d', Object.assign(new Error('Database failed to open'), { cause: new Error('Corruption: 1 missing files') }));
  assert.match(other.message, /cannot be opened \(corrupt LevelDB files\?\): Corruption: 1 missing files/);
  const dir = mkdtempSync(join(tmpdir(), 'sluice-store-lock-'));
  try {
    const first = await CheckpointStore.open(dir);
    try {
      await assert.rejects(CheckpointStore.open(dir), /is in use by a running job \(in another sluice process, or in this one: LevelDB lock\)/);
    } finally {
      await first.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
