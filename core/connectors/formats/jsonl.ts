// Runs on: the worker thread of a source subtask (decoder) or a sink subtask (encoder).
//
// JSON Lines: one JSON value per line, UTF-8. Blank lines hold no record (skipped by default); a line that is
// not exactly one JSON value is a `MalformedJsonError` naming its file, line and byte offset.

import { SKIP, locate, recordText, type RecordDecoder, type RecordFormat, type SinkFormat } from './record-format.js';
import type { FramedRecord } from './line-framer.js';
import { ConnectorOptionError, EncodeError, MalformedJsonError } from '../errors.js';
import { isDeadLetter } from '../../api/dead-letters.js';
import { checkKnownOptions } from '../../api/known-options.js';
import { shownValue } from '../../api/shown-value.js';

export interface JsonLinesOptions {
  /** Skip lines that are empty or only spaces and tabs. Default true; false makes them malformed JSON. */
  skipBlankLines?: boolean;
}

/** JSON Lines reads and writes values of type T (unchecked: a JSON value is trusted to be a T). */
export interface JsonLinesFormat<T> extends RecordFormat<T>, SinkFormat<T> {}

const JSON_LINES_KEYS = Object.keys({ skipBlankLines: true } satisfies Record<keyof JsonLinesOptions, true>);

export function jsonLines<T = unknown>(options: JsonLinesOptions = {}): JsonLinesFormat<T> {
  if (options === null || typeof options !== 'object') throw new ConnectorOptionError(`jsonLines: options must be an object, got ${shownValue(options)}`);
  checkKnownOptions(options, JSON_LINES_KEYS, 'jsonLines', (m) => new ConnectorOptionError(m));
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

/**
 * One value per line. JSON escapes line breaks inside strings, so a value never spans lines. What JSON.stringify
 * would write as something else is an EncodeError naming where it is (not NaN and Infinity as null, a Map
 * or a Set as {}, undefined in an array as null, a function or a symbol left out, all without a word), as the CSV
 * encoder refuses an object. A property whose value is undefined is left out, as JSON does: read back, it is
 * undefined again.
 */
export class JsonLinesEncoder<T = unknown> {
  encode(value: T): string {
    return `${this.text(value)}\n`;
  }

  /** The JSON text alone (no line end), refused as `encode` refuses. */
  text(value: T): string {
    let text: string | undefined;
    const deadLetter = isDeadLetter(value);
    try {
      // A dead letter's raw record as far as JSON goes: a BigInt as its digits and 'n' (else it fails the
      // job at the dead-letter sink), as a dead letter's preview writes it.
      text = deadLetter ? JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)) : JSON.stringify(value);
    } catch (e) {
      throw new EncodeError(`JSON Lines: cannot encode value: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
    if (text === undefined) throw new EncodeError(`JSON Lines: ${typeof value} has no JSON representation`);
    // After stringify: a cycle or a BigInt has thrown there already, so this walk ends. A dead letter is written
    // whatever its raw record holds (bytes as an object of indexes, NaN as null): refusing it would fail the job on
    // the very input its error policy is there to keep.
    const bad = deadLetter ? undefined : unwritable(value);
    if (bad !== undefined) throw new EncodeError(`JSON Lines: $${bad.slice(1).reverse().join('')} ${bad[0]}; convert it first`);
    return text;
  }
}


/**
 * Why JSON.stringify would write `v` as another value, then where: [why, ...path steps from the inside out], or
 * undefined. The steps are built on the way back from a refusal only, so a record that passes costs no strings.
 */
function unwritable(v: unknown): string[] | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? undefined : [`is ${v}, which JSON writes as null`];
  if (typeof v !== 'object' || v === null) return undefined;
  if (v instanceof Date && Number.isNaN(v.getTime())) return ['is an invalid Date, which JSON writes as null'];
  if (typeof (v as { toJSON?: unknown }).toJSON === 'function') return undefined;
  if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer) return [`is a ${v.constructor.name}, which JSON writes as an object of its indexes`];
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const x: unknown = v[i];
      const bad = x === undefined || typeof x === 'function' || typeof x === 'symbol'
        ? [`is ${x === undefined ? 'undefined' : `a ${typeof x}`}, which JSON writes as null`]
        : unwritable(x);
      if (bad !== undefined) { bad.push(`[${i}]`); return bad; }
    }
    return undefined;
  }
  if (v instanceof Map || v instanceof Set) return [`is a ${v instanceof Map ? 'Map' : 'Set'}, which JSON writes as {}`];
  for (const k in v) {
    if (!Object.prototype.hasOwnProperty.call(v, k)) continue;
    const x = (v as Record<string, unknown>)[k];
    // A function or a symbol is left out as an undefined property is, but read back it is not what was written:
    // a record written as {} without a word (a method's reference where its result was meant, most often).
    const bad = typeof x === 'function' || typeof x === 'symbol' ? [`is a ${typeof x}, which JSON leaves out`] : unwritable(x);
    if (bad !== undefined) { bad.push(`.${k}`); return bad; }
  }
  return undefined;
}
