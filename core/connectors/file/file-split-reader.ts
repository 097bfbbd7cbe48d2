// Runs on: the worker thread of a file source subtask.
//
// One file split as decoded records: a FileLineReader for the bytes, the format's decoder for the values, and
// the classification of bad records for the runtime's error policy. A format with a header (CSV) needs the
// header even when the split resumes past it: then the header is read first from the start of the file.

import { CsvHeaderError, BadInputError } from '../errors.js';
import { SKIP, badRecord, type RecordDecoder, type RecordFormat } from '../formats/record-format.js';
import type { FramedRecord } from '../formats/line-framer.js';
import { SOURCE_END, SOURCE_MORE, SOURCE_WAIT, type SourceStatus } from '../source.js';
import type { BadRecord } from '../source.js';
import { FileLineReader, type FileLineReaderOptions } from './file-line-reader.js';
import { FILE_START, type FileSplit } from './file-split.js';
import { Wakeup } from '../wakeup.js';

export class FileSplitReader<T> {
  readonly id: string;
  private readonly decoder: RecordDecoder<T>;
  private readonly resumeAt: FileSplit['position'];
  private header: FileLineReader | undefined;
  private body: FileLineReader | undefined;
  private readonly wakeup: Wakeup;
  private emitValue: (v: T) => void = () => {};
  private reportBad: (bad: BadRecord) => void = () => {};
  private readonly onRecord = (r: FramedRecord): void => this.decode(r);
  private readonly onHeaderRecord = (r: FramedRecord): void => this.decodeHeader(r);

  private readonly readerOptions: FileLineReaderOptions;

  constructor(split: FileSplit, format: RecordFormat<T>, options: FileLineReaderOptions = {}) {
    this.id = split.id;
    this.resumeAt = split.position;
    this.decoder = format.createDecoder();
    this.wakeup = options.wakeup ?? new Wakeup();
    this.readerOptions = { ...options, ...format.framing, wakeup: this.wakeup };
    if (format.header && split.position.offset > 0) {
      // The header is one short record: read it in small chunks, without following, then open the body.
      this.header = new FileLineReader(split.id, FILE_START, { ...this.readerOptions, follow: false, chunkBytes: 4096, prefetchBytes: 4096 });
    } else {
      this.body = new FileLineReader(split.id, split.position, this.readerOptions);
    }
  }

  /** Where this reader started (its split's position when it was made). */
  get startedAt(): FileSplit['position'] {
    return this.resumeAt;
  }

  /** Where to resume: just after the last record emitted or reported bad. */
  get position(): FileSplit['position'] {
    return this.body?.position ?? this.resumeAt;
  }

  /** Following: the file was deleted and has been read to its end (its read ENDs). */
  get deleted(): boolean {
    return this.body?.deleted ?? false;
  }

  /** Bytes of an unterminated last line not handed out (following). */
  get partialBytes(): number {
    return this.body?.partialBytes ?? 0;
  }

  snapshot(): FileSplit {
    return { id: this.id, position: this.position };
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
