// Runs on: main thread, before CheckpointStore.open hands a state directory to LevelDB.
// Checks every table LevelDB will read (its MANIFEST's live tables) block by block against the CRC-32C each block
// carries. Why: classic-level builds LevelDB with its assertions on and gives no way to have reads verify checksums,
// so a damaged block reached LevelDB: an index block with zeroed entries stopped the whole process in an assertion
// (exit 134) at the first scan, naming nothing; one zeroed whole read as an empty table (a resume started over
// without a word). Checked first, it is a StateDirError naming the file and the damage, before LevelDB opens
// anything. SLUICE_CHECK_STATE_TABLES=0 (or run's checkStateTables: false) skips it.
//
// A table: data blocks, meta blocks (the Bloom filter), a metaindex block, an index block (one entry per data block:
// its offset and size) and a 48-byte footer (the metaindex and index blocks' handles as varints, then a magic
// number). Each block is followed by a 5-byte trailer: its type (0 plain, 1 Snappy) and the masked CRC-32C of its
// bytes and that type byte. Read a chunk at a time (a block larger than a chunk is checked in pieces), so a large
// table is never held in memory whole.

import { open, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { crc32c, maskCrc32c } from './crc32c.js';
import { fixed32, LevelDbCursor, LevelDbFormatError } from './leveldb-coding.js';
import { currentManifest, liveTables, manifestMark } from './leveldb-live-tables.js';
import { snappyDecode } from './snappy-decode.js';
import { StateDirError } from './state-dir-error.js';

const FOOTER = 48;
const TRAILER = 5;
const MAGIC_LO = 0x8b80_fb57;
const MAGIC_HI = 0xdb47_7524;
const CHUNK_BYTES = 1024 * 1024;

/** The environment variable that turns the check off (0 or false), for the CLI and as run()'s default. */
export const CHECK_STATE_TABLES_ENV = 'SLUICE_CHECK_STATE_TABLES';

/** Whether the check runs when nothing says otherwise. */
export function stateTableCheckDefault(): boolean {
  return !['0', 'false'].includes(process.env[CHECK_STATE_TABLES_ENV] ?? '');
}

interface BlockHandle {
  readonly offset: number;
  readonly size: number;
  readonly kind: string;
}

export interface TableCheckResult {
  readonly tables: number;
  readonly bytes: number;
  /** false: the directory never held still (a running job's), and is left to LevelDB's lock. */
  readonly checked: boolean;
}

/** The table's bytes through a window of `chunkBytes`, read forward as blocks are checked in file order. */
class ChunkedFile {
  private readonly buf: Uint8Array;
  private start = 0;
  private filled = 0;

  constructor(private readonly fh: FileHandle, readonly chunkBytes: number) {
    this.buf = new Uint8Array(chunkBytes);
  }

  /** bytes[offset, offset + n) of the file, n at most a chunk: a view valid until the next call. */
  async bytes(offset: number, n: number): Promise<Uint8Array> {
    if (offset < this.start || offset + n > this.start + this.filled) {
      const { bytesRead } = await this.fh.read(this.buf, 0, this.chunkBytes, offset);
      this.start = offset;
      this.filled = bytesRead;
      if (bytesRead < n) throw new LevelDbFormatError(`ends at ${offset + bytesRead} bytes, in a block it lists`);
    }
    return this.buf.subarray(offset - this.start, offset - this.start + n);
  }
}

/** "a data", "an index". */
const a = (kind: string): string => `${/^[aeiou]/.test(kind) ? 'an' : 'a'} ${kind}`;

/** Runs a decoding of `what`; bytes that do not decode are said as that part of the table. */
function decoding<T>(what: string, decode: () => T): T {
  try {
    return decode();
  } catch (e) {
    if (e instanceof LevelDbFormatError) throw new LevelDbFormatError(`has ${what} that does not decode (${e.message})`);
    throw e;
  }
}

function blockHandle(c: LevelDbCursor, kind: string): BlockHandle {
  return { offset: c.varint(`${kind} block handle`), size: c.varint(`${kind} block handle`), kind };
}

/** Throws unless the block (and its trailer) lies within the table's blocks (before the footer). */
function inBounds(h: BlockHandle, blocksEnd: number): void {
  if (h.offset + h.size + TRAILER > blocksEnd) throw new LevelDbFormatError(`lists ${a(h.kind)} block at offset ${h.offset} of ${h.size} bytes, past its blocks' end (${blocksEnd})`);
}

/** Checks a block's trailer (type, CRC) over the bytes read in pieces; returns its type. */
async function checkBlock(file: ChunkedFile, h: BlockHandle): Promise<number> {
  let crc = 0;
  const end = h.offset + h.size + 1;
  for (let at = h.offset; at < end; at += file.chunkBytes) {
    const n = Math.min(file.chunkBytes, end - at);
    crc = crc32c(await file.bytes(at, n), 0, n, crc);
  }
  const trailer = await file.bytes(h.offset + h.size, TRAILER);
  if (maskCrc32c(crc) !== fixed32(trailer, 1)) throw new LevelDbFormatError(`has a bad block CRC at offset ${h.offset} (${h.kind} block of ${h.size} bytes)`);
  const type = trailer[0]!;
  if (type > 1) throw new LevelDbFormatError(`has ${a(h.kind)} block of unknown type ${type} at offset ${h.offset}`);
  return type;
}

/** A whole block's contents (checked, decompressed): for the index blocks, which are small. */
async function readBlock(fh: FileHandle, h: BlockHandle): Promise<Uint8Array> {
  const raw = new Uint8Array(h.size + TRAILER);
  const { bytesRead } = await fh.read(raw, 0, raw.length, h.offset);
  if (bytesRead < raw.length) throw new LevelDbFormatError(`ends at ${h.offset + bytesRead} bytes, in its ${h.kind} block`);
  if (maskCrc32c(crc32c(raw, 0, h.size + 1)) !== fixed32(raw, h.size + 1)) throw new LevelDbFormatError(`has a bad block CRC at offset ${h.offset} (${h.kind} block of ${h.size} bytes)`);
  const type = raw[h.size]!;
  if (type === 0) return raw.subarray(0, h.size);
  if (type === 1) return decoding(`a Snappy-compressed ${h.kind} block`, () => snappyDecode(raw.subarray(0, h.size)));
  throw new LevelDbFormatError(`has ${a(h.kind)} block of unknown type ${type} at offset ${h.offset}`);
}

/** The values of a block's entries (each a block handle, in an index block). */
function blockValues(block: Uint8Array, kind: string): Uint8Array[] {
  if (block.length < 4) throw new LevelDbFormatError(`${block.length} bytes, too short for a block`);
  const restarts = fixed32(block, block.length - 4);
  if (restarts > (block.length - 4) / 4) throw new LevelDbFormatError(`${restarts} restart points claimed in ${block.length} bytes`);
  const c = new LevelDbCursor(block, 0, block.length - 4 - 4 * restarts);
  const values: Uint8Array[] = [];
  let keyLength = 0;
  while (!c.done) {
    const shared = c.varint(`${kind} block entry`);
    const unshared = c.varint(`${kind} block entry`);
    const valueLength = c.varint(`${kind} block entry`);
    if (shared > keyLength) throw new LevelDbFormatError(`${kind} block entry: shares ${shared} bytes of a key of ${keyLength}`);
    c.take(unshared, `${kind} block entry`);
    keyLength = shared + unshared;
    values.push(c.take(valueLength, `${kind} block entry`));
  }
  return values;
}

/** The handles an index or metaindex block lists. */
function listedHandles(block: Uint8Array, kind: string, listed: string): BlockHandle[] {
  return decoding(`${a(kind)} block`, () => blockValues(block, kind).map((v) => blockHandle(new LevelDbCursor(v), listed)));
}

/**
 * Checks one table of `size` bytes (as its MANIFEST records): footer, index and metaindex blocks, then every block
 * they list. Throws LevelDbFormatError saying what is wrong.
 */
export async function checkTable(file: string, size: number, chunkBytes = CHUNK_BYTES): Promise<void> {
  const fh = await open(file, 'r');
  try {
    const actual = (await fh.stat()).size;
    if (actual < size) throw new LevelDbFormatError(`is truncated: ${actual} bytes, where LevelDB's MANIFEST lists ${size}`);
    if (size < FOOTER) throw new LevelDbFormatError(`is ${size} bytes, too short for a table's footer (${FOOTER})`);
    const footer = new Uint8Array(FOOTER);
    await fh.read(footer, 0, FOOTER, size - FOOTER);
    if (fixed32(footer, 40) !== MAGIC_LO || fixed32(footer, 44) !== MAGIC_HI) throw new LevelDbFormatError(`has a bad magic number in its footer (at offset ${size - 8}): its end is damaged`);
    const blocksEnd = size - FOOTER;
    const f = new LevelDbCursor(footer, 0, 40);
    const [metaindex, index] = decoding('a footer', () => [blockHandle(f, 'metaindex'), blockHandle(f, 'index')] as const);
    inBounds(metaindex, blocksEnd);
    inBounds(index, blocksEnd);
    const blocks = [
      ...listedHandles(await readBlock(fh, index), 'index', 'data'),
      ...listedHandles(await readBlock(fh, metaindex), 'metaindex', 'meta'),
    ];
    for (const h of blocks) inBounds(h, blocksEnd);
    // In file order, so the chunks are read forward once.
    blocks.sort((a, b) => a.offset - b.offset);
    const chunked = new ChunkedFile(fh, chunkBytes);
    for (const h of blocks) await checkBlock(chunked, h);
  } finally {
    await fh.close();
  }
}

/** `dir`'s table number `n`: LevelDB's name for it, or the older one (.sst) when only that is there. */
async function tableFile(dir: string, n: number): Promise<string | undefined> {
  const base = path.join(dir, String(n).padStart(6, '0'));
  for (const ext of ['.ldb', '.sst']) {
    try {
      await (await open(base + ext, 'r')).close();
      return base + ext;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
  return undefined;
}

const AFTER = 'Resume from a copy made before the damage, or start over in a new state directory';


/** Tries of a directory whose MANIFEST moves while it is checked, before it is left to LevelDB's lock. */
const TRIES = 4;

/**
 * Checks the tables of the LevelDB database in state directory `dir`; a damaged one is a StateDirError naming it.
 * A directory without a usable CURRENT or MANIFEST is left to LevelDB, which refuses it with an error of its own.
 *
 * A directory a running job holds moves while it is read (a compaction deletes tables the MANIFEST listed when the
 * check began): a failure is damage only if the MANIFEST did not move meanwhile, else the check is tried again; one
 * that never holds still is being written by a LevelDB that holds its lock, and LevelDB's open then refuses it as in
 * use (what a run against it must say), so it is left unchecked (`checked: false`).
 */
export async function checkStateTables(dir: string, chunkBytes = CHUNK_BYTES): Promise<TableCheckResult> {
  for (let attempt = 1; ; attempt++) {
    const before = manifestMark(dir);
    try {
      return await checkOnce(dir, chunkBytes);
    } catch (e) {
      if (!(e instanceof StateDirError) || manifestMark(dir) === before) throw e;
      if (attempt === TRIES) return { tables: 0, bytes: 0, checked: false };
    }
  }
}

async function checkOnce(dir: string, chunkBytes: number): Promise<TableCheckResult> {
  const manifest = currentManifest(dir);
  if (manifest === undefined) return { tables: 0, bytes: 0, checked: true };
  let tables;
  try {
    tables = liveTables(dir, manifest);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { tables: 0, bytes: 0, checked: true };
    if (e instanceof LevelDbFormatError) throw new StateDirError(`state directory ${dir} is damaged: LevelDB's ${manifest} ${e.message}. ${AFTER}`, { cause: e });
    throw new StateDirError(`state directory ${dir}: LevelDB's ${manifest} cannot be read: ${(e as Error).message}`, { cause: e });
  }
  let bytes = 0;
  for (const t of tables) {
    const file = await tableFile(dir, t.number);
    const name = String(t.number).padStart(6, '0');
    const missing = (): StateDirError => new StateDirError(`state directory ${dir} is damaged: LevelDB table ${name}.ldb is missing (its ${manifest} lists it, ${t.size} bytes). ${AFTER}`);
    if (file === undefined) throw missing();
    try {
      await checkTable(file, t.size, chunkBytes);
    } catch (e) {
      if (e instanceof LevelDbFormatError) throw new StateDirError(`state directory ${dir} is damaged: LevelDB table ${file} ${e.message}. ${AFTER}`, { cause: e });
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw missing();
      throw new StateDirError(`state directory ${dir}: LevelDB table ${file} cannot be read: ${(e as Error).message}`, { cause: e });
    }
    bytes += t.size;
  }
  return { tables: tables.length, bytes, checked: true };
}
