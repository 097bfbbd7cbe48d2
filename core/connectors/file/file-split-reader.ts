// Runs on: the worker thread of a file source subtask.
//
// One file split as decoded records: a FileLineReader for the bytes, the format's decoder for the values, and
// the classification of bad records for the runtime's error policy. A format with a header (CSV) needs the
// header even when the split resumes past it: then the header is read first from the start of the file.
// A split whose file is known (file-identity.ts: restored, or found by a scan) checks at its opening that its path
// still holds that file; if not (rotated: renamed, another file made at the path), it reads on in the file under
// its new name, which `locate` finds among the files the patterns match, never another file at that position.
// One opening learns the file of a split that did not know it, for its snapshots.

import { open, type FileHandle } from 'node:fs/promises';
import { CsvHeaderError, BadInputError, FileReplacedError } from '../errors.js';
import { SKIP, badRecord, type RecordDecoder, type RecordFormat } from '../formats/record-format.js';
import type { FramedRecord } from '../formats/line-framer.js';
import { SOURCE_END, SOURCE_MORE, SOURCE_WAIT, type SourceStatus } from '../source.js';
import type { BadRecord } from '../source.js';
import { FileLineReader, type FileLineReaderOptions } from './file-line-reader.js';
import { FILE_START, splitIdentity, splitKey, type FilePosition, type FileSplit } from './file-split.js';
import { handleIdentity, sameFile, type FileIdentity } from './file-identity.js';
import { Wakeup } from '../wakeup.js';

/** Where a file's new name is found by its identity (undefined: nowhere the patterns match). */
export type FileLocator = (file: FileIdentity) => Promise<string | undefined>;

export class FileSplitReader<T> {
  /** The file's name: its path, or the one it was found renamed to. */
  id: string;
  /** What tells this split's file apart for its life (file-split.ts splitKey), whatever it is named. */
  readonly key: string;
  /** The file read: known from the split, or once it is opened. */
  private file: FileIdentity | undefined;
  private leaving = false;
  private readonly decoder: RecordDecoder<T>;
  private readonly resumeAt: FilePosition;
  private header: FileLineReader | undefined;
  private body: FileLineReader | undefined;
  private readonly wakeup: Wakeup;
  private emitValue: (v: T) => void = () => {};
  private reportBad: (bad: BadRecord) => void = () => {};
  private readonly onRecord = (r: FramedRecord): void => this.decode(r);
  private readonly onHeaderRecord = (r: FramedRecord): void => this.decodeHeader(r);

  private readonly readerOptions: FileLineReaderOptions;

  constructor(split: FileSplit, format: RecordFormat<T>, options: FileLineReaderOptions = {}, private readonly locate?: FileLocator) {
    this.id = split.id;
    this.key = splitKey(split);
    this.file = splitIdentity(split);
    this.resumeAt = { offset: split.position.offset, line: split.position.line };
    this.decoder = format.createDecoder();
    this.wakeup = options.wakeup ?? new Wakeup();
    this.readerOptions = { ...options, ...format.framing, wakeup: this.wakeup, opener: (path) => this.openFile(path) };
    if (format.header && split.position.offset > 0) {
      // The header is one short record: read it in small chunks, without following, then open the body.
      this.header = new FileLineReader(split.id, FILE_START, { ...this.readerOptions, follow: false, chunkBytes: 4096, prefetchBytes: 4096 });
    } else {
      this.body = new FileLineReader(split.id, split.position, this.readerOptions);
    }
  }

  /** Where this reader started (its split's position when it was made). */
  get startedAt(): FilePosition {
    return this.resumeAt;
  }

  /** Where to resume: just after the last record emitted or reported bad. */
  get position(): FilePosition {
    return this.body?.position ?? this.resumeAt;
  }

  /** The file read, once known. */
  get identity(): FileIdentity | undefined {
    return this.file;
  }

  /** Its file was renamed to `path` (a scan found it there): named by it in positions, records and warnings. */
  rename(path: string): void {
    this.id = path;
    this.header?.rename(path);
    this.body?.rename(path);
  }

  /** Following: read the file to its end as it is, then END (`left`): its file left the patterns. */
  leave(): void {
    this.leaving = true;
    this.body?.leave();
  }

  /** Read to its end after `leave`. */
  get left(): boolean {
    return this.body?.leftFollowing ?? false;
  }

  /** Following: the file was deleted and has been read to its end (its read ENDs). */
  get deleted(): boolean {
    return this.body?.deleted ?? false;
  }

  /** Whether its open file still has a name (false once deleted). */
  linked(): Promise<boolean> {
    return this.body?.linked() ?? Promise.resolve(false);
  }

  /** Bytes of an unterminated last line not handed out (following). */
  get partialBytes(): number {
    return this.body?.partialBytes ?? 0;
  }

  snapshot(): FileSplit {
    const p = this.position;
    return { id: this.id, position: this.file === undefined ? { offset: p.offset, line: p.line } : { offset: p.offset, line: p.line, dev: this.file.dev, ino: this.file.ino } };
  }

  read(emit: (v: T) => void, max: number, invalid: (bad: BadRecord) => void): SourceStatus {
    this.emitValue = emit;
    this.reportBad = invalid;
    if (this.header !== undefined) {
      const status = this.header.read(this.onHeaderRecord, 1);
      if (this.decoder.needsHeader === false) {
        void this.header.close();
        this.header = undefined;
        this.body = new FileLineReader(this.id, this.resumeAt, this.readerOptions);
        if (this.leaving) this.body.leave();
        return SOURCE_MORE;
      }
      if (status === SOURCE_END) throw new CsvHeaderError({ source: this.id, line: 1, offset: 0 }, `no header row before the resume position (byte ${this.resumeAt.offset}): the file changed since the checkpoint`);
      return status === SOURCE_MORE ? SOURCE_MORE : SOURCE_WAIT;
    }
    return this.body!.read(this.onRecord, max);
  }

  ready(): Promise<void> {
    return (this.header ?? this.body!).ready();
  }

  async close(): Promise<void> {
    await this.header?.close();
    await this.body?.close();
  }

  /**
   * Opens the file at `path` if it is this split's file (any, the first time when not known), else the one `locate`
   * finds under another name (renamed, and named by it from then on). Neither: ENOENT from open where the path holds
   * nothing, FileReplacedError where it holds another file (bounded at its start: that file is read, from its start).
   */
  private async openFile(path: string): Promise<FileHandle> {
    let missing: unknown;
    try {
      const h = await open(path, 'r');
      if (await this.isOwn(h)) return h;
    } catch (e) {
      if (this.file === undefined || (e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      missing = e;
    }
    const moved = await this.locate?.(this.file!);
    if (moved !== undefined && moved !== path) {
      const h = await open(moved, 'r').catch(() => undefined);
      if (h !== undefined && await this.isOwn(h)) {
        this.rename(moved);
        return h;
      }
    }
    // Bounded, at its start: none of its file was emitted, so the file at its path now is the input (as at a
    // fresh start), and nothing is lost or read twice. Past its start, reading another file on would garble it.
    if (missing === undefined && !this.readerOptions.follow && this.resumeAt.offset === FILE_START.offset) {
      const h = await open(path, 'r');
      try {
        this.file = await handleIdentity(h);
      } catch (e) {
        await h.close();
        throw e;
      }
      return h;
    }
    throw missing ?? new FileReplacedError(path, this.resumeAt);
  }

  /** Whether `h` is this split's file (learning it the first time when not known); closes `h` when not. */
  private async isOwn(h: FileHandle): Promise<boolean> {
    let id: FileIdentity;
    try {
      id = await handleIdentity(h);
    } catch (e) {
      await h.close();
      throw e;
    }
    if (this.file === undefined) this.file = id;
    if (sameFile(id, this.file)) return true;
    await h.close();
    return false;
  }

  private decode(r: FramedRecord): void {
    let v: T | typeof SKIP;
    try {
      v = this.decoder.decode(r, this.id);
    } catch (e) {
      if (e instanceof BadInputError) { this.reportBad(badRecord(r, this.id, e)); return; }
      throw e;
    }
    if (v !== SKIP) this.emitValue(v);
  }

  private decodeHeader(r: FramedRecord): void {
    if (r.offset >= this.resumeAt.offset) {
      throw new CsvHeaderError({ source: this.id, line: r.line, offset: r.offset }, `no header row before the resume position (byte ${this.resumeAt.offset}): the file changed since the checkpoint`);
    }
    this.decoder.decode(r, this.id);
  }
}
