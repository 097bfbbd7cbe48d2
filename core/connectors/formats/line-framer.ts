// Runs on: the worker thread of a source subtask (file and socket readers).
//
// Cuts a stream of byte chunks into records at line ends, keeping the exact byte offset and line number of each,
// so a reader can report where a bad record is and resume after the last record it emitted. Chunk boundaries
// may fall anywhere, including inside a UTF-8 character or between CR and LF: framing works on bytes only.
//
// Two framings: 'line' (a record ends at every LF) and 'csv' (RFC 4180: an LF inside a quoted field belongs to
// the field). Counting quote bytes on raw UTF-8 is safe: 0x22 never occurs inside a multi-byte character.
// A record longer than `maxLineBytes` is cut to its first `maxLineBytes` bytes and flagged; its remaining bytes
// are skipped up to the LF that ends it. In CSV framing that is the first LF outside quotes, as for any record:
// skipping to the first LF, as this once did, made the lines of a long quoted field records of their own, which
// parse as well as any (wrong values; "never a wrong value" wins). So an unbalanced quote in a too-long record makes
// the rest of the input that one flagged record, which RFC 4180 reads it as; only `maxLineBytes` of it is held.

import { ConnectorOptionError } from '../errors.js';
import { shownValue } from '../../api/shown-value.js';

/** The UTF-8 byte order mark. */
const BOM = [0xef, 0xbb, 0xbf] as const;
const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;
// CSV framing states (RFC 4180): only a quote at the start of a field opens a quoted field, in which LF is data.
const FIELD_START = 0;
const UNQUOTED = 1;
const QUOTED = 2;
const QUOTE_IN_QUOTED = 3;

export interface FramedRecord {
  /** The record without its terminator (LF or CRLF); for a too-long record, its first `maxLineBytes` bytes. */
  readonly bytes: Buffer;
  /** Byte offset of the record's first byte. */
  readonly offset: number;
  /** Byte offset just after the record's terminator: where the next record starts. */
  readonly end: number;
  /** 1-based line number of the record's first line. */
  readonly line: number;
  /** Physical lines the record spans (more than 1 only for CSV fields with line breaks). */
  readonly lines: number;
  /** 0, or the record's full length in bytes when it exceeded `maxLineBytes`. */
  readonly tooLong: number;
}

export type Framing = 'line' | 'csv';

export interface LineFramerOptions {
  /** Longest record, in bytes without its terminator. Default 1 MiB. */
  maxLineBytes?: number;
  framing?: Framing;
  /** CSV framing: the field delimiter, one ASCII character. Default ','. */
  delimiter?: string;
  /** Drop a UTF-8 byte order mark at byte 0. Default true. */
  stripBom?: boolean;
}

export const DEFAULT_MAX_LINE_BYTES = 1 << 20;

/**
 * Heap a framed record costs beyond its bytes (its object, its Buffer view): read-ahead limits count it, so they hold
 * for blank and short lines too (else a file of empty lines is framed millions of records ahead at 0 bytes).
 */
export const RECORD_OVERHEAD_BYTES = 128;

/** `what`: a prefix for the message ('fromFiles: ' while the job is built). */
export function checkMaxLineBytes(v: unknown, what = ''): void {
  if (v !== undefined && v !== null && !(Number.isSafeInteger(v) && (v as number) >= 1)) throw new ConnectorOptionError(`${what}maxLineBytes must be a positive integer, got ${shownValue(v)}`);
}

export class LineFramer {
  readonly maxLineBytes: number;
  private readonly csv: boolean;
  private readonly stripBom: boolean;
  private readonly queue: FramedRecord[] = [];
  private head = 0;
  private queuedBytes = 0;
  // The record being assembled: its kept bytes, its full length so far, its LFs inside quotes.
  private parts: Buffer[] = [];
  private keptLen = 0;
  private recordLen = 0;
  private recordLfs = 0;
  private lastByte = -1;
  private csvState = FIELD_START;
  private readonly delimiter: number;
  private discarding = false;
  private recordStart: number;
  private line: number;

  constructor(startOffset = 0, startLine = 1, options: LineFramerOptions = {}) {
    this.maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    checkMaxLineBytes(options.maxLineBytes);
    if (!Number.isSafeInteger(startOffset) || startOffset < 0) throw new ConnectorOptionError(`start offset must be a non-negative integer, got ${shownValue(startOffset)}`);
    if (!Number.isSafeInteger(startLine) || startLine < 1) throw new ConnectorOptionError(`start line must be a positive integer, got ${shownValue(startLine)}`);
    this.csv = (options.framing ?? 'line') === 'csv';
    this.stripBom = options.stripBom ?? true;
    const d = options.delimiter ?? ',';
    if (d.length !== 1 || d.charCodeAt(0) >= 0x80) throw new ConnectorOptionError(`delimiter must be one ASCII character, got ${JSON.stringify(d)}`);
    this.delimiter = d.charCodeAt(0);
    this.recordStart = startOffset;
    this.line = startLine;
  }

  /** Records framed and not yet taken. */
  get queued(): number {
    return this.queue.length - this.head;
  }

  /** Bytes held: queued records (each with RECORD_OVERHEAD_BYTES) plus the incomplete last record (what a prefetch limit counts). */
  get bufferedBytes(): number {
    return this.queuedBytes + (this.queue.length - this.head) * RECORD_OVERHEAD_BYTES + this.keptLen;
  }

  /** Bytes of an incomplete record after the last framed one (0 when input ends on a line end). */
  get partialBytes(): number {
    return this.recordLen;
  }

  shift(): FramedRecord | undefined {
    if (this.head >= this.queue.length) return undefined;
    const r = this.queue[this.head]!;
    this.queue[this.head++] = undefined as unknown as FramedRecord;
    if (this.head === this.queue.length) { this.queue.length = 0; this.head = 0; }
    this.queuedBytes -= r.bytes.length;
    return r;
  }

  /**
   * Frames `chunk` from byte `from`, stopping after `maxRecords` complete records (a reader framing lazily takes
   * only what it hands out, so records are not queued ahead). Returns where it stopped: `chunk.length` when all of
   * it was taken.
   */
  push(chunk: Buffer, from = 0, maxRecords = Infinity): number {
    const n = chunk.length;
    let p = from;
    let made = 0;
    while (p < n) {
      // Quote scanning stops where the record would pass the limit, so discarding starts there, not at chunk end.
      const limit = this.csv && !this.discarding ? Math.min(n, p + this.maxLineBytes + 2 + this.bomSlack() - this.recordLen) : n;
      const nl = this.findTerminator(chunk, p, limit);
      const stop = nl < 0 ? limit : nl;
      // Nothing spins for ever: a scan that neither moved nor found an end is a framer bug, not input to wait on.
      if (stop === p && nl < 0) throw new Error(`line framer: no progress at byte ${this.recordStart + this.recordLen} (record of ${this.recordLen} bytes)`);
      this.take(chunk, p, stop);
      if (nl < 0) { p = stop; continue; }
      this.complete(1);
      p = nl + 1;
      if (++made >= maxRecords) break;
    }
    return p;
  }

  /** End of input: an incomplete last record (no final LF) becomes a record. */
  finish(): void {
    if (this.recordLen > 0 && !this.onlyBom()) this.complete(0);
  }

  /**
   * The input so far is a byte order mark and nothing else: an empty file as some editors save it, no record (it
   * was one empty record, which JSON Lines reads as malformed).
   */
  private onlyBom(): boolean {
    if (!this.stripBom || this.recordStart !== 0 || this.recordLen !== 3) return false;
    const b = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts);
    return b[0] === BOM[0] && b[1] === BOM[1] && b[2] === BOM[2];
  }

  /** Room for a byte order mark beyond maxLineBytes: only the first record of an input may open with one. */
  private bomSlack(): number {
    return this.stripBom && this.recordStart === 0 ? 3 : 0;
  }

  /** Leading bytes of the file that matched a UTF-8 byte order mark so far (CSV framing skips them). */
  private bomBytes = 0;

  /** Index of the LF that ends the current record, searching [from, limit); -1 if none there. */
  private findTerminator(chunk: Buffer, from: number, limit: number): number {
    if (!this.csv) return chunk.indexOf(LF, from);
    const delimiter = this.delimiter;
    let state = this.csvState;
    let i = from;
    // A byte order mark opening the file is not part of the first field: read as its first byte, it made a quoted
    // first field unquoted, so a line break inside it split the record (Excel writes such files). Checked here,
    // before the loop: only the file's first bytes can be one.
    if (this.bomBytes < 3) {
      if (!this.stripBom || this.recordStart !== 0) this.bomBytes = 3;
      while (this.bomBytes < 3 && i < limit && this.recordLen + (i - from) === this.bomBytes) {
        if (chunk[i] === BOM[this.bomBytes]) { this.bomBytes++; i++; continue; }
        // Not a mark after all: the bytes skipped began an unquoted field.
        if (this.bomBytes > 0 && state === FIELD_START) state = UNQUOTED;
        this.bomBytes = 3;
      }
    }
    let lfs = 0;
    for (; i < limit; i++) {
      const b = chunk[i]!;
      if (state === QUOTED) {
        if (b === QUOTE) state = QUOTE_IN_QUOTED;
        else if (b === LF) lfs++; // a line inside the record: counted here, not in a second pass
      } else if (b === LF) {
        this.recordLfs += lfs;
        this.csvState = FIELD_START;
        return i;
      } else if (b === delimiter) {
        state = FIELD_START;
      } else if (state === FIELD_START) {
        state = b === QUOTE ? QUOTED : UNQUOTED;
      } else if (state === QUOTE_IN_QUOTED) {
        state = b === QUOTE ? QUOTED : UNQUOTED; // "" is an escaped quote; anything else closed the field
      }
    }
    this.recordLfs += lfs;
    this.csvState = state;
    return -1;
  }

  /** Adds bytes [a, b) of `chunk` to the current record. */
  private take(chunk: Buffer, a: number, b: number): void {
    const len = b - a;
    if (len === 0) return;
    this.recordLen += len;
    this.lastByte = chunk[b - 1]!;
    const slack = this.bomSlack();
    // Before the return below: a chunk that began just past the kept bytes never set it, and CSV framing's scan
    // limit (push) then stayed where it was: a thread spinning for ever on a record cut at maxLineBytes + 1 bytes.
    if (this.recordLen > this.maxLineBytes + 1 + slack) this.discarding = true;
    // One byte over the limit is kept so a CR before the LF does not count against it.
    const room = this.maxLineBytes + 1 + slack - this.keptLen;
    if (room <= 0) return;
    const kept = len <= room ? chunk.subarray(a, b) : chunk.subarray(a, a + room);
    this.parts.push(kept);
    this.keptLen += kept.length;
  }

  private complete(terminator: 0 | 1): void {
    let contentLen = this.recordLen - (this.lastByte === CR ? 1 : 0);
    let bytes = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.keptLen);
    if (bytes.length > contentLen) bytes = bytes.subarray(0, contentLen);
    // The mark first: it is not part of the record, so neither the limit nor a too-long record's length counts it
    // (else a first line is reported against a maximum 3 bytes short).
    if (this.stripBom && this.recordStart === 0 && bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
      bytes = bytes.subarray(3);
      contentLen -= 3;
    }
    const tooLong = contentLen > this.maxLineBytes ? contentLen : 0;
    if (tooLong) bytes = bytes.subarray(0, this.maxLineBytes);
    const end = this.recordStart + this.recordLen + terminator;
    const lines = 1 + this.recordLfs;
    this.queue.push({ bytes, offset: this.recordStart, end, line: this.line, lines, tooLong });
    this.queuedBytes += bytes.length;
    this.line += lines;
    this.recordStart = end;
    this.parts = [];
    this.keptLen = 0;
    this.recordLen = 0;
    this.recordLfs = 0;
    this.lastByte = -1;
    this.csvState = FIELD_START;
    this.discarding = false;
  }
}
