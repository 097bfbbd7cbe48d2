// Runs on: the test runner's main thread. Tests of record schemas and the typed record codec.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import type { RecordDecoder, RecordEncoder } from '../../../shm/codec/codec.js';
import {
  FIELD_TYPES,
  optional,
  recordSchema,
  type FieldDecl,
  type FieldType,
  type Infer,
  type RecordSchema,
} from '../../../shm/codec/schema.js';
import { nativeUtf8, typedCodec, type TypedCodec } from '../../../shm/codec/typed.js';
import {
  FrameCorruptError,
  FrameTruncatedError,
  InvalidArgumentError,
  SchemaMismatchError,
  ShmError,
} from '../../../shm/errors.js';

// ---- helpers ---------------------------------------------------------------------------------------------

type Equal<A, B> = (<G>() => G extends A ? 1 : 2) extends (<G>() => G extends B ? 1 : 2) ? true : false;
/** Compile-time assertion: the file does not typecheck unless T is true. */
function expectType<T extends true>(): T | void {}

/** A stand-in for ring memory: records land at some offset, with unrelated bytes around them. */
class Wire {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  constructor(size = 1 << 16) {
    this.bytes = new Uint8Array(new SharedArrayBuffer(size));
    this.view = new DataView(this.bytes.buffer);
  }
  put<T>(enc: RecordEncoder<T>, value: T, seed: number): [number, number] {
    const length = enc.size(value);
    assert.ok(length + 64 <= this.bytes.length, 'test wire too small');
    const offset = 32 + (seed % (this.bytes.length - length - 64));
    scribble(this.bytes, offset - 32, offset + length + 32, seed);
    const before = this.bytes.slice(offset - 32, offset);
    const after = this.bytes.slice(offset + length, offset + length + 32);
    enc.write(value, this.bytes, this.view, offset);
    // The encoder writes exactly `length` bytes, not one more or less.
    assert.deepEqual(this.bytes.slice(offset - 32, offset), before, 'encoder wrote before its offset');
    assert.deepEqual(this.bytes.slice(offset + length, offset + length + 32), after, 'encoder wrote past its size');
    return [offset, length];
  }
  get<T>(dec: RecordDecoder<T>, [offset, length]: [number, number]): T {
    return dec.read(this.bytes, this.view, offset, length);
  }
}

function scribble(bytes: Uint8Array, from: number, to: number, seed: number): void {
  let x = (seed | 1) >>> 0;
  for (let i = from; i < to; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    bytes[i] = x & 0xff;
  }
}

/** The exact bytes the encoder writes for `value`, written over garbage so unwritten bytes would show. */
function encodeBytes<T>(enc: RecordEncoder<T>, value: T): Uint8Array {
  const out = new Uint8Array(enc.size(value));
  out.fill(0xa5);
  enc.write(value, out, new DataView(out.buffer), 0);
  return out;
}

/**
 * The bytes the bounded path writes for `value`, on shared memory over garbage: it must stay within its bound
 * and before it, and return the length it wrote.
 */
function encodeBoundedBytes<T>(enc: RecordEncoder<T>, value: T, offset = 8): Uint8Array {
  const bound = enc.bound!(value);
  const out = new Uint8Array(new SharedArrayBuffer(offset + bound + 16));
  scribble(out, 0, out.length, bound);
  const before = out.slice(0, offset);
  const after = out.slice(offset + bound);
  const n = enc.writeBounded!(value, out, new DataView(out.buffer), offset);
  assert.ok(n >= 0 && n <= bound, `wrote ${n} bytes, bound ${bound}`);
  assert.deepEqual(out.slice(0, offset), before, 'bounded encoder wrote before its offset');
  assert.deepEqual(out.slice(offset + bound), after, 'bounded encoder wrote past its bound');
  return out.slice(offset, offset + n);
}

/** Decodes `record` placed at `offset` in a larger buffer with garbage around it. */
function decodeBytes<T>(dec: RecordDecoder<T>, record: Uint8Array, length = record.length, offset = 5): T {
  const bytes = new Uint8Array(offset + record.length + 7);
  scribble(bytes, 0, bytes.length, record.length + 1);
  bytes.set(record, offset);
  return dec.read(bytes, new DataView(bytes.buffer), offset, length);
}

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof Error);
    return error;
  }
  return assert.fail('expected an error');
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

/** What a field value decodes to: the documented normalizations of the typed layout. */
function expected(type: FieldType, v: unknown): unknown {
  if (v === undefined) return undefined;
  switch (type) {
    case 'f32': return Math.fround(v as number);
    case 'string': return (v as string).toWellFormed();
    case 'f64': case 'bool': return v;
    default: return Object.is(v, -0) ? 0 : v;
  }
}

/** Decoded records must match field by field with Object.is (-0 and NaN exact), in declaration order. */
function assertDecoded(schema: RecordSchema<unknown>, actual: unknown, input: Record<string, unknown>): void {
  assert.equal(Object.getPrototypeOf(actual), Object.prototype);
  const rec = actual as Record<string, unknown>;
  assert.deepEqual(Object.keys(rec), schema.fields.map((f) => f.name), 'fields in declaration order');
  for (const f of schema.fields) {
    const want = expected(f.type, input[f.name]);
    assert.ok(Object.is(rec[f.name], want), `field ${f.name}: got ${String(rec[f.name])}, want ${String(want)}`);
  }
}

const MODES = [{ specialize: true }, { specialize: false }] as const;

// ---- schema declaration ----------------------------------------------------------------------------------

describe('recordSchema', () => {
  test('keeps declaration order, types and optionality in every declaration form', () => {
    const s = recordSchema({
      auction: 'i64',
      channel: 'string',
      note: optional('string'),
      count: { type: 'i32', optional: true },
      flag: { type: 'bool' },
      ratio: { type: 'f32', optional: false },
    });
    assert.deepEqual(s.fields.map((f) => [f.name, f.type, f.optional, f.index]), [
      ['auction', 'i64', false, 0],
      ['channel', 'string', false, 1],
      ['note', 'string', true, 2],
      ['count', 'i32', true, 3],
      ['flag', 'bool', false, 4],
      ['ratio', 'f32', false, 5],
    ]);
    assert.ok(Object.isFrozen(s) && Object.isFrozen(s.fields) && Object.isFrozen(s.fields[0]));
  });

  test('infers the record type: optional fields as `?:` with undefined', () => {
    const s = recordSchema({
      auction: 'i64',
      channel: 'string',
      note: optional('string'),
      count: { type: 'u32', optional: true },
      ok: 'bool',
      at: 'timestamp',
      w: { type: 'f64' },
      maybe: { type: 'bool', optional: false },
    });
    expectType<Equal<Infer<typeof s>, {
      auction: number;
      channel: string;
      note?: string | undefined;
      count?: number | undefined;
      ok: boolean;
      at: number;
      w: number;
      maybe: boolean;
    }>>();
    const wide: FieldDecl = { type: 'i32', optional: Math.random() < 2 };
    const w = recordSchema({ x: wide as { type: 'i32'; optional: boolean } });
    // A non-literal `optional` is optional for the reader: it may be undefined.
    expectType<Equal<Infer<typeof w>, { x?: number | undefined }>>();
    const value: Infer<typeof s> = { auction: 1, channel: 'c', ok: true, at: 0, w: 1, maybe: false };
    assert.equal(value.note, undefined);
  });

  test('rejects bad declarations with InvalidArgumentError naming the field', () => {
    const bad: [unknown, RegExp][] = [
      [{}, /at least one field/],
      [null, /expected an object/],
      [[], /expected an object/],
      ['i32', /expected an object/],
      [{ price: 'int' }, /'price'.*unknown type "int"/],
      [{ price: 'I32' }, /'price'.*unknown type/],
      [{ price: {} }, /'price'.*unknown type/],
      [{ price: { type: 'i32', optional: 'yes' } }, /'price'.*non-boolean 'optional'/],
      [{ price: { type: 'i32', nullable: true } }, /'price'.*unknown option 'nullable'/],
      [{ price: 5 }, /'price' must be declared/],
      [{ price: null }, /'price' must be declared/],
      [{ price: ['i32'] }, /'price' must be declared/],
      [{ '1a': 'i32' }, /"1a" is not an identifier/],
      [{ 0: 'i32' }, /"0" is not an identifier/],
      [{ 'a-b': 'i32' }, /"a-b" is not an identifier/],
      [{ '': 'i32' }, /"" is not an identifier/],
      [{ 'x y': 'i32' }, /"x y" is not an identifier/],
      [{ toString: 'string' }, /'toString' is reserved/],
      [{ ['__proto__']: 'i32' }, /'__proto__' is reserved/],
      [{ constructor: 'i32' }, /'constructor' is reserved/],
      [{ ok: 'i32', [Symbol('s')]: 'i32' }, /symbols/],
    ];
    for (const [decl, message] of bad) {
      const err = thrown(() => recordSchema(decl as Record<string, FieldDecl>));
      assert.ok(err instanceof InvalidArgumentError, `${Object.keys(decl ?? {}).join()}: ${err.message}`);
      assert.equal((err as ShmError).code, 'INVALID_ARGUMENT');
      assert.match(err.message, message);
    }
  });

  test('accepts every field type and identifier-like names', () => {
    const decl = Object.fromEntries(FIELD_TYPES.map((t, i) => [`$f_${i}${t}`, t]));
    const s = recordSchema(decl);
    assert.deepEqual(s.fields.map((f) => f.type), [...FIELD_TYPES]);
  });
});

// ---- typed codec -----------------------------------------------------------------------------------------

const everything = recordSchema({
  i: 'i32',
  u: 'u32',
  l: 'i64',
  d: 'f64',
  f: 'f32',
  b: 'bool',
  t: 'timestamp',
  s: 'string',
  oi: optional('i32'),
  ou: optional('u32'),
  ol: optional('i64'),
  od: optional('f64'),
  of: optional('f32'),
  ob: optional('bool'),
  ot: optional('timestamp'),
  os: optional('string'),
  s2: 'string',
});
type Everything = Infer<typeof everything>;

const base: Everything = { i: 1, u: 2, l: 3, d: 4.5, f: 0.5, b: true, t: 1_700_000_000_000, s: 'x', s2: 'y' };

describe('typedCodec', () => {
  test('identifies itself: kind, fingerprint, fixed size, specialization', () => {
    const s = recordSchema({ auction: 'i64', channel: 'string', note: optional('string'), ok: 'bool' });
    const c = typedCodec(s);
    assert.equal(c.kind, 'typed');
    assert.equal(c.fingerprint, 'typed/1(auction:i64,channel:string,note:string?,ok:bool)');
    assert.equal(c.fixedSize, 1 + 8 + 4 + 4 + 1);
    assert.equal(c.specialized, true);
    assert.equal(typedCodec(s, { specialize: false }).specialized, false);
    assert.equal(typedCodec(s, { specialize: false }).fingerprint, c.fingerprint);
    // Order, names, types and optionality are all part of the wire format.
    const prints = new Set([
      c.fingerprint,
      typedCodec(recordSchema({ channel: 'string', auction: 'i64', note: optional('string'), ok: 'bool' })).fingerprint,
      typedCodec(recordSchema({ auction: 'i64', channel: 'string', note: 'string', ok: 'bool' })).fingerprint,
      typedCodec(recordSchema({ auction: 'timestamp', channel: 'string', note: optional('string'), ok: 'bool' })).fingerprint,
      typedCodec(recordSchema({ auctionId: 'i64', channel: 'string', note: optional('string'), ok: 'bool' })).fingerprint,
    ]);
    assert.equal(prints.size, 5);
  });

  test('rejects something that is not a record schema', () => {
    for (const bad of [undefined, null, {}, { fields: [] }]) {
      assert.ok(thrown(() => typedCodec(bad as unknown as RecordSchema<unknown>)) instanceof InvalidArgumentError);
    }
  });

  test('writes the documented wire format', () => {
    const s = recordSchema({ a: 'i32', note: optional('string'), b: 'bool', l: 'i64', name: 'string', x: optional('f64') });
    for (const mode of MODES) {
      const enc = typedCodec(s, mode).encoder();
      assert.equal(hex(encodeBytes(enc, { a: -2, note: 'hé', b: true, l: -1, name: 'ok', x: undefined })),
        '02' +                 // null bitmap: x (optional #1) absent
        'feffffff' +           // a
        '21000000' +           // note ends at 33 (the fixed part is 30 bytes, 'hé' is 3)
        '01' +                 // b
        'ffffffffffffffff' +   // l = -1
        '23000000' +           // name ends at 35
        '0000000000000000' +   // x absent: zero slot
        '68c3a9' + '6f6b');
      assert.equal(hex(encodeBytes(enc, { a: 0x01020304, b: false, l: 2 ** 40 + 5, name: '', x: Number.NaN })),
        '01' + '04030201' + '00000000' + '00' + '0500000000010000' + '1e000000' + '000000000000f87f');
    }
  });

  for (const mode of MODES) {
    describe(`specialize: ${mode.specialize}`, () => {
      const codec = typedCodec(everything, mode);

      test('round-trips edge values of every type', () => {
        const enc = codec.encoder();
        const dec = codec.decoder();
        const wire = new Wire();
        const strings = ['', 'a', 'é', '漢字テスト', '😀👍🏽', '\u0000', '\uFEFFbom', 'rep\uFFFDlace', 'x'.repeat(16),
          'y'.repeat(17), 'ascii then é', '0123456789ab', '0123456789abc', 'é'.repeat(6), 'z'.repeat(10_000)];
        const values: Everything[] = [
          { ...base },
          { i: -(2 ** 31), u: 0, l: -Number.MAX_SAFE_INTEGER, d: -0, f: -0, b: false, t: -Number.MAX_SAFE_INTEGER, s: '', s2: '' },
          { i: 2 ** 31 - 1, u: 2 ** 32 - 1, l: Number.MAX_SAFE_INTEGER, d: Number.NaN, f: Number.NaN, b: true, t: Number.MAX_SAFE_INTEGER, s: '😀', s2: '漢' },
          { ...base, d: Infinity, f: -Infinity, l: -1, t: -1 },
          { ...base, d: -Infinity, f: Infinity, l: 2 ** 32, t: -(2 ** 32) },
          { ...base, d: Number.MIN_VALUE, f: 1.401298464324817e-45, l: 2 ** 32 - 1, t: -(2 ** 32) - 1 },
          { ...base, d: Number.MAX_VALUE, f: 3.4028234663852886e38, l: 2 ** 52 + 1, t: 0 },
          { ...base, oi: -(2 ** 31), ou: 2 ** 32 - 1, ol: -(2 ** 53) + 1, od: -0, of: Number.NaN, ob: false, ot: 0, os: '' },
          { ...base, oi: 0, ou: 0, ol: 0, od: Number.NaN, of: -0, ob: true, ot: -5, os: '😀' },
          { ...base, oi: undefined, os: undefined, od: undefined },
          ...strings.map((s, i) => ({ ...base, s, s2: strings[strings.length - 1 - i]!, os: s })),
        ];
        values.forEach((value, n) => {
          const at = wire.put(enc, value, n * 7919 + 13);
          assertDecoded(everything, wire.get(dec, at), value);
        });
      });

      test('decodes an absent optional field as an own property set to undefined', () => {
        const rec = decodeBytes(codec.decoder(), encodeBytes(codec.encoder(), { ...base }));
        for (const name of ['oi', 'ou', 'ol', 'od', 'of', 'ob', 'ot', 'os'] as const) {
          assert.ok(Object.hasOwn(rec, name));
          assert.equal(rec[name], undefined);
        }
      });

      test('documented normalizations: lone surrogates, -0 integers, float32 rounding, extra properties', () => {
        const enc = codec.encoder();
        const dec = codec.decoder();
        const odd = { ...base, s: 'a\uD800b\uDC00', s2: '\uDBFF', os: 'end\uD83D', i: -0, u: -0, l: -0, t: -0, f: 0.1, extra: 'ignored' };
        const bytes = encodeBytes(enc, odd);
        const rec = decodeBytes(dec, bytes);
        assert.equal(rec.s, 'a\uFFFDb\uFFFD');
        assert.equal(rec.s2, '\uFFFD');
        assert.equal(rec.os, 'end\uFFFD');
        assert.ok(Object.is(rec.i, 0) && Object.is(rec.u, 0) && Object.is(rec.l, 0) && Object.is(rec.t, 0));
        assert.equal(rec.f, Math.fround(0.1));
        assert.ok(!('extra' in rec));
        // The size counted each lone surrogate as the 3 bytes of U+FFFD.
        assert.equal(bytes.length, codec.fixedSize + (1 + 3 + 1 + 3) + 3 + (3 + 3));
      });

      test('works on every kind of memory the ring may hand it, at any offset', () => {
        const value: Everything = { ...base, s: 'héllo wörld, a string longer than the short paths', os: 'short' };
        const enc = codec.encoder();
        const dec = codec.decoder();
        const n = enc.size(value);
        const memories: Uint8Array[] = [
          new Uint8Array(n + 64),
          new Uint8Array(new SharedArrayBuffer(n + 64)),
          Buffer.alloc(n + 64),
          new Uint8Array(new ArrayBuffer(n + 100), 17, n + 64),
          Buffer.from(new SharedArrayBuffer(n + 100), 9, n + 64),
        ];
        for (const bytes of memories) {
          const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
          for (const offset of [0, 3, 64]) {
            enc.size(value);
            enc.write(value, bytes, view, offset);
            assertDecoded(everything, dec.read(bytes, view, offset, n), value);
          }
        }
      });

      test('re-measures a reused object, and measures when write comes without size', () => {
        const enc = codec.encoder();
        const dec = codec.decoder();
        const wire = new Wire();
        const value: Everything = { ...base };
        for (let k = 0; k < 40; k++) {
          value.s = 'é'.repeat(k % 7) + 'x'.repeat(k);
          value.os = k % 3 === 0 ? undefined : '漢'.repeat(k);
          value.l = k * 1e12;
          assertDecoded(everything, wire.get(dec, wire.put(enc, value, k * 131)), value);
        }
        const out = new Uint8Array(256);
        const other: Everything = { ...base, s: 'no size() call for this one' };
        enc.write(other, out, new DataView(out.buffer), 0);
        assertDecoded(everything, decodeBytes(dec, out, enc.size(other)), other);
      });

      describe('bounded path (bound / writeBounded)', () => {
        const strings = ['', 'a', 'x'.repeat(63), 'y'.repeat(64), 'z'.repeat(65), 'w'.repeat(5000), 'é', 'ascii then é',
          'é'.repeat(70), '漢字テスト', '😀👍🏽', '\u0000\u007f', '\uD800', 'lone \uDFFF in ascii', '\uD83D'.repeat(40)];

        test('writes the bytes of the exact path and returns their length, within its bound', () => {
          const enc = codec.encoder();
          const exact = typedCodec(everything, { ...mode, bounded: false }).encoder();
          const dec = codec.decoder();
          for (const s of strings) {
            for (const value of [{ ...base, s }, { ...base, s2: s, os: s }, { ...base, s: s + s, s2: s, os: undefined }] as Everything[]) {
              const bytes = encodeBoundedBytes(enc, value, s.length % 5);
              assert.equal(hex(bytes), hex(encodeBytes(exact, value)), JSON.stringify(s));
              assertDecoded(everything, decodeBytes(dec, bytes), value);
            }
          }
        });

        test('the bound is 3 bytes per UTF-16 unit, which a lone surrogate uses up exactly', () => {
          const enc = codec.encoder();
          const value: Everything = { ...base, s: '\uD800\uDFFF\uDFFF', s2: 'y' };
          assert.equal(enc.bound!(value), codec.fixedSize + 3 * 3 + 3 * 1);
          // A pair is 4 bytes, the lone surrogate 3 (U+FFFD), 'y' 1.
          assert.equal(encodeBoundedBytes(enc, value).length, codec.fixedSize + 4 + 3 + 1);
          const tight: Everything = { ...base, s: '\uDFFF'.repeat(9), s2: '\uD800' };
          assert.equal(encodeBoundedBytes(enc, tight).length, enc.bound!(tight));
        });

        test('checks values like size(), and measures when writeBounded comes without bound', () => {
          const enc = codec.encoder();
          assert.ok(thrown(() => enc.bound!({ ...base, s: 5 } as unknown as Everything)) instanceof SchemaMismatchError);
          assert.ok(thrown(() => enc.bound!(null as unknown as Everything)) instanceof SchemaMismatchError);
          const out = new Uint8Array(new SharedArrayBuffer(256));
          const other: Everything = { ...base, s: 'no bound() call for this one' };
          const n = enc.writeBounded!(other, out, new DataView(out.buffer), 0);
          assert.equal(n, enc.size(other));
          assertDecoded(everything, decodeBytes(codec.decoder(), out.slice(0, n)), other);
        });

        test('the exact and bounded paths of one encoder do not mix up their state', () => {
          const enc = codec.encoder();
          const dec = codec.decoder();
          const a: Everything = { ...base, s: 'é'.repeat(20) };
          const b: Everything = { ...base, s: 'short' };
          enc.bound!(a);
          // write() after bound() of the same value must measure it, not reuse stale lengths.
          const out = new Uint8Array(256);
          enc.write(a, out, new DataView(out.buffer), 0);
          assertDecoded(everything, decodeBytes(dec, out.slice(0, enc.size(a))), a);
          enc.size(b);
          assert.equal(hex(encodeBoundedBytes(enc, b)), hex(encodeBytes(enc, b)));
        });

        test('a string that grew between bound() and writeBounded() is refused before it passes the bound', () => {
          const enc = codec.encoder();
          const value: Everything = { ...base, s: 'abc', os: undefined };
          const bound = enc.bound!(value);
          value.s = 'abcd';
          const out = new Uint8Array(new SharedArrayBuffer(bound + 64)).fill(0xee);
          const err = thrown(() => enc.writeBounded!(value, out, new DataView(out.buffer), 0));
          assert.ok(err instanceof InvalidArgumentError, String(err));
          // Checked against the whole bound: the first string that no longer fits what is left is named.
          assert.match(err.message, /field '(s|s2)'.*changed between bound\(\) and writeBounded\(\)/);
          assert.ok(out.slice(bound).every((x) => x === 0xee), 'nothing written past the bound');
          // An optional string that appeared is refused too; one that shrank is fine.
          enc.bound!(value);
          value.os = 'new';
          assert.ok(thrown(() => enc.writeBounded!(value, out, new DataView(out.buffer), 0)) instanceof InvalidArgumentError);
          enc.bound!(value);
          value.s = 'a';
          const n = enc.writeBounded!(value, out, new DataView(out.buffer), 0);
          assertDecoded(everything, decodeBytes(codec.decoder(), out.slice(0, n)), value);
        });

        test('bounded: false leaves only the exact path', () => {
          const c = typedCodec(everything, { ...mode, bounded: false });
          assert.equal(c.bounded, false);
          assert.equal(codec.bounded, true);
          const enc = c.encoder();
          assert.equal(enc.bound, undefined);
          assert.equal(enc.writeBounded, undefined);
          assertDecoded(everything, decodeBytes(c.decoder(), encodeBytes(enc, base)), base);
        });
      });

      test('zeroes the slots of absent fields over dirty memory', () => {
        const enc = codec.encoder();
        const out = new Uint8Array(enc.size(base)).fill(0xff);
        enc.write(base, out, new DataView(out.buffer), 0);
        assert.deepEqual(out, encodeBytes(enc, base));
        assertDecoded(everything, decodeBytes(codec.decoder(), out), base);
      });

      test('throws SchemaMismatchError naming the field for values that do not fit', () => {
        const enc = codec.encoder();
        const cases: [Record<string, unknown>, RegExp][] = [
          [{ ...base, i: undefined }, /'i' \(i32\) is required but missing/],
          [{ ...base, s: undefined }, /'s' \(string\) is required but missing/],
          [{ ...base, i: 2 ** 31 }, /'i' \(i32\): expected an integer in \[-2147483648, 2147483647\], got 2147483648/],
          [{ ...base, i: -(2 ** 31) - 1 }, /'i' \(i32\)/],
          [{ ...base, i: 1.5 }, /'i' \(i32\).*got 1\.5/],
          [{ ...base, i: Number.NaN }, /'i' \(i32\).*got NaN/],
          [{ ...base, i: '1' }, /'i' \(i32\).*got string "1"/],
          [{ ...base, u: -1 }, /'u' \(u32\)/],
          [{ ...base, u: 2 ** 32 }, /'u' \(u32\)/],
          [{ ...base, l: 2 ** 53 }, /'l' \(i64\): expected a safe integer/],
          [{ ...base, l: -(2 ** 53) }, /'l' \(i64\)/],
          [{ ...base, l: 0.5 }, /'l' \(i64\)/],
          [{ ...base, l: 5n }, /'l' \(i64\).*got bigint 5n/],
          [{ ...base, l: Infinity }, /'l' \(i64\)/],
          [{ ...base, t: 1.5 }, /'t' \(timestamp\): expected epoch milliseconds/],
          [{ ...base, t: new Date(0) }, /'t' \(timestamp\).*got an object/],
          [{ ...base, d: '4.5' }, /'d' \(f64\): expected a number/],
          [{ ...base, f: null }, /'f' \(f32\).*got null/],
          // Beyond float32's range it became Infinity silently (a finite number in, a different one out).
          [{ ...base, f: 1e39 }, /'f' \(f32\): expected a number within float32 range.*got 1e\+39/],
          [{ ...base, f: -3.5e38 }, /'f' \(f32\)/],
          [{ ...base, b: 1 }, /'b' \(bool\): expected a boolean, got 1/],
          [{ ...base, s: 42 }, /'s' \(string\): expected a string, got 42/],
          [{ ...base, s2: ['x'] }, /'s2' \(string\).*got an array/],
          [{ ...base, os: null }, /'os' \(string\): expected a string or undefined, got null/],
          [{ ...base, oi: 2 ** 31 }, /'oi' \(i32\).*or undefined/],
          [{ ...base, ob: 'true' }, /'ob' \(bool\)/],
          [{ ...base, ol: Number.NaN }, /'ol' \(i64\)/],
        ];
        for (const [value, message] of cases) {
          for (const call of [() => enc.size(value as Everything), () => enc.write(value as Everything, new Uint8Array(512), new DataView(new ArrayBuffer(512)), 0)]) {
            const err = thrown(call);
            assert.ok(err instanceof SchemaMismatchError, err.message);
            assert.ok(err instanceof ShmError);
            assert.equal((err as ShmError).code, 'SCHEMA_MISMATCH');
            assert.match(err.message, message);
          }
        }
        for (const value of [null, undefined, 5, 'record', true]) {
          const err = thrown(() => enc.size(value as unknown as Everything));
          assert.ok(err instanceof SchemaMismatchError);
          assert.match(err.message, /expected an object/);
        }
        // After a failure the encoder still works.
        assertDecoded(everything, decodeBytes(codec.decoder(), encodeBytes(enc, base)), base);
      });

      test('decodes several strings per record, ASCII or not, in any mix, with one decoder', () => {
        const s = recordSchema({ a: 'string', n: 'i32', b: optional('string'), c: 'string' });
        const c = typedCodec(s, mode);
        const enc = c.encoder();
        const dec = c.decoder();
        const wire = new Wire();
        const texts = ['', 'short', 'an ASCII string of some length', 'non-ASCII: é漢😀 and more text', 'x'.repeat(300), 'é'];
        for (let k = 0; k < 600; k++) {
          const value = { a: texts[k % 6]!, n: k, b: k % 5 === 0 ? undefined : texts[(k * 7) % 6]!, c: texts[(k * 11 + 3) % 6]! };
          assertDecoded(s, wire.get(dec, wire.put(enc, value, k * 97)), value);
        }
        // Invalid bytes in an otherwise ASCII tail.
        const good = encodeBytes(enc, { a: 'abcdefghijklmnop', n: 1, b: 'qrstuvwxyz', c: 'ABCDEFGHIJ' });
        for (const [at, byte] of [[c.fixedSize, 0xff], [c.fixedSize + 20, 0x80], [good.length - 1, 0xc3]] as const) {
          const bad = good.slice();
          bad[at] = byte;
          const err = thrown(() => decodeBytes(dec, bad));
          assert.ok(err instanceof FrameCorruptError, String(err));
          assert.match(err.message, /string bytes are not valid UTF-8/);
        }
      });

      describe('strict decoding', () => {
        const s = recordSchema({ a: 'i32', note: optional('string'), b: 'bool', l: 'i64', name: 'string', x: optional('f64'), g: 'f32', d: 'f64' });
        const c = typedCodec(s, mode);
        const good = encodeBytes(c.encoder(), { a: 7, note: 'hé', b: true, l: 5, name: 'ok', x: undefined, g: 1, d: 2 });
        // Offsets in `good`: bitmap 0, a 1, note 5, b 9, l 10, name 18, x 22, g 30, d 34, fixed 42, tail 'hé' 42..45 'ok' 45..47.
        const dec = c.decoder();
        const mutate = (edit: (b: Uint8Array, v: DataView) => void): Uint8Array => {
          const b = good.slice();
          edit(b, new DataView(b.buffer));
          return b;
        };
        const corrupt = (bytes: Uint8Array, message: RegExp, length = bytes.length): void => {
          const err = thrown(() => decodeBytes(dec, bytes, length));
          assert.ok(err instanceof FrameCorruptError, `${err.name}: ${err.message}`);
          assert.equal((err as ShmError).code, 'FRAME_CORRUPT');
          assert.match(err.message, message);
        };
        const truncated = (bytes: Uint8Array, length: number, message: RegExp): void => {
          const err = thrown(() => decodeBytes(dec, bytes, length));
          assert.ok(err instanceof FrameTruncatedError, `${err.name}: ${err.message}`);
          assert.equal((err as ShmError).code, 'FRAME_TRUNCATED');
          assert.match(err.message, message);
        };

        test('the sample is valid', () => {
          assert.equal(good.length, 47);
          assert.deepEqual(decodeBytes(dec, good), { a: 7, note: 'hé', b: true, l: 5, name: 'ok', x: undefined, g: 1, d: 2 });
        });

        test('shorter than the layout: FrameTruncatedError', () => {
          truncated(good, 41, /shorter than its fixed part of 42 bytes/);
          truncated(good, 0, /shorter than its fixed part/);
          truncated(good, 44, /'note' \(string\): string ends at 45, past the record's 44 bytes/);
          truncated(good, 46, /'name' \(string\): string ends at 47/);
          const bytes = new Uint8Array(55);
          bytes.set(good.subarray(0, 45), 10);
          const err = thrown(() => dec.read(bytes, new DataView(bytes.buffer), 10, 47));
          assert.ok(err instanceof FrameTruncatedError);
          assert.match(err.message, /at offset 10 of 47 bytes runs past the end of its 55-byte region/);
        });

        test('longer than the layout: FrameCorruptError', () => {
          const longer = new Uint8Array(48);
          longer.set(good);
          corrupt(longer, /has 48 bytes but its layout ends at 47/);
        });

        test('inconsistent string offsets: FrameCorruptError or FrameTruncatedError', () => {
          corrupt(mutate((_, v) => v.setUint32(18, 44, true)), /'name' \(string\): string ends at 44, before its start at 45/);
          corrupt(mutate((_, v) => v.setUint32(5, 41, true)), /'note' \(string\): string ends at 41, before its start at 42/);
          corrupt(mutate((_, v) => { v.setUint32(5, 46, true); v.setUint32(18, 45, true); }), /'name' \(string\): string ends at 45, before its start at 46/);
          // Bytes that are a valid encoding of another value decode to that value.
          assert.deepEqual(decodeBytes(dec, mutate((_, v) => v.setUint32(5, 47, true))),
            { a: 7, note: 'héok', b: true, l: 5, name: '', x: undefined, g: 1, d: 2 });
          assert.deepEqual(decodeBytes(dec, mutate((_, v) => v.setUint32(5, 42, true))),
            { a: 7, note: '', b: true, l: 5, name: 'héok', x: undefined, g: 1, d: 2 });
          truncated(mutate((_, v) => v.setUint32(18, 0xffffffff, true)), 47, /'name'.*past the record's 47 bytes/);
        });

        test('null bitmap bits past the optional fields: FrameCorruptError', () => {
          for (const bit of [2, 3, 7]) corrupt(mutate((b) => { b[0] |= 1 << bit; }), /null bitmap byte 0/);
        });

        test('non-zero slot of an absent field: FrameCorruptError', () => {
          corrupt(mutate((b) => { b[29] = 1; }), /'x' \(f64\): absent field has a non-zero slot/);
          // Marking a present string absent leaves its offset in the slot.
          corrupt(mutate((b) => { b[0] |= 1; }), /'note' \(string\): absent field/);
        });

        test('bool bytes other than 0 and 1: FrameCorruptError', () => {
          for (const v of [2, 0x80, 0xff]) corrupt(mutate((b) => { b[9] = v; }), new RegExp(`'b' \\(bool\\): bool byte is ${v}`));
        });

        test('64-bit values outside the safe integers: FrameCorruptError', () => {
          corrupt(mutate((_, v) => v.setInt32(14, 2 ** 21, true)), /'l' \(i64\): 64-bit value is outside the safe integer range/);
          corrupt(mutate((_, v) => v.setInt32(14, -(2 ** 21) - 1, true)), /'l' \(i64\)/);
          corrupt(mutate((_, v) => v.setBigInt64(10, -(2n ** 53n), true)), /'l' \(i64\)/);
          corrupt(mutate((_, v) => v.setBigInt64(10, 2n ** 63n - 1n, true)), /'l' \(i64\)/);
          assert.equal(decodeBytes(dec, mutate((_, v) => v.setBigInt64(10, -(2n ** 53n) + 1n, true))).l, -(2 ** 53) + 1);
          assert.equal(decodeBytes(dec, mutate((_, v) => v.setBigInt64(10, 2n ** 53n - 1n, true))).l, 2 ** 53 - 1);
        });

        test('non-canonical NaN: FrameCorruptError', () => {
          corrupt(mutate((_, v) => v.setUint32(38, 0xfff80000, true)), /'d' \(f64\): non-canonical NaN/);
          corrupt(mutate((_, v) => { v.setUint32(38, 0x7ff00000, true); v.setUint32(34, 1, true); }), /'d' \(f64\)/);
          corrupt(mutate((_, v) => v.setUint32(30, 0xffc00000, true)), /'g' \(f32\): non-canonical NaN/);
          corrupt(mutate((_, v) => v.setUint32(30, 0x7f800001, true)), /'g' \(f32\)/);
          assert.ok(Number.isNaN(decodeBytes(dec, mutate((_, v) => v.setUint32(30, 0x7fc00000, true))).g));
        });

        test('invalid UTF-8: FrameCorruptError', () => {
          const withName = (name: number[]): Uint8Array => {
            const b = new Uint8Array(42 + 3 + name.length);
            b.set(good.subarray(0, 45));
            b.set(name, 45);
            new DataView(b.buffer).setUint32(18, b.length, true);
            return b;
          };
          assert.equal(decodeBytes(dec, withName([0xef, 0xbf, 0xbd])).name, '\uFFFD');
          assert.equal(decodeBytes(dec, withName([0xef, 0xbb, 0xbf, 0x41])).name, '\uFEFFA');
          const invalid = [
            [0xff], [0x80], [0xc0, 0x80], [0xc3], [0xe0, 0x80, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80],
            [0xf8, 0x88, 0x80, 0x80, 0x80], [0x41, 0xe2, 0x82],
          ];
          for (const seq of invalid) {
            for (const name of [seq, [...Array(20).fill(0x61), ...seq], [0xef, 0xbf, 0xbd, ...seq], [...seq, 0xef, 0xbf, 0xbd, ...Array(20).fill(0x62)]]) {
              corrupt(withName(name), /'name' \(string\): string bytes are not valid UTF-8/);
            }
          }
        });
      });
    });
  }

  test('specialized and interpreted encoders write the same bytes and read each other', () => {
    const a = typedCodec(everything, { specialize: true });
    const b = typedCodec(everything, { specialize: false });
    const value: Everything = { ...base, os: 'x', od: Number.NaN, ob: false, s: '😀' };
    const bytes = encodeBytes(a.encoder(), value);
    assert.equal(hex(bytes), hex(encodeBytes(b.encoder(), value)));
    assertDecoded(everything, decodeBytes(b.decoder(), bytes), value);
  });

  test('falls back to the interpreted path when code generation is disallowed', () => {
    const script = [
      `import { recordSchema, optional } from ${JSON.stringify(new URL('../../../shm/codec/schema.ts', import.meta.url).href)};`,
      `import { typedCodec } from ${JSON.stringify(new URL('../../../shm/codec/typed.ts', import.meta.url).href)};`,
      `const c = typedCodec(recordSchema({ a: 'i64', s: 'string', o: optional('bool') }));`,
      `const e = c.encoder(); const v = { a: -5, s: 'hé', o: undefined };`,
      `const b = new Uint8Array(e.size(v)); e.write(v, b, new DataView(b.buffer), 0);`,
      `const r = c.decoder().read(b, new DataView(b.buffer), 0, b.length);`,
      `process.stdout.write(JSON.stringify({ specialized: c.specialized, r }));`,
    ].join('\n');
    const child = spawnSync(process.execPath, ['--disallow-code-generation-from-strings', '--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: fileURLToPath(new URL('../../../', import.meta.url)),
      encoding: 'utf8',
    });
    assert.equal(child.status, 0, child.stderr);
    assert.deepEqual(JSON.parse(child.stdout), { specialized: false, r: { a: -5, s: 'hé' } });
  });
});

// ---- properties ------------------------------------------------------------------------------------------

const RESERVED = new Set(Object.getOwnPropertyNames(Object.prototype));
const fieldName = fc.stringMatching(/^[a-zA-Z_$][a-zA-Z0-9_$]{0,6}$/).filter((n) => !RESERVED.has(n));
const fieldDecl = fc.record({ type: fc.constantFrom(...FIELD_TYPES), optional: fc.boolean() });
const schemaDecl = fc.uniqueArray(fc.tuple(fieldName, fieldDecl), { minLength: 1, maxLength: 12, selector: ([n]) => n });

const oddText = fc.string({ unit: fc.constantFrom('a', 'Z', '~', '\u0000', '\u007f', 'é', '߿', 'ࠀ', '漢', '\uFFFD', '\uFEFF', '😀', '\uD800', '\uDFFF'), maxLength: 30 });
const valueOf: Record<FieldType, fc.Arbitrary<unknown>> = {
  i32: fc.oneof(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.constantFrom(-(2 ** 31), 2 ** 31 - 1, 0, -0)),
  u32: fc.oneof(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.constantFrom(0, 2 ** 32 - 1)),
  i64: fc.oneof(fc.maxSafeInteger(), fc.integer(), fc.constantFrom(Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 2 ** 32, -(2 ** 32), -1)),
  timestamp: fc.oneof(fc.maxSafeInteger(), fc.integer({ min: 0, max: 4_102_444_800_000 })),
  f64: fc.double(),
  // Any double float32 can hold (rounded), or NaN and the infinities: a finite one beyond its range is refused.
  f32: fc.oneof(fc.float(), fc.double().filter((v) => !(v - v === 0 && !Number.isFinite(Math.fround(v))))),
  bool: fc.boolean(),
  string: fc.oneof(fc.string({ unit: 'grapheme', maxLength: 24 }), fc.string({ unit: 'binary', maxLength: 24 }), oddText,
    fc.string({ unit: 'grapheme-ascii', minLength: 10, maxLength: 200 })),
};

interface Case {
  schema: RecordSchema<Record<string, unknown>>;
  value: Record<string, unknown>;
}

const schemaAndValue: fc.Arbitrary<Case> = schemaDecl.chain((decl) => {
  const schema = recordSchema(Object.fromEntries(decl)) as RecordSchema<Record<string, unknown>>;
  const model = Object.fromEntries(decl.map(([name, d]) => [name, d.optional ? fc.option(valueOf[d.type], { nil: undefined, freq: 3 }) : valueOf[d.type]]));
  const required = decl.filter(([, d]) => !d.optional).map(([n]) => n);
  return fc.record(model, { requiredKeys: required }).map((value) => ({ schema, value }));
});

const codecs = new WeakMap<RecordSchema<unknown>, [TypedCodec<Record<string, unknown>>, TypedCodec<Record<string, unknown>>]>();
function codecsOf(schema: RecordSchema<Record<string, unknown>>): [TypedCodec<Record<string, unknown>>, TypedCodec<Record<string, unknown>>] {
  let pair = codecs.get(schema);
  if (!pair) codecs.set(schema, pair = [typedCodec(schema), typedCodec(schema, { specialize: false })]);
  return pair;
}

/** Accepting bytes means decoding them faithfully: the decoded value re-encodes to exactly those bytes. */
function assertFaithful(codec: TypedCodec<Record<string, unknown>>, bytes: Uint8Array): void {
  let decoded: Record<string, unknown>;
  try {
    decoded = decodeBytes(codec.decoder(), bytes);
  } catch (err) {
    assert.ok(err instanceof FrameCorruptError || err instanceof FrameTruncatedError, String(err));
    return;
  }
  assert.equal(hex(encodeBytes(codec.encoder(), decoded)), hex(bytes));
}

describe('typed codec properties', () => {
  test('random schemas and matching values round-trip exactly, on both paths, with the same bytes', () => {
    fc.assert(fc.property(schemaAndValue, fc.nat(), ({ schema, value }, seed) => {
      const [spec, interp] = codecsOf(schema);
      const bytes = encodeBytes(spec.encoder(), value);
      assert.equal(hex(encodeBytes(interp.encoder(), value)), hex(bytes));
      // The bounded path writes the same bytes, within its bound, at any offset.
      for (const c of [spec, interp]) assert.equal(hex(encodeBoundedBytes(c.encoder(), value, seed % 13)), hex(bytes));
      for (const c of [spec, interp]) {
        const wire = new Wire(1 << 13);
        assertDecoded(schema, wire.get(c.decoder(), wire.put(c.encoder(), value, seed)), value);
      }
    }), { numRuns: 400 });
  });

  test('every strict truncation of a valid encoding throws FrameTruncatedError or FrameCorruptError', () => {
    fc.assert(fc.property(schemaAndValue, ({ schema, value }) => {
      for (const c of codecsOf(schema)) {
        const bytes = encodeBytes(c.encoder(), value);
        const dec = c.decoder();
        for (let length = 0; length < bytes.length; length++) {
          const err = thrown(() => decodeBytes(dec, bytes, length));
          assert.ok(err instanceof FrameTruncatedError || err instanceof FrameCorruptError, `${length}: ${String(err)}`);
        }
      }
    }), { numRuns: 200 });
  });

  test('corrupted encodings either throw a typed error or decode to a value that re-encodes to them', () => {
    const flips = fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 });
    fc.assert(fc.property(schemaAndValue, flips, fc.boolean(), ({ schema, value }, edits, fixedOnly) => {
      for (const c of codecsOf(schema)) {
        const bytes = encodeBytes(c.encoder(), value);
        // Most interesting damage is in the fixed part; aim there half the time.
        const span = fixedOnly ? c.fixedSize : bytes.length;
        for (const [at, mask] of edits) bytes[at % span] ^= mask;
        assertFaithful(c, bytes);
      }
    }), { numRuns: 1000 });
  });

  test('valid layouts with arbitrary string bytes either throw a typed error or decode faithfully', () => {
    const byte = fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(0x41, 0x80, 0xbf, 0xc2, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xa0, 0xbb, 0xbd));
    fc.assert(fc.property(schemaAndValue, fc.array(byte, { maxLength: 400 }), ({ schema, value }, noise) => {
      for (const c of codecsOf(schema)) {
        const bytes = encodeBytes(c.encoder(), value);
        for (let i = c.fixedSize; i < bytes.length; i++) bytes[i] = noise[i - c.fixedSize] ?? bytes[i]!;
        assertFaithful(c, bytes);
      }
    }), { numRuns: 500 });
  });

  test('arbitrary bytes either throw a typed error or decode faithfully', () => {
    fc.assert(fc.property(schemaAndValue, fc.uint8Array({ maxLength: 120 }), ({ schema }, bytes) => {
      for (const c of codecsOf(schema)) assertFaithful(c, bytes);
    }), { numRuns: 300 });
  });
});

// ---- the UTF-8 fast path's switch ----------------------------------------------------------------------------

test('the UTF-8 methods are the ones SLUICE_NATIVE_UTF8 asks for', () => {
  assert.equal(nativeUtf8, process.env['SLUICE_NATIVE_UTF8'] !== '0');
});

test('SLUICE_NATIVE_UTF8=0: every test of this file passes on the documented Buffer methods too', { skip: process.env['SLUICE_NATIVE_UTF8'] === '0', timeout: 120_000 }, () => {
  const child = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=tap', fileURLToPath(import.meta.url)], {
    cwd: fileURLToPath(new URL('../../../', import.meta.url)),
    // Without the runner's own context: the child then reports as a run of its own.
    env: { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_TEST_CONTEXT')), SLUICE_NATIVE_UTF8: '0' },
    encoding: 'utf8',
  });
  assert.equal(child.status, 0, child.stdout.slice(-4000));
  assert.match(child.stdout, /^# fail 0$/m);
  assert.match(child.stdout, /^# skipped 1$/m, 'this test, in the child');
});
