// Runs on: the main thread (a resume's restore) and the worker thread of a file source subtask (a split opening a
// file whose path holds another).
//
// A followed file looked for by its identity (device and inode) among the files the patterns match. A listing is a
// readdir, then a stat per name: a file renamed between the two is under neither name it saw. Log rotation that
// shifts numbered names (app.log.1 -> app.log.2 ...) renames every rotated file at once, so one listing taken while
// it runs misses one; a split taken for gone ends, and a scan that lists its file later reads it again from its
// start. So a file is gone only when LISTINGS listings in a row lack it. The listing is a parameter so a spec can
// give one that raced a rename.

import { fileKey, matchIdentifiedFiles, type FileIdentity, type IdentifiedFile } from './file-identity.js';
import type { InputPathOptions } from './input-paths.js';

/** The files some patterns match now, one per file, with their identities. */
export type FileLister = (patterns: readonly string[]) => Promise<IdentifiedFile[]>;

export const LISTINGS = 3;

/** Lists as a scan does (matchIdentifiedFiles; `everyName`: each name of a file, as a restore needs). */
export function patternLister(options: InputPathOptions & { everyName?: boolean } = {}): FileLister {
  return (patterns) => matchIdentifiedFiles(patterns, { ...(options.cwd === undefined ? {} : { cwd: options.cwd }), ...(options.everyName ? { everyName: true } : {}) });
}

/**
 * The files in `wanted` the patterns match, by key (fileKey): each as the first listing that had it found it. Lists
 * again while some are missing, up to `LISTINGS` listings; `first` is a listing already taken (counted as one).
 */
export async function searchFiles(list: FileLister, patterns: readonly string[], wanted: readonly FileIdentity[], first?: readonly IdentifiedFile[]): Promise<Map<string, IdentifiedFile>> {
  const want = new Set(wanted.map(fileKey));
  const found = new Map<string, IdentifiedFile>();
  for (let listing = 0; listing < LISTINGS && found.size < want.size; listing++) {
    const files = listing === 0 && first !== undefined ? first : await list(patterns);
    for (const f of files) {
      const k = fileKey(f);
      if (want.has(k) && !found.has(k)) found.set(k, f);
    }
  }
  return found;
}
