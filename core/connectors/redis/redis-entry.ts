// Runs on: the worker thread of a Redis source subtask.
//
// A stream entry as the source sees it, and how it becomes a value. Field names and values arrive as bytes and
// are decoded strictly as UTF-8; an entry whose bytes or fields do not decode is bad input, positioned by its
// stream and id, so the error policy can drop or dead-letter it without losing its bytes.

import { pack } from 'msgpackr';
import { decodeUtf8Strict } from '../formats/utf8.js';
import { BadInputError, EntryUndecodableError, describeLocation, type InputLocation } from '../errors.js';
import type { BadRecord } from '../source.js';

export interface StreamEntry {
  readonly stream: string;
  readonly id: string;
  /** Field name to value; own properties only (a field named "__proto__" is a field). */
  readonly fields: Readonly<Record<string, string>>;
}

/** Turns an entry into a value; throws for an entry that does not decode (any error counts as bad input). */
export type EntryDecoder<T> = (entry: StreamEntry) => T;

export const entryLocation = (stream: string, id: string): InputLocation => ({ source: `${stream}/${id}`, line: 0, offset: -1 });

/** The entry as it is: { stream, id, fields }. */
export const entryAsIs: EntryDecoder<StreamEntry> = (e) => e;

/** The JSON value in one field (default 'data', what the stream sink writes). */
export function jsonField<T = unknown>(field = 'data'): EntryDecoder<T> {
  return (e) => {
    const text = e.fields[field];
    if (text === undefined) throw new EntryUndecodableError(entryLocation(e.stream, e.id), `no field ${JSON.stringify(field)} (fields: ${Object.keys(e.fields).join(', ') || 'none'})`);
    try {
      return JSON.parse(text) as T;
    } catch (err) {
      throw new EntryUndecodableError(entryLocation(e.stream, e.id), `field ${JSON.stringify(field)} is not JSON: ${(err as Error).message}`, { cause: err });
    }
  };
}

export type DecodedEntry<T> = { ok: true; value: T } | { ok: false; bad: BadRecord };

/** Decodes one raw entry (fields as alternating name/value bytes) with `decode`; bad input becomes a BadRecord. */
export function decodeEntry<T>(stream: string, id: string, raw: readonly Buffer[], decode: EntryDecoder<T>): DecodedEntry<T> {
  const at = entryLocation(stream, id);
  try {
    if (raw.length % 2 !== 0) throw new EntryUndecodableError(at, `odd number of field items (${raw.length})`);
    const pairs: [string, string][] = [];
    for (let i = 0; i < raw.length; i += 2) pairs.push([decodeUtf8Strict(raw[i]!, at), decodeUtf8Strict(raw[i + 1]!, at)]);
    return { ok: true, value: decode({ stream, id, fields: Object.fromEntries(pairs) }) };
  } catch (e) {
    const error = e instanceof BadInputError ? e : new EntryUndecodableError(at, e instanceof Error ? e.message : String(e), { cause: e });
    return { ok: false, bad: { raw: rawOf(raw), error, position: describeLocation(at) } };
  }
}

/** The entry's fields as a JSON array of strings when they are text, else msgpack of the byte strings: lossless. */
function rawOf(raw: readonly Buffer[]): string | Uint8Array {
  const fatal = new TextDecoder('utf-8', { fatal: true });
  try {
    return JSON.stringify(raw.map((b) => fatal.decode(b)));
  } catch {
    return pack(raw.map((b) => Uint8Array.prototype.slice.call(b)));
  }
}
