// Runs on: main thread (enumeration on a fresh start, the restored splits checked against the patterns on a resume)
// and the worker thread of a file source subtask (restore).
//
// One split per file. Its position is where the next unread record starts, as a byte offset (to seek to) and
// a line number (for error positions), so a restored reader neither skips nor repeats a line.

import { realpath, stat } from 'node:fs/promises';
import { ConnectorOptionError } from '../errors.js';
import { matchInputFiles, type InputPathOptions } from './input-paths.js';
import type { SourceSplit, SplitRestore } from '../source.js';
import { distinctFiles, fileKey, matchIdentifiedFiles, type FileIdentity, type IdentifiedFile } from './file-identity.js';
import { patternLister, searchFiles, type FileLister } from './file-search.js';

export interface FilePosition {
  /** Byte offset of the next unread record. */
  readonly offset: number;
  /** 1-based line number of the next unread record. */
  readonly line: number;
}

/**
 * A split's position, and the file it is in (file-identity.ts) once known: a split restored where its path holds
 * another file is read on in that file under its new name, never at that offset in another. Checkpoints taken before
 * files were identified have none: their paths are taken to hold their files, as then.
 */
export interface FileSplitPosition extends FilePosition, Partial<FileIdentity> {}

export interface FileSplit extends SourceSplit {
  /** The file's absolute path (its latest known name). */
  readonly id: string;
  position: FileSplitPosition;
}

/**
 * A split as checkpoints and the runtime hold it (fileSplitRow): its id is its path, and `@dev:ino` after it once its
 * file is known. A path alone is not unique: a split looked for by its file (its path holds another) and the new file
 * there are two splits, as are, for up to a scan, a file rotated on one subtask and the new one another discovered.
 */
export interface FileSplitRow extends SourceSplit {
  readonly position: FileSplitPosition;
}

/** The split's row: unique within a source (one split per file), its path readable at its start. */
export function fileSplitRow(split: FileSplit): FileSplitRow {
  const id = splitIdentity(split);
  return { id: id === undefined ? split.id : `${split.id}@${fileKey(id)}`, position: split.position };
}

export const FILE_START: FilePosition = Object.freeze({ offset: 0, line: 1 });

/**
 * A split for every input file (one per file: hard links under the first name), each at its start, in path order.
 * `discover` (file-discovery.ts): each split's id is the file's real path, and it records its file's identity, its
 * owner's key; and no file yet is no error (they come later).
 */
export async function enumerateFileSplits(patterns: string | readonly string[], options: InputPathOptions & { discover?: boolean } = {}): Promise<FileSplitRow[]> {
  const { discover, ...paths } = options;
  // Hard links are one file in every mode: two splits of one file would read it twice and, once opened, share a key.
  if (!discover) return (await distinctFiles(await matchInputFiles(patterns, paths), true)).map((f) => ({ id: f.path, position: { ...FILE_START } }));
  const files = await matchIdentifiedFiles(typeof patterns === 'string' ? [patterns] : patterns, paths);
  return files.map((f) => fileSplitRow({ id: f.real, position: { ...FILE_START, dev: f.dev, ino: f.ino } }));
}

/** Checks a split that came back from a checkpoint: a position that is not plain data of the right shape is an error. */
export function checkFileSplit(split: SourceSplit): FileSplit {
  const p = split.position as Partial<FileSplitPosition> | null;
  const digits = (v: unknown): boolean => typeof v === 'string' && /^[0-9]+$/.test(v);
  if (typeof split.id !== 'string' || split.id.length === 0 || p === null || typeof p !== 'object'
    || !Number.isSafeInteger(p.offset) || p.offset! < 0 || !Number.isSafeInteger(p.line) || p.line! < 1
    || ((p.dev !== undefined || p.ino !== undefined) && !(digits(p.dev) && digits(p.ino)))) {
    throw new ConnectorOptionError(`not a file split: ${JSON.stringify(split)} (expected { id: path, position: { offset >= 0, line >= 1, dev?, ino? (decimal strings, both or neither) } })`);
  }
  // Its path: the id, less the identity a row appends (fileSplitRow; checkpoints from before have the path alone).
  const suffix = p.dev === undefined ? undefined : `@${p.dev}:${p.ino!}`;
  const path = suffix !== undefined && split.id.endsWith(suffix) && split.id.length > suffix.length ? split.id.slice(0, -suffix.length) : split.id;
  return { id: path, position: { offset: p.offset!, line: p.line!, ...(p.dev === undefined ? {} : { dev: p.dev, ino: p.ino! }) } };
}

/** The file a split reads, when known. */
export function splitIdentity(split: FileSplit): FileIdentity | undefined {
  const { dev, ino } = split.position;
  return dev === undefined || ino === undefined ? undefined : { dev, ino };
}

/** What tells a split's file apart within a source: its identity (fileKey), else (not known yet) its path. */
export function splitKey(split: FileSplit): string {
  const id = splitIdentity(split);
  return id === undefined ? split.id : fileKey(id);
}

/**
 * On a resume: restored files no pattern matches now are dropped (noted), and files a pattern matches that the
 * restored splits lack are noted, not read; when discovering (file-discovery.ts), they are new files (a followed
 * file never ends, so one read before is in the checkpoint) and are added at their start, and every split is
 * named by its real path. They cannot be added: a file read to its end leaves the snapshot, so a
 * restore cannot tell a file new to the job from one it finished (re-enumerating would read that one again).
 * Noted only where they cannot be finished ones: when following (a followed file never ends), or for a pattern
 * that matches none of the restored files (which may still be one finished: the note says so).
 * A split is its file (file-identity.ts): one the patterns match under another name (rotated) is read on there;
 * following, one whose path holds another file and that is nowhere else ends (noted: what it held after its
 * position is lost), and the file at its path is another. A split from a checkpoint that did not record its file
 * is taken to be the file its path holds now, as before (noted), and records it.
 */
export async function restoreFileSplits(patterns: readonly string[], options: InputPathOptions & { follow?: boolean; discover?: boolean; list?: FileLister }, restored: readonly SourceSplit[]): Promise<SplitRestore> {
  const splits = restored.map(checkFileSplit);
  const restoredReal = await Promise.all(splits.map((s) => realpath(s.id).catch(() => s.id)));
  const cwd = options.cwd === undefined ? {} : { cwd: options.cwd };
  // Every name of a file: a split from a checkpoint from before (no identity) is found by its name.
  const lister = options.list ?? patternLister({ ...cwd, everyName: true });
  // Per pattern, the files it matches now, one per file (the file system is touched here anyway).
  const perPattern: IdentifiedFile[][] = [];
  for (const pattern of patterns) perPattern.push(await lister([pattern]));
  const byKey = new Map<string, IdentifiedFile>();
  const byReal = new Map<string, IdentifiedFile>();
  for (const f of perPattern.flat()) {
    if (!byKey.has(fileKey(f))) byKey.set(fileKey(f), f);
    if (!byReal.has(f.real)) byReal.set(f.real, f);
  }
  // A restored file that listing lacked may have been renamed while it ran (rotation): looked for again.
  const missing = splits.map(splitIdentity).filter((id): id is FileIdentity => id !== undefined && !byKey.has(fileKey(id)));
  if (missing.length > 0) for (const [k, f] of await searchFiles(lister, patterns, missing, perPattern.flat())) byKey.set(k, f);
  // Discovering, one still missing is looked for by its reader's scans (file-source-reader.ts), unless its path
  // holds it still, unmatched: the patterns changed.
  const ownAtPath = await Promise.all(splits.map(async (s, i) => {
    const was = splitIdentity(s);
    if (!options.discover || was === undefined || byKey.has(fileKey(was))) return false;
    const st = await stat(restoredReal[i]!, { bigint: true }).catch(() => undefined);
    return st !== undefined && st.dev.toString() === was.dev && st.ino.toString() === was.ino;
  }));
  const named = (f: IdentifiedFile): string => (options.discover ? f.real : f.path);
  const notes: string[] = [];
  const list = (files: readonly string[]): string => `${files.slice(0, 5).map((f) => `'${f}'`).join(', ')}${files.length > 5 ? ` and ${files.length - 5} more` : ''}`;
  const kept: FileSplit[] = [];
  // A kept split at its restored path keeps its restored id (a checkpoint from before: the path alone), so the
  // runtime matches it to the subtask that had it (restore.ts regroup).
  const restoredId = new Map<FileSplit, string>();
  // The file each split reads: its own where found (by identity; without one, the file at its path).
  const reads = splits.map((s, i) => {
    const was = splitIdentity(s);
    const f = was === undefined ? byReal.get(restoredReal[i]!) : byKey.get(fileKey(was));
    return f === undefined ? undefined : fileKey(f);
  });
  const keptKeys = new Set<string>();
  const keptBy = new Map<string, string>();
  const dropped: FileSplit[] = [];
  const unidentified: FileSplit[] = [];
  splits.forEach((s, i) => {
    const real = restoredReal[i]!;
    const was = splitIdentity(s);
    const f = was === undefined ? byReal.get(real) : byKey.get(fileKey(was));
    if (f === undefined) {
      if (was !== undefined && options.discover && !ownAtPath[i]) {
        if (!keptKeys.has(fileKey(was))) {
          kept.push(s);
          restoredId.set(s, restored[i]!.id);
        }
        keptKeys.add(fileKey(was));
        return;
      }
      // Following, its path holding another file: the file read is gone from the patterns, and with it what followed.
      if (was !== undefined && byReal.has(real) && options.follow) {
        notes.push(`file '${s.id}' holds another file than the checkpoint reads (another device and inode: rotated or replaced since), and no file the patterns match is that one (renamed away or deleted): its lines before line ${s.position.line} (byte ${s.position.offset}) were read; whatever it held after that is lost. Its split ends`);
      } else if (was !== undefined && byReal.has(real)) {
        // Not following, the input must be read whole: its reader refuses the other file (FileReplacedError), or,
        // at its start, reads it (file-split-reader.ts): not where another split reads that file (rotated into this
        // path, or a link), which would read it twice; none of its own file was read, as at a fresh start.
        const there = fileKey(byReal.get(real)!);
        if (s.position.offset === FILE_START.offset && reads.some((k, j) => j !== i && k === there)) {
          notes.push(`file '${s.id}' holds another file than the checkpoint reads (another device and inode), one another split reads, and no file the patterns match is its own: none of its own was read; its split ends`);
          return;
        }
        kept.push(s);
        restoredId.set(s, restored[i]!.id);
      } else {
        dropped.push(s);
      }
      return;
    }
    // One split per file, should two restored paths now lead to one (hard links, or a link): read under the first.
    const first = keptBy.get(fileKey(f));
    if (first !== undefined) {
      notes.push(`file '${s.id}' is '${first}' (one device and inode: hard links, or a link): read once, under '${first}'; the position restored for '${s.id}' is dropped`);
      return;
    }
    keptKeys.add(fileKey(f));
    // Read from its start, any file at its path is the one to read.
    if (was === undefined && s.position.offset > 0 && options.follow) unidentified.push(s);
    const id = f.real === real ? (options.discover ? real : s.id) : named(f);
    if (was !== undefined && f.real !== real) notes.push(`file '${s.id}' is now named '${id}' (renamed since the checkpoint, as log rotation does: the same device and inode): read on there from line ${s.position.line}`);
    // Following, a split records its file (discovering, its owner's key); bounded, its reader learns it on opening.
    keptBy.set(fileKey(f), id);
    const k = { id, position: was === undefined && !options.follow ? s.position : { offset: s.position.offset, line: s.position.line, dev: f.dev, ino: f.ino } };
    kept.push(k);
    if (id === s.id) restoredId.set(k, restored[i]!.id);
  });
  const added: FileSplit[] = [];
  patterns.forEach((pattern, p) => {
    const files = perPattern[p]!;
    const lacking = files.filter((f) => !keptKeys.has(fileKey(f)));
    if (options.discover) {
      for (const f of lacking) {
        keptKeys.add(fileKey(f));
        added.push({ id: f.real, position: { ...FILE_START, dev: f.dev, ino: f.ino } });
      }
      return;
    }
    if (lacking.length === 0 || (!options.follow && files.some((f) => keptKeys.has(fileKey(f))))) return;
    notes.push(`path ${JSON.stringify(pattern)} matches ${list(lacking.map((f) => f.path))}, not among the files the checkpoint reads: ${lacking.length === 1 ? 'it is' : 'they are'} not read${options.follow ? '' : ' (unless read to the end before the checkpoint)'}. The set of files is fixed when the job first starts (a file read to its end leaves the checkpoint, so a restore cannot tell a new file from a finished one); to read ${lacking.length === 1 ? 'it' : 'them'}, resume with allowNonRestoredState / --allow-non-restored-state and the source under another uid (it then reads all its files from the start), or start without resuming`);
  });
  if (dropped.length > 0) {
    notes.push(`${dropped.length === 1 ? 'file' : 'files'} ${list(dropped.map((s) => s.id))} ${dropped.length === 1 ? 'is' : 'are'} no longer matched by the configured paths (${patterns.map((p) => JSON.stringify(p)).join(', ')}): not read any more, and ${dropped.length === 1 ? 'its read position is' : 'their read positions are'} dropped`);
  }
  if (unidentified.length > 0) {
    notes.push(`${unidentified.length === 1 ? 'file' : 'files'} ${list(unidentified.map((s) => s.id))}: the checkpoint does not record which file ${unidentified.length === 1 ? 'its split reads' : 'their splits read'} (taken before files were told apart by device and inode), so ${unidentified.length === 1 ? 'it is' : 'they are'} read on from ${unidentified.length === 1 ? 'its path' : 'their paths'} as before: a file rotated (renamed) since that checkpoint is not recognised`);
  }
  return { splits: [...kept.map((k) => { const id = restoredId.get(k); return id === undefined ? fileSplitRow(k) : { id, position: k.position }; }), ...added.map(fileSplitRow)], notes };
}
