// The LevelDB table check on real tables written by classic-level: clean ones pass (plain, Snappy, many tables,
// blocks larger than a read chunk); each kind of damage is a StateDirError naming the table and what is wrong; a
// random flipped byte is refused or lies where nothing reads it, and never reaches LevelDB's assertions.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { ClassicLevel } from 'classic-level';
import { checkStateTables, stateTableCheckDefault, CHECK_STATE_TABLES_ENV } from '../../../core/checkpoint/leveldb-table-check.js';
import { CheckpointStore } from '../../../core/checkpoint/store.js';
import { crc32c, maskCrc32c } from '../../../core/checkpoint/crc32c.js';
import { indexBlock, readAll, writeTables, type TableOptions } from './fixtures/leveldb-tables.js';

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-ldb-check-'));
  try {
    await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Writes bytes at `at` of `file`. */
function patch(file: string, at: number, bytes: Uint8Array): void {
  const b = readFileSync(file);
  b.set(bytes, at);
  writeFileSync(file, b);
}

function flip(file: string, at: number, mask = 0x10): void {
  const b = readFileSync(file);
  b[at]! ^= mask;
  writeFileSync(file, b);
}

const escaped = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The check's refusal of `file` in `dir`, matched against `what`; returns the message. */
async function refused(dir: string, file: string, what: RegExp, chunkBytes?: number): Promise<string> {
  let message = '';
  await assert.rejects(checkStateTables(dir, chunkBytes), (e: Error) => {
    message = e.message;
    return e.name === 'StateDirError' && e.message.startsWith(`state directory ${dir} is damaged: LevelDB table ${file} `) && what.test(e.message);
  });
  return message;
}

test('clean tables pass: plain and Snappy-compressed, one table or dozens, blocks larger than a read chunk', async () => {
  const cases: TableOptions[] = [{}, { compression: true }, { writeBufferSize: 64 * 1024, keys: 12_000 }, { keys: 12, valueBytes: 300_000 }];
  for (const o of cases) {
    await withDir(async (dir) => {
      const files = await writeTables(dir, o);
      const bytes = files.reduce((sum, f) => sum + statSync(f).size, 0);
      assert.deepEqual(await checkStateTables(dir), { tables: files.length, bytes, checked: true }, JSON.stringify(o));
      assert.deepEqual(await checkStateTables(dir, 1000), { tables: files.length, bytes, checked: true }, `${JSON.stringify(o)}, 1000-byte chunks`);
    });
  }
});

test('a zeroed data block, a flipped byte in one, a zeroed index block: refused naming the block', async () => {
  await withDir(async (dir) => {
    const [file] = await writeTables(dir);
    const intact = readFileSync(file!);
    patch(file!, 0, new Uint8Array(1000));
    await refused(dir, file!, /has a bad block CRC at offset 0 \(data block of \d+ bytes\)\. Resume from a copy made before the damage/);
    writeFileSync(file!, intact);

    flip(file!, 100_000);
    for (const chunk of [undefined, 1000]) {
      const m = /at offset (\d+) \(data block of (\d+) bytes\)/.exec(await refused(dir, file!, /has a bad block CRC/, chunk))!;
      assert.ok(Number(m[1]) <= 100_000 && 100_000 < Number(m[1]) + Number(m[2]) + 5, `the block named holds the flipped byte: ${m[0]}`);
    }
    writeFileSync(file!, intact);

    const index = indexBlock(file!);
    patch(file!, index.offset, new Uint8Array(index.size));
    await refused(dir, file!, new RegExp(escaped(`has a bad block CRC at offset ${index.offset} (index block of ${index.size} bytes)`)));
    writeFileSync(file!, intact);
    assert.equal((await checkStateTables(dir)).tables, 1);
  });
});

// A block type LevelDB does not know, with a CRC that matches (written so, not flipped): LevelDB refuses such a
// block as corrupt too, so does the check, naming it.
test('a block of an unknown type is refused, its CRC matching or not', async () => {
  await withDir(async (dir) => {
    const [file] = await writeTables(dir);
    const intact = readFileSync(file!);
    const index = indexBlock(file!);
    const b = Buffer.from(intact);
    b[index.offset + index.size] = 2;
    b.writeUInt32LE(maskCrc32c(crc32c(b, index.offset, index.offset + index.size + 1)), index.offset + index.size + 1);
    writeFileSync(file!, b);
    await refused(dir, file!, new RegExp(escaped(`has an index block of unknown type 2 at offset ${index.offset}`)));
    // The first data block (at 0), found by its trailer: the first length whose CRC fits.
    const c = Buffer.from(intact);
    let end = 1;
    while (maskCrc32c(crc32c(c, 0, end + 1)) !== c.readUInt32LE(end + 1)) end++;
    c[end] = 3;
    c.writeUInt32LE(maskCrc32c(crc32c(c, 0, end + 1)), end + 1);
    writeFileSync(file!, c);
    await refused(dir, file!, new RegExp(escaped(`has a data block of unknown type 3 at offset 0`)));
  });
});

test('a Snappy-compressed index block damaged is refused too', async () => {
  await withDir(async (dir) => {
    const [file] = await writeTables(dir, { compression: true });
    const index = indexBlock(file!);
    flip(file!, index.offset + (index.size >> 1));
    await refused(dir, file!, new RegExp(escaped(`has a bad block CRC at offset ${index.offset} (index block of ${index.size} bytes)`)));
  });
});

test('a table cut short, one whose footer magic is broken or footer does not decode, one under its older name (.sst), one that is gone: each said', async () => {
  await withDir(async (dir) => {
    const [file] = await writeTables(dir);
    const intact = readFileSync(file!);
    truncateSync(file!, intact.length - 100);
    await refused(dir, file!, new RegExp(escaped(`is truncated: ${intact.length - 100} bytes, where LevelDB's MANIFEST lists ${intact.length}`)));
    writeFileSync(file!, intact);

    flip(file!, intact.length - 1);
    await refused(dir, file!, new RegExp(escaped(`has a bad magic number in its footer (at offset ${intact.length - 8})`)));
    writeFileSync(file!, intact);

    patch(file!, intact.length - 48, new Uint8Array(40).fill(0xff));
    await refused(dir, file!, /has a footer that does not decode \(metaindex block handle: a varint longer than 10 bytes\)/);
    // An index handle past the blocks: 2^28 as a varint.
    patch(file!, intact.length - 48, Uint8Array.from([0, 0, 0x80, 0x80, 0x80, 0x80, 1, 10]));
    await refused(dir, file!, new RegExp(escaped(`lists an index block at offset ${2 ** 28} of 10 bytes, past its blocks' end (${intact.length - 48})`)));
    writeFileSync(file!, intact);

    // LevelDB's older name for a table: found and checked under it.
    renameSync(file!, file!.replace(/\.ldb$/, '.sst'));
    assert.deepEqual(await checkStateTables(dir), { tables: 1, bytes: intact.length, checked: true });
    flip(file!.replace(/\.ldb$/, '.sst'), intact.length - 1);
    await refused(dir, file!.replace(/\.ldb$/, '.sst'), /has a bad magic number/);
    unlinkSync(file!.replace(/\.ldb$/, '.sst'));
    await assert.rejects(checkStateTables(dir), (e: Error) => e.name === 'StateDirError' && /is damaged: LevelDB table \d{6}\.ldb is missing \(its MANIFEST-\d+ lists it, \d+ bytes\)/.test(e.message));
  });
});

// A flush a kill cut short leaves a table no MANIFEST lists: LevelDB deletes it when it opens, so it is no damage.
test('a table the MANIFEST does not list (a flush cut short) is not checked, and LevelDB deletes it', async () => {
  await withDir(async (dir) => {
    const [file] = await writeTables(dir);
    const orphan = join(dir, '000900.ldb');
    copyFileSync(file!, orphan);
    truncateSync(orphan, 5000);
    assert.equal((await checkStateTables(dir)).tables, 1);
    assert.equal(await readAll(dir), 3001);
    assert.equal(existsSync(orphan), false);
  });
});

// Every byte of a table but the footer's unused padding is covered by a block CRC, a block handle or the magic.
test('property: a flipped byte anywhere in a table is refused, or lies in the footer padding and LevelDB reads everything', async () => {
  await withDir(async (dir) => {
    const [file] = await writeTables(dir, { keys: 300 });
    const intact = readFileSync(file!);
    const size = intact.length;
    await fc.assert(fc.asyncProperty(fc.nat({ max: size - 1 }), fc.integer({ min: 1, max: 255 }), async (at, mask) => {
      const b = Buffer.from(intact);
      b[at]! ^= mask;
      writeFileSync(file!, b);
      try {
        await checkStateTables(dir);
      } catch (e) {
        assert.equal((e as Error).name, 'StateDirError');
        assert.match((e as Error).message, new RegExp(`^state directory ${escaped(dir)} is damaged: LevelDB table ${escaped(file!)} (has a bad block CRC at offset \\d+|has a bad magic number|lists a \\w+ block at offset|has an? \\w+ block of unknown type|has an? [\\w -]+ that does not decode)`));
        return;
      }
      assert.ok(at >= size - 48 && at < size - 8, `a flip at ${at} of ${size} passed the check outside the footer's padding`);
      assert.equal(await readAll(dir), 301);
    }).afterEach(() => writeFileSync(file!, intact)), { numRuns: 150 });
    // Flips in the padding alone, for the branch where nothing is refused.
    for (const at of [size - 10, size - 9]) {
      flip(file!, at);
      assert.equal((await checkStateTables(dir)).tables, 1);
      assert.equal(await readAll(dir), 301);
      writeFileSync(file!, intact);
    }
  });
});

// Regression (found while writing the check): a directory a live LevelDB writes (a running job's, which a second
// run or a savepoint delete may open) was called damaged when a compaction deleted a table the MANIFEST had listed
// as the check began (216 of 300 checks); LevelDB's open would have said it is in use.
test('a directory a live LevelDB is compacting is never called damaged: checked, or left to LevelDB\'s lock when it never holds still', { timeout: 120_000 }, async () => {
  await withDir(async (dir) => {
    const db = new ClassicLevel<string, Uint8Array>(dir, { valueEncoding: 'view', compression: false, writeBufferSize: 32 * 1024 });
    await db.open();
    let writing = true;
    let i = 0;
    const batch = (): Promise<void> => db.batch(Array.from({ length: 50 }, () => ({ type: 'put' as const, key: `k/${String(i++ % 5000).padStart(10, '0')}`, value: new Uint8Array(300).fill(i & 0xff) })));
    // Tables first (600 KB through a 32 KB memtable), then overwrites of the same keys: tables flushed and compacted
    // away while the checks read them.
    for (let k = 0; k < 40; k++) await batch();
    const writer = (async () => {
      while (writing) await batch();
    })();
    try {
      for (let n = 0; n < 40; n++) {
        const r = await checkStateTables(dir);
        assert.ok(!r.checked || r.tables > 0, JSON.stringify(r));
      }
    } finally {
      writing = false;
      await writer;
      await db.close();
    }
    const still = await checkStateTables(dir);
    assert.ok(still.checked && still.tables > 0, JSON.stringify(still));
  });
});

test('the switch: CheckpointStore.open({ checkTables: false }) and SLUICE_CHECK_STATE_TABLES=0 or false leave the tables to LevelDB', async () => {
  await withDir(async (dir) => {
    const [file] = await writeTables(dir);
    // A flipped value byte: LevelDB reads past it without a word, the check refuses it.
    flip(file!, 100_000);
    await assert.rejects(CheckpointStore.open(dir), (e: Error) => e.name === 'StateDirError' && /has a bad block CRC/.test(e.message));
    const store = await CheckpointStore.open(dir, { checkTables: false });
    await store.close();
  });
  const before = process.env[CHECK_STATE_TABLES_ENV];
  try {
    const seen = (v: string | undefined): boolean => {
      if (v === undefined) delete process.env[CHECK_STATE_TABLES_ENV];
      else process.env[CHECK_STATE_TABLES_ENV] = v;
      return stateTableCheckDefault();
    };
    assert.deepEqual([undefined, '1', 'true', '0', 'false'].map(seen), [true, true, true, false, false]);
  } finally {
    if (before === undefined) delete process.env[CHECK_STATE_TABLES_ENV];
    else process.env[CHECK_STATE_TABLES_ENV] = before;
  }
});
