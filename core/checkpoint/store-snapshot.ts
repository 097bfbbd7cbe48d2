// Runs on: main thread of the `sluice inspect` process. A state directory as of now, for reading only.
//
// LevelDB has no read-only open: opening a directory replays its log into a new table and deletes the log (a
// damaged directory's evidence with it), and a directory a running job holds cannot be opened at all. So inspect
// opens a snapshot: a sibling directory holding copies of its files (reflinks where the file system has them).
// Copies, not hard links: the snapshot's own open writes tables, with numbers that a file left unlisted in the
// MANIFEST (a flush a kill cut short, a running job's compaction) may already have, and it truncates such a file:
// through a link, the state directory's, and a running job that has it mapped dies of SIGBUS.
//
// Order: the tables and logs first, then the MANIFEST, then CURRENT, so the MANIFEST copied names no file deleted
// before the copying began. A running job may still move on meanwhile: a listing that changed during the copy is a
// snapshot to take again (`consistent`); what a good one holds is what a kill would leave.

import { constants, copyFileSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Not state: the lock, LevelDB's info logs, a running job's control socket. */
const SKIPPED = new Set(['LOCK', 'LOG', 'LOG.old', 'control.sock']);

export interface StateDirSnapshot {
  readonly dir: string;
  /** No file of the directory came or went while it was copied. */
  readonly consistent: boolean;
  dispose(): void;
}

/** Copy order: CURRENT last, the MANIFEST before it, everything else first. */
function rank(name: string): number {
  return name === 'CURRENT' ? 2 : name.startsWith('MANIFEST-') ? 1 : 0;
}

function listing(dir: string): string[] {
  return readdirSync(dir).filter((n) => !SKIPPED.has(n)).sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
}

/** Snapshots `dir` beside it, or in the temp directory when its parent is not writable. */
export function snapshotStateDir(dir: string): StateDirSnapshot {
  const abs = path.resolve(dir);
  let into: string;
  try {
    into = mkdtempSync(path.join(path.dirname(abs), `.${path.basename(abs)}.inspect-`));
  } catch {
    into = mkdtempSync(path.join(os.tmpdir(), 'sluice-inspect-'));
  }
  const dispose = (): void => rmSync(into, { recursive: true, force: true });
  try {
    const names = listing(abs);
    for (const name of names) {
      const from = path.join(abs, name);
      try {
        if (!statSync(from).isFile()) continue;
        copyFileSync(from, path.join(into, name), constants.COPYFILE_FICLONE);
      } catch (e) {
        // Deleted since the listing (a compaction): the listing check below says so.
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
    }
    const after = listing(abs);
    const consistent = after.length === names.length && after.every((n, i) => n === names[i]);
    return { dir: into, consistent, dispose };
  } catch (e) {
    dispose();
    throw e;
  }
}
