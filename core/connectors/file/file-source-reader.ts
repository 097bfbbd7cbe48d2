// Runs on: the worker thread of a file source subtask.
//
// The reader of one file source subtask over the file splits assigned to it. Bounded: files are read one after
// the other, in split order, so a subtask's output order is deterministic. Follow: every file stays open and is
// read round-robin, since none of them ends. A finished split leaves the snapshot; the others report where the
// next unread record starts. With per-split watermarks it tells which file each read's records come from.
// Discovering (file-discovery.ts): files its scans find are added between reads, from their start, and `read`
// waits rather than ends while it has none; `read` itself does no more per record than without.

import { ConnectorOptionError } from '../errors.js';
import type { RecordFormat } from '../formats/record-format.js';
import { SOURCE_END, SOURCE_MORE, SOURCE_WAIT, type SourceStatus } from '../source.js';
import type { BadRecord, SourceReader, SourceSplit, SplitTracker } from '../source.js';
import { Wakeup } from '../wakeup.js';
import type { FileLineReaderOptions } from './file-line-reader.js';
import { FileDiscovery, type FileDiscoveryOptions } from './file-discovery.js';
import { checkFileSplit, FILE_START, type FileSplit } from './file-split.js';
import { FileSplitReader } from './file-split-reader.js';

export type FileSourceOptions = Omit<FileLineReaderOptions, 'wakeup' | 'framing' | 'delimiter'>;

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
  /** Ids of the splits given or discovered (followed files never end, so all are still read). */
  private readonly held: Set<string>;
  private readonly discovery: FileDiscovery | undefined;
  private failure: unknown;

  /** Followed files skipped because they vanished before they were opened (never read). */
  skippedFiles = 0;
  /** Followed files whose split ended because they were deleted after reading began (while read, or before a restore). */
  deletedFiles = 0;

  /**
   * `discover`: scan for new files this subtask owns (only when following). `warn`: what a skipped file is said to
   * (the run's warnings).
   */
  constructor(splits: readonly SourceSplit[], private readonly format: RecordFormat<T>, private readonly options: FileSourceOptions = {}, discover?: Omit<FileDiscoveryOptions, 'found' | 'failed'>, private readonly warn: (message: string) => void = (m) => { process.emitWarning(m, 'SluiceWarning'); }) {
    this.pending = splits.map(checkFileSplit);
    this.held = new Set(this.pending.map((s) => s.id));
    if (this.held.size !== this.pending.length) throw new ConnectorOptionError('file source: the same file is assigned twice to one reader');
    if (discover !== undefined && !options.follow) throw new ConnectorOptionError('file source: discovering files needs follow');
    this.maxOpen = options.follow ? Infinity : 1;
    this.openMore();
    this.discovery = discover === undefined ? undefined : new FileDiscovery({ ...discover, found: (ids) => this.addFound(ids), failed: (e) => this.fail(e) });
  }

  /** The files open now (one when bounded, every one when following) hold event time back; the rest as they open. */
  trackSplits(tracker: SplitTracker): void {
    this.tracker = tracker;
    for (const r of this.active) tracker.add(r.id);
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
      this.tracker?.switchTo(reader.id);
      let status: SourceStatus;
      try {
        status = reader.read(this.emitCounted, max - this.count, this.invalidCounted);
      } catch (e) {
        if (!this.vanished(e)) throw e;
        this.skip(i, reader);
        turns = Math.max(turns, this.active.length > 0 ? 1 : 0);
        continue;
      }
      if (status === SOURCE_END) {
        this.active.splice(i, 1);
        this.tracker?.end(reader.id);
        this.closeLater(reader);
        if (reader.deleted) this.endDeleted(reader);
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

  ready(): Promise<void> {
    if (this.failure !== undefined) return Promise.resolve();
    // Discovering with no file yet: until a scan adds one (or fails).
    if (this.active.length === 0) return this.discovery === undefined ? Promise.resolve() : this.wakeup.wait();
    if (this.active.length === 1) return this.active[0]!.ready();
    return Promise.race(this.active.map((r) => r.ready()));
  }

  /** Unfinished splits with the position of their next unread record; finished ones are left out. */
  snapshot(_checkpointId: number): FileSplit[] {
    return [...this.active.map((r) => r.snapshot()), ...this.pending.map((s) => ({ id: s.id, position: { ...s.position } }))];
  }

  async close(): Promise<void> {
    this.discovery?.close();
    for (const r of this.active.splice(0)) this.closeLater(r);
    this.pending.length = 0;
    await Promise.all(this.closing);
  }

  private openMore(): void {
    while (this.active.length < this.maxOpen && this.pending.length > 0) {
      const reader = new FileSplitReader(this.pending.shift()!, this.format, { ...this.options, wakeup: this.wakeup });
      this.active.push(reader);
      this.tracker?.add(reader.id);
    }
  }

  /** Between reads: the files a scan found that this reader does not read yet, from their start. */
  private addFound(ids: readonly string[]): void {
    let added = false;
    for (const id of ids) {
      if (this.held.has(id)) continue;
      this.held.add(id);
      this.pending.push({ id, position: { ...FILE_START } });
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
    return this.options.follow !== undefined && this.options.follow !== false && err?.code === 'ENOENT' && err.syscall === 'open';
  }

  /** Leaves a vanished file out (and its id free: a file made again at that path is new), and says so. */
  private skip(i: number, reader: FileSplitReader<T>): void {
    this.active.splice(i, 1);
    this.held.delete(reader.id);
    this.tracker?.end(reader.id);
    this.closeLater(reader);
    this.openMore();
    const at = reader.startedAt;
    if (at.offset === FILE_START.offset) {
      this.skippedFiles++;
      this.warn(`file source: ${reader.id} was deleted before it was opened (between the scan that found it and its opening): skipped, none of it was read`);
      return;
    }
    this.deletedFiles++;
    this.warn(`file source: ${reader.id} was deleted after the checkpoint this job restored, which reads it on from line ${at.line} (byte ${at.offset}): its lines before that were read; whatever it held after that is lost with it. Its split ends`);
  }

  /** A followed file deleted while read, read to its end: its split ends (its id free: a file made again at that path is new). */
  private endDeleted(reader: FileSplitReader<T>): void {
    this.held.delete(reader.id);
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
