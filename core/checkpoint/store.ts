// Runs on: main thread, which owns the state directory's LevelDB (LevelDB locks its directory: one process, one
// owner; worker threads send their snapshot bytes here over their ports instead of opening it).
//
// Keys:
//   m/<id>                     manifest of a completed checkpoint or savepoint (JSON; its own SHA-256 inside)
//   s/<name>                   a savepoint's name -> its checkpoint id
//   k/<cp>/<uid>/<kg>          a keyed state chunk (one key group of one operator, delta or full)
//   o/<cp>/<uid>/<subtask>     a non-keyed operator state part
//   f/<cp>/<task>/<subtask>    in-flight records of an unaligned checkpoint
// Ids are zero-padded so keys sort by checkpoint. Chunks are written as they arrive; the manifest last, in one
// synchronous batch. Chunks no retained manifest refers to are deleted (garbage collection), except those of
// checkpoints still in progress.

import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import type { ClassicLevel } from 'classic-level';
import { crc32 } from '../../shm/checksum.js';
import { chunkSeal } from '../state/key-group-codec.js';
import { CorruptCheckpointError, chunkRefs, encodeManifest, parseManifest, sha256, type ChunkRef, type Manifest } from './manifest.js';
import { readPublishedMark } from './published-mark.js';
import { lineageMaxId, readLineageMark } from './lineage-mark.js';
import { makeDir } from '../runtime/make-dir.js';
import { StateDirError } from './state-dir-error.js';
import { checkStateTables, stateTableCheckDefault } from './leveldb-table-check.js';

export { StateDirError };

// Loaded on first use: worker threads import this module through the public API but never open a store.
const requireLazy = createRequire(import.meta.url);

export function pad(id: number): string {
  return String(id).padStart(10, '0');
}

/** The checkpoint id a chunk key belongs to. */
function chunkCheckpoint(key: string): number {
  return Number(key.slice(2, 12));
}

/**
 * LevelDB finds its tables through CURRENT (it names the live MANIFEST). Opened without it, it creates an empty
 * database and then deletes the old tables as obsolete: every checkpoint of a directory whose CURRENT alone is
 * gone would be lost when `--resume` opens it. Refused, naming the file, with the repair when it is plain.
 */
export function refuseWithoutCurrent(dir: string): void {
  if (existsSync(path.join(dir, 'CURRENT'))) return;
  const files = readdirSync(dir);
  const leveldb = files.filter((f) => /^(MANIFEST-\d+|\d+\.(ldb|sst|log))$/.test(f));
  if (leveldb.length === 0) return;
  const manifests = leveldb.filter((f) => f.startsWith('MANIFEST-')).sort((a, b) => Number(a.slice(9)) - Number(b.slice(9)));
  const repair = manifests.length > 0
    ? ` CURRENT names the newest MANIFEST: copy the directory, then \`echo ${manifests.at(-1)} > ${path.join(dir, 'CURRENT')}\` and run \`sluice inspect\` on it.`
    : ' It holds no MANIFEST either: the database cannot be recovered from it.';
  throw new StateDirError(`state directory ${dir} holds LevelDB files (${leveldb.slice(0, 4).join(', ')}${leveldb.length > 4 ? ', ...' : ''}) but no CURRENT file: damaged. Not opened, since opening would replace the database and delete those files.${repair}`);
}

/** Why LevelDB would not open a state directory, said plainly. */
export function openFailure(dir: string, e: unknown): StateDirError {
  const cause = (e as { cause?: Error }).cause ?? e;
  const msg = String((cause as Error)?.message ?? cause);
  // Another process, or another job of this one ("another process" alone misleads there). By the lock's own
  // error: a read-only directory's message names the LOCK file too, but it is not in use.
  if ((cause as { code?: string }).code === 'LEVEL_LOCKED' || /already held|temporarily unavailable/i.test(msg)) {
    return new StateDirError(`state directory ${dir} is in use by a running job (in another sluice process, or in this one: LevelDB lock): ${msg}`, { cause: e });
  }
  if (/read-only file system|permission denied|EROFS|EACCES/i.test(msg)) return new StateDirError(`state directory ${dir} cannot be written (read-only, or not this user's?): a run opens it to write checkpoints: ${msg}`, { cause: e });
  return new StateDirError(`state directory ${dir} cannot be opened (corrupt LevelDB files?): ${msg}`, { cause: e });
}

/** A savepoint name record's checkpoint id, or undefined when it is not one (decimal digits, as written). */
function savepointRecord(v: Uint8Array): number | undefined {
  const text = Buffer.from(v).toString();
  return /^[1-9]\d{0,14}$/.test(text) ? Number(text) : undefined;
}

/** The path or ancestor of `dir` that is there and no directory (what made a mkdir fail with ENOTDIR). */
function fileOnPath(dir: string): string | undefined {
  for (let at = path.resolve(dir); ; at = path.dirname(at)) {
    let isDir: boolean | undefined;
    try { isDir = statSync(at, { throwIfNoEntry: false })?.isDirectory(); } catch { isDir = undefined; }
    if (isDir === false) return at;
    if (path.dirname(at) === at) return undefined;
  }
}

const CHUNK_PREFIXES = ['k/', 'o/', 'f/'] as const;

/**
 * LevelDB's memtable (default 4 MB). Checkpoints of a big keyed state write ~10 MB a second, and most of it is
 * dead within a few checkpoints (the next full chunk of a key group replaces it): with 4 MB, L0 tables were
 * flushed and compacted into L1 every second or so, and LevelDB's compaction thread took ~8% of a core on this
 * 2-core machine; with 64 MB, a flush every few seconds and compactions that mostly drop dead chunks. The cost:
 * up to twice this in memory, and a longer log to replay when the store opens.
 */
const WRITE_BUFFER_BYTES = 64 * 1024 * 1024;

export class CheckpointStore {
  /**
   * Keys of every chunk in the store, found by one scan when garbage is first collected and kept up to date as
   * chunks are written and deleted after it. Why not scan each time: a LevelDB iterator over keys alone still
   * reads each value's block, so every collection read the whole retained state (checkpoints every second: tens
   * of MB/s on the thread pool).
   */
  private chunkKeys: Set<string> | undefined;
  /** Chunks written while the index is not loaded yet (the scan's snapshot may not include them). */
  private readonly unindexed = new Set<string>();
  private indexLoad: Promise<Set<string>> | undefined;

  private constructor(readonly dir: string, private readonly db: ClassicLevel<string, Uint8Array>) {}

  /**
   * Opens (or creates) the store in `dir`. `checkTables` (default: on unless SLUICE_CHECK_STATE_TABLES is 0 or false)
   * checks LevelDB's tables first, so a damaged one is a StateDirError rather than LevelDB's assertion stopping the
   * process (leveldb-table-check.ts).
   */
  static async open(dir: string, { checkTables = stateTableCheckDefault() }: { checkTables?: boolean } = {}): Promise<CheckpointStore> {
    try {
      makeDir(dir);
    } catch (e) {
      // A plain message, as for a directory in use, not a raw stack. ENOTDIR (the cause's code): the path, or one
      // of its parents, is a file; the CLI says that is bad usage.
      const at = (e as NodeJS.ErrnoException).code === 'ENOTDIR' ? fileOnPath(dir) : undefined;
      const why = at === undefined ? `cannot be created: ${(e as Error).message}` : at === path.resolve(dir) ? 'is a file, not a directory' : `cannot be created: ${at} is a file, not a directory`;
      throw new StateDirError(`state directory ${dir} ${why}`, { cause: e });
    }
    refuseWithoutCurrent(dir);
    if (checkTables) await checkStateTables(dir);
    const { ClassicLevel: Level } = requireLazy('classic-level') as typeof import('classic-level');
    // No Snappy: chunks are packed typed columns already, and compressing them (again at every compaction) took
    // a core's time from the job's threads on this 2-core machine (+4% throughput with checkpoints every second,
    // median of 3 interleaved pairs, npm run bench:checkpoint's job, 2026-12-03).
    const db = new Level<string, Uint8Array>(dir, { keyEncoding: 'utf8', valueEncoding: 'view', compression: false, writeBufferSize: WRITE_BUFFER_BYTES });
    try {
      await db.open();
    } catch (e) {
      throw openFailure(dir, e);
    }
    return new CheckpointStore(dir, db);
  }

  /**
   * Writes a chunk and returns its ref: `ref` when the caller made it already (the coordinator needs it before
   * the write completes, and a keyed chunk's comes from its seal), else one with the CRC-32 of the bytes.
   */
  async putChunk(key: string, bytes: Uint8Array, ref?: ChunkRef): Promise<ChunkRef> {
    await this.db.put(key, bytes);
    (this.chunkKeys ?? this.unindexed).add(key);
    return ref ?? { key, bytes: bytes.length, crc32: crc32(bytes, 0, bytes.length) };
  }

  /** Reads a chunk and checks its length and hash. */
  async getChunk(checkpointId: number, ref: ChunkRef): Promise<Uint8Array> {
    let bytes: Uint8Array | undefined;
    try {
      bytes = await this.db.get(ref.key);
    } catch (e) {
      throw new CorruptCheckpointError(checkpointId, `chunk ${ref.key} cannot be read: ${(e as Error).message}`);
    }
    if (bytes === undefined) throw new CorruptCheckpointError(checkpointId, `chunk ${ref.key} is missing`);
    if (bytes.length !== ref.bytes) throw new CorruptCheckpointError(checkpointId, `chunk ${ref.key} has ${bytes.length} bytes, the manifest says ${ref.bytes}`);
    if (ref.crc32 !== undefined) {
      // A sealed chunk's checksum covers all but its last 4 bytes, which must hold the same value.
      const body = ref.sealed === true ? bytes.length - 4 : bytes.length;
      const ok = body >= 0 && crc32(bytes, 0, body) === ref.crc32 && (ref.sealed !== true || chunkSeal(bytes) === ref.crc32);
      if (!ok) throw new CorruptCheckpointError(checkpointId, `chunk ${ref.key} does not match its CRC-32`);
    } else if (ref.sha256 !== undefined) {
      if (sha256(bytes) !== ref.sha256) throw new CorruptCheckpointError(checkpointId, `chunk ${ref.key} does not match its SHA-256`);
    } else {
      throw new CorruptCheckpointError(checkpointId, `chunk ${ref.key} has no checksum in the manifest`);
    }
    return bytes;
  }

  /** Commits a manifest (and a savepoint's name) in one synchronous write: the checkpoint exists from here on. */
  async commitManifest(m: Manifest): Promise<void> {
    const ops: { type: 'put'; key: string; value: Uint8Array }[] = [{ type: 'put', key: `m/${pad(m.id)}`, value: encodeManifest(m) }];
    if (m.kind === 'savepoint' && m.name !== undefined) ops.push({ type: 'put', key: `s/${m.name}`, value: Buffer.from(String(m.id)) });
    await this.db.batch(ops, { sync: true });
  }

  /** Ids of stored manifests, newest first (not yet verified). */
  async manifestIds(): Promise<number[]> {
    const ids: number[] = [];
    await this.listing(async () => { for await (const key of this.db.keys({ gte: 'm/', lt: 'm0' })) ids.push(Number(key.slice(2))); });
    return ids.sort((a, b) => b - a);
  }

  /**
   * Runs a scan of the store's keys. A damaged key is found only by a scan (reads by key never meet it): it is
   * reported as a damaged state directory (StateDirError): as LevelDB's own error it would escape from before a
   * run's start, and the run would never end.
   */
  private async listing(scan: () => Promise<void>): Promise<void> {
    try {
      await scan();
    } catch (e) {
      throw new StateDirError(`state directory ${this.dir} is damaged: its keys cannot be listed (LevelDB: ${(e as Error).message}). Resume from a copy made before the damage, or start over in a new state directory`, { cause: e });
    }
  }

  /** Reads and verifies manifest `id` (format, self-hash, counts). Chunks are verified when read. */
  async readManifest(id: number): Promise<Manifest> {
    let bytes: Uint8Array | undefined;
    try {
      bytes = await this.db.get(`m/${pad(id)}`);
    } catch (e) {
      throw new CorruptCheckpointError(id, `its manifest cannot be read: ${(e as Error).message}`);
    }
    if (bytes === undefined) throw new CorruptCheckpointError(id, 'it has no manifest');
    return parseManifest(id, bytes);
  }

  /**
   * The checkpoint a savepoint name records. The record has no checksum of its own: a value that is not an id is a
   * StateDirError here, and whoever loads the checkpoint checks that its (sealed) manifest is that savepoint
   * (restore.ts checkSavepoint), else a one-bit flip restores another checkpoint for the savepoint.
   */
  async savepointId(name: string): Promise<number | undefined> {
    const v = await this.db.get(`s/${name}`);
    if (v === undefined) return undefined;
    const id = savepointRecord(v);
    if (id === undefined) throw new StateDirError(`savepoint '${name}' is damaged in ${this.dir}: its name record holds ${JSON.stringify(Buffer.from(v).toString())}, not a checkpoint id`);
    return id;
  }

  /** Drops a savepoint's name: its checkpoint is then one like any other (retention decides when it goes). */
  async deleteSavepointName(name: string): Promise<void> {
    await this.db.del(`s/${name}`);
  }

  /** Every savepoint name and the checkpoint it records (undefined: a damaged record, `raw` its bytes as text). */
  async savepoints(): Promise<{ name: string; id: number | undefined; raw: string }[]> {
    const out: { name: string; id: number | undefined; raw: string }[] = [];
    // A damaged key is a StateDirError, as for the other listings, not LevelDB's own error reaching inspect.
    await this.listing(async () => {
      for await (const [k, v] of this.db.iterator({ gte: 's/', lt: 's0' })) out.push({ name: k.slice(2), id: savepointRecord(v), raw: Buffer.from(v).toString() });
    });
    return out;
  }

  /** Highest checkpoint id used by any manifest or chunk, or published (new checkpoints are numbered after it). */
  async maxId(): Promise<number> {
    let max = readPublishedMark(this.dir);
    // Ids a run started over at were handed out even if none was written: never reused (else a fresh run's
    // own checkpoints take ids of an abandoned branch, and count as abandoned). A damaged mark: a run replaces it.
    try { max = Math.max(max, lineageMaxId(readLineageMark(this.dir))); } catch { /* see runtime/lineage-start.ts */ }
    await this.listing(async () => {
      for (const prefix of ['m/', ...CHUNK_PREFIXES]) {
        for await (const key of this.db.keys({ gte: prefix, lt: prefix.slice(0, 1) + '0', reverse: true, limit: 1 })) max = Math.max(max, Number(key.slice(2, 12)));
      }
    });
    return max;
  }

  /** Deletes manifests (and savepoint names pointing at them). */
  async deleteManifests(ids: number[]): Promise<void> {
    if (ids.length === 0) return;
    const gone = new Set(ids);
    const ops: { type: 'del'; key: string }[] = ids.map((id) => ({ type: 'del' as const, key: `m/${pad(id)}` }));
    for (const s of await this.savepoints()) if (s.id !== undefined && gone.has(s.id)) ops.push({ type: 'del', key: `s/${s.name}` });
    await this.db.batch(ops);
  }

  /**
   * Deletes every chunk that no manifest in `keep` refers to, except chunks of checkpoints numbered `fromId` or
   * later (in progress) and the keys in `alsoLive` (refs a coming manifest will hold). Returns how many were deleted.
   */
  async collectGarbage(keep: Manifest[], fromId: number, alsoLive: Iterable<string> = []): Promise<number> {
    const live = new Set<string>(alsoLive);
    for (const m of keep) for (const r of chunkRefs(m)) live.add(r.key);
    const index = await this.chunkIndex();
    const dead: string[] = [];
    for (const key of index) if (!live.has(key) && chunkCheckpoint(key) < fromId) dead.push(key);
    for (let i = 0; i < dead.length; i += 1000) {
      const part = dead.slice(i, i + 1000);
      await this.db.batch(part.map((key) => ({ type: 'del' as const, key })));
      for (const key of part) index.delete(key);
    }
    return dead.length;
  }

  private chunkIndex(): Promise<Set<string>> {
    if (this.chunkKeys !== undefined) return Promise.resolve(this.chunkKeys);
    return this.indexLoad ??= (async () => {
      const keys = new Set<string>();
      for (const prefix of CHUNK_PREFIXES) {
        for await (const key of this.db.keys({ gte: prefix, lt: prefix.slice(0, 1) + '0' })) keys.add(key);
      }
      for (const key of this.unindexed) keys.add(key);
      this.unindexed.clear();
      this.chunkKeys = keys;
      return keys;
    })().catch((e: unknown) => {
      // A failed scan (an I/O error, the store closing) is tried again by the next collection.
      this.indexLoad = undefined;
      throw e;
    });
  }

  /** Every key with its value size (for `sluice inspect` and tests). */
  async *entries(prefix = ''): AsyncGenerator<{ key: string; bytes: number }> {
    const range = prefix === '' ? {} : { gte: prefix, lt: prefix + '\uffff' };
    for await (const [key, value] of this.db.iterator(range)) yield { key, bytes: value.length };
  }

  /** Raw access for tests that corrupt the store on purpose, and for inspection. */
  async rawGet(key: string): Promise<Uint8Array | undefined> {
    return this.db.get(key);
  }

  async rawPut(key: string, value: Uint8Array): Promise<void> {
    await this.db.put(key, value, { sync: true });
    if (CHUNK_PREFIXES.some((p) => key.startsWith(p))) (this.chunkKeys ?? this.unindexed).add(key);
  }

  async rawDel(key: string): Promise<void> {
    await this.db.del(key, { sync: true });
    this.chunkKeys?.delete(key);
    this.unindexed.delete(key);
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}
