// Runs on: the worker thread of a source subtask.
//
// The contract between a framed record (bytes + position) and a value: a format says how its input is framed
// and makes one decoder per input (file, connection), because a decoder may learn from its input (a CSV header).
// Decoders throw a `BadInputError` for a bad record and anything else for input that cannot be read at all.

import { decodeUtf8Strict, tryDecodeUtf8 } from './utf8.js';
import type { FramedRecord, LineFramerOptions } from './line-framer.js';
import { BadInputError, LineTooLongError, describeLocation, type InputLocation } from '../errors.js';
import type { BadRecord } from '../source.js';

/** A decoder's answer for a record that holds no value: a blank line, a header row. */
export const SKIP: unique symbol = Symbol('skip');

export interface RecordDecoder<T> {
  decode(record: FramedRecord, source: string): T | typeof SKIP;
  /** Formats with a header: true until the decoder has read it (records before it are the header or blank). */
  readonly needsHeader?: boolean;
}

/** Values to lines, for a file sink: one record's text with its line end, and the text that starts every file. */
export interface RecordEncoder<T> {
  /** Written at the start of every part file (a CSV header row), or undefined. */
  readonly header: string | undefined;
  encode(value: T): string;
}

/** What a file sink needs of a format. */
export interface SinkFormat<T> {
  readonly fingerprint: string;
  readonly extension: string;
  /** Writes what the format's decoder reads back. Throws ConnectorOptionError when the options cannot write. */
  createEncoder(): RecordEncoder<T>;
}

/** What a file source needs of a format (formats that can also write implement SinkFormat too). */
export interface RecordFormat<T> {
  /** Everything about the format that must match on every thread (part of a source's fingerprint). */
  readonly fingerprint: string;
  /** How records are cut from bytes (spread into the LineFramer's options). */
  readonly framing: Pick<LineFramerOptions, 'framing' | 'delimiter'>;
  /** The first record of every input is a header that the decoder must see, even when resuming past it. */
  readonly header: boolean;
  /** The usual file name suffix ('.jsonl', '.csv'). */
  readonly extension: string;
  createDecoder(): RecordDecoder<T>;
}

export function locate(record: FramedRecord, source: string): InputLocation {
  return { source, line: record.line, offset: record.offset };
}

/** The record's text: a too-long record or invalid UTF-8 is bad input, never a truncated or U+FFFD-patched string. */
export function recordText(record: FramedRecord, source: string): string {
  if (record.tooLong > 0) throw new LineTooLongError(locate(record, source), record.tooLong, record.bytes.length);
  // The location only for an error: this runs per record.
  return tryDecodeUtf8(record.bytes) ?? decodeUtf8Strict(record.bytes, locate(record, source));
}

/**
 * What the runtime's error policy gets for a bad record: the raw record as text when it is valid UTF-8, else a
 * copy of its bytes (a copy, so a dead-letter queue does not pin the whole read chunk in memory).
 */
export function badRecord(record: FramedRecord, source: string, error: BadInputError): BadRecord {
  let raw: string | Uint8Array;
  try {
    raw = decodeUtf8Strict(record.bytes, locate(record, source));
  } catch {
    raw = Uint8Array.prototype.slice.call(record.bytes);
  }
  return { raw, error, position: describeLocation(error.location) };
}
