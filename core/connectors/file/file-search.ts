// Runs on: the main thread (a resume's restore) and the worker thread of a file source subtask (a split opening a
// file whose path holds another).
//
// How a source lists the files its patterns match, with their identities, where it looks for a followed file by
// its identity (a restore, a split whose path holds another file). A parameter so a spec can give a listing that
// raced a rename.

import { matchIdentifiedFiles, type IdentifiedFile } from './file-identity.js';
import type { InputPathOptions } from './input-paths.js';

/** The files some patterns match now, one per file, with their identities. */
export type FileLister = (patterns: readonly string[]) => Promise<IdentifiedFile[]>;

/** Lists as a scan does (matchIdentifiedFiles). */
export function patternLister(options: InputPathOptions = {}): FileLister {
  return (patterns) => matchIdentifiedFiles(patterns, options.cwd === undefined ? {} : { cwd: options.cwd });
}
