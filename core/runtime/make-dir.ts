// Runs on: any thread. `mkdir -p` that always ends. Node's `mkdirSync(dir, { recursive: true })` never returns where
// a directory cannot be made inside an existing one and mkdir says ENOENT, as under /proc (`/proc/x`): it makes the
// parent again, gets EEXIST, and tries the child again, for ever (Node 20 and 24). This walks down from the nearest
// existing ancestor and makes one level at a time, so any failure is thrown once, naming the path that failed.

import { mkdirSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * Makes `dir` and any missing parents; throws the first failure (ENOENT, ENOTDIR, EACCES, ...) with its path.
 * `syncParent`: called with the parent of each directory it made, right after (a directory's name lives in its
 * parent: one that must survive a crash has that parent fsynced).
 */
export function makeDir(dir: string, syncParent?: (parent: string) => void): void {
  const missing: string[] = [];
  let at = path.resolve(dir);
  for (;;) {
    const stat = statSync(at, { throwIfNoEntry: false });
    if (stat !== undefined) {
      if (!stat.isDirectory()) throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${at}'`), { code: 'ENOTDIR', path: at });
      break;
    }
    missing.push(at);
    const parent = path.dirname(at);
    if (parent === at) break;
    at = parent;
  }
  for (let i = missing.length - 1; i >= 0; i--) {
    try {
      mkdirSync(missing[i]!);
    } catch (e) {
      // Another process made it between the stat and here.
      if ((e as NodeJS.ErrnoException).code === 'EEXIST' && statSync(missing[i]!).isDirectory()) continue;
      throw e;
    }
    syncParent?.(path.dirname(missing[i]!));
  }
}
