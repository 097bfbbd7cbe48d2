// Runs on: the worker thread of a file source subtask.
//
// Reads one file as framed records without ever blocking the thread: chunks are read ahead asynchronously
// (FileHandle.read at an explicit offset) into a LineFramer, `read()` hands out what is framed now, and `ready()`
// resolves when more is. It starts at a recorded byte offset and line, and its `position` is always just after
// the last record handed out, so a reader restarted there neither skips nor repeats a record.
//
// Bounded mode: at the end of the file an unterminated last line is a record, then END. Follow mode: the end of
// the file is a wait for growth (FileGrowth); a partial last line is held until its LF arrives. A followed file
// deleted (no name left) is read to its end through the open handle, then ENDs (`deleted`): nothing can append to
// it any more, and a checkpoint holding it would only fail its restore. A partial last line then stays unread
// (`partialBytes`): its writer never finished it. One told to `leave` (renamed out of the patterns) ends the same
// way at its end.

import { open, type FileHandle } from 'node:fs/promises';
import { LineFramer, checkMaxLineBytes, type FramedRecord, type LineFramerOptions } from '../formats/line-framer.js';
import { SOURCE_END, SOURCE_MORE, SOURCE_WAIT, type SourceStatus } from '../source.js';
import { ConnectorOptionError, FileTruncatedError } from '../errors.js';
import { Wakeup } from '../wakeup.js';
import { FileGrowth, checkFollowOptions, type FollowOptions } from './file-growth.js';
import type { FilePosition } from './file-split.js';
import { shownValue } from '../../api/shown-value.js';
import { isNumber } from '../../api/number-option.js';

export interface FileLineReaderOptions extends LineFramerOptions {
  /** Bytes per read. Default 64 KiB. */
  chunkBytes?: number;
  /** Read ahead while fewer bytes than this are buffered. Default 4 chunks. */
  prefetchBytes?: number;
  /** Follow a growing file instead of ending at its end. */
  follow?: boolean | FollowOptions;
  /** Woken whenever this reader has something new; share one among readers to wait on any of them. */
  wakeup?: Wakeup;
  /** Opens the file (default: `open(path, 'r')`); the file split reader's checks which file the path holds. */
  opener?: (path: string) => Promise<FileHandle>;
}

function checkReadSizes(o: FileLineReaderOptions, what = ''): void {
  const chunkBytes = o.chunkBytes ?? 64 * 1024;
  if (!Number.isSafeInteger(chunkBytes) || chunkBytes < 1) throw new ConnectorOptionError(`${what}chunkBytes must be a positive integer, got ${shownValue(o.chunkBytes)}`);
  if (o.prefetchBytes !== undefined && o.prefetchBytes !== null && !(isNumber(o.prefetchBytes) && o.prefetchBytes >= 1)) throw new ConnectorOptionError(`${what}prefetchBytes must be >= 1, got ${shownValue(o.prefetchBytes)}`);
}

/**
 * The options a reader takes, checked as its constructor (and its framer's and follower's) would: `fromFiles`
 * calls this while the job is built, so a bad value fails there, not in each subtask's reader, where a job that
 * checkpoints restarted on it. `what`: a prefix for the message.
 */
export function checkFileReadOptions(o: FileLineReaderOptions, what = ''): void {
  checkReadSizes(o, what);
  checkMaxLineBytes(o.maxLineBytes, what);
  if (typeof o.follow === 'object' && o.follow !== null) checkFollowOptions(o.follow, what);
}

/** A chunk this much smaller than the buffer is copied out, so small reads (follow mode) do not pin large buffers. */
const COPY_BELOW = 4;

/**
 * Follow mode: the last bytes read are compared with the file's when it grows. A file truncated and rewritten past
 * the read position in one go does not shrink, and reading on from there would begin mid-line (malformed JSON,
 * or with 'drop' a silent gap); a rewrite that keeps these bytes the same still passes.
 */
const TAIL_BYTES = 32;

export class FileLineReader {
  private name: string;
  private readonly framer: LineFramer;
  private readonly chunkBytes: number;
  private readonly prefetchBytes: number;
  private readonly growth: FileGrowth | undefined;
  private readonly wakeup: Wakeup;
  private handle: FileHandle | undefined;
  private opening: Promise<FileHandle> | undefined;
  /** A read or a wait for growth is in progress. */
  private busy = false;
  /** File offset of the next chunk to read. */
  private readAt: number;
  /** The last read found no more bytes (follow: until the file grows). */
  private atEnd = false;
  /** Bounded: the end was reached and the framer flushed. Follow: the file was deleted and read to its end. */
  private done = false;
  private gone = false;
  /** Told to leave: it ends at the end of the file (following). */
  private leaving = false;
  private left = false;
  private closed = false;
  private failure: unknown;
  private pos: FilePosition;
  /** Follow mode: the last (up to TAIL_BYTES) bytes read, just before `readAt`; undefined before the first read. */
  private tail: Buffer | undefined;
  /** Not following: the file's size at the first read, which its end must reach (a shrink lost the rest). */
  private sizeAtStart: number | undefined;
  private readonly opener: (path: string) => Promise<FileHandle>;

  constructor(path: string, start: FilePosition, options: FileLineReaderOptions = {}) {
    this.name = path;
    this.opener = options.opener ?? ((p) => open(p, 'r'));
    this.chunkBytes = options.chunkBytes ?? 64 * 1024;
    this.prefetchBytes = options.prefetchBytes ?? 4 * this.chunkBytes;
    checkReadSizes(options);
    this.framer = new LineFramer(start.offset, start.line, options);
    this.readAt = start.offset;
    this.pos = { offset: start.offset, line: start.line };
    this.wakeup = options.wakeup ?? new Wakeup();
    const follow = options.follow === true ? {} : options.follow || undefined;
    this.growth = follow === undefined ? undefined : new FileGrowth(path, () => this.file().then(async (h) => {
      const s = await h.stat();
      return { size: s.size, linked: s.nlink > 0 };
    }), follow);
    this.fill();
  }

  /** The file's name (as given, or as renamed). */
  get path(): string {
    return this.name;
  }

  /** The file was renamed to `path` (read on through the open handle): named by it from now on. */
  rename(path: string): void {
    this.name = path;
    this.growth?.rename(path);
  }

  /**
   * Following: no more growth is waited for. The file is read to its end as it is now (as a deleted one), a last
   * line without its line end left unread; then `read` ENDs and `leftFollowing` is true.
   */
  leave(): void {
    if (this.growth === undefined || this.leaving) return;
    this.leaving = true;
    this.growth.settle();
  }

  /** Read to its end after `leave`. */
  get leftFollowing(): boolean {
    return this.left;
  }

  /** Just after the last record handed out: where a restarted reader resumes. */
  get position(): FilePosition {
    return this.pos;
  }

  /** Bytes read ahead and not yet handed out (each record counted with RECORD_OVERHEAD_BYTES). */
  get bufferedBytes(): number {
    return this.framer.bufferedBytes;
  }

  /** Records read ahead and not yet handed out. */
  get bufferedRecords(): number {
    return this.framer.queued;
  }

  /** Reading ahead stopped at the prefetch limit: no read runs, and none starts until records are taken. */
  get heldAtLimit(): boolean {
    return !this.busy && !this.atEnd && !this.done && !this.closed && this.failure === undefined;
  }

  /** Follow mode: how growth is noticed now ('watch' or 'poll'); undefined when not following. */
  get following(): 'watch' | 'poll' | undefined {
    return this.growth === undefined ? undefined : this.growth.watching ? 'watch' : 'poll';
  }

  /** Follow mode: the file was deleted, and is read to its end (END once its records are handed out). */
  get deleted(): boolean {
    return this.gone;
  }

  /** Bytes of an unterminated last line held back (follow mode). */
  get partialBytes(): number {
    return this.framer.partialBytes;
  }

  /** Whether its open file still has a name (false once deleted, or never opened). */
  async linked(): Promise<boolean> {
    const h = this.handle;
    return h !== undefined && (await h.stat()).nlink > 0;
  }

  /** Hands out up to `max` framed records. The position advances after each `emit` returns (not if it throws). */
  read(emit: (record: FramedRecord) => void, max: number): SourceStatus {
    if (this.failure !== undefined) throw this.failure;
    let k = 0;
    while (k < max) {
      const r = this.framer.shift();
      if (r === undefined) break;
      emit(r);
      this.pos = { offset: r.end, line: r.line + r.lines };
      k++;
    }
    this.fill();
    if (k > 0 || this.framer.queued > 0) return SOURCE_MORE;
    return this.done ? SOURCE_END : SOURCE_WAIT;
  }

  ready(): Promise<void> {
    if (this.failure !== undefined || this.framer.queued > 0 || this.done) return Promise.resolve();
    return this.wakeup.wait();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.growth?.close();
    const h = this.handle ?? (this.opening ? await this.opening.catch(() => undefined) : undefined);
    this.handle = undefined;
    await h?.close();
  }

  private file(): Promise<FileHandle> {
    if (this.handle !== undefined) return Promise.resolve(this.handle);
    this.opening ??= this.opener(this.path).then((h) => {
      if (this.closed) { void h.close(); throw new Error(`reader of ${this.path} is closed`); }
      this.handle = h;
      return h;
    });
    return this.opening;
  }

  /** Starts the next read (or wait for growth) unless one is running or enough is buffered. */
  private fill(): void {
    if (this.busy || this.done || this.closed || this.failure !== undefined) return;
    if (this.atEnd) {
      if (this.growth === undefined) return;
      this.busy = true;
      this.growth.changedFrom(this.readAt).then(async ({ size, linked }) => {
        if (size < this.readAt) throw new FileTruncatedError(this.path, size, this.readAt);
        if (size > this.readAt && this.tail !== undefined && !(await this.tailUnchanged(this.tail))) throw new FileTruncatedError(this.path, size, this.readAt, true);
        this.busy = false;
        if ((!linked || this.leaving) && size === this.readAt) {
          if (!linked) this.gone = true;
          else this.left = true;
          this.done = true;
          this.growth?.close();
          this.wakeup.notify();
          return;
        }
        this.atEnd = false;
        this.fill();
      }).catch((e: unknown) => this.fail(e));
      // Leaving: the end just read is the end, grown or not.
      if (this.leaving) this.growth.settle();
      return;
    }
    // Enough read ahead, unless nothing is framed yet: a line longer than the prefetch limit needs more bytes
    // to complete (maxLineBytes bounds what that holds).
    if (this.framer.queued > 0 && this.framer.bufferedBytes >= this.prefetchBytes) return;
    this.busy = true;
    this.readChunk().then(() => {
      this.busy = false;
      this.wakeup.notify();
      this.fill();
    }, (e: unknown) => this.fail(e));
  }

  private async readChunk(): Promise<void> {
    const h = await this.file();
    // One stat per file: a file cut short while it was read (above the read position) otherwise just ended
    // early, every record past the cut lost without an error (only a line cut in two was bad input).
    if (this.growth === undefined && this.sizeAtStart === undefined) this.sizeAtStart = (await h.stat()).size;
    const buf = Buffer.allocUnsafe(this.chunkBytes);
    const { bytesRead } = await h.read(buf, 0, this.chunkBytes, this.readAt);
    if (this.closed) return;
    if (bytesRead === 0) {
      // The end, or a file that shrank below where it was read to (a restore resumes at its checkpoint's
      // position): ending there would silently skip whatever replaced it.
      const { size } = await h.stat();
      if (size < this.readAt) throw new FileTruncatedError(this.path, size, this.readAt);
      if (this.sizeAtStart !== undefined && size < this.sizeAtStart) throw new FileTruncatedError(this.path, size, this.readAt, false, this.sizeAtStart);
      this.atEnd = true;
      if (this.growth === undefined) {
        this.framer.finish();
        this.done = true;
      }
      return;
    }
    this.readAt += bytesRead;
    if (this.growth !== undefined) {
      const last = buf.subarray(Math.max(0, bytesRead - TAIL_BYTES), bytesRead);
      this.tail = last.length >= TAIL_BYTES || this.tail === undefined ? Buffer.from(last) : Buffer.concat([this.tail, last]).subarray(-TAIL_BYTES);
    }
    this.framer.push(bytesRead < this.chunkBytes / COPY_BELOW ? Buffer.from(buf.subarray(0, bytesRead)) : buf.subarray(0, bytesRead));
  }

  /** Whether the file still holds `tail` just before the read position. */
  private async tailUnchanged(tail: Buffer): Promise<boolean> {
    const h = await this.file();
    const now = Buffer.alloc(tail.length);
    const { bytesRead } = await h.read(now, 0, tail.length, this.readAt - tail.length);
    return bytesRead === tail.length && now.equals(tail);
  }

  private fail(e: unknown): void {
    this.busy = false;
    if (this.closed) return;
    this.failure = e ?? new Error(`reading ${this.path} failed`);
    this.wakeup.notify();
  }
}
