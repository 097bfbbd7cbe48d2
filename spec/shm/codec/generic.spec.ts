// Runs on: the test runner's main thread. Tests of the generic (msgpackr) record codec.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { isNativeAccelerationEnabled, pack as plainPack, Packr, Unpackr } from 'msgpackr';
import { genericCodec, type GenericCodecOptions } from '../../../shm/codec/generic.js';
import type { RecordDecoder, RecordEncoder } from '../../../shm/codec/codec.js';
import {
  FrameCorruptError,
  FrameTruncatedError,
  InvalidArgumentError,
  SchemaMismatchError,
  ShmError,
} from '../../../shm/errors.js';

// Every assert.ok here has a message: without one, a failing assert.ok makes node re-read and parse this
// (tsx-compiled) file to build the message, which took minutes.

const NATIVE_OFF_ENV = 'MSGPACKR_NATIVE_ACCELERATION_DISABLED';
const CHILD_ENV = 'SLUICE_GENERIC_SPEC_CHILD';

/** A stand-in for ring memory: every record lands at some offset, with unrelated bytes around it. */
class Wire {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  constructor(size = 1 << 18) {
    this.bytes = new Uint8Array(new SharedArrayBuffer(size));
    this.view = new DataView(this.bytes.buffer);
  }
  /** Encodes `value` at an offset chosen from `seed`, with garbage either side, and returns [offset, length]. */
  put<T>(enc: RecordEncoder<T>, value: T, seed: number): [number, number] {
    const length = enc.size(value);
    assert.ok(length + 64 <= this.bytes.length, 'test wire too small');
    const offset = 32 + (seed % (this.bytes.length - length - 64));
    scribble(this.bytes, offset - 32, offset, seed);
    enc.write(value, this.bytes, this.view, offset);
    scribble(this.bytes, offset + length, offset + length + 32, seed + 1);
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

/** The exact bytes the encoder writes for `value` (advances the encoder's state like a real write). */
function encodeBytes<T>(enc: RecordEncoder<T>, value: T): Uint8Array {
  const out = new Uint8Array(enc.size(value));
  enc.write(value, out, new DataView(out.buffer), 0);
  return out;
}

function decodeBytes<T>(dec: RecordDecoder<T>, record: Uint8Array, offset = 0): T {
  const bytes = new Uint8Array(offset + record.length);
  bytes.set(record, offset);
  return dec.read(bytes, new DataView(bytes.buffer), offset, record.length);
}

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof Error, `threw a non-Error: ${String(error)}`);
    return error;
  }
  return assert.fail('expected an error');
}

function roundTripAll(values: unknown[], options?: GenericCodecOptions, seeds?: number[]): void {
  const codec = genericCodec(options);
  const enc = codec.encoder();
  const dec = codec.decoder();
  const wire = new Wire();
  values.forEach((value, i) => {
    const at = wire.put(enc, value, seeds?.[i] ?? i * 7919);
    assert.deepStrictEqual(wire.get(dec, at), value, `record ${i}`);
  });
}

// ---- arbitraries -----------------------------------------------------------------------------------------

// msgpackr renames an own '__proto__' key to '__proto_' (prototype-pollution guard), and -0 encodes as the
// integer 0: both are documented differences, kept out of the generators.
const key = fc.string({ unit: 'grapheme', maxLength: 8 }).filter((k) => k !== '__proto__');
const double = fc.double({ noDefaultInfinity: true, noNaN: true }).map((x) => (Object.is(x, -0) ? 0 : x));
const text = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.string({ unit: 'grapheme-ascii', minLength: 30, maxLength: 300 }),  // str8/str16, and the native string path
);
const jsonScalar = fc.oneof(fc.constant(null), fc.boolean(), fc.integer(), fc.maxSafeInteger(), double, text);

const { json } = fc.letrec((tie) => ({
  json: fc.oneof({ depthSize: 'small', withCrossShrink: true }, jsonScalar, tie('array'), tie('object')),
  array: fc.array(tie('json'), { maxLength: 5 }),
  object: fc.dictionary(key, tie('json'), { maxKeys: 5, noNullPrototype: true }),
}));

const richScalar = fc.oneof(
  jsonScalar,
  fc.constant(undefined),
  fc.constant(Number.NaN),
  fc.constantFrom(Infinity, -Infinity),
  fc.bigInt(),                                                  // past 64 bits too (moreTypes extension)
  fc.bigInt({ min: -(1n << 63n), max: (1n << 64n) - 1n }),
  fc.date({ noInvalidDate: true }),
  fc.uint8Array({ maxLength: 40 }),
  fc.float64Array({ maxLength: 4 }),
);
const { rich } = fc.letrec((tie) => ({
  rich: fc.oneof({ depthSize: 'small', withCrossShrink: true },
    richScalar, tie('array'), tie('object'), tie('map'), tie('set')),
  array: fc.array(tie('rich'), { maxLength: 4 }),
  object: fc.dictionary(key, tie('rich'), { maxKeys: 4, noNullPrototype: true }),
  map: fc.array(fc.tuple(fc.oneof(key, fc.integer()), tie('rich')), { maxLength: 3 }).map((entries) => new Map(entries)),
  set: fc.uniqueArray(fc.oneof(key, fc.integer()), { maxLength: 4 }).map((items) => new Set(items)),
}));

// A few shapes that repeat, some with optional keys (so sub-shapes appear), nested shapes inside shapes.
const shaped = fc.oneof(
  fc.record({ id: fc.integer(), name: text, price: double, ts: fc.date({ noInvalidDate: true }) }, { noNullPrototype: true }),
  fc.record({ id: fc.bigInt(), tags: fc.array(key, { maxLength: 3 }), when: fc.option(fc.date({ noInvalidDate: true })) },
    { requiredKeys: ['id'], noNullPrototype: true }),
  fc.record({
    user: fc.record({ name: text, age: fc.nat(120) }, { noNullPrototype: true }),
    items: fc.array(fc.record({ sku: key, qty: fc.nat() }, { noNullPrototype: true }), { maxLength: 4 }),
    extra: rich,
  }, { noNullPrototype: true }),
  fc.record({ a: fc.boolean(), b: fc.constant(null), c: fc.oneof(fc.integer(), fc.constant(undefined)), d: rich },
    { requiredKeys: ['a'], noNullPrototype: true }),
);

const anyRecord = fc.oneof(json, rich, shaped);

// ---- basics ----------------------------------------------------------------------------------------------

test('codec identity: kind and a fingerprint that tracks the wire-format options', () => {
  const codec = genericCodec();
  assert.equal(codec.kind, 'generic');
  assert.ok(codec.fingerprint.startsWith('msgpackr/v1'), codec.fingerprint);
  assert.equal(genericCodec().fingerprint, codec.fingerprint);
  assert.notEqual(genericCodec({ structuredClone: true }).fingerprint, codec.fingerprint);
  assert.notEqual(genericCodec({ maxStructures: 1000 }).fingerprint, codec.fingerprint);
  for (const bad of [0, -1, 1.5, 8161, Number.NaN]) {
    assert.throws(() => genericCodec({ maxStructures: bad }), InvalidArgumentError);
  }
});

test('every supported kind of value round-trips, without aliasing the ring', () => {
  const big = (1n << 200n) + 12345n;
  const values: unknown[] = [
    null, undefined, true, false, 0, 1, 63, 64, 127, 128, -1, -33, 2 ** 31, 2 ** 53 - 1, -(2 ** 53), 1.5, Number.NaN,
    Infinity, -Infinity, '', 'héllo wörld ✓ 🚀', 'x'.repeat(70_000),
    0n, -5n, (1n << 63n) - 1n, -(1n << 63n), (1n << 64n) - 1n, big, -big,
    new Date(0), new Date(1_700_000_000_123), new Date(-86_400_001), new Date(8_640_000_000_000_000),
    new Uint8Array([1, 2, 3]), new Uint8Array(0), new Float64Array([1.5, -2]), new Int32Array([-7, 7]),
    new Map<unknown, unknown>([['a', 1], [2, { b: [3] }]]), new Set(['a', 1, 2n]),
    [], [1, [2, [3, [4]]]], {}, { nested: { deeper: { deepest: [new Date(5), new Map([[1, new Set([2])]])] } } },
    { u: undefined, n: null, list: [undefined, null] },
    /a+b/gi,
  ];
  roundTripAll(values);
  roundTripAll(values, { maxStructures: 1 });

  // Decoded values must own their memory: the ring slot is overwritten as soon as the consumer moves on, and
  // the decoder reuses its own copy buffer for the next record.
  const codec = genericCodec();
  const enc = codec.encoder();
  const dec = codec.decoder();
  const wire = new Wire();
  const record = (n: number) => ({
    bin: new Uint8Array([n, 8, 7]), buf: Buffer.from(`buffer ${n}`), f: new Float32Array([n / 2]), s: `${n}`.repeat(200),
  });
  const at = wire.put(enc, record(1), 12345);
  const got = wire.get(dec, at) as ReturnType<typeof record>;
  wire.bytes.fill(0xee, at[0], at[0] + at[1]);
  assert.deepStrictEqual(wire.get(dec, wire.put(enc, record(2), 12345)), { ...record(2), buf: new Uint8Array(Buffer.from('buffer 2')) });
  assert.deepStrictEqual(got.bin, new Uint8Array([1, 8, 7]));
  // A Buffer comes back as a Uint8Array (as from structuredClone).
  assert.deepStrictEqual(got.buf, new Uint8Array(Buffer.from('buffer 1')));
  assert.deepStrictEqual(got.f, new Float32Array([0.5]));
  assert.equal(got.s, '1'.repeat(200));
  assert.notEqual(got.bin.buffer, wire.bytes.buffer);
});

test('why copyBuffers: msgpackr without it returns binary values that alias the source bytes', () => {
  const ring = new Uint8Array(64);
  const bytes = new Packr({ useRecords: false }).pack(Buffer.from([1, 2, 3]));
  ring.set(bytes, 10);
  const aliased = new Unpackr({ useRecords: false }).unpack(ring, { start: 10, end: 10 + bytes.length }) as Uint8Array;
  ring.fill(0);
  assert.deepStrictEqual([...aliased], [0, 0, 0]);
});

test('documented differences from structuredClone', () => {
  const codec = genericCodec();
  const enc = codec.encoder();
  const dec = codec.decoder();
  assert.ok(Object.is(decodeBytes(dec, encodeBytes(enc, -0)), 0), '-0 decodes as 0');
  const proto = JSON.parse('{"__proto__": 1}') as object;
  assert.deepStrictEqual(decodeBytes(dec, encodeBytes(enc, proto)), { __proto_: 1 });
  class Point { constructor(readonly x: number, readonly y: number) {} }
  assert.deepStrictEqual(decodeBytes(dec, encodeBytes(enc, new Point(1, 2))), { x: 1, y: 2 });
  const invalid = decodeBytes(dec, encodeBytes(enc, new Date(Number.NaN))) as Date;
  assert.ok(invalid instanceof Date && Number.isNaN(invalid.getTime()), 'an invalid Date stays one');
  const error = decodeBytes(dec, encodeBytes(enc, new RangeError('boom', { cause: 'why' }))) as RangeError;
  assert.ok(error instanceof RangeError, `an Error keeps its class, got ${String(error)}`);
  assert.equal(error.message, 'boom');
  assert.equal(error.cause, 'why');
});

// ---- sequential record structures -------------------------------------------------------------------------

test('repeated shapes: the first record carries the key list, later ones only a record id (measured sizes)', () => {
  // Measured with msgpackr 2.1.4 (this test pins them; a change means the wire format moved):
  //   record 0 (defines the shape in-band): 49 bytes = 28 bytes of values + 21 (d4 72 40, array header, 17 bytes of keys)
  //   records 1..: 29 bytes = 28 bytes of values + 1 byte record id
  //   plain msgpackr map (pack with useRecords: false): 48 bytes = 28 + 3 (map16 header) + 17 (keys), every time
  // So a repeated shape saves 19 of 48 bytes here; the per-record overhead drops from 20 bytes to 1.
  const enc = genericCodec().encoder();
  const dec = genericCodec().decoder();
  const row = (i: number) => ({ id: i, name: `widget-${i}`, price: 9.99 + i, ts: 1_700_000_000_000 + i });
  const sizes: number[] = [];
  const plain: number[] = [];
  for (let i = 0; i < 10; i++) {
    const bytes = encodeBytes(enc, row(i));
    sizes.push(bytes.length);
    plain.push(plainPack(row(i)).length);
    assert.deepStrictEqual(decodeBytes(dec, bytes, i * 3), row(i));
  }
  assert.deepStrictEqual(sizes, [49, 29, 29, 29, 29, 29, 29, 29, 29, 29]);
  assert.deepStrictEqual(new Set(plain), new Set([48]));
  for (const later of sizes.slice(1)) {
    assert.ok(later <= sizes[0]! - 20 && later <= plain[0]! - 19, `sizes ${sizes}, plain ${plain}`);
  }
});

test('records decoded one at a time, each from its own byte range at a random offset', () => {
  fc.assert(fc.property(fc.array(fc.tuple(anyRecord, fc.nat()), { maxLength: 40 }), (items) => {
    roundTripAll(items.map(([v]) => v), undefined, items.map(([, seed]) => seed));
  }), { numRuns: 150 });
});

test('records of a few repeated shapes round-trip in order', () => {
  fc.assert(fc.property(fc.array(fc.tuple(shaped, fc.nat()), { minLength: 1, maxLength: 60 }),
    fc.constantFrom<GenericCodecOptions>({}, { maxStructures: 1 }, { maxStructures: 3 }, { maxStructures: 200 }),
    (items, options) => {
      roundTripAll(items.map(([v]) => v), options, items.map(([, seed]) => seed));
    }), { numRuns: 150 });
});

/** A deterministic mix of `count` distinct shapes, interleaved and repeated, some nested in others. */
function manyShapes(count: number, records: number): unknown[] {
  let x = 0x2545f491;
  const next = () => { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; return (x >>> 0) % count; };
  const out: unknown[] = [];
  for (let i = 0; i < records; i++) {
    const s = next();
    const width = 1 + (s % 5);
    const obj: Record<string, unknown> = {};
    for (let k = 0; k < width; k++) obj[`s${s}_${k}`] = k === 0 ? i : `v${s}`;
    if (s % 3 === 0) obj.child = { [`c${next()}`]: s, also: { [`g${s % 11}`]: [i] } };
    out.push(obj);
  }
  return out;
}

test('200 distinct shapes interleaved: more than the structure table holds, all round-trip in order', () => {
  const values = manyShapes(200, 3000);
  // 64 (default), msgpackr's own sequential default of 32, 1 (every new shape evicts), and 1000 (two-byte ids).
  for (const options of [{}, { maxStructures: 32 }, { maxStructures: 1 }, { maxStructures: 1000 }]) {
    roundTripAll(values, options);
  }
  // Eviction really happened with the default table: a record whose outer shape was sent before starts with a
  // record definition (d4 72 id) again instead of a bare record id.
  const enc = genericCodec().encoder();
  const seen = new Set<string>();
  let redefined = 0;
  let referenced = 0;
  for (const v of values) {
    const shape = Object.keys(v as object).join(',');
    const bytes = encodeBytes(enc, v);
    const defines = bytes[0] === 0xd4 && bytes[1] === 0x72;
    if (seen.has(shape)) {
      if (defines) redefined++;
      else referenced++;
    } else {
      assert.ok(defines, 'a new shape is defined in-band');
      seen.add(shape);
    }
  }
  assert.ok(redefined > 0 && referenced > 0, `redefined ${redefined}, referenced ${referenced}`);
});

test('one record with more shapes than the table holds', () => {
  const wide = Array.from({ length: 150 }, (_, i) => ({ [`k${i}`]: i, inner: { [`j${i % 70}`]: [i] } }));
  roundTripAll([wide, wide, { k3: 1, inner: { j3: [0] } }, wide], { maxStructures: 8 });
  roundTripAll([wide, wide, wide]);
});

test('tens of thousands of one-off shapes (msgpackr rebuilds its shape index) then repeats', () => {
  const values: unknown[] = [];
  for (let i = 0; i < 12_000; i++) values.push({ [`once${i}`]: i, [`also${i}`]: 'x' });
  for (let i = 0; i < 200; i++) values.push({ id: i, name: 'n' }, { [`once${i}`]: i, [`also${i}`]: 'x' });
  roundTripAll(values);
});

test('channels are independent (msgpackr writes its shape table into the options object it is given)', () => {
  // Two codec instances stand for the producer's and the consumer's thread. Encoders sharing one table would
  // send a shape's definition on one channel and only its id on the other; decoders sharing one would let one
  // channel's definitions overwrite the other's.
  const producer = genericCodec();
  const consumer = genericCodec();
  const a = { enc: producer.encoder(), dec: consumer.decoder() };
  const b = { enc: producer.encoder(), dec: consumer.decoder() };
  const wire = new Wire();
  for (let i = 0; i < 100; i++) {
    // Both channels meet the same shapes, channel a first; b's record is decoded first.
    const va = i % 3 ? { [`s${i % 10}`]: i, tag: 'a' } : { [`only_a${i % 5}`]: i };
    const vb = i % 2 ? { b: i, other: [i] } : { [`s${i % 10}`]: -i - 1, tag: 'b' };
    const atA = wire.put(a.enc, va, i * 101);
    const atB = wire.put(b.enc, vb, i * 211 + 50_000);
    assert.deepStrictEqual(wire.get(b.dec, atB), vb);
    assert.deepStrictEqual(wire.get(a.dec, atA), va);
  }
});

// ---- encoder failures and abandoned records ---------------------------------------------------------------

test('a value msgpackr cannot encode throws SchemaMismatchError with the cause, and the channel goes on', () => {
  const producer = genericCodec();
  const enc = producer.encoder();
  const dec = genericCodec().decoder();
  // Each case fails after its object shapes were registered by the Packr (keys are written before values),
  // so the next record of the same shapes must define them again rather than reference ids the decoder never
  // saw. Fresh key names per case keep every shape new at the time of the failure.
  const cases: Array<(k: string) => [bad: unknown, good: unknown]> = [
    () => [() => 1, 1],
    () => [Symbol('s'), 's'],
    (k) => [{ [k]: 1, f() { return 2; } }, { [k]: 2, f: 3 }],
    (k) => [{ [k]: 1, s: Symbol('t') }, { [k]: 4, s: 'five' }],
    (k) => [{ [k]: 1, inner: { [`${k}n`]: [Symbol('u')] } }, { [k]: 1, inner: { [`${k}n`]: [6] } }],
    (k) => [[{ [k]: 1 }, Symbol('v')], [{ [k]: 7 }, 8]],
    (k) => [new Map([[k, { [k]: () => 0 }]]), new Map([[k, { [k]: 9 }]])],
    (k) => {
      const cyclic: Record<string, unknown> = { [k]: 'loop' };
      cyclic.self = cyclic;
      return [cyclic, { [k]: 'no loop', self: null }];
    },
  ];
  for (let round = 0; round < 3; round++) {
    cases.forEach((make, i) => {
      const [bad, good] = make(`k${round}_${i}`);
      const error = thrown(() => enc.size(bad));
      assert.ok(error instanceof SchemaMismatchError, String(error));
      assert.ok(error.cause instanceof Error, 'cause attached');
      assert.deepStrictEqual(decodeBytes(dec, encodeBytes(enc, good)), good);
      assert.deepStrictEqual(decodeBytes(dec, encodeBytes(enc, good)), good);
    });
  }
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  const cycleError = thrown(() => enc.size(cyclic));
  assert.ok(cycleError instanceof SchemaMismatchError && cycleError.cause instanceof RangeError, String(cycleError));
});

test('structuredClone: true keeps shared references and cycles', () => {
  const codec = genericCodec({ structuredClone: true });
  const enc = codec.encoder();
  const dec = codec.decoder();
  const shared = { v: 1 };
  const cyclic: Record<string, unknown> = { name: 'loop', pair: [shared, shared] };
  cyclic.self = cyclic;
  for (let i = 0; i < 3; i++) {
    const got = decodeBytes(dec, encodeBytes(enc, cyclic)) as typeof cyclic & { pair: object[] };
    assert.equal(got.self, got);
    assert.equal(got.pair[0], got.pair[1]);
    assert.equal(got.name, 'loop');
  }
});

test('a sized record that is never written (ring rejected it) does not desynchronise the decoder', () => {
  const codec = genericCodec();
  const enc = codec.encoder();
  const dec = codec.decoder();
  // Fill the decoder's table so the abandoned shape would take an id the decoder already maps to another shape:
  // without the encoder's reset, the next {p, q} record would decode silently as {s0_0, ...}.
  for (let i = 0; i < 64; i++) {
    const v = { [`s${i}_0`]: i, [`s${i}_1`]: i };
    assert.deepStrictEqual(decodeBytes(dec, encodeBytes(enc, v)), v);
  }
  enc.size({ p: 1, q: 2 });              // e.g. RecordTooLargeError or an aborted reservation: no write
  assert.deepStrictEqual(decodeBytes(dec, encodeBytes(enc, { p: 3, q: 4 })), { p: 3, q: 4 });
  enc.size({ p: 5, q: 6 });
  enc.size({ r: 7 });                    // sized twice: only the last one is written
  assert.deepStrictEqual(decodeBytes(dec, encodeBytes(enc, { r: 7 })), { r: 7 });
  assert.deepStrictEqual(decodeBytes(dec, encodeBytes(enc, { p: 8, q: 9 })), { p: 8, q: 9 });
  assert.deepStrictEqual(decodeBytes(dec, encodeBytes(enc, { s0_0: 1, s0_1: 2 })), { s0_0: 1, s0_1: 2 });
});

test('write() refuses a value that was not the last one sized', () => {
  const enc = genericCodec().encoder();
  const out = new Uint8Array(64);
  const view = new DataView(out.buffer);
  assert.throws(() => enc.write({ a: 1 }, out, view, 0), InvalidArgumentError);
  enc.size({ a: 1 });
  assert.throws(() => enc.write({ a: 1 }, out, view, 0), InvalidArgumentError);   // a different object
  const v = Number.NaN;
  const n = enc.size(v);
  enc.write(v, out, view, 0);
  assert.throws(() => enc.write(v, out, view, 0), InvalidArgumentError);          // written already
  assert.ok(Number.isNaN(decodeBytes(genericCodec().decoder(), out.subarray(0, n))), 'NaN round-trips');
});

for (const arenaBytes of [undefined, 0, 4096]) {
  test(`sized bytes stay valid while other encoders on the thread pack before write() (arenaBytes ${arenaBytes})`, () => {
    const codec = genericCodec({ arenaBytes });
    const enc = codec.encoder();
    const dec = codec.decoder();
    const other = codec.encoder();
    const value = { id: 42, text: 'z'.repeat(500) };
    const n = enc.size(value);
    // Enough packing elsewhere to roll msgpackr's shared arena over many times, and a new encoder (a new arena).
    for (let i = 0; i < 2000; i++) other.size({ i, pad: 'p'.repeat(100) });
    genericCodec({ arenaBytes }).encoder().size({ fresh: true });
    new Packr().pack({ unrelated: 'q'.repeat(50_000) });
    const out = new Uint8Array(n);
    enc.write(value, out, new DataView(out.buffer), 0);
    assert.deepStrictEqual(decodeBytes(dec, out), value);
  });
}

test('arenaBytes: an encoder starts msgpackr on a fresh arena of that size; 0 leaves msgpackr as it was', () => {
  genericCodec().encoder();
  assert.equal(plainPack({ a: 1 }).buffer.byteLength, 64 * 1024, 'default 64 KiB');
  genericCodec({ arenaBytes: 16 * 1024 }).encoder();
  const before = plainPack({ a: 1 }).buffer;
  assert.equal(before.byteLength, 16 * 1024);
  genericCodec({ arenaBytes: 0 }).encoder();
  assert.equal(plainPack({ a: 2 }).buffer, before, 'the same arena');
  for (const bad of [-1, 1.5, 2 ** 30]) assert.throws(() => genericCodec({ arenaBytes: bad }), InvalidArgumentError);
});

// ---- decoder failures -------------------------------------------------------------------------------------

test('trailing bytes, bad ranges and truncation are typed errors; a failed decoder stays failed', () => {
  const codec = genericCodec();
  const enc = codec.encoder();
  const record = encodeBytes(enc, { id: 1, name: 'one' });
  const bytes = new Uint8Array(record.length + 10);
  bytes.set(record, 2);
  const view = new DataView(bytes.buffer);

  const trailing = thrown(() => codec.decoder().read(bytes, view, 2, record.length + 1));
  assert.ok(trailing instanceof FrameCorruptError && trailing.cause instanceof Error, String(trailing));
  const short = thrown(() => codec.decoder().read(bytes, view, 2, record.length - 1));
  assert.ok(short instanceof FrameTruncatedError && short.cause instanceof Error, String(short));
  assert.throws(() => codec.decoder().read(bytes, view, 2, 0), FrameTruncatedError);
  // msgpackr alone would read `end: 0` as "to the end of the buffer" and decode the record sitting at 0.
  const atZero = new Uint8Array(record);
  assert.throws(() => codec.decoder().read(atZero, new DataView(atZero.buffer), 0, 0), FrameTruncatedError);
  assert.throws(() => codec.decoder().read(bytes, view, 5, bytes.length), FrameTruncatedError);
  assert.throws(() => codec.decoder().read(bytes, view, -1, 3), FrameCorruptError);
  assert.throws(() => codec.decoder().read(bytes, view, 0, 1.5), FrameCorruptError);

  const dec = codec.decoder();
  assert.throws(() => dec.read(bytes, view, 2, record.length - 1), FrameTruncatedError);
  // The record that failed defined the {id, name} shape, so the decoder can no longer trust its table.
  assert.throws(() => dec.read(bytes, view, 2, record.length), FrameCorruptError);
  assert.deepStrictEqual(codec.decoder().read(bytes, view, 2, record.length), { id: 1, name: 'one' });
});

test('every strict truncation of a record throws FrameTruncatedError or FrameCorruptError', () => {
  let truncated = 0;
  let corrupt = 0;
  fc.assert(fc.property(fc.array(anyRecord, { minLength: 1, maxLength: 5 }), fc.boolean(), fc.nat(),
    (values, garbageAfter, seed) => {
      // A fresh decoder per cut, fed the records before it, because a failed read leaves a decoder failed.
      const codec = genericCodec();
      const enc = codec.encoder();
      const records = values.map((v) => encodeBytes(enc, v));
      records.forEach((record, j) => {
        const bytes = new Uint8Array(record.length + 64);
        const view = new DataView(bytes.buffer);
        const offset = 16;
        for (let cut = 0; cut < record.length; cut++) {
          const dec = codec.decoder();
          for (let i = 0; i < j; i++) decodeBytes(dec, records[i]!, i);
          scribble(bytes, 0, bytes.length, seed + cut);
          // The rest of the record after the cut (msgpackr could happily read on) or unrelated bytes.
          bytes.set(garbageAfter ? record.subarray(0, cut) : record, offset);
          try {
            dec.read(bytes, view, offset, cut);
          } catch (error) {
            assert.ok(error instanceof FrameTruncatedError || error instanceof FrameCorruptError, `got ${String(error)}`);
            if (error instanceof FrameTruncatedError) truncated++;
            else corrupt++;
            continue;
          }
          assert.fail(`record ${j} cut to ${cut} of ${record.length} bytes decoded`);
        }
      });
    }), { numRuns: 60 });
  assert.ok(truncated > 0, `${truncated} truncated, ${corrupt} corrupt`);
});

test('corrupted bytes throw a typed ShmError or decode to some value, never anything else', { timeout: 120_000 }, () => {
  // msgpack has no checksum: a flipped byte inside a string or a number decodes to a different value. The frame
  // layer's checksum (checksums: true) is what detects corrupted bytes; the codec only promises typed errors,
  // no hang, and no value from bytes it can tell are wrong.
  let threw = 0;
  let decoded = 0;
  fc.assert(fc.property(
    fc.array(anyRecord, { minLength: 1, maxLength: 6 }),
    fc.nat(),
    fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
    fc.integer({ min: -2, max: 2 }),
    (values, which, edits, lengthDelta) => {
      const codec = genericCodec();
      const enc = codec.encoder();
      const dec = codec.decoder();
      const records = values.map((v) => encodeBytes(enc, v));
      const hit = which % records.length;
      const bad = records[hit]!;
      for (const [at, byte] of edits) bad[at % bad.length] = byte;
      let failed = false;
      records.forEach((record, i) => {
        const bytes = new Uint8Array(record.length + 8);
        bytes.set(record, 4);
        const length = i === hit ? Math.max(0, Math.min(record.length + 4, record.length + lengthDelta)) : record.length;
        let error: unknown = null;
        try {
          dec.read(bytes, new DataView(bytes.buffer), 4, length);
        } catch (e) {
          error = e;
        }
        if (error === null) {
          assert.ok(!failed, 'a failed decoder must keep failing');
          decoded++;
        } else {
          assert.ok(error instanceof ShmError, `non-ShmError escaped: ${String(error)}`);
          assert.ok(error instanceof FrameTruncatedError || error instanceof FrameCorruptError, String(error));
          failed = true;
          threw++;
        }
      });
    }), { numRuns: 400 });
  assert.ok(threw > 0 && decoded > 0, `${threw} threw, ${decoded} decoded`);
});

test('deeply nested corrupt input (stack overflow in msgpackr) is a typed error', () => {
  const bytes = new Uint8Array(200_000).fill(0x91);   // array of one element, nested 200k deep, never ending
  assert.throws(() => genericCodec().decoder().read(bytes, new DataView(bytes.buffer), 0, bytes.length),
    (e: unknown) => e instanceof FrameTruncatedError || e instanceof FrameCorruptError);
});

// ---- without the native addon -----------------------------------------------------------------------------

if (process.env[CHILD_ENV] === undefined) {
  test('the whole suite passes with msgpackr-extract disabled', { timeout: 300_000 }, () => {
    // In this tree the prebuilt addon loads (see shm/codec/generic.ts); msgpackr skips it when this variable is set.
    assert.equal(typeof isNativeAccelerationEnabled, 'boolean');
    const env: NodeJS.ProcessEnv = { ...process.env, [NATIVE_OFF_ENV]: 'true', [CHILD_ENV]: '1' };
    delete env.NODE_TEST_CONTEXT;   // run as a top-level test process, not as a child of this runner
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--test', fileURLToPath(import.meta.url)],
      { env, encoding: 'utf8', timeout: 280_000 });
    assert.equal(child.status, 0, `child run failed:\n${child.stdout}\n${child.stderr}`);
  });
} else {
  test('running without the native addon', () => {
    assert.equal(isNativeAccelerationEnabled, process.env[NATIVE_OFF_ENV] !== 'true');
  });
}
