// Runs on: any thread (the main thread on a fresh start and a resume, a file source subtask's worker thread when it
// opens a file or scans for new ones).
//
// A followed file is the file, not its path: log rotation renames it (`mv app.log app.log.1`) and makes another at
// the path. A file is told apart by its device and inode numbers (as tail -F, Fluent Bit and Vector do), stat'ed
// only where the file system is touched anyway (a scan, an opening, a restore), never per record. Kept as decimal
// strings: inode numbers of some file systems do not fit a double.

import { statSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import type { BigIntStats } from 'node:fs';
import { matchInputFiles, type InputFile, type InputPathOptions } from './input-paths.js';

export interface FileIdentity {
  readonly dev: string;
  readonly ino: string;
}

/** One string per file, for maps and for its owner's hash. */
export function fileKey(f: FileIdentity): string {
  return `${f.dev}:${f.ino}`;
}

export function sameFile(a: FileIdentity, b: FileIdentity): boolean {
  return a.dev === b.dev && a.ino === b.ino;
}

function identityOf(s: BigIntStats): FileIdentity {
  return { dev: s.dev.toString(), ino: s.ino.toString() };
}

/** The identity of the file at `path` now, if there is one (synchronous: for checks between requests). */
export function pathIdentity(path: string): FileIdentity | undefined {
  try {
    return identityOf(statSync(path, { bigint: true }));
  } catch {
    return undefined;
  }
}

/** The identity of an open file. */
export async function handleIdentity(h: FileHandle): Promise<FileIdentity> {
  return identityOf(await h.stat({ bigint: true }));
}

/** A matched input file with its identity. */
export interface IdentifiedFile extends InputFile, FileIdentity {}

/** Each file's identity, in the order given; a file gone since it was listed is left out. */
export async function identifyFiles(files: readonly InputFile[]): Promise<IdentifiedFile[]> {
  const stats = await Promise.all(files.map((f) => stat(f.real, { bigint: true }).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT' || e.code === 'ENOTDIR') return undefined;
    throw e;
  })));
  return files.flatMap((f, i) => {
    const s = stats[i];
    return s === undefined ? [] : [{ ...f, ...identityOf(s) }];
  });
}

/** One per file: a file reached by several names (hard links) is kept once, under the first. */
function onePerFile(files: readonly IdentifiedFile[]): IdentifiedFile[] {
  const seen = new Set<string>();
  return files.filter((f) => {
    const k = fileKey(f);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/**
 * The files, in the order given, one per file (hard links: the first name), with their identities; a file that
 * cannot be stat'ed now is left out. `keepUnknown`: kept instead, as it is (its opening says what became of it, as
 * it did before files were identified).
 */
export async function distinctFiles(files: readonly InputFile[]): Promise<IdentifiedFile[]>;
export async function distinctFiles(files: readonly InputFile[], keepUnknown: true): Promise<InputFile[]>;
export async function distinctFiles(files: readonly InputFile[], keepUnknown = false): Promise<InputFile[]> {
  const identified = await identifyFiles(files);
  const distinct = onePerFile(identified);
  if (!keepUnknown) return distinct;
  const kept = new Set(distinct.map((f) => f.path));
  const known = new Set(identified.map((f) => f.path));
  return files.filter((f) => kept.has(f.path) || !known.has(f.path));
}

/**
 * The files the patterns match now, with their identities (a pattern matching nothing is no error), one per file;
 * `everyName`: under each name that reaches it (hard links), as a restore that finds splits by name needs.
 */
export async function matchIdentifiedFiles(patterns: readonly string[], options: InputPathOptions & { everyName?: boolean } = {}): Promise<IdentifiedFile[]> {
  const files = await matchInputFiles(patterns, { ...(options.cwd === undefined ? {} : { cwd: options.cwd }), allowEmpty: true });
  return options.everyName ? identifyFiles(files) : distinctFiles(files);
}
