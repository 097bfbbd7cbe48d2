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
// before the copying began. Then every table that MANIFEST lists and the copy lacks, or holds at another size, is
// copied (again): a running job writes tables meanwhile (a flush, a compaction's output; one copied while it was
// written is cut short), and once listed a table never changes. One the job deleted since (a compaction) is merged
// into tables a later edit lists: the MANIFEST is copied again (edits are only appended) and its tables filled in,
// up to FILL_ROUNDS times, after which the copy is `complete: false`, to take again. The logs copied before stay:
// a newer MANIFEST skips those it has flushed, so the copy lacks only writes newer than its tables. A listing that
// changed during the copy is one to take again too (`consistent`), though LevelDB can open it; what a good one
// holds is what a kill would leave.

import { constants, copyFileSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { currentManifest, liveTables, manifestMark, type LiveTable } from './leveldb-live-tables.js';
import { LevelDbFormatError } from './leveldb-coding.js';

/** Not state: the lock, LevelDB's info logs, a running job's control socket. */
const SKIPPED = new Set(['LOCK', 'LOG', 'LOG.old', 'control.sock']);

export interface StateDirSnapshot {
  readonly dir: string;
  /** No file of the directory came or went while it was copied. */
  readonly consistent: boolean;
  /**
   * Every table the copied MANIFEST lists is in the copy, whole, or the directory lacks it too and its MANIFEST held
   * still (damage, which the open's table check names). false: the job deleted one before it was copied (a
   * compaction), and LevelDB would refuse the copy as missing it, where the directory itself is not damaged.
   */
  readonly complete: boolean;
  dispose(): void;
}

/** Called between the steps of a copy, for specs that make a job write at that moment. */
export interface SnapshotHooks {
  /** The tables and logs are copied; the MANIFEST and CURRENT are not. */
  afterFiles?(into: string): void;
  /** The MANIFEST and CURRENT are copied (each time the MANIFEST is); the tables it lists that the copy lacks are not. */
  afterManifest?(into: string): void;
}

/** Copies of the MANIFEST whose tables a running job's compactions may delete before they are copied. */
const FILL_ROUNDS = 5;

/** Copy order: CURRENT last, the MANIFEST before it, everything else first. */
function rank(name: string): number {
  return name === 'CURRENT' ? 2 : name.startsWith('MANIFEST-') ? 1 : 0;
}

function listing(dir: string): string[] {
  return readdirSync(dir).filter((n) => !SKIPPED.has(n)).sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
}

/** Copies `from` to `to`; false if `from` is gone. */
function copied(from: string, to: string): boolean {
  try {
    if (!statSync(from).isFile()) return true;
    copyFileSync(from, to, constants.COPYFILE_FICLONE);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    return false;
  }
}

/** The size of `file`, or undefined when there is none. */
function sizeOf(file: string): number | undefined {
  return statSync(file, { throwIfNoEntry: false })?.size;
}

/** The name of table `t` in `dir`: LevelDB's (.ldb), or the older one (.sst) when only that is there. */
function tableName(dir: string, t: LiveTable): string {
  const base = String(t.number).padStart(6, '0');
  return sizeOf(path.join(dir, `${base}.ldb`)) === undefined && sizeOf(path.join(dir, `${base}.sst`)) !== undefined ? `${base}.sst` : `${base}.ldb`;
}

/**
 * Copies the tables the MANIFEST copied into `into` lists that `into` lacks or holds at another size than it
 * recorded. false: one of them was gone from `abs` (deleted by a compaction since the MANIFEST was copied) each of
 * FILL_ROUNDS times the MANIFEST was copied.
 */
function copyListedTables(abs: string, into: string, hooks: SnapshotHooks): boolean {
  const manifest = currentManifest(into);
  // No usable CURRENT: LevelDB's open refuses the copy, naming it.
  if (manifest === undefined) return true;
  for (let round = 1; ; round++) {
    // Copied with the listing the first time, unless begun after it (the job reopened); again on later rounds.
    if ((round > 1 || sizeOf(path.join(into, manifest)) === undefined) && !copied(path.join(abs, manifest), path.join(into, manifest))) return false;
    hooks.afterManifest?.(into);
    let tables: LiveTable[];
    try {
      tables = liveTables(into, manifest);
    } catch (e) {
      // A damaged MANIFEST: the open's table check says so, as of the directory.
      if (e instanceof LevelDbFormatError) return true;
      throw e;
    }
    // Every one that is there, even after one that is gone: the next round then copies only what is newer.
    let gone = 0;
    for (const t of tables) {
      if (sizeOf(path.join(into, tableName(into, t))) === t.size) continue;
      const name = tableName(abs, t);
      if (!copied(path.join(abs, name), path.join(into, name))) gone++;
    }
    if (gone === 0) return true;
    if (round === FILL_ROUNDS) return false;
  }
}

/** Snapshots `dir` beside it, or in the temp directory when its parent is not writable. */
export function snapshotStateDir(dir: string, hooks: SnapshotHooks = {}): StateDirSnapshot {
  const abs = path.resolve(dir);
  let into: string;
  try {
    into = mkdtempSync(path.join(path.dirname(abs), `.${path.basename(abs)}.inspect-`));
  } catch {
    into = mkdtempSync(path.join(os.tmpdir(), 'sluice-inspect-'));
  }
  const dispose = (): void => rmSync(into, { recursive: true, force: true });
  try {
    const mark = manifestMark(abs);
    const names = listing(abs);
    let manifestCopied = false;
    for (const name of names) {
      if (rank(name) > 0 && !manifestCopied) {
        hooks.afterFiles?.(into);
        manifestCopied = true;
      }
      // Deleted since the listing (a compaction, a flushed log): the listing check below says so.
      copied(path.join(abs, name), path.join(into, name));
    }
    if (!manifestCopied) hooks.afterFiles?.(into);
    const complete = copyListedTables(abs, into, hooks) || manifestMark(abs) === mark;
    const after = listing(abs);
    const consistent = after.length === names.length && after.every((n, i) => n === names[i]);
    return { dir: into, consistent, complete, dispose };
  } catch (e) {
    dispose();
    throw e;
  }
}
