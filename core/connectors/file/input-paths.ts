// Runs on: main thread (a file source enumerates its splits there, once, on a fresh start) and, when it discovers
// files, the worker thread of each file source subtask (every scan).
//
// Turns the paths and glob patterns a user gives into a sorted list of files. Node 20 has no fs.glob, so patterns
// go through tinyglobby. A directory means the files under it; hidden files (a name starting with '.') are
// left out there, which also keeps a file sink's in-progress and pending parts out of a reader of its output.
// A path or pattern that matches nothing is an error: a typo should not become an empty job (except for a source
// that discovers files: it may start before they come). A file reached by
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
  return (await matchInputFiles(patterns, options)).map((f) => f.path);
}

/** An input file: the path it is read by, and its real path (symbolic links resolved; the path if that fails). */
export interface InputFile {
  readonly path: string;
  readonly real: string;
}

/**
 * The input files, sorted by path, one per real path. `allowEmpty` (a source that discovers files as they come): a
 * path or pattern that matches nothing now is no error, it matches no file.
 */
export async function matchInputFiles(patterns: string | readonly string[], options: InputPathOptions & { allowEmpty?: boolean } = {}): Promise<InputFile[]> {
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
    else if (options.allowEmpty) found = [];
    else throw new NoInputFilesError(list, `${path} does not exist`);
    if (found.length === 0 && !options.allowEmpty) {
      throw new NoInputFilesError(list, kind === 'directory' ? `directory ${path} holds no (non-hidden) files` : `pattern ${JSON.stringify(pattern)} matches no file under ${cwd}`);
    }
    for (const f of found) files.add(resolve(f));
  }
  const sorted = [...files].sort();
  // Resolved together, not one await per file (a source of many files enumerates them at start-up).
  const reals = await Promise.all(sorted.map((f) => realpath(f).catch(() => f)));
  const byFile = new Set<string>();
  const out: InputFile[] = [];
  sorted.forEach((path, i) => {
    const real = reals[i]!;
    if (byFile.has(real)) return;
    byFile.add(real);
    out.push({ path, real });
  });
  return out;
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
