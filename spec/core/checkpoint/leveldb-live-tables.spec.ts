// The live tables of a real LevelDB database, read from its MANIFEST as LevelDB reads it: every table file a clean
// close leaves (compactions' deletions applied), with its size; fragmented records joined; damage LevelDB refuses
// is refused, and a record a crash cut short at the end is passed over, as LevelDB does.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import { currentManifest, liveTables } from '../../../core/checkpoint/leveldb-live-tables.js';
import { checkStateTables } from '../../../core/checkpoint/leveldb-table-check.js';
import { crc32c, maskCrc32c } from '../../../core/checkpoint/crc32c.js';
import { readAll, writeTables } from './fixtures/leveldb-tables.js';

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-ldb-live-'));
  try {
    await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const number = (file: string): number => Number(basename(file).slice(0, 6));

/** A log record: masked CRC-32C of type and payload, length, type, payload. */
function record(type: number, payload: Uint8Array): Buffer {
  const b = Buffer.alloc(7 + payload.length);
  b.writeUInt16LE(payload.length, 4);
  b[6] = type;
  b.set(payload, 7);
  b.writeUInt32LE(maskCrc32c(crc32c(b, 6, b.length)), 0);
  return b;
}

/** The payloads of a log whose records are all whole (FULL) and in its first block, as a fresh MANIFEST is. */
function payloads(log: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at + 7 <= log.length;) {
    const n = log.readUInt16LE(at + 4);
    assert.equal(log[at + 6], 1, 'a FULL record');
    out.push(log.subarray(at + 7, at + 7 + n));
    at += 7 + n;
  }
  return out;
}

test('the live tables are the table files a clean close leaves, with their sizes, compactions applied', async () => {
  await withDir(async (dir) => {
    const files = await writeTables(dir, { writeBufferSize: 64 * 1024, keys: 12_000 });
    const live = liveTables(dir, currentManifest(dir)!);
    assert.ok(live.length > 10, `${live.length} tables`);
    assert.deepEqual(live.map((t) => [t.number, t.size]).sort((a, b) => a[0]! - b[0]!), files.map((f) => [number(f), statSync(f).size]));
    assert.ok(live.some((t) => t.level > 0), 'compactions moved tables down');
  });
});

test('fragmented MANIFEST records (FIRST, MIDDLE, LAST) are joined: the same tables, and LevelDB opens it too', async () => {
  await withDir(async (dir) => {
    await writeTables(dir);
    const manifest = currentManifest(dir)!;
    const file = join(dir, manifest);
    const before = liveTables(dir, manifest);
    const split = payloads(readFileSync(file)).flatMap((p) => {
      const a = p.length >> 2;
      const b = p.length >> 1;
      return [record(2, p.subarray(0, a)), record(3, p.subarray(a, b)), record(3, new Uint8Array(0)), record(4, p.subarray(b))];
    });
    writeFileSync(file, Buffer.concat(split));
    assert.deepEqual(liveTables(dir, manifest), before);
    assert.equal(await readAll(dir), 3001);
  });
});

test('a record cut short at the MANIFEST\'s end (a crash while it was written) is passed over, as LevelDB does', async () => {
  await withDir(async (dir) => {
    await writeTables(dir);
    const manifest = currentManifest(dir)!;
    const before = liveTables(dir, manifest);
    appendFileSync(join(dir, manifest), record(1, new Uint8Array(100)).subarray(0, 40));
    assert.deepEqual(liveTables(dir, manifest), before);
    assert.equal((await checkStateTables(dir)).tables, 1);
    assert.equal(await readAll(dir), 3001);
  });
});

test('a damaged MANIFEST is a StateDirError naming it, where LevelDB refuses to open it too', async () => {
  await withDir(async (dir) => {
    await writeTables(dir);
    const manifest = currentManifest(dir)!;
    const file = join(dir, manifest);
    const intact = readFileSync(file);
    const cases: [Buffer, RegExp][] = [
      [Buffer.from(intact).fill(0x41, 20, 21), /has a bad record CRC at offset 0/],
      // A record of a type no log has, sealed: LevelDB calls it corruption.
      [Buffer.concat([record(9, new Uint8Array(3)), intact]), /has an unknown record type 9 at offset 0/],
      [Buffer.concat([record(3, new Uint8Array(3)), intact]), /has a record without its start at offset 0/],
      [Buffer.concat([record(2, new Uint8Array(3)), intact]), /has a record without its end before the record at offset 10/],
      [Buffer.concat([record(1, Uint8Array.from([0x63])), intact]), /has a version edit that does not decode \(has an unknown version edit tag 99\)/],
    ];
    for (const [bytes, what] of cases) {
      writeFileSync(file, bytes);
      await assert.rejects(checkStateTables(dir), (e: Error) => e.name === 'StateDirError' && e.message.startsWith(`state directory ${dir} is damaged: LevelDB's ${manifest} `) && what.test(e.message), String(what));
      const db = new ClassicLevel(dir);
      await assert.rejects(db.open(), (e: Error) => /Corruption/.test(String((e.cause as Error | undefined)?.message ?? e.message)), `LevelDB refuses ${what}`);
    }
    writeFileSync(file, intact);
    assert.equal(await readAll(dir), 3001);
  });
});

// Regression (review, 2026-12-07): both damages read as LevelDB's own leniency (a record torn at the end by a crash;
// preallocated zeros), so the check passed them; LevelDB then dropped every record after them and deleted the
// tables those records had added, without a word. LevelDB never appends to a MANIFEST it reopened, so a torn record
// is the file's last bytes under their true length, and zeros run to the block's end.
test('a damaged record length that runs past the end, and a zeroed record header with records after it, are refused', async () => {
  await withDir(async (dir) => {
    await writeTables(dir);
    const manifest = currentManifest(dir)!;
    const file = join(dir, manifest);
    const intact = readFileSync(file);
    const starts: number[] = [];
    for (let at = 0; at + 7 <= intact.length; at += 7 + intact.readUInt16LE(at + 4)) starts.push(at);
    assert.ok(starts.length >= 2, `${starts.length} records`);
    const last = starts[starts.length - 1]!;
    const longer = Buffer.from(intact);
    longer[last + 5] = longer[last + 5]! | 0x80;
    const zeroed = Buffer.from(intact).fill(0, starts[starts.length - 2]!, starts[starts.length - 2]! + 7);
    const cases: [Buffer, RegExp][] = [
      [longer, new RegExp(`has a damaged record length at offset ${last} \\(\\d+ bytes, where ${intact.length - last - 7} match its CRC\\)`)],
      [zeroed, /has a zeroed record header at offset \d+, a whole record after it at offset \d+/],
    ];
    for (const [bytes, what] of cases) {
      writeFileSync(file, bytes);
      await assert.rejects(checkStateTables(dir), (e: Error) => e.name === 'StateDirError' && what.test(e.message), String(what));
    }
    writeFileSync(file, intact);
    assert.equal(await readAll(dir), 3001);
  });
});

// Regression (review r2): the zeroed-header check refused any byte after the zeros. A crash before an append's fsync
// can leave its tail on disk without its head (the new page written, the old one not), which LevelDB passes over:
// that edit was never applied, and nothing is lost.
test('zeros followed by a torn append\'s tail (no whole record) are passed over, as LevelDB does', async () => {
  await withDir(async (dir) => {
    await writeTables(dir);
    const manifest = currentManifest(dir)!;
    const file = join(dir, manifest);
    const intact = readFileSync(file);
    const before = liveTables(dir, manifest);
    // Zeros to the 4 KiB page, then 200 bytes of a record's tail (its payload only).
    const tail = record(1, Uint8Array.from({ length: 300 }, (_, i) => (i * 7 + 1) & 0xff)).subarray(100, 300);
    writeFileSync(file, Buffer.concat([intact, Buffer.alloc(4096 - intact.length), tail]));
    assert.deepEqual(liveTables(dir, manifest), before);
    assert.equal((await checkStateTables(dir)).tables, 1);
    assert.equal(await readAll(dir), 3001);
  });
});
