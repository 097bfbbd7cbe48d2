// Runs on: the worker thread of a keyed operator (encode at a snapshot, decode at a restore). The bytes of one
// key group's chunk of an operator's keyed state.
//
//   chunk   = msgpack [FORMAT, full(0|1), [table, ...], kinds?], crc32 of it (u32 LE)
//   kinds   = [kind, ...]: per table, the kind of state it is ('value', 'list', ...; '' unknown), so a restore can
//             refuse a list read back as a value. Older chunks have none (any format); older readers ignore it.
//   format 3 (columns, written before format 4):
//     table   = [stateName, hasTtl(0|1), n, keys, values, expiresAt (a column if hasTtl, else nil), dels]
//     keys    = column                                      dels = [key, ...]
//     values  = [0, column]                                 any values
//             | [1, [field, ...], [column per field]]       plain objects that all have these fields, in this order
//     column  = Int32Array | Float64Array (when every item is a number) | [item, ...] (anything else), n items
//   format 4 (columns, compact: what the encoder writes by default): format 3, where the key column and the
//     per-field columns of [1, ...] may also be an Int8Array or Int16Array (every item fits), and a per-field
//     column may be 0: the same items as the key column (an Int8Array, Int16Array or Int32Array).
//   format 2 (rows: `columns: false`, and what older checkpoints hold):
//     table   = [stateName, hasTtl(0|1), puts, dels]       puts = [key, value, (expiresAt if hasTtl), key, ...]
//   format 5 (a delta that patches list or map states, collection-deltas.ts; written only when one does, so a
//     chunk without patches is format 2 or 4 as before, and an older reader refuses one with patches by its format):
//     chunk   = msgpack [5, full, base(2|4), [table, ...], kinds, [patches | nil per table]], crc32
//     table   = as in the base format        patches = [key, op, payload, (expiresAt if hasTtl), key, ...]
//     op 1 (list append): payload = the elements appended: a column (format 4 base) or [item, ...] (format 2 base)
//     op 2 (map changes): payload = [[mapKey, value, mapKey, value, ...], [removedMapKey, ...]]
//
// Why columns: a snapshot encodes every entry changed in the last interval, on the task's thread, and the usual
// keyed state (a count, a sum, a small record of numbers) then costs a typed-array store per field instead of a
// msgpack walk per value (~4x faster; `npm run bench:state`). Shapes are found by looking, so no schema is
// needed; a value that breaks its chunk's shape turns that one column back into plain msgpack.
//
// Why compact columns: a checkpoint of a big keyed state writes every changed entry, and each byte costs again in
// LevelDB (its log's CRC, the memtable, the flush and compactions, on threads beside the job's). A reduce's
// value usually carries its key (the reduce returns its input's type), and counts and sums are small numbers:
// the checkpoint benchmark's entries (key, { key, sum }) take 6 bytes instead of 12.
//
// The CRC-32 trailer is there because msgpack has no redundancy: a flipped byte inside a string or a number
// decodes to another valid value, and an entry count cannot notice a changed value.
//
// Each chunk is packed by a fresh msgpackr Packr, so it is self-contained (record shapes are defined inside it)
// and decodes alone, in any process. Values round-trip as the generic codec's do (plain objects, arrays, Map,
// Set, Date, bigint, typed arrays; class instances come back as plain objects); numbers in columns keep -0.

import { Packr } from 'msgpackr';
import { crc32 } from '../../shm/checksum.js';
import type { Key } from '../graph/key-groups.js';
import type { StateEntry } from './state-table.js';
import { PATCH_LIST_APPEND, type Patch } from './collection-deltas.js';

const FORMAT_ROWS = 2;
const FORMAT_COLUMNS = 3;
const FORMAT_COMPACT = 4;
const FORMAT_PATCHES = 5;
/** Format 4: a value column that holds the same items as the key column. */
const SAME_AS_KEYS = 0;
const CRC_BYTES = 4;
const VALUES_ANY = 0;
const VALUES_OBJECTS = 1;
/** Objects with more fields than this are packed whole (msgpack records): columns would not pay. */
const MAX_FIELDS = 32;

function packr(): Packr {
  return new Packr({ useRecords: true, sequential: true, moreTypes: true });
}

/** The kinds of state a chunk may name (what `kinds` holds; '' for unknown is never written). */
export const STATE_KINDS = ['value', 'list', 'map', 'reducing', 'aggregating', 'internal'] as const;
export type StateKind = (typeof STATE_KINDS)[number];

export interface TableChanges {
  name: string;
  ttl: boolean;
  /** The kind of state, recorded so that a restore can check it (absent: unknown, not recorded). */
  kind?: StateKind | undefined;
  puts: StateEntry<unknown>[];
  dels: Key[];
  /** Instead of `puts`: the written entries as columns (a TypedStateTable's; never with a TTL). */
  columns?: TypedColumns;
  /** Entries of a list or map state patched rather than written whole (delta chunks only). */
  patches?: Patch[] | undefined;
  /**
   * Full chunks only: the table's part as a full chunk encoded it before (encodeFull's `sections`), its entries
   * unchanged since; used as it is, instead of `puts`.
   */
  section?: Uint8Array | undefined;
}

/** Entries as columns: entry i is keys[i] with fields[f] = cols[f][i]. */
export interface TypedColumns {
  /** As they are, or numbers (with -0 written as 0) in a column: Int32Array when they all fit, else doubles. */
  keys: Key[] | Int32Array | Float64Array;
  fields: readonly string[];
  /** Per field: numbers (Int32Array when they all fit, else doubles), or the values as they are (strings, booleans). */
  cols: (Int32Array | Float64Array | unknown[])[];
  /** Entry i's value as a plain object (format 2 writes values whole). */
  value(i: number): unknown;
}

export interface DecodedTable {
  name: string;
  ttl: boolean;
  /** Present when the chunk recorded the table's kind. */
  kind?: StateKind;
  /** key, value[, expiresAt] repeated. */
  puts: unknown[];
  dels: Key[];
  /** key, op, payload[, expiresAt] repeated (format 5): applied to the value the key has when it comes. */
  patches?: unknown[];
}

/**
 * Encodes chunks. One per keyed state backend: it keeps the field readers it generated for the value shapes it
 * met (see NumberFields). `columns: false` writes format 2 (rows, msgpack per value): the fast path's switch.
 */
export class ChunkEncoder {
  private readonly readers = new Map<string, NumberFields | null>();
  /** Entries encoded so far (a kept `section` encodes none): what snapshots cost this encoder. */
  entriesEncoded = 0;

  constructor(readonly columns = true) {}

  /** One chunk's bytes, in an ArrayBuffer of their own (a snapshot moves it to the main thread without a copy). */
  encode(full: boolean, tables: TableChanges[]): Uint8Array {
    for (const t of tables) this.entriesEncoded += entriesOf(t);
    const body = this.columns ? tables.map((t) => this.columnTable(t)) : tables.map(rowTable);
    const kinds = tables.map((t) => t.kind ?? '');
    const base = this.columns ? FORMAT_COMPACT : FORMAT_ROWS;
    let chunk: unknown[];
    if (tables.some((t) => t.patches !== undefined && t.patches.length > 0)) {
      chunk = [FORMAT_PATCHES, full ? 1 : 0, base, body, kinds, tables.map((t) => (t.patches !== undefined && t.patches.length > 0 ? patchRows(t.ttl, t.patches, this.columns) : null))];
    } else {
      chunk = [base, full ? 1 : 0, body];
      if (kinds.some((k) => k !== '')) chunk.push(kinds);
    }
    return sealed([packr().pack(chunk)]);
  }

  /**
   * A full chunk (no patches), built from one msgpack value per table, so that a table's part can be kept and used
   * again (`section`) by the group's next full chunk while the table's entries there are unchanged. The bytes are
   * those `encode` writes, except that each part is packed alone: a record shape used by two tables is defined in
   * each (msgpack's sequential records: a definition holds until the next one of its id, so the parts decode as one
   * stream). Returns the chunk and every table's part (the kept ones as given).
   */
  encodeFull(tables: TableChanges[]): { bytes: Uint8Array; sections: Uint8Array[] } {
    for (const t of tables) if (t.section === undefined) this.entriesEncoded += entriesOf(t);
    // A part is copied out of the packer's result: that is a view of a slab all packers of the thread share, and a
    // kept view would hold the whole slab (a Buffer's slice() copies nothing).
    const sections = tables.map((t) => t.section ?? new Uint8Array(packr().pack(this.columns ? this.columnTable(t) : rowTable(t))));
    const kinds = tables.map((t) => t.kind ?? '');
    const withKinds = kinds.some((k) => k !== '');
    // [format, full, [table, ...], kinds?]: the array heads by hand, the parts between them as they are.
    const head = [0x90 | (withKinds ? 4 : 3), this.columns ? FORMAT_COMPACT : FORMAT_ROWS, 1, ...arrayHead(tables.length)];
    const tail = withKinds ? packr().pack(kinds) : new Uint8Array(0);
    return { bytes: sealed([head, ...sections, tail]), sections };
  }

  private columnTable(t: TableChanges): unknown[] {
    if (t.columns !== undefined) return columnsTable(t, t.columns);
    const es = t.puts;
    const n = es.length;
    const keys = new ColumnBuilder(n);
    const expiresAt = t.ttl ? new ColumnBuilder(n) : undefined;
    for (let i = 0; i < n; i++) {
      const e = es[i]!;
      // msgpack has no -0 and a Map does not tell it from 0: keys are written as 0, as in format 2.
      keys.add(i, e.key === 0 ? 0 : e.key);
      expiresAt?.add(i, e.expiresAt);
    }
    const keyCol = keys.done();
    return [t.name, t.ttl ? 1 : 0, n, fewerBytes(keyCol), this.values(es, keyCol), expiresAt?.done() ?? null, t.dels];
  }

  /** The values: as number columns per field, or a column per field, or one column of whole values. */
  private values(es: StateEntry<unknown>[], keys: Column): unknown[] {
    const n = es.length;
    const fields = n > 0 ? shapeOf(es[0]!.value) : undefined;
    if (fields === undefined) return [VALUES_ANY, anyColumn(es)];
    const read = this.reader(fields);
    if (read !== null) {
      const nums = fields.map(() => new Float64Array(n));
      let i = 0;
      while (i < n && hasShape(es[i]!.value, fields) && read(es[i]!.value, i, nums)) i++;
      if (i === n) return [VALUES_OBJECTS, fields, nums.map((c) => compact(narrow(c), keys))];
    }
    const cols = fields.map(() => new ColumnBuilder(n));
    for (let i = 0; i < n; i++) {
      const v = es[i]!.value as Record<string, unknown>;
      if (!hasShape(v, fields)) return [VALUES_ANY, anyColumn(es)];
      for (let f = 0; f < fields.length; f++) cols[f]!.add(i, v[fields[f]!]);
    }
    return [VALUES_OBJECTS, fields, cols.map((c) => compact(c.done(), keys))];
  }

  private reader(fields: string[]): NumberFields | null {
    const id = JSON.stringify(fields);
    let r = this.readers.get(id);
    if (r === undefined) {
      r = numberFields(fields);
      this.readers.set(id, r);
    }
    return r;
  }
}

/**
 * A chunk's framing, one place for both encoders: `parts` one after the other, then the CRC-32 of them (u32 LE), in
 * an ArrayBuffer of the chunk's own.
 */
function sealed(parts: readonly ArrayLike<number>[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n + CRC_BYTES);
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  new DataView(out.buffer).setUint32(n, crc32(out, 0, n), true);
  return out;
}

/** The entries a table's changes write (puts or typed rows; not tombstones or patches). */
function entriesOf(t: TableChanges): number {
  return t.columns !== undefined ? t.columns.keys.length : t.puts.length;
}

/** A msgpack array's head for `n` items. */
function arrayHead(n: number): number[] {
  if (n < 16) return [0x90 | n];
  if (n < 0x10000) return [0xdc, n >>> 8, n & 0xff];
  return [0xdd, n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
}

/** Encodes one chunk (a fresh encoder: tests and tools). */
export function encodeKeyGroup(full: boolean, tables: TableChanges[], columns = true): Uint8Array {
  return new ChunkEncoder(columns).encode(full, tables);
}

/**
 * A table given as columns, in the layout columnTable gives the same values as objects (fields in this order):
 * key column, then the number columns narrowed and the others as they are.
 */
function columnsTable(t: TableChanges, c: TypedColumns): unknown[] {
  const n = c.keys.length;
  let keys: Column;
  if (c.keys instanceof Int32Array) keys = c.keys;
  else if (c.keys instanceof Float64Array) keys = narrow(c.keys);
  else {
    const b = new ColumnBuilder(n);
    for (let i = 0; i < n; i++) b.add(i, c.keys[i] === 0 ? 0 : c.keys[i]);
    keys = b.done();
  }
  const values = n === 0 ? [VALUES_ANY, anyColumn([])] : [VALUES_OBJECTS, [...c.fields], c.cols.map((col) => compact(col instanceof Float64Array ? narrow(col) : col, keys))];
  return [t.name, 0, n, fewerBytes(keys), values, null, t.dels];
}

/** Elements a list append needs before its numbers are written as a column. */
const MIN_PATCH_COLUMN = 16;

/** A table's patches, flat: key, op, payload[, expiresAt]. A list append's ints go as a column (with `columns`). */
function patchRows(ttl: boolean, patches: Patch[], columns: boolean): unknown[] {
  const out: unknown[] = [];
  for (const p of patches) {
    let payload = p.payload;
    // A few elements go as they are: a column costs more to build than it saves there.
    if (columns && p.op === PATCH_LIST_APPEND && (p.payload as unknown[]).length >= MIN_PATCH_COLUMN) {
      const xs = payload as unknown[];
      const b = new ColumnBuilder(xs.length);
      for (let i = 0; i < xs.length; i++) b.add(i, xs[i]);
      // Ints as the fewest bytes that hold them; other numbers as msgpack does (a float32 where it is exact).
      const col = b.done();
      if (col instanceof Int32Array) payload = fewerBytes(col);
    }
    out.push(p.entry.key === 0 ? 0 : p.entry.key, p.op, payload);
    if (ttl) out.push(p.entry.expiresAt);
  }
  return out;
}

function rowTable(t: TableChanges): unknown[] {
  const c = t.columns;
  if (c !== undefined) {
    const puts: unknown[] = [];
    for (let i = 0; i < c.keys.length; i++) puts.push(c.keys[i], c.value(i));
    return [t.name, 0, puts, t.dels];
  }
  const puts: unknown[] = [];
  for (const e of t.puts) {
    puts.push(e.key, e.value);
    if (t.ttl) puts.push(e.expiresAt);
  }
  return [t.name, t.ttl ? 1 : 0, puts, t.dels];
}

type Column = Int32Array | Float64Array | Int16Array | Int8Array | unknown[];

/**
 * Reads the fields of an object into number columns at row i; false when one is not a number. Generated per
 * shape, so each read is a named property load that V8 caches for the shape (a computed `v[name]` in a loop
 * costs ~3x as much: a generic lookup per field).
 */
type NumberFields = (v: unknown, i: number, cols: Float64Array[]) => boolean;

function numberFields(fields: string[]): NumberFields | null {
  const body = fields.map((f, j) => `x = v[${JSON.stringify(f)}]; if (typeof x !== 'number') return false; cols[${j}][i] = x;`).join('\n');
  try {
    return new Function('v', 'i', 'cols', `let x;\n${body}\nreturn true;`) as NumberFields;
  } catch {
    return null; // code generation is off (--disallow-code-generation-from-strings): the general path
  }
}

/**
 * A plain object: made by a literal, `{}` or JSON.parse (constructor Object, found on Object.prototype). Arrays,
 * Maps, Dates, class instances and null-prototype objects are not, and keep their own msgpack encoding. (Checked
 * by the constructor: Object.getPrototypeOf costs ~4x as much per object.)
 */
function isPlain(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && (v as { constructor?: unknown }).constructor === Object;
}

/** The fields of a plain object that can be written as columns, or undefined. */
function shapeOf(v: unknown): string[] | undefined {
  if (!isPlain(v)) return undefined;
  const fields = Object.keys(v);
  return fields.length <= MAX_FIELDS && !fields.includes('__proto__') ? fields : undefined;
}

/** A plain object whose enumerable keys are exactly `fields`, in that order (checked without allocating). */
function hasShape(v: unknown, fields: string[]): boolean {
  if (!isPlain(v)) return false;
  let f = 0;
  for (const k in v) if (k !== fields[f++]) return false;
  return f === fields.length;
}

function anyColumn(es: StateEntry<unknown>[]): Column {
  const b = new ColumnBuilder(es.length);
  for (let i = 0; i < es.length; i++) b.add(i, es[i]!.value);
  return b.done();
}

/**
 * An Int32Array when every number is an int32, else the Float64Array. -0 is written as 0, as rows (msgpack) and
 * exchanges write it: else a state value keeps -0 through a restore only when its checkpoint is columnar.
 * `f` is not changed (a caller's columns may be live).
 */
function narrow(f: Float64Array): Int32Array | Float64Array {
  let out = f;
  let ints = true;
  for (let i = 0; i < out.length; i++) {
    const v = out[i]!;
    if (v === 0) {
      if (1 / v < 0) { if (out === f) out = f.slice(); out[i] = 0; }
    } else if ((v | 0) !== v) {
      ints = false;
    }
  }
  return ints ? new Int32Array(out) : out;
}

/** An int32 column as Int8Array or Int16Array when every item fits (format 4), else as it is. */
function fewerBytes(col: Column): Column {
  if (!(col instanceof Int32Array)) return col;
  let lo = 0;
  let hi = 0;
  for (let i = 0; i < col.length; i++) {
    const v = col[i]!;
    if (v < lo) lo = v;
    else if (v > hi) hi = v;
  }
  if (lo >= -0x80 && hi < 0x80) return new Int8Array(col);
  if (lo >= -0x8000 && hi < 0x8000) return new Int16Array(col);
  return col;
}

/**
 * A value column in format 4: SAME_AS_KEYS when it holds the key column's items (int32 columns only: they hold
 * no -0, which a key column writes as 0), else in as few bytes as hold it.
 */
function compact(col: Column, keys: Column): Column | typeof SAME_AS_KEYS {
  if (col instanceof Int32Array && keys instanceof Int32Array && col.length === keys.length) {
    let i = 0;
    while (i < col.length && col[i] === keys[i]) i++;
    if (i === col.length) return SAME_AS_KEYS;
  }
  return fewerBytes(col);
}

/** n items, filled in order: a number column when they are all numbers (see narrow), else the items as they are. */
class ColumnBuilder {
  private readonly nums: Float64Array;
  private items: unknown[] | undefined;

  constructor(n: number) {
    this.nums = new Float64Array(n);
  }

  add(i: number, v: unknown): void {
    if (this.items !== undefined) { this.items[i] = v; return; }
    if (typeof v === 'number') { this.nums[i] = v; return; }
    const items = new Array<unknown>(this.nums.length);
    for (let j = 0; j < i; j++) items[j] = this.nums[j];
    items[i] = v;
    this.items = items;
  }

  done(): Column {
    return this.items ?? narrow(this.nums);
  }
}

/**
 * A chunk's seal: the CRC-32 of all but its last 4 bytes, which hold it (little-endian), as the encoder wrote
 * it. What a manifest records for the chunk, without reading it again. (Not the CRC-32 of the whole chunk: that
 * is the same constant for every sealed message, CRC-32's residue, and would tell chunks apart by nothing.)
 */
export function chunkSeal(bytes: Uint8Array): number {
  if (bytes.length < CRC_BYTES) throw new KeyGroupFormatError(`a chunk of ${bytes.length} bytes has no seal`);
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.length).getUint32(bytes.length - CRC_BYTES, true);
}

export class KeyGroupFormatError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KeyGroupFormatError';
  }
}

/** A restored value that the job's state schema does not fit: the job changed, not the checkpoint's bytes. */
export class StateSchemaRestoreError extends KeyGroupFormatError {
  constructor(message: string) {
    super(message);
    this.name = 'StateSchemaRestoreError';
  }
}

export function decodeKeyGroup(bytes: Uint8Array): { full: boolean; tables: DecodedTable[] } {
  const end = bytes.length - CRC_BYTES;
  if (end < 0) throw new KeyGroupFormatError(`key group chunk is truncated (${bytes.length} bytes)`);
  if (crc32(bytes, 0, end) !== new DataView(bytes.buffer, bytes.byteOffset, bytes.length).getUint32(end, true)) {
    throw new KeyGroupFormatError('key group chunk does not match its checksum (truncated or corrupted)');
  }
  let v: unknown;
  try {
    v = packr().unpack(bytes.subarray(0, end));
  } catch (cause) {
    throw new KeyGroupFormatError(`key group chunk does not decode: ${(cause as Error).message}`, { cause });
  }
  if (Array.isArray(v) && v[0] === FORMAT_PATCHES) return patchedOf(v);
  if (!Array.isArray(v) || (v[0] !== FORMAT_ROWS && v[0] !== FORMAT_COLUMNS && v[0] !== FORMAT_COMPACT) || (v[1] !== 0 && v[1] !== 1) || !Array.isArray(v[2])) {
    throw new KeyGroupFormatError(`key group chunk has an unknown format (expected format ${FORMAT_ROWS}, ${FORMAT_COLUMNS}, ${FORMAT_COMPACT} or ${FORMAT_PATCHES})`);
  }
  return { full: v[1] === 1, tables: tablesOf(v[0], v[2], v.length > 3, v.length > 3 ? v[3] : undefined, v.length > 4) };
}

/** The tables of a chunk in `format` (2, 3 or 4), with their kinds when given (`extra`: more fields than belong). */
function tablesOf(format: unknown, body: unknown[], hasKinds: boolean, kinds: unknown, extra: boolean): DecodedTable[] {
  const compactOk = format === FORMAT_COMPACT;
  const tables = body.map((t) => (format === FORMAT_ROWS ? rowsOf(t) : columnsOf(t, compactOk)));
  if (hasKinds) {
    if (extra || !Array.isArray(kinds) || kinds.length !== tables.length
      || !kinds.every((k) => k === '' || (STATE_KINDS as readonly unknown[]).includes(k))) {
      throw new KeyGroupFormatError('key group chunk has a malformed list of state kinds');
    }
    kinds.forEach((k, i) => { if (k !== '') tables[i]!.kind = k as StateKind; });
  }
  return tables;
}

/** A format 5 chunk: tables in their base format, each with its patches (see the format at the top). */
function patchedOf(v: unknown[]): { full: boolean; tables: DecodedTable[] } {
  if (v.length !== 6 || (v[1] !== 0 && v[1] !== 1) || (v[2] !== FORMAT_ROWS && v[2] !== FORMAT_COMPACT) || !Array.isArray(v[3]) || !Array.isArray(v[5]) || v[5].length !== v[3].length) {
    throw new KeyGroupFormatError('key group chunk of format 5 is malformed');
  }
  const tables = tablesOf(v[2], v[3], true, v[4], false);
  const patches = v[5] as unknown[];
  tables.forEach((t, i) => {
    const p = patches[i];
    if (p === null) return;
    const stride = t.ttl ? 4 : 3;
    if (!Array.isArray(p) || p.length % stride !== 0) throw new KeyGroupFormatError(`state '${t.name}': a malformed list of patches`);
    if (t.ttl) for (let j = 3; j < p.length; j += 4) if (typeof p[j] !== 'number') throw new KeyGroupFormatError(`state '${t.name}': a patch's expiry is not a number`);
    t.patches = p;
  });
  return { full: v[1] === 1, tables };
}

function rowsOf(t: unknown): DecodedTable {
  if (!Array.isArray(t) || typeof t[0] !== 'string' || !Array.isArray(t[2]) || !Array.isArray(t[3])) {
    throw new KeyGroupFormatError('key group chunk has a malformed state table');
  }
  const ttl = t[1] === 1;
  if (t[2].length % (ttl ? 3 : 2) !== 0) throw new KeyGroupFormatError(`state '${t[0]}': a truncated entry list`);
  return { name: t[0], ttl, puts: t[2], dels: t[3] as Key[] };
}

/** `compactOk`: format 4 (Int8Array and Int16Array columns, value columns SAME_AS_KEYS). */
function columnsOf(t: unknown, compactOk: boolean): DecodedTable {
  if (!Array.isArray(t) || t.length !== 7 || typeof t[0] !== 'string' || (t[1] !== 0 && t[1] !== 1)
    || !Number.isSafeInteger(t[2]) || (t[2] as number) < 0 || !Array.isArray(t[6])) {
    throw new KeyGroupFormatError('key group chunk has a malformed state table');
  }
  const name = t[0];
  const ttl = t[1] === 1;
  const n = t[2] as number;
  const bad = (what: string): KeyGroupFormatError => new KeyGroupFormatError(`state '${name}': ${what} (expected ${n} entries)`);
  const keys = t[3];
  if (!isColumn(keys, n, compactOk)) throw bad('a malformed key column');
  const expiresAt = t[5];
  if (ttl ? !isColumn(expiresAt, n) || !(expiresAt instanceof Float64Array || expiresAt instanceof Int32Array || expiresAt.every((x) => typeof x === 'number')) : expiresAt !== null) {
    throw bad('a malformed expiry column');
  }
  const vs = t[4];
  // Format 4's "the keys again" stands for int keys only (strings and doubles are never written so).
  const sameAsKeysOk = compactOk && (keys instanceof Int32Array || keys instanceof Int16Array || keys instanceof Int8Array);
  let value: (i: number) => unknown;
  if (Array.isArray(vs) && vs.length === 2 && vs[0] === VALUES_ANY && isColumn(vs[1], n)) {
    const col = vs[1];
    value = (i) => col[i];
  } else if (Array.isArray(vs) && vs.length === 3 && vs[0] === VALUES_OBJECTS && Array.isArray(vs[1]) && Array.isArray(vs[2])
    && vs[1].length === vs[2].length && vs[1].length <= MAX_FIELDS && new Set(vs[1]).size === vs[1].length
    && vs[1].every((f) => typeof f === 'string' && f !== '__proto__')
    && vs[2].every((c) => isColumn(c, n, compactOk) || (sameAsKeysOk && c === SAME_AS_KEYS))) {
    const fields = vs[1] as string[];
    const cols = (vs[2] as (Column | typeof SAME_AS_KEYS)[]).map((c) => (c === SAME_AS_KEYS ? keys : c));
    value = objectBuilder(fields, cols);
  } else {
    throw bad('a malformed value column');
  }
  const puts = new Array<unknown>(n * (ttl ? 3 : 2));
  for (let i = 0, j = 0; i < n; i++) {
    puts[j++] = keys[i];
    puts[j++] = value(i);
    if (ttl) puts[j++] = (expiresAt as Column)[i];
  }
  return { name, ttl, puts, dels: t[6] as Key[] };
}

/**
 * Row i of the columns as a plain object: an object literal generated for the shape (one hidden class, stores
 * V8 caches), or, where code generation is off, the same fields assigned one by one.
 */
function objectBuilder(fields: string[], cols: Column[]): (i: number) => unknown {
  try {
    const literal = fields.map((f, j) => `${JSON.stringify(f)}: c${j}[i]`).join(', ');
    const make = new Function(...fields.map((_, j) => `c${j}`), `return (i) => ({ ${literal} });`) as (...c: Column[]) => (i: number) => unknown;
    return make(...cols);
  } catch {
    return (i) => {
      const o: Record<string, unknown> = {};
      for (let f = 0; f < fields.length; f++) o[fields[f]!] = cols[f]![i];
      return o;
    };
  }
}

/** `compactOk`: Int8Array and Int16Array columns too (format 4). */
function isColumn(c: unknown, n: number, compactOk = false): c is Column {
  return (c instanceof Int32Array || c instanceof Float64Array || Array.isArray(c) || (compactOk && (c instanceof Int16Array || c instanceof Int8Array))) && c.length === n;
}
