// Runs on: the worker thread of a source subtask (decoder) or a sink subtask (encoder).
//
// JSON Lines: one JSON value per line, UTF-8. Blank lines hold no record (skipped by default); a line that is
// not exactly one JSON value is a `MalformedJsonError` naming its file, line and byte offset.

import { SKIP, locate, recordText, type RecordDecoder, type RecordFormat, type SinkFormat } from './record-format.js';
import type { FramedRecord } from './line-framer.js';
import { EncodeError, MalformedJsonError } from '../errors.js';

export interface JsonLinesOptions {
  /** Skip lines that are empty or only spaces and tabs. Default true; false makes them malformed JSON. */
  skipBlankLines?: boolean;
}

/** JSON Lines reads and writes values of type T (unchecked: a JSON value is trusted to be a T). */
export interface JsonLinesFormat<T> extends RecordFormat<T>, SinkFormat<T> {}

export function jsonLines<T = unknown>(options: JsonLinesOptions = {}): JsonLinesFormat<T> {
  const skipBlank = options.skipBlankLines ?? true;
  return {
    fingerprint: `jsonl(skipBlank=${skipBlank})`,
    framing: { framing: 'line' },
    header: false,
    extension: '.jsonl',
    createDecoder: () => new JsonLinesDecoder<T>(skipBlank),
    createEncoder: () => {
      const enc = new JsonLinesEncoder<T>();
      return { header: undefined, encode: (v: T) => enc.encode(v) };
    },
  };
}

export class JsonLinesDecoder<T> implements RecordDecoder<T> {
  constructor(private readonly skipBlankLines = true) {}

  decode(record: FramedRecord, source: string): T | typeof SKIP {
    const text = recordText(record, source);
    if (this.skipBlankLines && isBlank(text)) return SKIP;
    try {
      return JSON.parse(text) as T;
    } catch (e) {
      throw new MalformedJsonError(locate(record, source), e);
    }
  }
}

function isBlank(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09) return false;
  }
  return true;
}

/** One value per line. JSON escapes line breaks inside strings, so a value never spans lines. */
export class JsonLinesEncoder<T = unknown> {
  encode(value: T): string {
    let text: string | undefined;
    try {
      text = JSON.stringify(value);
    } catch (e) {
      throw new EncodeError(`JSON Lines: cannot encode value: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
    if (text === undefined) throw new EncodeError(`JSON Lines: ${typeof value} has no JSON representation`);
    return `${text}\n`;
  }
}
