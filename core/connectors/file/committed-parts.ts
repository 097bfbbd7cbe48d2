// Runs on: main thread (a file sink's commits and restores).
//
// The file sink's own evidence of which parts it fully published: a hidden record per output directory and prefix
// (`.<prefix><suffix>.committed`), staged before a commit's or a restore's renames (temp file, fsync) and renamed
// into place right after them, before the directory fsync that makes both durable: a crash between the renames and
// the record left parts a consumer could take before the resume, unlisted (a review killed 1 in 10 commits there). A consumer of
// the directory moves or deletes published parts, and a later commit that names one again (a restore, a
// restore's first checkpoint) finds neither its pending nor its final file. That alone cannot tell a part taken
// after its publish from one whose hidden file was lost before it (the PUBLISHED mark is written before the
// renames): only a record written after them can, so a part with both files gone counts as taken only where this
// record lists it at its length.
//
// Kept small: each entry carries the range of checkpoint ids whose commit or restore vouched for it (every
// completed checkpoint that names a closed part publishes it, so stamps it), and an entry whose range holds no
// checkpoint still in the state directory goes: no restore can name it again. A range, not the oldest id kept: a
// savepoint is kept for good, and everything after it would be too. A damaged record
// is an error naming it, not "no evidence": rewriting it would drop what it vouched for without a word, and the
// failures that followed would point at parts, not at the record.

import { readFileSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from '../../../shm/checksum.js';
import { FileCommitError } from '../errors.js';
import type { PartNames } from './part-files.js';

const FORMAT = 1;

/** [final name, bytes published, lowest and highest id of the checkpoints whose commit or restore vouched for it]. */
type Entry = [string, number, number, number];

// Prefix and suffix: a directory may hold two sinks' parts that differ in suffix alone (part-*.jsonl, part-*.csv).
export const committedRecordName = (names: PartNames): string => `.${names.prefix}${names.suffix}.committed`;

function entriesCrc(entries: readonly Entry[]): number {
  const bytes = Buffer.from(JSON.stringify(entries), 'utf8');
  return crc32(bytes, 0, bytes.length);
}

export class CommittedParts {
  private readonly parts = new Map<string, { bytes: number; lo: number; hi: number }>();
  private changed = false;

  private constructor(readonly file: string, private readonly dir: string) {}

  /** The record of `dir`'s parts named `names`, or an empty one. Throws FileCommitError for a damaged record. */
  static read(dir: string, names: PartNames): CommittedParts {
    const file = join(dir, committedRecordName(names));
    const record = new CommittedParts(file, dir);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return record;
      // An I/O error, not damage: a restart may read it.
      throw damaged(file, `cannot be read: ${(e as Error).message}`, false);
    }
    let v: { format?: unknown; crc?: unknown; parts?: unknown };
    try { v = JSON.parse(text) as typeof v; } catch { throw damaged(file, 'not JSON'); }
    if (v === null || typeof v !== 'object' || v.format !== FORMAT || !Array.isArray(v.parts)) throw damaged(file, `not a record of format ${FORMAT}`);
    const entries = v.parts as unknown[];
    if (!entries.every((e) => Array.isArray(e) && e.length === 4 && typeof e[0] === 'string' && [e[1], e[2], e[3]].every(Number.isSafeInteger))) throw damaged(file, 'an entry is not [name, bytes, from checkpoint, to checkpoint]');
    if (v.crc !== entriesCrc(entries as Entry[])) throw damaged(file, 'its checksum does not match');
    for (const [final, bytes, lo, hi] of entries as Entry[]) record.parts.set(final, { bytes, lo, hi });
    return record;
  }

  /** Whether a part `final` was fully published at `bytes` (`orLonger`: at `bytes` or more, as an open part's later length). */
  vouches(final: string, bytes: number, orLonger = false): boolean {
    const e = this.parts.get(final);
    return e !== undefined && (orLonger ? e.bytes >= bytes : e.bytes === bytes);
  }

  /** Part `final` is published at `bytes` (its renames made durable), as checkpoint `by`'s commit or restore found it. */
  published(final: string, bytes: number, by: number): void {
    const e = this.parts.get(final);
    if (e === undefined) {
      this.parts.set(final, { bytes, lo: by, hi: by });
      this.changed = true;
    } else {
      if (bytes > e.bytes) { e.bytes = bytes; this.changed = true; }
      this.restamp(final, by);
    }
  }

  /** Checkpoint `by` names `final` too (an open part a restore published): kept as long as that checkpoint is. */
  restamp(final: string, by: number): void {
    const e = this.parts.get(final);
    if (e === undefined || (e.lo <= by && by <= e.hi)) return;
    e.lo = Math.min(e.lo, by);
    e.hi = Math.max(e.hi, by);
    this.changed = true;
  }

  /** Drops entries whose checkpoints are all gone from the state directory (`stored`: the ids still there). */
  prune(stored: readonly number[]): void {
    // Sorted, each entry's range looked up by bisection: savepoints keep entries for good, thousands of them.
    const ids = Float64Array.from(stored).sort();
    for (const [final, e] of this.parts) {
      let lo = 0;
      let hi = ids.length;
      while (lo < hi) { const mid = (lo + hi) >>> 1; if (ids[mid]! < e.lo) lo = mid + 1; else hi = mid; }
      if (lo === ids.length || ids[lo]! > e.hi) { this.parts.delete(final); this.changed = true; }
    }
  }

  /** A copy to change for a commit's next record, while this one stays the evidence its renames are checked against. */
  copy(): CommittedParts {
    const c = new CommittedParts(this.file, this.dir);
    for (const [final, e] of this.parts) c.parts.set(final, { ...e });
    return c;
  }

  get size(): number {
    return this.parts.size;
  }

  /**
   * Writes the record as it is now to its temp file, durably, if anything changed (true): install() puts it in place.
   * Asynchronous: its fsync (a few ms a commit, benchmarks/file-commit.ts) must not stall the main thread's event loop.
   */
  async stage(): Promise<boolean> {
    if (!this.changed) return false;
    const entries: Entry[] = [...this.parts].map(([final, e]) => [final, e.bytes, e.lo, e.hi]);
    const h = await open(this.tmp, 'w');
    try {
      await h.writeFile(JSON.stringify({ format: FORMAT, crc: entriesCrc(entries), parts: entries }));
      await h.sync();
    } finally { await h.close(); }
    return true;
  }

  /** The staged record in place of the old (the caller fsyncs the directory). */
  async install(): Promise<void> {
    await rename(this.tmp, this.file);
    this.changed = false;
  }

  get directory(): string {
    return this.dir;
  }

  private get tmp(): string {
    return `${this.file}.tmp`;
  }
}

function damaged(file: string, problem: string, permanent = true): FileCommitError {
  return new FileCommitError(`file sink: ${file} is damaged (${problem}). It records which parts the sink fully published, so that a part a consumer took away can be told from one lost before it was published. Restore it from a backup, or delete it: a commit that then finds a taken part fails instead of skipping it`, { permanent });
}
