// Runs on: main thread (a file source enumerates its splits there, once, on a fresh start).
//
// Turns the paths and glob patterns a user gives into a sorted list of files. Node 20 has no fs.glob, so patterns
// go through tinyglobby. A directory means the files under it; hidden files (a name starting with '.') are
// left out there, which also keeps a file sink's in-progress and pending parts out of a reader of its output.
// A path or pattern that matches nothing is an error: a typo should not become an empty job. A file reached by
// several paths (a symlinked directory, a link back up the tree, an alias link) is read once, by the first of its
// paths in sorted order (else a loop `d/sub/loop -> ..` reads every file twice).

import { realpath, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { createRequire } from 'node:module';
import { ConnectorOptionError, NoInputFilesError } from '../errors.js';

// Loaded on first use: every worker thread imports the public API, and few jobs need this package.
const requireLazy = createRequire(import.meta.url);

export interface InputPathOptions {
  /** Base for relative paths and patterns. Default process.cwd(). */
  cwd?: string;
}

/** Absolute paths of the input files, sorted, one per file (however many paths reach it). */
export async function expandInputPaths(patterns: string | readonly string[], options: InputPathOptions = {}): Promise<string[]> {
  const list = typeof patterns === 'string' ? [patterns] : [...patterns];
  if (list.length === 0) throw new ConnectorOptionError('file source: no input paths given');
  const cwd = options.cwd ?? process.cwd();
  const files = new Set<string>();
  const { escapePath, glob, isDynamicPattern } = requireLazy('tinyglobby') as typeof import('tinyglobby');
  for (const pattern of list) {
    if (typeof pattern !== 'string' || pattern.length === 0) throw new ConnectorOptionError(`file source: an input path must be a non-empty string, got ${JSON.stringify(pattern)}`);
    const path = resolve(cwd, pattern);
    const kind = await statKind(path);
    let found: string[];
    if (kind === 'file') found = [path];
    else if (kind === 'directory') found = await glob(`${escapePath(path)}/**`, { absolute: true, onlyFiles: true, dot: false });
    else if (isDynamicPattern(pattern)) found = await glob(pattern, { cwd, absolute: true, onlyFiles: true, dot: false });
    else throw new NoInputFilesError(list, `${path} does not exist`);
    if (found.length === 0) {
      throw new NoInputFilesError(list, kind === 'directory' ? `directory ${path} holds no (non-hidden) files` : `pattern ${JSON.stringify(pattern)} matches no file under ${cwd}`);
    }
    for (const f of found) files.add(resolve(f));
  }
  const sorted = [...files].sort();
  // Resolved together, not one await per file (a source of many files enumerates them at start-up).
  const reals = await Promise.all(sorted.map((f) => realpath(f).catch(() => f)));
  const byFile = new Set<string>();
  return sorted.filter((_, i) => {
    if (byFile.has(reals[i]!)) return false;
    byFile.add(reals[i]!);
    return true;
  });
}

async function statKind(path: string): Promise<'file' | 'directory' | 'missing'> {
  try {
    const s = await stat(path);
    return s.isDirectory() ? 'directory' : 'file';
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return 'missing';
    throw e;
  }
}
