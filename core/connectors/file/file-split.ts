// Runs on: main thread (enumeration on a fresh start, the restored splits checked against the patterns on a resume)
// and the worker thread of a file source subtask (restore).
//
// One split per file. Its position is where the next unread record starts, as a byte offset (to seek to) and
// a line number (for error positions), so a restored reader neither skips nor repeats a line.

import { realpath } from 'node:fs/promises';
import { ConnectorOptionError, NoInputFilesError } from '../errors.js';
import { expandInputPaths, matchInputFiles, type InputPathOptions } from './input-paths.js';
import type { SourceSplit, SplitRestore } from '../source.js';

export interface FilePosition {
  /** Byte offset of the next unread record. */
  readonly offset: number;
  /** 1-based line number of the next unread record. */
  readonly line: number;
}

export interface FileSplit extends SourceSplit {
  /** The file's absolute path. */
  readonly id: string;
  position: FilePosition;
}

export const FILE_START: FilePosition = Object.freeze({ offset: 0, line: 1 });

/**
 * A split for every input file, each at its start, in path order. `discover` (file-discovery.ts): each split's id
 * is the file's real path, its owner's key; and no file yet is no error (they come later).
 */
export async function enumerateFileSplits(patterns: string | readonly string[], options: InputPathOptions & { discover?: boolean } = {}): Promise<FileSplit[]> {
  const { discover, ...paths } = options;
  const files = await matchInputFiles(patterns, discover ? { ...paths, allowEmpty: true } : paths);
  return files.map((f) => ({ id: discover ? f.real : f.path, position: { ...FILE_START } }));
}

/** Checks a split that came back from a checkpoint: a position that is not plain data of the right shape is an error. */
export function checkFileSplit(split: SourceSplit): FileSplit {
  const p = split.position as Partial<FilePosition> | null;
  if (typeof split.id !== 'string' || split.id.length === 0 || p === null || typeof p !== 'object'
    || !Number.isSafeInteger(p.offset) || p.offset! < 0 || !Number.isSafeInteger(p.line) || p.line! < 1) {
    throw new ConnectorOptionError(`not a file split: ${JSON.stringify(split)} (expected { id: path, position: { offset >= 0, line >= 1 } })`);
  }
  return { id: split.id, position: { offset: p.offset!, line: p.line! } };
}

/**
 * On a resume: restored files no pattern matches now are dropped (noted), and files a pattern matches that the
 * restored splits lack are noted, not read; when discovering (file-discovery.ts), they are new files (a followed
 * file never ends, so one read before is in the checkpoint) and are added at their start, and every split is
 * named by its real path, which its owner is a function of. They cannot be added: a file read to its end leaves the snapshot, so a
 * restore cannot tell a file new to the job from one it finished (re-enumerating would read that one again).
 * Noted only where they cannot be finished ones: when following (a followed file never ends), or for a pattern
 * that matches none of the restored files (which may still be one finished: the note says so).
 */
export async function restoreFileSplits(patterns: readonly string[], options: InputPathOptions & { follow?: boolean; discover?: boolean }, restored: readonly SourceSplit[]): Promise<SplitRestore> {
  const splits = restored.map(checkFileSplit);
  // By real path: a file reached by several paths is one split, under the first of them.
  const real = (f: string): Promise<string> => realpath(f).catch(() => f);
  const restoredReal = await Promise.all(splits.map((s) => real(s.id)));
  const had = new Set(restoredReal);
  const matched = new Set<string>();
  const notes: string[] = [];
  const added: FileSplit[] = [];
  const list = (files: readonly string[]): string => `${files.slice(0, 5).map((f) => `'${f}'`).join(', ')}${files.length > 5 ? ` and ${files.length - 5} more` : ''}`;
  for (const pattern of patterns) {
    let found: string[] = [];
    try {
      found = await expandInputPaths([pattern], { ...(options.cwd === undefined ? {} : { cwd: options.cwd }) });
    } catch (e) {
      if (!(e instanceof NoInputFilesError)) throw e;
    }
    const reals = await Promise.all(found.map(real));
    for (const r of reals) matched.add(r);
    const lacking = found.filter((_, i) => !had.has(reals[i]!));
    if (options.discover) {
      for (const r of reals) {
        if (!had.has(r)) { had.add(r); added.push({ id: r, position: { ...FILE_START } }); }
      }
      continue;
    }
    if (lacking.length === 0 || (!options.follow && reals.some((r) => had.has(r)))) continue;
    notes.push(`path ${JSON.stringify(pattern)} matches ${list(lacking)}, not among the files the checkpoint reads: ${lacking.length === 1 ? 'it is' : 'they are'} not read${options.follow ? '' : ' (unless read to the end before the checkpoint)'}. The set of files is fixed when the job first starts (a file read to its end leaves the checkpoint, so a restore cannot tell a new file from a finished one); to read ${lacking.length === 1 ? 'it' : 'them'}, resume with allowNonRestoredState / --allow-non-restored-state and the source under another uid (it then reads all its files from the start), or start without resuming`);
  }
  const dropped = splits.filter((_, i) => !matched.has(restoredReal[i]!));
  if (dropped.length > 0) {
    notes.push(`${dropped.length === 1 ? 'file' : 'files'} ${list(dropped.map((s) => s.id))} ${dropped.length === 1 ? 'is' : 'are'} no longer matched by the configured paths (${patterns.map((p) => JSON.stringify(p)).join(', ')}): not read any more, and ${dropped.length === 1 ? 'its read position is' : 'their read positions are'} dropped`);
  }
  const ids = new Set<string>();
  const kept = splits.flatMap((s, i) => {
    if (!matched.has(restoredReal[i]!)) return [];
    if (!options.discover) return [s];
    // Named by real path; one split per file, should two restored paths now lead to one.
    if (ids.has(restoredReal[i]!)) return [];
    ids.add(restoredReal[i]!);
    return [{ id: restoredReal[i]!, position: s.position }];
  });
  return { splits: [...kept, ...added], notes };
}
