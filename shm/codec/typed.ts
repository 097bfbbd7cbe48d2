// Runs on: any thread. The typed record codec: a fixed binary layout derived from a record schema,
// written straight into the ring's bytes and read back without intermediate copies.
//
// Wire format (little-endian, no padding), for the schema's fields in declaration order:
//
//   [null bitmap]  ceil(optionalFieldCount / 8) bytes, only when the schema has optional fields.
//                  Bit k (byte k >> 3, bit k & 7) is set when the k-th optional field is absent.
//                  Bits past the last optional field are zero.
//   [fixed slots]  one slot per field at a fixed offset:
//                    i32, u32, f32: 4 bytes     i64, timestamp: 8 bytes (two's complement)
//                    f64: 8 bytes               bool: 1 byte, 0 or 1
//                    string: 4 bytes, u32 end offset of the string's UTF-8 bytes, relative to the
//                            record's first byte. A string starts where the previous present string
//                            ended (the first at the end of the fixed part), so its length is implied.
//                  The slot of an absent optional field is all zero bytes.
//   [tail]         the UTF-8 bytes of the present strings, back to back in field order.
//
// The record's length is exactly fixed part + tail. NaN is stored canonically (f64 0x7ff8000000000000,
// f32 0x7fc00000). The decoder is strict: every byte sequence it accepts is exactly what the encoder
// would write for the value it returns, so it never misreads corrupt bytes as a plausible value.
//
// Value mapping:
// - Integer fields store -0 as 0. 'f32' fields round to the nearest float32 on encode; a finite value beyond
//   float32's range is refused (it would round to ±Infinity), as an out-of-range integer is.
// - Strings with lone surrogates are stored with each lone surrogate replaced by U+FFFD (what
//   Buffer and TextEncoder do), so they decode as `str.toWellFormed()`.
// - Properties of the value that the schema does not declare are ignored.
// - A decoded record is a plain object with every declared field as an own property, in declaration
//   order; an absent optional field is present with the value `undefined` (one object shape per
//   schema keeps consumers' property access monomorphic).

import { Buffer, isUtf8 } from 'node:buffer';
import type { RecordCodec, RecordDecoder, RecordEncoder } from './codec.js';
import { f32Holds, f32HoldsSource, recordSchema, type FieldDef, type FieldType, type RecordSchema } from './schema.js';
import { FrameCorruptError, FrameTruncatedError, InvalidArgumentError, SchemaMismatchError } from '../errors.js';

export interface TypedCodecOptions {
  /**
   * Generate per-schema encode/decode functions with `new Function` (default true). They are faster:
   * constant property names and offsets. `false` uses the interpreted path, a loop over the field
   * layout; it is also used when code generation is unavailable (e.g. --disallow-code-generation-from-strings).
   */
  readonly specialize?: boolean;
  /**
   * Offer the bounded encoding path (RecordEncoder.bound / writeBounded; default true): a record reserves an
   * upper bound of 3 bytes per UTF-16 unit of its strings and is written without measuring them first, which
   * saves a call into C++ per string; short ASCII strings are copied by a JS loop. A channel then gives back
   * what the record did not use. `false` leaves only the exact path (size / write). The bytes are the same.
   */
  readonly bounded?: boolean;
}

export interface TypedCodec<T> extends RecordCodec<T> {
  readonly kind: 'typed';
  readonly schema: RecordSchema<T>;
  /** Size of the fixed part: the null bitmap and every slot; also the size of a record without strings. */
  readonly fixedSize: number;
  /** Whether encoders and decoders use generated code (see TypedCodecOptions.specialize). */
  readonly specialized: boolean;
  /** Whether encoders offer the bounded path (see TypedCodecOptions.bounded). */
  readonly bounded: boolean;
}

// Field type codes for the interpreted path's switches.
const I32 = 0, U32 = 1, I64 = 2, F64 = 3, F32 = 4, BOOL = 5, TIMESTAMP = 6, STRING = 7;
const TYPE_CODE: Readonly<Record<FieldType, number>> =
  { i32: I32, u32: U32, i64: I64, f64: F64, f32: F32, bool: BOOL, timestamp: TIMESTAMP, string: STRING };
const SLOT_WIDTH: Readonly<Record<FieldType, number>> =
  { i32: 4, u32: 4, i64: 8, f64: 8, f32: 4, bool: 1, timestamp: 8, string: 4 };
const EXPECTED: Readonly<Record<FieldType, string>> = {
  i32: 'an integer in [-2147483648, 2147483647]',
  u32: 'an integer in [0, 4294967295]',
  i64: 'a safe integer (|v| <= 2^53 - 1)',
  f64: 'a number',
  f32: 'a number within float32 range (|v| < 3.4028235e38; NaN and ±Infinity pass)',
  bool: 'a boolean',
  timestamp: 'epoch milliseconds as a safe integer',
  string: 'a string',
};

const TWO_32 = 4294967296;
// Safe integers are exactly the 64-bit values whose high word is in [-2^21, 2^21 - 1], minus -2^53.
const I64_HI_MAX = 2097151, I64_HI_MIN = -2097152;
const F64_NAN_HI = 0x7ff80000, F32_NAN = 0x7fc00000;
const MAX_RECORD = 0xffffffff; // string end offsets are u32

interface Slot {
  readonly name: string;
  readonly type: FieldType;
  readonly code: number;
  readonly optional: boolean;
  /** Byte offset of the slot from the record start. */
  readonly offset: number;
  readonly width: number;
  /** Bit index in the null bitmap, -1 for a required field. */
  readonly nullBit: number;
}

interface Layout {
  readonly slots: readonly Slot[];
  readonly bitmapBytes: number;
  /** Per field, how errors name it: "typed record field 'url' (string)". */
  readonly labels: readonly string[];
  /** Per bitmap byte, the bits that may be set. */
  readonly bitmapValid: readonly number[];
  readonly fixedSize: number;
  readonly stringCount: number;
}

function computeLayout(schema: RecordSchema<unknown>): Layout {
  if (!Array.isArray(schema?.fields) || schema.fields.length === 0) {
    throw new InvalidArgumentError('typedCodec: expected a schema made by recordSchema()');
  }
  const fields: readonly FieldDef[] = schema.fields;
  // Re-validate: a hand-built schema object must meet recordSchema's rules too (names become generated code's keys).
  const checked = recordSchema(Object.fromEntries(fields.map((f) => [f?.name, { type: f?.type, optional: f?.optional === true }])));
  if (checked.fields.length !== fields.length) throw new InvalidArgumentError('typedCodec: schema has duplicate field names');
  const optionalCount = fields.filter((f) => f.optional).length;
  const bitmapBytes = (optionalCount + 7) >> 3;
  const bitmapValid: number[] = [];
  for (let b = 0; b < bitmapBytes; b++) bitmapValid.push(b < bitmapBytes - 1 || optionalCount % 8 === 0 ? 0xff : (1 << (optionalCount % 8)) - 1);
  const slots: Slot[] = [];
  let offset = bitmapBytes;
  let nullBit = 0;
  let stringCount = 0;
  for (const f of fields) {
    const width = SLOT_WIDTH[f.type];
    slots.push({ name: f.name, type: f.type, code: TYPE_CODE[f.type], optional: f.optional, offset, width, nullBit: f.optional ? nullBit++ : -1 });
    offset += width;
    if (f.type === 'string') stringCount++;
  }
  const labels = slots.map((s) => `typed record field '${s.name}' (${s.type})`);
  return { slots, labels, bitmapBytes, bitmapValid, fixedSize: offset, stringCount };
}

/** Stable text naming the wire format: layout version, then each field's name, type and optionality. */
function fingerprintOf(schema: RecordSchema<unknown>): string {
  return `typed/1(${schema.fields.map((f) => `${f.name}:${f.type}${f.optional ? '?' : ''}`).join(',')})`;
}

// ---- UTF-8 helpers ----------------------------------------------------------------------------------
// Measured on Node 20 (x64) for 10-100 char strings: Buffer.byteLength is ~4x faster than a charCodeAt
// loop (and no slower at 6 chars); Buffer#utf8Write beats buf.write(.., 'utf8') and
// TextEncoder.encodeInto (which needs a subarray and returns an object); Buffer#utf8Slice plus a U+FFFD
// check beats a fatal TextDecoder on a subarray by ~1.5x. utf8Write / utf8Slice are Node's long-standing
// (undocumented) Buffer methods; the documented ones are the fallback if they ever disappear.

interface FastBuffer extends Buffer {
  utf8Write?(s: string, offset: number, length: number): number;
  utf8Slice?(start: number, end: number): string;
}
/**
 * Whether the native methods are used (the fast path). SLUICE_NATIVE_UTF8=0 turns it off for the process and its
 * threads (the spec runs both ways: the bytes and strings are the same).
 */
export const nativeUtf8 = !['0', 'false'].includes(process.env['SLUICE_NATIVE_UTF8'] ?? '')
  && typeof (Buffer.prototype as FastBuffer).utf8Write === 'function'
  && typeof (Buffer.prototype as FastBuffer).utf8Slice === 'function';

function utf8Length(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

/** Writes `s` at `pos`, at most `length` bytes (whole characters only); returns the bytes written. */
const nativeWriteUtf8: (buf: Buffer, s: string, pos: number, length: number) => number = nativeUtf8
  ? (buf, s, pos, length) => (buf as FastBuffer).utf8Write!(s, pos, length)
  : (buf, s, pos, length) => buf.write(s, pos, length, 'utf8');

const sliceUtf8: (buf: Buffer, start: number, end: number) => string = nativeUtf8
  ? (buf, start, end) => (buf as FastBuffer).utf8Slice!(start, end)
  : (buf, start, end) => buf.toString('utf8', start, end);

// A call into C++ costs about as much as copying ~15 characters in JS (measured), so short ASCII strings
// are copied by JS loops: on Nexmark bids this took encode from ~440 to ~300 ns and decode from ~370 to
// ~310 ns per record. Decoding a record's whole ASCII string tail with one call then took decode to ~185 ns.
const SHORT_WRITE = 16;
const SHORT_READ = 12;
// Decoding a record's whole string tail at once pays off past this many bytes (see generate()).
const TAIL_MIN = 16;
// After a tail that is not ASCII, decode strings one by one for this many records before trying again.
const TAIL_BACKOFF = 64;
const fromCharCode = String.fromCharCode;

/** Writes exactly `length` bytes (the string's UTF-8 length) at `pos`. Lone surrogates become U+FFFD. */
function writeUtf8(buf: Buffer, s: string, pos: number, length: number): void {
  // UTF-8 length equals UTF-16 length only when every unit is ASCII.
  if (length === s.length && length <= SHORT_WRITE) {
    for (let i = 0; i < length; i++) buf[pos + i] = s.charCodeAt(i);
    return;
  }
  nativeWriteUtf8(buf, s, pos, length);
}

// The bounded path copies ASCII strings up to this many characters in JS: no measuring call, and the copy loop
// beats utf8Write's call overhead up to about this length (measured: ~1 ns per character against ~55 ns per call).
const BOUNDED_JS_WRITE = 64;

/**
 * Writes `s` as UTF-8 at `pos` without knowing its length first; `buf` must have room for 3 bytes per UTF-16 unit
 * (a lone surrogate becomes the 3-byte U+FFFD). Returns the position after the string.
 */
function putUtf8(buf: Buffer, s: string, pos: number): number {
  const n = s.length;
  if (n <= BOUNDED_JS_WRITE) {
    let i = 0;
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) break;
      buf[pos + i] = c;
    }
    if (i === n) return pos + n;
  }
  // Not ASCII (the JS copy is written over) or long.
  return pos + nativeWriteUtf8(buf, s, pos, 3 * n);
}

/** Decodes a short ASCII run in JS; undefined when a byte is not ASCII. */
function readShortAscii(buf: Buffer, start: number, end: number): string | undefined {
  let s = '';
  let any = 0;
  let i = start;
  for (; i + 4 <= end; i += 4) {
    const a = buf[i]!, b = buf[i + 1]!, c = buf[i + 2]!, d = buf[i + 3]!;
    any |= a | b | c | d;
    s += fromCharCode(a, b, c, d);
  }
  for (; i < end; i++) {
    const a = buf[i]!;
    any |= a;
    s += fromCharCode(a);
  }
  return (any & 0x80) === 0 ? s : undefined;
}

/**
 * Decodes [start, end) as UTF-8, rejecting invalid bytes. The lenient decoder replaces every invalid
 * sequence with U+FFFD, so a result without U+FFFD came from valid UTF-8; only strings that contain
 * U+FFFD pay for a full validation.
 */
function readUtf8(buf: Buffer, start: number, end: number, field: string): string {
  // `field` is the error label of the field, e.g. "typed record field 'url' (string)".
  if (end - start <= SHORT_READ) {
    if (start === end) return '';
    const ascii = readShortAscii(buf, start, end);
    if (ascii !== undefined) return ascii;
  }
  const s = sliceUtf8(buf, start, end);
  if (s.indexOf('\uFFFD') !== -1 && !isUtf8(buf.subarray(start, end))) {
    throw new FrameCorruptError(`${field}: string bytes are not valid UTF-8`);
  }
  return s;
}

/**
 * Decodes [start, end) when it is all ASCII, else returns undefined. One UTF-16 unit per byte means every
 * byte was ASCII or an invalid byte replaced by U+FFFD (valid multi-byte sequences give fewer units).
 */
function readAsciiTail(buf: Buffer, start: number, end: number): string | undefined {
  const s = sliceUtf8(buf, start, end);
  return s.length === end - start && s.indexOf('\uFFFD') === -1 ? s : undefined;
}

/** A Buffer over the same memory as `bytes`, for the UTF-8 methods. */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

// ---- errors -------------------------------------------------------------------------------------------

function describe(v: unknown): string {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'undefined': return 'undefined';
    case 'number': return Object.is(v, -0) ? '-0' : String(v);
    case 'bigint': return `bigint ${v}n`;
    case 'string': return `string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v)}`;
    case 'boolean': return String(v);
    case 'object': return Array.isArray(v) ? 'an array' : 'an object';
    default: return `a ${typeof v}`;
  }
}

/** Error builders shared by both paths; they take field indexes so generated code embeds no strings. */
interface Failures {
  notObject(v: unknown): never;
  mismatch(i: number, v: unknown): never;
  tooLarge(n: number): never;
  truncFixed(length: number): never;
  truncRegion(offset: number, length: number, available: number): never;
  badBitmap(b: number, value: number): never;
  badAbsent(i: number): never;
  badBool(i: number, b: number): never;
  badI64(i: number): never;
  badNaN(i: number): never;
  badStrStart(i: number, end: number, start: number): never;
  truncStr(i: number, end: number, length: number): never;
  trailing(end: number, length: number): never;
  changed(i: number): never;
}

function failures(layout: Layout): Failures {
  const { slots, fixedSize, labels } = layout;
  const at = (i: number): string => labels[i]!;
  return {
    notObject(v) { throw new SchemaMismatchError(`typed record: expected an object, got ${describe(v)}`); },
    mismatch(i, v) {
      const s = slots[i]!;
      if (v === undefined && !s.optional) throw new SchemaMismatchError(`${at(i)} is required but missing`);
      throw new SchemaMismatchError(`${at(i)}: expected ${EXPECTED[s.type]}${s.optional ? ' or undefined' : ''}, got ${describe(v)}`);
    },
    tooLarge(n) { throw new SchemaMismatchError(`typed record of ${n} bytes exceeds the layout's limit of ${MAX_RECORD} bytes`); },
    truncFixed(length) { throw new FrameTruncatedError(`typed record of ${length} bytes is shorter than its fixed part of ${fixedSize} bytes`); },
    truncRegion(offset, length, available) {
      throw new FrameTruncatedError(`typed record at offset ${offset} of ${length} bytes runs past the end of its ${available}-byte region`);
    },
    badBitmap(b, value) {
      throw new FrameCorruptError(`typed record: null bitmap byte ${b} is 0x${value.toString(16)}, with bits set past the optional fields`);
    },
    badAbsent(i) { throw new FrameCorruptError(`${at(i)}: absent field has a non-zero slot`); },
    badBool(i, b) { throw new FrameCorruptError(`${at(i)}: bool byte is ${b}, not 0 or 1`); },
    badI64(i) { throw new FrameCorruptError(`${at(i)}: 64-bit value is outside the safe integer range`); },
    badNaN(i) { throw new FrameCorruptError(`${at(i)}: non-canonical NaN`); },
    badStrStart(i, end, start) { throw new FrameCorruptError(`${at(i)}: string ends at ${end}, before its start at ${start}`); },
    truncStr(i, end, length) { throw new FrameTruncatedError(`${at(i)}: string ends at ${end}, past the record's ${length} bytes`); },
    trailing(end, length) { throw new FrameCorruptError(`typed record has ${length} bytes but its layout ends at ${end}`); },
    changed(i) {
      throw new InvalidArgumentError(`${at(i)} changed between bound() and writeBounded(): it no longer fits the bound`);
    },
  };
}

// ---- interpreted path -----------------------------------------------------------------------------------

function interpretedEncoder<T>(layout: Layout, fail: Failures, bounded: boolean): RecordEncoder<T> {
  const { slots, fixedSize, bitmapBytes } = layout;
  const n = slots.length;
  // UTF-8 lengths measured by size(), used by write(): indexed by field position.
  const lens = new Array<number>(n).fill(0);
  // The value size() measured, the value bound() checked, and the string bytes that bound allowed.
  let last: unknown;
  let lastBound: unknown;
  let room = 0;
  let lastBytes: Uint8Array | undefined;
  let buf: Buffer | undefined;

  /** Checks every field; returns the exact size (keeping string lengths) when `measure`, else the upper bound. */
  function check(value: T, measure: boolean): number {
    if (typeof value !== 'object' || value === null) fail.notObject(value);
    const rec = value as Record<string, unknown>;
    let total = fixedSize;
    for (let i = 0; i < n; i++) {
      const s = slots[i]!;
      const v = rec[s.name];
      if (v === undefined && s.optional) { lens[i] = 0; continue; }
      switch (s.code) {
        case I32: if (((v as number) | 0) !== v) fail.mismatch(i, v); break;
        case U32: if (((v as number) >>> 0) !== v) fail.mismatch(i, v); break;
        case I64: case TIMESTAMP: if (!Number.isSafeInteger(v)) fail.mismatch(i, v); break;
        case F64: if (typeof v !== 'number') fail.mismatch(i, v); break;
        case F32: if (typeof v !== 'number' || !f32Holds(v)) fail.mismatch(i, v); break;
        case BOOL: if (v !== true && v !== false) fail.mismatch(i, v); break;
        default: // STRING
          if (typeof v !== 'string') fail.mismatch(i, v);
          total += measure ? (lens[i] = utf8Length(v as string)) : 3 * (v as string).length;
      }
    }
    return total;
  }

  function size(value: T): number {
    const total = check(value, true);
    if (total > MAX_RECORD) fail.tooLarge(total);
    last = value;
    lastBound = undefined;
    return total;
  }

  function bound(value: T): number {
    const total = check(value, false);
    lastBound = value;
    last = undefined;
    room = total - fixedSize;
    return total;
  }

  /** Writes the record; strings by their measured lengths, or (`boundedWrite`) within bound()'s room. */
  function put(value: T, bytes: Uint8Array, view: DataView, offset: number, boundedWrite: boolean): number {
    if (bytes !== lastBytes) { buf = asBuffer(bytes); lastBytes = bytes; }
    const rec = value as Record<string, unknown>;
    for (let b = 0; b < bitmapBytes; b++) bytes[offset + b] = 0;
    let p = offset + fixedSize;
    for (let i = 0; i < n; i++) {
      const s = slots[i]!;
      const o = offset + s.offset;
      const v = rec[s.name];
      if (v === undefined) { // only optional fields get here: size() or bound() checked the rest
        bytes[offset + (s.nullBit >> 3)] |= 1 << (s.nullBit & 7);
        for (let k = 0; k < s.width; k++) bytes[o + k] = 0;
        continue;
      }
      switch (s.code) {
        case I32: view.setInt32(o, v as number, true); break;
        case U32: view.setUint32(o, v as number, true); break;
        case I64: case TIMESTAMP: {
          const hi = Math.floor((v as number) / TWO_32);
          view.setUint32(o, (v as number) - hi * TWO_32, true);
          view.setInt32(o + 4, hi, true);
          break;
        }
        case F64:
          if (v !== v) { view.setUint32(o, 0, true); view.setUint32(o + 4, F64_NAN_HI, true); } else view.setFloat64(o, v as number, true);
          break;
        case F32:
          if (v !== v) view.setUint32(o, F32_NAN, true); else view.setFloat32(o, v as number, true);
          break;
        case BOOL: bytes[o] = v ? 1 : 0; break;
        default: { // STRING
          if (boundedWrite) {
            // A string that grew since bound() would write past the reservation.
            if (typeof v !== 'string' || (room -= 3 * v.length) < 0) fail.changed(i);
            p = putUtf8(buf!, v, p);
          } else {
            const len = lens[i]!;
            if (len !== 0) writeUtf8(buf!, v as string, p, len);
            p += len;
          }
          view.setUint32(o, p - offset, true);
        }
      }
    }
    return p - offset;
  }

  function write(value: T, bytes: Uint8Array, view: DataView, offset: number): void {
    if (value !== last) size(value);
    last = undefined; // a later write of a mutated object must measure again
    put(value, bytes, view, offset, false);
  }

  function writeBounded(value: T, bytes: Uint8Array, view: DataView, offset: number): number {
    if (value !== lastBound) bound(value);
    lastBound = undefined;
    return put(value, bytes, view, offset, true);
  }

  return bounded ? { size, write, bound, writeBounded } : { size, write };
}

function interpretedDecoder<T>(layout: Layout, fail: Failures): RecordDecoder<T> {
  const { slots, fixedSize, bitmapBytes, bitmapValid, labels } = layout;
  const n = slots.length;
  let lastBytes: Uint8Array | undefined;
  let buf: Buffer | undefined;

  function read(bytes: Uint8Array, view: DataView, offset: number, length: number): T {
    if (length < fixedSize) fail.truncFixed(length);
    if (offset + length > bytes.length) fail.truncRegion(offset, length, bytes.length);
    if (bytes !== lastBytes) { buf = asBuffer(bytes); lastBytes = bytes; }
    for (let b = 0; b < bitmapBytes; b++) {
      const m = bytes[offset + b]!;
      if ((m & ~bitmapValid[b]!) !== 0) fail.badBitmap(b, m);
    }
    const out: Record<string, unknown> = {};
    let p = fixedSize;
    for (let i = 0; i < n; i++) {
      const s = slots[i]!;
      const o = offset + s.offset;
      if (s.nullBit >= 0 && (bytes[offset + (s.nullBit >> 3)]! & (1 << (s.nullBit & 7))) !== 0) {
        for (let k = 0; k < s.width; k++) if (bytes[o + k] !== 0) fail.badAbsent(i);
        out[s.name] = undefined;
        continue;
      }
      let v: unknown;
      switch (s.code) {
        case I32: v = view.getInt32(o, true); break;
        case U32: v = view.getUint32(o, true); break;
        case I64: case TIMESTAMP: {
          const lo = view.getUint32(o, true);
          const hi = view.getInt32(o + 4, true);
          if (hi > I64_HI_MAX || hi < I64_HI_MIN || (hi === I64_HI_MIN && lo === 0)) fail.badI64(i);
          v = hi * TWO_32 + lo;
          break;
        }
        case F64: {
          const x = view.getFloat64(o, true);
          if (x !== x && (view.getUint32(o, true) !== 0 || view.getUint32(o + 4, true) !== F64_NAN_HI)) fail.badNaN(i);
          v = x;
          break;
        }
        case F32: {
          const x = view.getFloat32(o, true);
          if (x !== x && view.getUint32(o, true) !== F32_NAN) fail.badNaN(i);
          v = x;
          break;
        }
        case BOOL: {
          const b = bytes[o]!;
          if (b > 1) fail.badBool(i, b);
          v = b === 1;
          break;
        }
        default: { // STRING
          const e = view.getUint32(o, true);
          if (e < p) fail.badStrStart(i, e, p);
          if (e > length) fail.truncStr(i, e, length);
          v = readUtf8(buf!, offset + p, offset + e, labels[i]!);
          p = e;
        }
      }
      out[s.name] = v;
    }
    if (p !== length) fail.trailing(p, length);
    return out as T;
  }

  return { read };
}

// ---- specialized path -----------------------------------------------------------------------------------
// The same checks and bytes as the interpreted path, unrolled per field with constant names and offsets;
// the decoder also reads an ASCII string tail with one call (see generate()).

interface Helpers extends Failures {
  utf8Length(s: string): number;
  writeUtf8(buf: Buffer, s: string, pos: number, length: number): void;
  putUtf8(buf: Buffer, s: string, pos: number): number;
  readUtf8(buf: Buffer, start: number, end: number, field: string): string;
  readAsciiTail(buf: Buffer, start: number, end: number): string | undefined;
  asBuffer(bytes: Uint8Array): Buffer;
  labels: readonly string[];
}

interface Factories<T> {
  makeEncoder(bounded: boolean): RecordEncoder<T>;
  makeDecoder(): RecordDecoder<T>;
}

/** A range check that is true for a bad present value `v` of the slot's type (and for undefined). */
function badValue(s: Slot): string {
  switch (s.code) {
    case I32: return '(v | 0) !== v';
    case U32: return '(v >>> 0) !== v';
    case I64: case TIMESTAMP: return '!isSafeInteger(v)';
    case F64: return "typeof v !== 'number'";
    // Finite, yet infinite as a float32 (f32Holds).
    case F32: return `typeof v !== 'number' || !${f32HoldsSource('v')}`;
    case BOOL: return 'v !== true && v !== false';
    default: return "typeof v !== 'string'";
  }
}

/** `offset + n` as generated code. */
function at(n: number): string {
  return `offset + ${n}`;
}

function zeroSlot(s: Slot): string {
  if (s.width === 1) return `bytes[${at(s.offset)}] = 0;`;
  if (s.width === 4) return `view.setUint32(${at(s.offset)}, 0, true);`;
  return `view.setUint32(${at(s.offset)}, 0, true); view.setUint32(${at(s.offset + 4)}, 0, true);`;
}

function slotIsNonZero(s: Slot): string {
  if (s.width === 1) return `bytes[${at(s.offset)}] !== 0`;
  if (s.width === 4) return `view.getUint32(${at(s.offset)}, true) !== 0`;
  return `(view.getUint32(${at(s.offset)}, true) | view.getUint32(${at(s.offset + 4)}, true)) !== 0`;
}

function generate(layout: Layout): string {
  const { slots, fixedSize, bitmapBytes, bitmapValid, stringCount } = layout;
  const key = (s: Slot): string => JSON.stringify(s.name);
  const lenVar = new Map<number, string>();
  slots.forEach((s, i) => { if (s.code === STRING) lenVar.set(i, `s${lenVar.size}`); });

  const size: string[] = [];
  const bound: string[] = [];
  const write: string[] = [];
  const writeB: string[] = [];
  slots.forEach((s, i) => {
    const len = lenVar.get(i);
    const o = at(s.offset), o4 = at(s.offset + 4);
    size.push(`v = value[${key(s)}];`);
    bound.push(`v = value[${key(s)}];`);
    const up = len ? ' n += 3 * v.length;' : '';
    if (s.optional) {
      size.push(`if (v !== undefined) { if (${badValue(s)}) mismatch(${i}, v);${len ? ` n += (${len} = utf8Length(v));` : ''} }${len ? ` else ${len} = 0;` : ''}`);
      bound.push(`if (v !== undefined) { if (${badValue(s)}) mismatch(${i}, v);${up} }`);
    } else {
      size.push(`if (${badValue(s)}) mismatch(${i}, v);${len ? ` n += (${len} = utf8Length(v));` : ''}`);
      bound.push(`if (${badValue(s)}) mismatch(${i}, v);${up}`);
    }
    let w: string;
    switch (s.code) {
      case I32: w = `view.setInt32(${o}, v, true);`; break;
      case U32: w = `view.setUint32(${o}, v, true);`; break;
      case I64: case TIMESTAMP:
        w = `h = floor(v / ${TWO_32}); view.setUint32(${o}, v - h * ${TWO_32}, true); view.setInt32(${o4}, h, true);`;
        break;
      case F64:
        w = `if (v !== v) { view.setUint32(${o}, 0, true); view.setUint32(${o4}, ${F64_NAN_HI}, true); } else view.setFloat64(${o}, v, true);`;
        break;
      case F32: w = `if (v !== v) view.setUint32(${o}, ${F32_NAN}, true); else view.setFloat32(${o}, v, true);`; break;
      case BOOL: w = `bytes[${o}] = v ? 1 : 0;`; break;
      default: w = `if (${len} !== 0) writeUtf8(buf, v, p, ${len}); p += ${len}; view.setUint32(${o}, p - offset, true);`;
    }
    // Bounded: a string that grew since bound() would write past the reservation.
    const wb = s.code === STRING
      ? `if (typeof v !== 'string' || (room -= 3 * v.length) < 0) changed(${i}); p = putUtf8(buf, v, p); view.setUint32(${o}, p - offset, true);`
      : w;
    write.push(`v = value[${key(s)}];`);
    writeB.push(`v = value[${key(s)}];`);
    if (s.optional) {
      const absent = `m${s.nullBit >> 3} |= ${1 << (s.nullBit & 7)}; ${zeroSlot(s)}`;
      write.push(`if (v === undefined) { ${absent} } else { ${w} }`);
      writeB.push(`if (v === undefined) { ${absent} } else { ${wb} }`);
    } else {
      write.push(w);
      writeB.push(wb);
    }
  });
  for (let b = 0; b < bitmapBytes; b++) write.push(`bytes[offset + ${b}] = m${b};`);
  for (let b = 0; b < bitmapBytes; b++) writeB.push(`bytes[offset + ${b}] = m${b};`);

  const read: string[] = [];
  for (let b = 0; b < bitmapBytes; b++) {
    read.push(`const m${b} = bytes[offset + ${b}]; if ((m${b} & ${~bitmapValid[b]! & 0xff}) !== 0) badBitmap(${b}, m${b});`);
  }
  slots.forEach((s, i) => {
    const o = at(s.offset), o4 = at(s.offset + 4);
    const f = `f${i}`;
    let r: string;
    switch (s.code) {
      case I32: r = `${f} = view.getInt32(${o}, true);`; break;
      case U32: r = `${f} = view.getUint32(${o}, true);`; break;
      case I64: case TIMESTAMP:
        r = `l = view.getUint32(${o}, true); h = view.getInt32(${o4}, true); `
          + `if (h > ${I64_HI_MAX} || h < ${I64_HI_MIN} || (h === ${I64_HI_MIN} && l === 0)) badI64(${i}); ${f} = h * ${TWO_32} + l;`;
        break;
      case F64:
        r = `${f} = view.getFloat64(${o}, true); `
          + `if (${f} !== ${f} && (view.getUint32(${o}, true) !== 0 || view.getUint32(${o4}, true) !== ${F64_NAN_HI})) badNaN(${i});`;
        break;
      case F32:
        r = `${f} = view.getFloat32(${o}, true); if (${f} !== ${f} && view.getUint32(${o}, true) !== ${F32_NAN}) badNaN(${i});`;
        break;
      case BOOL: r = `b = bytes[${o}]; if (b > 1) badBool(${i}, b); ${f} = b === 1;`; break;
      default: // the bytes are decoded once the whole layout has been checked, below
        r = `e = view.getUint32(${o}, true); if (e < p) badStrStart(${i}, e, p); if (e > length) truncStr(${i}, e, length); `
          + `a${i} = p; z${i} = e; p = e;`;
    }
    const absent = s.optional ? `(m${s.nullBit >> 3} & ${1 << (s.nullBit & 7)}) !== 0` : 'false';
    if (s.optional) {
      read.push(`let ${f}${s.code === STRING ? `, a${i} = -1, z${i} = -1` : ''}; if (${absent}) { if (${slotIsNonZero(s)}) badAbsent(${i}); } else { ${r} }`);
    } else {
      read.push(`let ${f}${s.code === STRING ? `, a${i} = -1, z${i} = -1` : ''}; ${r}`);
    }
  });
  read.push('if (p !== length) trailing(p, length);');
  // Strings: with several in the tail, one native call decodes the whole tail; when it is ASCII (the
  // common case), byte offsets are string offsets and each field is a substring (V8 makes sliced strings
  // that share the tail, so a field keeps at most its record's tail alive). Otherwise, or when a recent
  // tail was not ASCII, each string is decoded alone.
  const strings = slots.flatMap((s, i) => (s.code === STRING ? [i] : []));
  const one = (i: number): string => `if (a${i} >= 0) f${i} = readUtf8(buf, offset + a${i}, offset + z${i}, labels[${i}]);`;
  if (strings.length >= 2) {
    read.push(`let tail; if (p - ${fixedSize} > ${TAIL_MIN} && tailMiss === 0) { tail = readAsciiTail(buf, offset + ${fixedSize}, offset + p); if (tail === undefined) tailMiss = ${TAIL_BACKOFF}; } else if (tailMiss > 0) tailMiss--;`);
    read.push(`if (tail !== undefined) { ${strings.map((i) => `if (a${i} >= 0) f${i} = tail.substring(a${i} - ${fixedSize}, z${i} - ${fixedSize});`).join(' ')} }`);
    read.push(`else { ${strings.map(one).join(' ')} }`);
  } else {
    read.push(...strings.map(one));
  }

  const lens = [...lenVar.values()];
  const masks = Array.from({ length: bitmapBytes }, (_, b) => `m${b} = 0`);
  return `'use strict';
const isSafeInteger = Number.isSafeInteger, floor = Math.floor;
const { utf8Length, writeUtf8, putUtf8, readUtf8, readAsciiTail, asBuffer, labels, notObject, mismatch, tooLarge, truncFixed, truncRegion,
  badBitmap, badAbsent, badBool, badI64, badNaN, badStrStart, truncStr, trailing, changed } = H;
function makeEncoder(bounded) {
  // The value size() measured, the value bound() checked, and the string bytes that bound allowed.
  let last, lastBound, room = 0, lastBytes, buf${lens.map((l) => `, ${l} = 0`).join('')};
  function size(value) {
    if (typeof value !== 'object' || value === null) notObject(value);
    let v, n = ${fixedSize};
    ${size.join('\n    ')}
    if (n > ${MAX_RECORD}) tooLarge(n);
    last = value;
    lastBound = undefined;
    return n;
  }
  function write(value, bytes, view, offset) {
    if (value !== last) size(value);
    last = undefined;
    if (bytes !== lastBytes) { buf = asBuffer(bytes); lastBytes = bytes; }
    let v, h, p = offset + ${fixedSize}${masks.map((m) => `, ${m}`).join('')};
    ${write.join('\n    ')}
  }
  function bound(value) {
    if (typeof value !== 'object' || value === null) notObject(value);
    let v, n = ${fixedSize};
    ${bound.join('\n    ')}
    lastBound = value;
    last = undefined;
    room = n - ${fixedSize};
    return n;
  }
  function writeBounded(value, bytes, view, offset) {
    if (value !== lastBound) bound(value);
    lastBound = undefined;
    if (bytes !== lastBytes) { buf = asBuffer(bytes); lastBytes = bytes; }
    let v, h, p = offset + ${fixedSize}${masks.map((m) => `, ${m}`).join('')};
    ${writeB.join('\n    ')}
    return p - offset;
  }
  return bounded ? { size, write, bound, writeBounded } : { size, write };
}
function makeDecoder() {
  let lastBytes, buf, tailMiss = 0;
  function read(bytes, view, offset, length) {
    if (length < ${fixedSize}) truncFixed(length);
    if (offset + length > bytes.length) truncRegion(offset, length, bytes.length);
    if (bytes !== lastBytes) { buf = asBuffer(bytes); lastBytes = bytes; }
    let p = ${fixedSize}, e, h, l, b;
    ${read.join('\n    ')}
    return { ${slots.map((s, i) => `${key(s)}: f${i}`).join(', ')} };
  }
  return { read };
}
return { makeEncoder, makeDecoder };
// typed codec: ${stringCount} string field(s), fixed part ${fixedSize} bytes
`;
}

function specialize<T>(layout: Layout, fail: Failures): Factories<T> | undefined {
  const helpers: Helpers = { ...fail, utf8Length, writeUtf8, putUtf8, readUtf8, readAsciiTail, asBuffer, labels: layout.labels };
  let build: (h: Helpers) => Factories<T>;
  try {
    build = new Function('H', generate(layout)) as (h: Helpers) => Factories<T>;
  } catch (err) {
    // Code generation from strings is disabled (CSP-like flags): use the interpreted path.
    if (err instanceof EvalError) return undefined;
    throw err;
  }
  return build(helpers);
}

/** A codec for records of `schema`; see the wire format at the top of this file. */
export function typedCodec<T>(schema: RecordSchema<T>, options: TypedCodecOptions = {}): TypedCodec<T> {
  const layout = computeLayout(schema as RecordSchema<unknown>);
  const fail = failures(layout);
  const factories = options.specialize === false ? undefined : specialize<T>(layout, fail);
  const bounded = options.bounded !== false;
  return Object.freeze({
    kind: 'typed' as const,
    fingerprint: fingerprintOf(schema as RecordSchema<unknown>),
    schema,
    fixedSize: layout.fixedSize,
    specialized: factories !== undefined,
    bounded,
    encoder: factories ? () => factories.makeEncoder(bounded) : () => interpretedEncoder<T>(layout, fail, bounded),
    decoder: factories ? factories.makeDecoder : () => interpretedDecoder<T>(layout, fail),
  });
}
