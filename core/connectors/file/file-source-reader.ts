// Runs on: the worker thread of a file source subtask.
//
// The reader of one file source subtask over the file splits assigned to it. Bounded: files are read one after
// the other, in split order, so a subtask's output order is deterministic. Follow: every file stays open and is
// read round-robin, since none of them ends. A finished split leaves the snapshot; the others report where the
// next unread record starts. With per-split watermarks it tells which file each read's records come from.
// Discovering (file-discovery.ts): files its scans find are added between reads, from their start, and `read`
// waits rather than ends while it has none; `read` itself does no more per record than without. A file is held by
// its identity (file-identity.ts), not its name: one a scan finds under another name was renamed (log rotation),
// and its split goes on under that name; a new file at its old name is new. One no scan finds any more (twice: a
// listing may predate a rename the stat after it saw) was renamed out of the patterns: read to its end, it ends
// (found again while it has a name, it is read on where it ended).

import { ConnectorOptionError, FileReplacedError } from '../errors.js';
import type { RecordFormat } from '../formats/record-format.js';
import { SOURCE_END, SOURCE_MORE, SOURCE_WAIT, type SourceStatus } from '../source.js';
import type { BadRecord, SourceReader, SourceSplit, SplitTracker } from '../source.js';
import { Wakeup } from '../wakeup.js';
import type { FileLineReaderOptions } from './file-line-reader.js';
import { FileDiscovery, type FileDiscoveryOptions } from './file-discovery.js';
import { checkFileSplit, FILE_START, fileSplitRow, splitIdentity, splitKey, type FileSplit, type FileSplitRow } from './file-split.js';
import { FileSplitReader, type FileLocator } from './file-split-reader.js';
import { fileKey, type IdentifiedFile } from './file-identity.js';
import { patternLister, searchFiles, type FileLister } from './file-search.js';

/** The patterns a source reads: where a split's file is looked for when its path holds another. */
export interface FileInputs {
  readonly patterns: readonly string[];
  readonly cwd?: string | undefined;
  /** How they are listed (default: as a scan lists them). */
  readonly list?: FileLister | undefined;
}

export type FileSourceOptions = Omit<FileLineReaderOptions, 'wakeup' | 'framing' | 'delimiter'>;

/** Files renamed out of the patterns kept open per subtask, to be read on if found again (an open file each). */
export const LEFT_KEPT = 64;

export class FileSourceReader<T> implements SourceReader<T> {
  private readonly pending: FileSplit[];
  private readonly active: FileSplitReader<T>[] = [];
  private readonly closing = new Set<Promise<void>>();
  private readonly maxOpen: number;
  private readonly wakeup = new Wakeup();
  private next = 0;
  private count = 0;
  private emitOut: (v: T) => void = () => {};
  private invalidOut: (bad: BadRecord) => void = () => {};
  private readonly emitCounted = (v: T): void => { this.count++; this.emitOut(v); };
  private readonly invalidCounted = (bad: BadRecord): void => { this.count++; this.invalidOut(bad); };
  /** Per-split watermarks: told of each file opened, read from (one reader's read at a time) and read to its end. */
  private tracker: SplitTracker | undefined;
  /** Keys (file-split.ts splitKey) of the splits given or discovered (followed files never end, so all are still read). */
  private readonly held: Set<string>;
  /** Files read that the last scan(s) did not find, by key: how many scans in a row. */
  private readonly unseen = new Map<string, number>();
  /**
   * Discovering: splits whose file was not where they opened it nor found by a listing, by key, waiting for a scan
   * to find it (a listing races renames: file-search.ts). Still held, in snapshots and tracked (its event time holds the
   * others back); ended after two scans miss it.
   */
  private readonly sought = new Map<string, { split: FileSplit; reader: FileSplitReader<T>; error: unknown; scans: number }>();
  /**
   * Discovering: readers of files renamed out of the patterns and read to their end, by key, kept open while their
   * file has a name (its inode cannot be another file's meanwhile): one a scan finds again is read on where it ended,
   * not again from its start. Closed (forgotten) once deleted, and beyond LEFT_KEPT, the oldest first.
   */
  private readonly leftOpen = new Map<string, FileSplitReader<T>>();
  private readonly locate: FileLocator | undefined;
  private readonly discovery: FileDiscovery | undefined;
  private failure: unknown;

  /** Followed files skipped because they vanished before they were opened (never read). */
  skippedFiles = 0;
  /**
   * Followed files whose split ended because they were deleted after reading began (while read, or before a
   * restore), or, restored, are nowhere the patterns match (their path holding another file).
   */
  deletedFiles = 0;
  /** Followed files whose split ended because they were renamed to a name the patterns do not match. */
  leftFiles = 0;

  /**
   * `discover`: scan for new files this subtask owns (only when following). `warn`: what a skipped file is said to
   * (the run's warnings). `inputs` (default: the discovery's): where a split whose path holds another file than its
   * own is looked for by its identity (none: it is not).
   */
  constructor(splits: readonly SourceSplit[], private readonly format: RecordFormat<T>, private readonly options: FileSourceOptions = {}, discover?: Omit<FileDiscoveryOptions, 'found' | 'failed'>, private readonly warn: (message: string) => void = (m) => { process.emitWarning(m, 'SluiceWarning'); }, inputs: FileInputs | undefined = discover) {
    this.pending = [];
    this.held = new Set();
    const names = new Map<string, string>();
    for (const s of splits.map(checkFileSplit)) {
      const k = splitKey(s);
      const first = names.get(k);
      if (first === undefined) {
        names.set(k, s.id);
        this.held.add(k);
        this.pending.push(s);
      } else if (splitIdentity(s) !== undefined) {
        // One file under two names (hard links) in a checkpoint (a link made after the start, before the opening):
        // read once, under the first, as a fresh start and a resume do. Failing would fail every restart.
        this.warn(`file source: ${s.id} is ${first} (one device and inode: hard links): read once, under ${first}; the position restored for ${s.id} is dropped`);
      } else {
        throw new ConnectorOptionError('file source: the same file is assigned twice to one reader');
      }
    }
    this.locate = inputs === undefined ? undefined : async (file) => {
      // Listed again while it is not found: one listing may miss a file renamed while it ran (file-search.ts).
      const found = (await searchFiles(inputs.list ?? patternLister(inputs), inputs.patterns, [file])).get(fileKey(file));
      // Named as a fresh start names it: by real path when discovering.
      return found === undefined ? undefined : discover !== undefined ? found.real : found.path;
    };
    if (discover !== undefined && !options.follow) throw new ConnectorOptionError('file source: discovering files needs follow');
    this.maxOpen = options.follow ? Infinity : 1;
    this.openMore();
    this.discovery = discover === undefined ? undefined : new FileDiscovery({ ...discover, found: (files) => this.addFound(files), failed: (e) => this.fail(e) });
  }

  /** The files open now (one when bounded, every one when following) hold event time back; the rest as they open. */
  trackSplits(tracker: SplitTracker): void {
    this.tracker = tracker;
    for (const r of this.active) tracker.add(r.key);
  }

  read(emit: (v: T) => void, max: number, invalid: (bad: BadRecord) => void): SourceStatus {
    if (this.failure !== undefined) throw this.failure;
    this.emitOut = emit;
    this.invalidOut = invalid;
    this.count = 0;
    let more = false;
    let turns = this.active.length;
    while (turns > 0 && this.count < max && this.active.length > 0) {
      turns--;
      const i = this.next % this.active.length;
      const reader = this.active[i]!;
      this.tracker?.switchTo(reader.key);
      let status: SourceStatus;
      try {
        status = reader.read(this.emitCounted, max - this.count, this.invalidCounted);
      } catch (e) {
        if (!this.vanished(e)) throw e;
        this.active.splice(i, 1);
        this.closeLater(reader);
        this.openMore();
        if (this.discovery !== undefined && reader.identity !== undefined) {
          // Looked for from now on: the scans' misses count again from none (a miss before it opened is not one of
          // the two that let a file go). Its event time still holds the others back: found, its records follow.
          this.unseen.delete(reader.key);
          this.sought.set(reader.key, { split: reader.snapshot(), reader, error: e, scans: 0 });
        } else {
          this.tracker?.end(reader.key);
          this.skip(reader, e);
        }
        turns = Math.max(turns, this.active.length > 0 ? 1 : 0);
        continue;
      }
      if (status === SOURCE_END) {
        this.active.splice(i, 1);
        this.tracker?.end(reader.key);
        if (reader.left && !reader.deleted) {
          this.endLeft(reader);
          this.keepLeft(reader);
        } else {
          this.closeLater(reader);
          if (reader.deleted) this.endDeleted(reader);
        }
        this.openMore();
        turns = Math.max(turns, this.active.length > 0 ? 1 : 0);
        more = true;
        continue;
      }
      if (status === SOURCE_MORE) more = true;
      this.next = i + 1;
    }
    if (this.active.length === 0) return this.discovery === undefined ? SOURCE_END : SOURCE_WAIT;
    return more || this.count > 0 ? SOURCE_MORE : SOURCE_WAIT;
  }

  /** Discovering, it may have none: a file looked for after it vanished is still held (it may be read on). */
  hasSplits(): boolean {
    return this.active.length > 0 || this.pending.length > 0 || this.sought.size > 0;
  }

  ready(): Promise<void> {
    if (this.failure !== undefined) return Promise.resolve();
    // Discovering with no file yet: until a scan adds one (or fails).
    if (this.active.length === 0) return this.discovery === undefined ? Promise.resolve() : this.wakeup.wait();
    if (this.active.length === 1) return this.active[0]!.ready();
    return Promise.race(this.active.map((r) => r.ready()));
  }

  /** Unfinished splits with the position of their next unread record, as rows (fileSplitRow); finished ones are left out. */
  snapshot(_checkpointId: number): FileSplitRow[] {
    return [...this.active.map((r) => r.snapshot()), ...[...this.pending, ...[...this.sought.values()].map((m) => m.split)].map((s) => ({ id: s.id, position: { ...s.position } }))].map(fileSplitRow);
  }

  async close(): Promise<void> {
    this.discovery?.close();
    for (const r of this.active.splice(0)) this.closeLater(r);
    for (const r of this.leftOpen.values()) this.closeLater(r);
    this.leftOpen.clear();
    this.pending.length = 0;
    await Promise.all(this.closing);
  }

  private openMore(): void {
    while (this.active.length < this.maxOpen && this.pending.length > 0) {
      const reader = new FileSplitReader(this.pending.shift()!, this.format, { ...this.options, wakeup: this.wakeup }, this.locate);
      this.active.push(reader);
      this.tracker?.add(reader.key);
    }
  }

  /**
   * Between reads: the files a scan found (those this subtask owns). One it reads under another name was renamed:
   * read on, under the new one. One it does not read is new: read from its start.
   */
  private addFound(files: readonly IdentifiedFile[]): void {
    const found = new Map(files.map((f) => [fileKey(f), f]));
    for (const r of this.active) {
      const id = r.identity;
      if (id === undefined) continue;
      const k = fileKey(id);
      // A split that did not know its file (a checkpoint from before) learnt it on opening: held by it too.
      this.held.add(k);
      const f = found.get(k);
      if (f !== undefined) {
        this.unseen.delete(k);
        if (f.real !== r.id) r.rename(f.real);
        continue;
      }
      const n = (this.unseen.get(k) ?? 0) + 1;
      this.unseen.set(k, n);
      if (n >= 2) r.leave();
    }
    let added = false;
    for (const [k, m] of this.sought) {
      const f = found.get(k);
      if (f !== undefined) {
        // Renamed while it was looked for: read on there, at its position.
        this.sought.delete(k);
        this.pending.push({ id: f.real, position: { ...m.split.position } });
        added = true;
      } else if (++m.scans >= 2) {
        this.sought.delete(k);
        this.tracker?.end(k);
        this.skip(m.reader, m.error);
        // A read waiting for its files wakes to see it gone.
        this.wakeup.notify();
      }
    }
    for (const [k, r] of this.leftOpen) {
      const f = found.get(k);
      if (f === undefined) {
        // Deleted: its inode may be another file's next.
        r.linked().then((linked) => { if (!linked) this.dropLeft(k, r); }, () => this.dropLeft(k, r));
        continue;
      }
      // Renamed back into the patterns: read on where it ended (what was appended meanwhile included).
      this.dropLeft(k, r);
      this.held.add(k);
      this.pending.push({ id: f.real, position: { offset: r.position.offset, line: r.position.line, dev: f.dev, ino: f.ino } });
      added = true;
    }
    for (const f of files) {
      const k = fileKey(f);
      if (this.held.has(k)) continue;
      this.held.add(k);
      this.pending.push({ id: f.real, position: { ...FILE_START, dev: f.dev, ino: f.ino } });
      added = true;
    }
    if (!added) return;
    this.openMore();
    this.wakeup.notify();
  }

  /**
   * Following, a file gone when its reader opened it (ENOENT from open: a read or stat of an open file cannot). At
   * its start: deleted between the scan that found it and its opening, never read. Restored at a later position:
   * deleted after the checkpoint, and what it held past that position is gone with it; failing would fail every
   * restart the same way. Not following, a file is input the job must read whole: its failure stands.
   */
  private vanished(e: unknown): boolean {
    const err = e as { code?: unknown; syscall?: unknown } | undefined;
    return this.options.follow !== undefined && this.options.follow !== false && ((err?.code === 'ENOENT' && err.syscall === 'open') || e instanceof FileReplacedError);
  }

  /** Leaves a vanished file out (and its id free: a file made again at that path is new), and says so. */
  private skip(reader: FileSplitReader<T>, e: unknown): void {
    this.forget(reader);
    const at = reader.startedAt;
    const replaced = e instanceof FileReplacedError;
    if (at.offset === FILE_START.offset) {
      this.skippedFiles++;
      this.warn(replaced
        ? `file source: ${reader.id} holds another file than the one the scan found there (rotated or replaced between the scan and its opening), and no file the patterns match is that one: skipped, none of it was read`
        : `file source: ${reader.id} was deleted before it was opened (between the scan that found it and its opening): skipped, none of it was read`);
      return;
    }
    this.deletedFiles++;
    this.warn(replaced
      ? `file source: ${reader.id} holds another file than the checkpoint this job restored, which reads it on from line ${at.line} (byte ${at.offset}), and no file the patterns match is that one (renamed away or deleted): its lines before that were read; whatever it held after that is lost. Its split ends`
      : `file source: ${reader.id} was deleted (or renamed out of the patterns) after the checkpoint this job restored, which reads it on from line ${at.line} (byte ${at.offset}): its lines before that were read; whatever it held after that is lost with it. Its split ends`);
  }

  /** A split that ended: its file is no longer held (found again, it would be new). */
  private forget(reader: FileSplitReader<T>): void {
    for (const k of [reader.key, ...(reader.identity === undefined ? [] : [fileKey(reader.identity)])]) {
      this.held.delete(k);
      this.unseen.delete(k);
    }
  }

  /** A followed file renamed out of the patterns, read to its end: its split ends. */
  private endLeft(reader: FileSplitReader<T>): void {
    this.forget(reader);
    this.leftFiles++;
    const at = reader.position;
    const partial = reader.partialBytes;
    this.warn(`file source: ${reader.id} was renamed to a name the patterns do not match: read to its end (${at.line - 1} lines, ${at.offset} bytes)${partial > 0 ? `, but for its last ${partial} bytes, a line without its line end, which are not read` : ''}; its split ends`);
  }

  /** Keeps the reader of a file that left the patterns open, while its file has a name (leftOpen). */
  private keepLeft(reader: FileSplitReader<T>): void {
    const k = fileKey(reader.identity!);
    this.leftOpen.set(k, reader);
    if (this.leftOpen.size <= LEFT_KEPT) return;
    const [oldest, r] = this.leftOpen.entries().next().value!;
    this.dropLeft(oldest, r);
  }

  private dropLeft(key: string, reader: FileSplitReader<T>): void {
    if (this.leftOpen.get(key) !== reader) return;
    this.leftOpen.delete(key);
    this.closeLater(reader);
  }

  /** A followed file deleted while read, read to its end: its split ends (its id free: a file made again at that path is new). */
  private endDeleted(reader: FileSplitReader<T>): void {
    this.forget(reader);
    this.deletedFiles++;
    const at = reader.position;
    const partial = reader.partialBytes;
    this.warn(`file source: ${reader.id} was deleted while it was followed: read to its end (${at.line - 1} lines, ${at.offset} bytes)${partial > 0 ? `, but for its last ${partial} bytes, a line without its line end, which are not read` : ''}; its split ends`);
  }

  private fail(e: unknown): void {
    this.failure ??= e;
    this.wakeup.notify();
  }

  private closeLater(reader: FileSplitReader<T>): void {
    const p = reader.close().catch(() => {}).finally(() => this.closing.delete(p));
    this.closing.add(p);
  }
}
