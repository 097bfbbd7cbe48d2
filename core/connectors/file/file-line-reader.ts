// Runs on: the worker thread of a file source subtask.
//
// Reads one file as framed records without ever blocking the thread: chunks are read ahead asynchronously
// (FileHandle.read at an explicit offset) into a LineFramer, `read()` hands out what is framed now, and `ready()`
// resolves when more is. It starts at a recorded byte offset and line, and its `position` is always just after
// the last record handed out, so a reader restarted there neither skips nor repeats a record. With `readAhead`
// (the default) several reads run at once, at consecutive offsets, and are taken in file order (after a short one,
// those after it are dropped and read again: a growing file); their bytes are framed only as records are read out.
// Following, a file at its end is read one read at a time (each read past the end would come back empty).
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
  /** Read ahead while fewer bytes than this are buffered or being read. Default 4 chunks (8 with readAhead, not following). */
  prefetchBytes?: number;
  /**
   * Default true: up to 8 reads in flight at once (while under prefetchBytes) and records framed as they are
   * handed out, so the disk is busy while records are parsed, a wait of the thread finds several chunks ready, and
   * no chunk's records sit framed on the heap. False: one read at a time, each chunk framed whole as it arrives.
   */
  readAhead?: boolean;
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
  if (o.readAhead !== undefined && typeof o.readAhead !== 'boolean') throw new ConnectorOptionError(`${what}readAhead must be true or false, got ${shownValue(o.readAhead)}`);
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

/**
 * Default prefetch with readAhead, not following (one file open at a time), in chunks: the reads in flight fit
 * in it, and unframed bytes cost no heap per record.
 */
const READ_AHEAD_PREFETCH_CHUNKS = 8;

/**
 * Reads in flight at once with `readAhead` (each of `chunkBytes`; the prefetch limit bounds them too): a wait of
 * the thread then finds up to this many chunks, where one read at a time made each chunk a park and a wake-up.
 */
const MAX_READS_IN_FLIGHT = 8;

/** One read at an explicit offset; its result is taken only in file order. */
interface Flight {
  readonly at: number;
  readonly buf: Buffer;
  settled: boolean;
  /** Dropped: a read before it came back short (the end, or a file still growing), so its bytes may not follow on. */
  dropped: boolean;
  bytesRead: number;
  /** The file's size when the read found nothing (the end, or a file that shrank). */
  size: number;
  error: unknown;
}

export class FileLineReader {
  private name: string;
  private readonly framer: LineFramer;
  private readonly chunkBytes: number;
  private readonly prefetchBytes: number;
  /** Frame records as they are read out, not whole chunks as they arrive (readAhead). */
  private readonly lazy: boolean;
  private readonly maxFlights: number;
  private readonly growth: FileGrowth | undefined;
  private readonly wakeup: Wakeup;
  private handle: FileHandle | undefined;
  private opening: Promise<FileHandle> | undefined;
  /** The file opened and, not following, its size at the start taken (once, before the first read). */
  private prepared: Promise<FileHandle> | undefined;
  /** A wait for growth is in progress. */
  private busy = false;
  /** Reads issued and not yet taken, in file order. */
  private readonly flights: Flight[] = [];
  /** File offset of the next read to issue. */
  private issueAt: number;
  /** File offset just after the bytes taken from reads (in order): where the next bytes must come from. */
  private readAt: number;
  /** Bytes read and not yet framed (readAhead): chunks, the first from `rawAt`. */
  private readonly raw: Buffer[] = [];
  private rawAt = 0;
  private rawBytes = 0;
  /** The last read taken was a whole chunk (or none was yet): more of the file is likely there. */
  private lastFull = true;
  /** A wake-up is due after this turn's reads are taken (readAhead). */
  private notifying = false;
  /** Bounded: the end's unterminated last line was framed (framer.finish). */
  private flushed = false;
  /** The last read found no more bytes (follow: until the file grows). */
  private atEnd = false;
  /** Bounded: the end was reached. Follow: the file was deleted and read to its end. */
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
    this.lazy = options.readAhead ?? true;
    this.maxFlights = this.lazy ? MAX_READS_IN_FLIGHT : 1;
    // Following, every file stays open with its own read-ahead: 4 chunks each (so up to 4 reads in flight), as without.
    this.prefetchBytes = options.prefetchBytes ?? (this.lazy && !options.follow ? READ_AHEAD_PREFETCH_CHUNKS : 4) * this.chunkBytes;
    checkReadSizes(options);
    this.framer = new LineFramer(start.offset, start.line, options);
    this.readAt = start.offset;
    this.issueAt = start.offset;
    this.pos = { offset: start.offset, line: start.line };
    this.wakeup = options.wakeup ?? new Wakeup();
    const follow = options.follow === true ? {} : options.follow || undefined;
    this.growth = follow === undefined ? undefined : new FileGrowth(path, () => this.file().then(async (h) => {
      const s = await h.stat();
      return { size: s.size, linked: s.nlink > 0, id: { dev: s.dev, ino: s.ino } };
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

  /** Bytes read ahead and not yet handed out (each framed record counted with RECORD_OVERHEAD_BYTES). */
  get bufferedBytes(): number {
    return this.framer.bufferedBytes + this.rawBytes;
  }

  /** Records framed ahead and not yet handed out (readAhead frames none ahead: its bytes wait unframed). */
  get bufferedRecords(): number {
    return this.framer.queued;
  }

  /** Reading ahead stopped at the prefetch limit: no read runs, and none starts until records are taken. */
  get heldAtLimit(): boolean {
    return !this.busy && this.flights.length === 0 && !this.atEnd && !this.done && !this.closed && this.failure === undefined;
  }

  /** Reads in flight now (at most one without readAhead). */
  get readsInFlight(): number {
    return this.flights.length;
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
      if (r === undefined) {
        if (this.frameMore(max - k)) continue;
        break;
      }
      emit(r);
      this.pos = { offset: r.end, line: r.line + r.lines };
      k++;
    }
    this.fill();
    if (k > 0 || this.framer.queued > 0 || this.rawBytes > 0) return SOURCE_MORE;
    return this.done && (this.flushed || this.growth !== undefined) ? SOURCE_END : SOURCE_WAIT;
  }

  ready(): Promise<void> {
    if (this.failure !== undefined || this.framer.queued > 0 || this.rawBytes > 0 || this.done) return Promise.resolve();
    return this.wakeup.wait();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.growth?.close();
    for (const f of this.flights) f.dropped = true;
    this.flights.length = 0;
    const h = this.handle ?? (this.opening ? await this.opening.catch(() => undefined) : undefined);
    this.handle = undefined;
    await h?.close();
  }

  /**
   * Frames up to `n` more records from the bytes read (readAhead); at the end of a bounded file, its unterminated
   * last line. False when there is nothing more to frame now.
   */
  private frameMore(n: number): boolean {
    if (this.rawBytes === 0) {
      if (!this.done || this.growth !== undefined || this.flushed) return false;
      this.framer.finish();
      this.flushed = true;
      return this.framer.queued > 0;
    }
    const chunk = this.raw[0]!;
    const stop = this.framer.push(chunk, this.rawAt, n);
    this.rawBytes -= stop - this.rawAt;
    if (stop === chunk.length) {
      this.raw.shift();
      this.rawAt = 0;
    } else {
      this.rawAt = stop;
    }
    return true;
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

  /** Starts the next reads (or wait for growth) unless enough is buffered or in flight. */
  private fill(): void {
    if (this.busy || this.done || this.closed || this.failure !== undefined) return;
    if (this.atEnd) {
      if (this.growth === undefined || this.flights.length > 0) return;
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
    // Enough read ahead (counting reads in flight), unless nothing is there to hand out: a line longer than the
    // prefetch limit needs more bytes to complete (maxLineBytes bounds what that holds).
    // One read at a time after a short one (a followed file's end): every read past the end would come back empty.
    const most = this.lastFull ? this.maxFlights : 1;
    while (this.flights.length < most) {
      const held = this.framer.queued > 0 || this.rawBytes > 0 || this.flights.length > 0;
      if (held && this.bufferedBytes + this.flights.length * this.chunkBytes >= this.prefetchBytes) return;
      this.issue();
    }
  }

  /** Starts a read of the next chunk; its bytes are taken once the reads before it are (`take`). */
  private issue(): void {
    const f: Flight = { at: this.issueAt, buf: Buffer.allocUnsafe(this.chunkBytes), settled: false, dropped: false, bytesRead: 0, size: 0, error: undefined };
    this.issueAt += this.chunkBytes;
    this.flights.push(f);
    this.prepared ??= this.file().then(async (h) => {
      // One stat per file: a file cut short while it was read (above the read position) otherwise just ended
      // early, every record past the cut lost without an error (only a line cut in two was bad input).
      if (this.growth === undefined) this.sizeAtStart = (await h.stat()).size;
      return h;
    });
    this.prepared.then(async (h) => {
      f.bytesRead = (await h.read(f.buf, 0, this.chunkBytes, f.at)).bytesRead;
      // The end, or a file that shrank below where it was read to: its size tells which.
      if (f.bytesRead === 0) f.size = (await h.stat()).size;
    }).catch((e: unknown) => { f.error = e ?? new Error(`reading ${this.path} failed`); }).then(() => {
      f.settled = true;
      if (!f.dropped) this.take();
    });
  }

  /** Takes the settled reads at the head, in file order; then reads on. */
  private take(): void {
    if (this.closed || this.failure !== undefined) return;
    let got = false;
    while (this.flights.length > 0 && this.flights[0]!.settled) {
      const f = this.flights.shift()!;
      if (f.error !== undefined) { this.fail(f.error); return; }
      if (f.bytesRead === 0) {
        // A restore resumes at its checkpoint's position: ending at a shrunk file's end would silently skip
        // whatever replaced it.
        if (f.size < this.readAt) { this.fail(new FileTruncatedError(this.path, f.size, this.readAt)); return; }
        if (this.sizeAtStart !== undefined && f.size < this.sizeAtStart) { this.fail(new FileTruncatedError(this.path, f.size, this.readAt, false, this.sizeAtStart)); return; }
        this.dropFlights();
        this.lastFull = false;
        this.atEnd = true;
        if (this.growth === undefined) this.done = true;
        got = true;
        break;
      }
      this.accept(f.buf, f.bytesRead);
      got = true;
      this.lastFull = f.bytesRead === this.chunkBytes;
      if (!this.lastFull) this.dropFlights();
    }
    this.fill();
    if (!got) return;
    // Waking the waiter at once (a microtask) runs it before the other reads that came back in this turn of the
    // event loop are taken: each wait would find one chunk. After them (setImmediate), it finds all of them.
    if (!this.lazy) { this.wakeup.notify(); return; }
    if (this.notifying) return;
    this.notifying = true;
    setImmediate(() => {
      this.notifying = false;
      this.wakeup.notify();
    });
  }

  /** Bytes of the read at `readAt`. */
  private accept(buf: Buffer, bytesRead: number): void {
    this.readAt += bytesRead;
    if (this.growth !== undefined) {
      const last = buf.subarray(Math.max(0, bytesRead - TAIL_BYTES), bytesRead);
      this.tail = last.length >= TAIL_BYTES || this.tail === undefined ? Buffer.from(last) : Buffer.concat([this.tail, last]).subarray(-TAIL_BYTES);
    }
    const bytes = bytesRead < this.chunkBytes / COPY_BELOW ? Buffer.from(buf.subarray(0, bytesRead)) : buf.subarray(0, bytesRead);
    if (!this.lazy) {
      this.framer.push(bytes);
      return;
    }
    this.raw.push(bytes);
    this.rawBytes += bytesRead;
  }

  /** A read came back short or empty: the reads after it go (reissued from `readAt` when more is read). */
  private dropFlights(): void {
    for (const f of this.flights) f.dropped = true;
    this.flights.length = 0;
    this.issueAt = this.readAt;
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
