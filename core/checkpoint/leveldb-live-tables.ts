// Runs on: main thread, before a state directory's LevelDB is opened (leveldb-table-check.ts).
// The tables LevelDB will read: those its current MANIFEST lists, with the sizes it recorded. Only these are checked:
// a table a kill cut short while it was being written is listed nowhere, and LevelDB deletes it when it opens.
//
// The MANIFEST is a LevelDB log (32 KiB blocks of records, each with a masked CRC-32C) of version edits (files
// added to and deleted from each level). It is read as LevelDB's own recovery reads it: what LevelDB refuses to open
// (a bad record CRC, a bad record length before the end, a broken fragment sequence, an edit that does not decode)
// is refused here; what it passes over (a record or header cut short at the end by a crash, zero padding) is passed
// over here too. A block at a time, as LevelDB reads it. Synchronously: a MANIFEST is small, and inspect's snapshot
// (store-snapshot.ts) reads the one it copied in the middle of its copy, which is synchronous.

import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import { crc32c, maskCrc32c } from './crc32c.js';
import { fixed32, LevelDbCursor, LevelDbFormatError } from './leveldb-coding.js';

const LOG_BLOCK = 32 * 1024;
const LOG_HEADER = 7;
const FULL = 1;
const FIRST = 2;
const MIDDLE = 3;
const LAST = 4;
/** LevelDB's levels (config::kNumLevels): an edit naming another is corrupt. */
const LEVELS = 7;
/** The comparator sluice's stores use (classic-level's default). */
const COMPARATOR = 'leveldb.BytewiseComparator';

export interface LiveTable {
  readonly level: number;
  readonly number: number;
  /** Bytes, as the MANIFEST recorded them when the table was written. */
  readonly size: number;
}

/** The MANIFEST CURRENT names, or undefined when CURRENT is missing or says nothing usable (LevelDB refuses it). */
export function currentManifest(dir: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(path.join(dir, 'CURRENT'), 'latin1');
  } catch {
    return undefined;
  }
  if (!text.endsWith('\n') || text.length === 1) return undefined;
  return text.slice(0, -1);
}

/** What changes when LevelDB writes its MANIFEST: CURRENT's name, and the MANIFEST's size (edits are appended). */
export function manifestMark(dir: string): string {
  const manifest = currentManifest(dir);
  if (manifest === undefined) return '';
  const size = statSync(path.join(dir, manifest), { throwIfNoEntry: false })?.size;
  return `${manifest}:${size}`;
}

/**
 * Where a whole record (a known type, its length within the block, its CRC right) begins in block[from, end), or -1.
 * After a zeroed header that is damage: LevelDB would skip it and drop what follows. Other bytes there are not: a
 * crash can leave an append's tail on disk without its head (a new page written, the old one not yet), and LevelDB
 * passes over that, as it never applied that edit.
 */
function wholeRecordAfter(block: Uint8Array, from: number, end: number): number {
  for (let p = from; p + LOG_HEADER <= end; p++) {
    const type = block[p + 6]!;
    if (type < FULL || type > LAST) continue;
    const length = block[p + 4]! | (block[p + 5]! << 8);
    if (p + LOG_HEADER + length > end) continue;
    if (maskCrc32c(crc32c(block, p + 6, p + LOG_HEADER + length)) === fixed32(block, p)) return p;
  }
  return -1;
}

/** The MANIFEST's records, each whole (fragments joined), in order. Throws LevelDbFormatError where LevelDB would. */
function* manifestRecords(file: string): Generator<Uint8Array> {
  const fd = openSync(file, 'r');
  try {
    const block = new Uint8Array(LOG_BLOCK);
    /** Fragments of a record begun (FIRST) and not yet ended (LAST). */
    let parts: Uint8Array[] | undefined;
    for (let blockAt = 0; ; blockAt += LOG_BLOCK) {
      const bytesRead = readSync(fd, block, 0, LOG_BLOCK, blockAt);
      const eof = bytesRead < LOG_BLOCK;
      let at = 0;
      while (bytesRead - at >= LOG_HEADER) {
        const length = block[at + 4]! | (block[at + 5]! << 8);
        const type = block[at + 6]!;
        const where = `record at offset ${blockAt + at}`;
        if (at + LOG_HEADER + length > bytesRead) {
          // Cut short at the end of the file: a crash while it was written, which LevelDB passes over. Unless the
          // bytes there are a whole record under a shorter length (the length field is damaged, not the write).
          if (eof) {
            const want = fixed32(block, at);
            let crc = crc32c(block, at + 6, at + 7);
            for (let l = 0; at + LOG_HEADER + l <= bytesRead; l++) {
              if (l > 0) crc = crc32c(block, at + 6 + l, at + 7 + l, crc);
              if (maskCrc32c(crc) === want) throw new LevelDbFormatError(`has a damaged record length at offset ${blockAt + at} (${length} bytes, where ${l} match its CRC)`);
            }
            return;
          }
          throw new LevelDbFormatError(`has a bad record length at offset ${blockAt + at} (${length} bytes)`);
        }
        if (type === 0 && length === 0) {
          // Preallocated zeros: the rest of the block is skipped, an error only inside a record.
          if (parts !== undefined) throw new LevelDbFormatError(`has a record broken off at offset ${blockAt + at}`);
          const next = wholeRecordAfter(block, at + LOG_HEADER, bytesRead);
          if (next >= 0) throw new LevelDbFormatError(`has a zeroed record header at offset ${blockAt + at}, a whole record after it at offset ${blockAt + next}`);
          break;
        }
        if (maskCrc32c(crc32c(block, at + 6, at + LOG_HEADER + length)) !== fixed32(block, at)) {
          throw new LevelDbFormatError(`has a bad record CRC at offset ${blockAt + at}`);
        }
        const fragment = block.slice(at + LOG_HEADER, at + LOG_HEADER + length);
        at += LOG_HEADER + length;
        const begun = parts !== undefined && parts.some((p) => p.length > 0);
        if (type === FULL || type === FIRST) {
          if (begun) throw new LevelDbFormatError(`has a record without its end before the ${where}`);
          if (type === FULL) {
            parts = undefined;
            yield fragment;
          } else {
            parts = [fragment];
          }
        } else if (type === MIDDLE || type === LAST) {
          if (parts === undefined) throw new LevelDbFormatError(`has a record without its start at offset ${blockAt + at - LOG_HEADER - length}`);
          parts.push(fragment);
          if (type === LAST) {
            yield Buffer.concat(parts);
            parts = undefined;
          }
        } else {
          throw new LevelDbFormatError(`has an unknown record type ${type} at offset ${blockAt + at - LOG_HEADER - length}`);
        }
      }
      // A record begun and never ended at the end of the file: a crash, passed over.
      if (eof) return;
    }
  } finally {
    closeSync(fd);
  }
}

/** Applies one version edit to `levels` (deletions, then additions, as LevelDB's builder does). */
function applyEdit(record: Uint8Array, levels: Map<number, number>[]): void {
  const c = new LevelDbCursor(record);
  const deleted: [number, number][] = [];
  const added: LiveTable[] = [];
  const level = (what: string): number => {
    const l = c.varint(what);
    if (l >= LEVELS) throw new LevelDbFormatError(`${what}: level ${l}`);
    return l;
  };
  while (!c.done) {
    const tag = c.varint('version edit tag');
    switch (tag) {
      case 1: {
        const name = Buffer.from(c.lengthPrefixed('comparator name')).toString('latin1');
        if (name !== COMPARATOR) throw new LevelDbFormatError(`names comparator ${JSON.stringify(name)}, not ${COMPARATOR}`);
        break;
      }
      case 2: case 3: case 4: case 9:
        c.varint('log or file number');
        break;
      case 5:
        level('compaction pointer');
        c.lengthPrefixed('compaction pointer');
        break;
      case 6:
        deleted.push([level('deleted file'), c.varint('deleted file')]);
        break;
      case 7: {
        const l = level('new-file entry');
        const number = c.varint('new-file entry');
        const size = c.varint('new-file entry');
        c.lengthPrefixed('new-file entry');
        c.lengthPrefixed('new-file entry');
        added.push({ level: l, number, size });
        break;
      }
      default:
        throw new LevelDbFormatError(`has an unknown version edit tag ${tag}`);
    }
  }
  for (const [l, n] of deleted) levels[l]!.delete(n);
  for (const t of added) levels[t.level]!.set(t.number, t.size);
}

/** The live tables of the database in `dir` as its MANIFEST `manifest` lists them. Throws LevelDbFormatError. */
export function liveTables(dir: string, manifest: string): LiveTable[] {
  const levels = Array.from({ length: LEVELS }, () => new Map<number, number>());
  for (const record of manifestRecords(path.join(dir, manifest))) {
    try {
      applyEdit(record, levels);
    } catch (e) {
      if (e instanceof LevelDbFormatError) throw new LevelDbFormatError(`has a version edit that does not decode (${e.message})`);
      throw e;
    }
  }
  return levels.flatMap((files, level) => [...files].map(([number, size]) => ({ level, number, size })));
}
