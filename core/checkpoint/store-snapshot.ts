// Runs on: main thread of the `sluice inspect` process. A state directory as of now, for reading only.
//
// LevelDB has no read-only open: opening a directory replays its log into a new table and deletes the log (a
// damaged directory's evidence with it), and a directory a running job holds cannot be opened at all. So inspect
// opens a snapshot: a sibling directory where LevelDB's tables, which it never changes once written, are hard links
// (copies across file systems), and its other files copies. The state directory itself is not written.
//
// A running job's directory gives a crash-consistent image, as a kill would leave it (a log record being written is
// dropped on open); a compaction that replaces tables while they are linked leaves one that cannot be opened, and
// `openSnapshot` takes another.

import { copyFileSync, linkSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** LevelDB's tables: written once, then only deleted. */
const IMMUTABLE = /\.(ldb|sst)$/;
/** Not state: the lock, LevelDB's info logs, a running job's control socket. */
const SKIPPED = new Set(['LOCK', 'LOG', 'LOG.old', 'control.sock']);

export interface StateDirSnapshot {
  readonly dir: string;
  dispose(): void;
}

/** Snapshots `dir` beside it (same file system: links), or in the temp directory when its parent is not writable. */
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
    // CURRENT last: it names the MANIFEST, which a running job may have moved on from since the listing.
    const names = readdirSync(abs).filter((n) => !SKIPPED.has(n)).sort((a, b) => (a === 'CURRENT' ? 1 : b === 'CURRENT' ? -1 : 0));
    for (const name of names) {
      const from = path.join(abs, name);
      const to = path.join(into, name);
      let isFile: boolean;
      try { isFile = statSync(from).isFile(); } catch { continue; /* deleted since the listing (a compaction) */ }
      if (!isFile) continue;
      try {
        if (!IMMUTABLE.test(name)) copyFileSync(from, to);
        else {
          try { linkSync(from, to); } catch { copyFileSync(from, to); }
        }
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
    }
  } catch (e) {
    dispose();
    throw e;
  }
  return { dir: into, dispose };
}
