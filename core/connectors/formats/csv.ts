// Runs on: the worker thread of a source subtask (decoder) or a sink subtask (encoder).
//
// CSV after RFC 4180: fields separated by a delimiter, a field in double quotes may hold delimiters, quotes
// (doubled) and line breaks; records end at LF or CRLF. Strict: a quote or a CR inside an unquoted field, text
// after a closing quote, an unterminated quote and a record with the wrong number of fields are bad input. Column names
// come from a header row or are declared; each record becomes an object keyed by them (values are strings).

import { SKIP, locate, recordText, type RecordDecoder, type RecordFormat, type SinkFormat } from './record-format.js';
import type { FramedRecord } from './line-framer.js';
import {
  BadInputError, ConnectorOptionError, CsvColumnCountError, CsvHeaderError, CsvSyntaxError, EncodeError, type InputLocation,
} from '../errors.js';
import { checkKnownOptions } from '../../api/known-options.js';
import { shownValue } from '../../api/shown-value.js';

/**
 * The column names a CSV sink of records of type T may name: T's string keys, or any name for arrays (written in
 * column order) and for records without known keys (an index signature, `object`, a source's rows).
 */
export type CsvColumn<T> = T extends readonly unknown[] ? string
  : string extends keyof T ? string
  : [keyof T & string] extends [never] ? string
  : keyof T & string;

/** T: the records a sink writes (inferred from the stream the sink is on); reading, it is left out. */
export interface CsvOptions<T = CsvWritable> {
  /** The first record of each input names the columns. With `columns` too, it must name exactly those. */
  header?: boolean;
  /**
   * Column names when there is no header row (or the header row's expected names). Writing records of a type
   * with known fields, each must be one of them (a typo would write an empty column).
   */
  columns?: readonly CsvColumn<T>[];
  /** One ASCII character (framing works on bytes); not a quote, CR or LF. Default ','. */
  delimiter?: string;
  /** Skip empty lines instead of reading them as a record of one empty field. Default true. */
  skipBlankLines?: boolean;
}

export type CsvRow = Record<string, string>;

/**
 * What a CSV sink writes: an object keyed by column (fields of strings, numbers, booleans, bigints, dates), an
 * interface or type alias alike, or an array in column order.
 */
export type CsvWritable = object;

/** CSV reads rows as objects of strings and writes records of type T, objects or arrays (given `columns`). */
export interface CsvFormat<T extends CsvWritable = CsvWritable> extends RecordFormat<CsvRow>, SinkFormat<T> {}

const CSV_KEYS = Object.keys({ header: true, columns: true, delimiter: true, skipBlankLines: true } satisfies Record<keyof CsvOptions, true>);

export function csv<T extends CsvWritable = CsvWritable>(options: CsvOptions<T> = {}): CsvFormat<T> {
  if (options === null || typeof options !== 'object') throw new ConnectorOptionError(`csv: options must be an object, got ${shownValue(options)}`);
  checkKnownOptions(options, CSV_KEYS, 'csv', (m) => new ConnectorOptionError(m));
  const header = options.header ?? false;
  const columns: string[] | undefined = options.columns === undefined ? undefined : [...options.columns];
  const delimiter = checkDelimiter(options.delimiter ?? ',');
  const skipBlank = options.skipBlankLines ?? true;
  if (!header && columns === undefined) throw new ConnectorOptionError('csv: give `header: true` (names from the first row) or `columns`');
  if (columns !== undefined) checkColumns(columns);
  return {
    fingerprint: `csv(header=${header},columns=${JSON.stringify(columns ?? null)},delimiter=${JSON.stringify(delimiter)},skipBlank=${skipBlank})`,
    framing: { framing: 'csv', delimiter },
    header,
    extension: '.csv',
    createDecoder: () => new CsvDecoder({ header, columns, delimiter, skipBlankLines: skipBlank }),
    createEncoder: () => {
      if (columns === undefined) throw new ConnectorOptionError('csv: writing CSV needs `columns` (the order of the fields in each row)');
      const enc = new CsvEncoder({ columns, delimiter });
      return { header: header ? enc.header() : undefined, encode: (row: T) => enc.encode(row) };
    },
  };
}

function checkDelimiter(d: string): string {
  if (d.length !== 1 || d.charCodeAt(0) >= 0x80 || d === '"' || d === '\r' || d === '\n') {
    throw new ConnectorOptionError(`csv: delimiter must be one ASCII character other than a quote, CR or LF, got ${JSON.stringify(d)}`);
  }
  return d;
}

function checkColumns(columns: readonly string[]): void {
  if (columns.length === 0) throw new ConnectorOptionError('csv: columns must not be empty');
  const seen = new Set<string>();
  for (const c of columns) {
    if (typeof c !== 'string') throw new ConnectorOptionError(`csv: column names must be strings, got ${typeof c}`);
    if (seen.has(c)) throw new ConnectorOptionError(`csv: duplicate column name ${JSON.stringify(c)}`);
    seen.add(c);
  }
}

export class CsvDecoder implements RecordDecoder<CsvRow> {
  private columns: string[] | undefined;
  /** A column is named "__proto__": rows are built with Object.fromEntries (assigning it would set the prototype). */
  private protoColumn = false;
  private readonly expected: string[] | undefined;
  private readonly header: boolean;
  private readonly delimiter: string;
  private readonly skipBlankLines: boolean;

  constructor(options: { header: boolean; columns: readonly string[] | undefined; delimiter: string; skipBlankLines: boolean }) {
    this.header = options.header;
    this.expected = options.columns === undefined ? undefined : [...options.columns];
    this.columns = this.header ? undefined : this.expected;
    this.protoColumn = this.columns?.includes('__proto__') ?? false;
    this.delimiter = options.delimiter;
    this.skipBlankLines = options.skipBlankLines;
  }

  get needsHeader(): boolean {
    return this.columns === undefined;
  }

  /** The column names in force (undefined until a header row was read). */
  get columnNames(): readonly string[] | undefined {
    return this.columns;
  }

  decode(record: FramedRecord, source: string): CsvRow | typeof SKIP {
    if (this.columns === undefined) return this.readHeader(record, source, locate(record, source));
    const text = recordText(record, source);
    if (this.skipBlankLines && text.length === 0) return SKIP;
    // The location is built only for an error: this runs per record.
    const fields = parseCsvRecord(text, this.delimiter, record, source);
    const columns = this.columns;
    if (fields.length !== columns.length) throw new CsvColumnCountError(locate(record, source), columns.length, fields.length);
    // Assigned, not Object.fromEntries of pairs (41% of a CSV decode's time, npm run bench:formats), except with a
    // column named "__proto__": assigning it would replace the prototype, fromEntries defines an own property.
    if (this.protoColumn) return Object.fromEntries(columns.map((c, i) => [c, fields[i]!]));
    const row: CsvRow = {};
    for (let i = 0; i < columns.length; i++) row[columns[i]!] = fields[i]!;
    return row;
  }

  private readHeader(record: FramedRecord, source: string, at: InputLocation): typeof SKIP {
    let text: string;
    let names: string[];
    try {
      text = recordText(record, source);
      if (this.skipBlankLines && text.length === 0) return SKIP;
      names = parseCsvRecord(text, this.delimiter, record, source);
    } catch (e) {
      if (e instanceof BadInputError) throw new CsvHeaderError(at, e.message, { cause: e });
      throw e;
    }
    const seen = new Set<string>();
    for (const n of names) {
      if (seen.has(n)) throw new CsvHeaderError(at, `duplicate column name ${JSON.stringify(n)}`);
      seen.add(n);
    }
    if (this.expected !== undefined && (names.length !== this.expected.length || names.some((n, i) => n !== this.expected![i]))) {
      throw new CsvHeaderError(at, `header ${JSON.stringify(names)} does not match the declared columns ${JSON.stringify(this.expected)}`);
    }
    this.columns = names;
    this.protoColumn = names.includes('__proto__');
    return SKIP;
  }
}

/** Splits one record's text into fields (RFC 4180); errors name the record's place in `source`. */
export function parseCsvRecord(text: string, delimiter: string, record: FramedRecord, source: string): string[] {
  const fields: string[] = [];
  const n = text.length;
  // A CR outside quotes is a line break of a file with CR-only line ends (classic Mac, some exports): read as
  // field text, a header row swallowed the whole file and the job read nothing, without an error. One scan per
  // record, and the per-field check only where the record holds a CR (quoted fields may, legitimately).
  const hasCr = text.indexOf('\r') >= 0;
  let i = 0;
  for (;;) {
    let end: number;
    if (text.charCodeAt(i) === 0x22) {
      let value = '';
      let j = i + 1;
      for (;;) {
        const q = text.indexOf('"', j);
        if (q < 0) throw new CsvSyntaxError(locate(record, source), `unterminated quoted field (field ${fields.length + 1})`);
        if (text.charCodeAt(q + 1) === 0x22) { value += text.slice(j, q + 1); j = q + 2; continue; }
        value += text.slice(j, q);
        end = q + 1;
        break;
      }
      if (end < n && text[end] !== delimiter) {
        throw new CsvSyntaxError(locate(record, source), `${JSON.stringify(text[end])} after the closing quote of field ${fields.length + 1} (expected ${JSON.stringify(delimiter)} or end of record)`);
      }
      fields.push(value);
    } else {
      const d = text.indexOf(delimiter, i);
      end = d < 0 ? n : d;
      const value = text.slice(i, end);
      if (value.includes('"')) throw new CsvSyntaxError(locate(record, source), `quote inside unquoted field ${fields.length + 1} (quote the field and double the quote)`);
      if (hasCr && value.includes('\r')) throw new CsvSyntaxError(locate(record, source), `carriage return inside unquoted field ${fields.length + 1} (records end at LF or CRLF; a CR in a value must be quoted)`);
      fields.push(value);
    }
    if (end >= n) return fields;
    i = end + 1; // past the delimiter; a delimiter at the very end leaves one more, empty, field
  }
}

export interface CsvEncoderOptions {
  columns: readonly string[];
  delimiter?: string;
  /** Default '\n'; RFC 4180 says '\r\n'. */
  lineEnding?: '\n' | '\r\n';
}

/** Rows (objects keyed by column, or arrays in column order) to CSV lines, quoting fields that need it. */
export class CsvEncoder {
  readonly columns: readonly string[];
  private readonly delimiter: string;
  private readonly eol: string;

  constructor(options: CsvEncoderOptions) {
    checkColumns(options.columns);
    this.columns = [...options.columns];
    this.delimiter = checkDelimiter(options.delimiter ?? ',');
    this.eol = options.lineEnding ?? '\n';
  }

  header(): string {
    return this.columns.map((c) => this.quote(c)).join(this.delimiter) + this.eol;
  }

  encode(row: CsvWritable): string {
    const cols = this.columns;
    if (Array.isArray(row)) {
      if (row.length !== cols.length) throw new EncodeError(`CSV: row has ${row.length} values, expected ${cols.length} (${cols.join(', ')})`);
    } else if (row === null || typeof row !== 'object') {
      throw new EncodeError(`CSV: expected an object or an array, got ${row === null ? 'null' : typeof row}`);
    }
    let line = '';
    for (let i = 0; i < cols.length; i++) {
      const v = Array.isArray(row) ? row[i] : (row as Record<string, unknown>)[cols[i]!];
      if (i > 0) line += this.delimiter;
      line += this.quote(this.text(v, cols[i]!));
    }
    // A lone empty field would be a blank line, which decoders skip: quote it so it reads back as ''.
    if (line.length === 0) line = '""';
    return line + this.eol;
  }

  private text(v: unknown, column: string): string {
    switch (typeof v) {
      case 'string': return v;
      case 'number': case 'bigint': case 'boolean': return String(v);
      case 'undefined': return '';
      default:
        if (v === null) return '';
        if (v instanceof Date) {
          if (Number.isNaN(v.getTime())) throw new EncodeError(`CSV: column ${JSON.stringify(column)} holds an invalid Date; convert it first`);
          return v.toISOString();
        }
        throw new EncodeError(`CSV: column ${JSON.stringify(column)} holds ${typeof v === 'object' ? 'an object' : `a ${typeof v}`}; convert it to a string first`);
    }
  }

  private quote(s: string): string {
    // A leading U+FEFF too: opening a file, a reader takes it for a byte order mark and drops it.
    if (s.includes(this.delimiter) || s.includes('"') || s.includes('\n') || s.includes('\r') || s.charCodeAt(0) === 0xfeff) return `"${s.replaceAll('"', '""')}"`;
    return s;
  }
}
