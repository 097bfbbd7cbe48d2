// Runs on: the test runner's main thread. Control frames: round trips, and that damaged bytes never decode to a different frame.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { crc32 } from 'node:zlib';
import fc from 'fast-check';
import * as flatbuffers from 'flatbuffers';
import { decodeControl, encodeControl, type ControlFrame } from '../../../shm/codec/control.js';
import { FrameCorruptError, FrameTruncatedError, InvalidArgumentError, ShmError } from '../../../shm/errors.js';
import { CheckpointBarrier } from '../../../shm/schema/generated/sluice/control/checkpoint-barrier.js';
import { ControlBody } from '../../../shm/schema/generated/sluice/control/control-body.js';
import { ControlFrame as FbControlFrame } from '../../../shm/schema/generated/sluice/control/control-frame.js';
import { Idleness } from '../../../shm/schema/generated/sluice/control/idleness.js';
import { LatencyMarker } from '../../../shm/schema/generated/sluice/control/latency-marker.js';
import { Watermark } from '../../../shm/schema/generated/sluice/control/watermark.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

const INT32_MIN = -0x8000_0000;
const INT32_MAX = 0x7fff_ffff;

// Plain prototypes: fc.record's default null-prototype objects never deep-equal what decodeControl returns.
const plain = { noNullPrototype: true } as const;
const frameArb: fc.Arbitrary<ControlFrame> = fc.oneof(
  fc.record({
    type: fc.constant('barrier' as const),
    checkpointId: fc.maxSafeNat(),
    timestampMs: fc.double({ noNaN: true, noDefaultInfinity: true }),
    unaligned: fc.boolean(),
    savepoint: fc.boolean(),
  }, plain),
  fc.record({ type: fc.constant('watermark' as const), timestamp: fc.maxSafeInteger() }, plain),
  fc.constant({ type: 'end-of-stream' as const }),
  fc.record({
    type: fc.constant('latency-marker' as const),
    emittedAtNs: fc.double({ noNaN: true, noDefaultInfinity: true }),
    sourceOperator: fc.integer({ min: INT32_MIN, max: INT32_MAX }),
    sourceSubtask: fc.integer({ min: INT32_MIN, max: INT32_MAX }),
  }, plain),
  fc.record({ type: fc.constant('idleness' as const), idle: fc.boolean() }, plain),
);

/** Decodes and reports a typed failure as its class, so properties can assert on both outcomes. */
function tryDecode(bytes: Uint8Array, offset = 0, length = bytes.length): ControlFrame | ShmError {
  try {
    return decodeControl(bytes, offset, length);
  } catch (error) {
    assert.ok(error instanceof ShmError, `decode threw an untyped error: ${String(error)}`);
    assert.ok(error instanceof FrameTruncatedError || error instanceof FrameCorruptError,
      `decode threw ${error.name} (${error.code}), expected FrameTruncatedError or FrameCorruptError`);
    return error;
  }
}

/** Appends the wire trailer, computed with zlib's CRC-32 as an independent implementation. */
function withTrailer(fb: Uint8Array): Uint8Array {
  const out = new Uint8Array(fb.length + 4);
  out.set(fb);
  new DataView(out.buffer).setUint32(fb.length, crc32(fb), true);
  return out;
}

/** Builds a raw flatbuffer with the generated code, bypassing encodeControl's argument checks. */
function rawFrame(build: (b: flatbuffers.Builder) => [ControlBody, flatbuffers.Offset], identifier: string | null = 'SLCF'): Uint8Array {
  const b = new flatbuffers.Builder(64);
  const [type, body] = build(b);
  b.finish(FbControlFrame.createControlFrame(b, type, body), identifier ?? undefined);
  return withTrailer(b.asUint8Array().slice());
}

function roundTrip(frame: ControlFrame): void {
  const bytes = encodeControl(frame);
  assert.deepStrictEqual(decodeControl(bytes, 0, bytes.length), frame);
}

// ---- round trips --------------------------------------------------------------------------------------------

test('barrier round-trips with edge values', () => {
  for (const checkpointId of [0, 1, Number.MAX_SAFE_INTEGER]) {
    for (const timestampMs of [0, -0, 1.5, -1e300, Number.MAX_VALUE, Number.MIN_VALUE]) {
      roundTrip({ type: 'barrier', checkpointId, timestampMs, unaligned: true, savepoint: false });
      roundTrip({ type: 'barrier', checkpointId, timestampMs, unaligned: false, savepoint: true });
    }
  }
});

test('watermark round-trips negative, zero and the max safe integer', () => {
  for (const timestamp of [0, -1, -86_400_000, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, 1_700_000_000_000]) {
    roundTrip({ type: 'watermark', timestamp });
  }
});

test('end-of-stream round-trips', () => {
  roundTrip({ type: 'end-of-stream' });
});

test('latency marker round-trips with edge values', () => {
  for (const emittedAtNs of [0, -0, 1.7e18, Number.MAX_SAFE_INTEGER, 123.456]) {
    roundTrip({ type: 'latency-marker', emittedAtNs, sourceOperator: INT32_MIN, sourceSubtask: INT32_MAX });
    roundTrip({ type: 'latency-marker', emittedAtNs, sourceOperator: 0, sourceSubtask: 0 });
  }
});

test('idleness round-trips both ways', () => {
  roundTrip({ type: 'idleness', idle: true });
  roundTrip({ type: 'idleness', idle: false });
});

test('decodes a frame at an offset inside a larger buffer', () => {
  const frame: ControlFrame = { type: 'watermark', timestamp: -42 };
  const bytes = encodeControl(frame);
  const ring = new Uint8Array(bytes.length + 13).fill(0xa5);
  ring.set(bytes, 7);
  assert.deepStrictEqual(decodeControl(ring, 7, bytes.length), frame);
});

test('the trailer is the little-endian CRC-32 of the flatbuffer bytes', () => {
  const bytes = encodeControl({ type: 'end-of-stream' });
  const fb = bytes.subarray(0, bytes.length - 4);
  assert.equal(new DataView(bytes.buffer, bytes.byteOffset).getUint32(fb.length, true), crc32(fb));
  assert.equal(FbControlFrame.bufferHasIdentifier(new flatbuffers.ByteBuffer(fb)), true);
});

test('random frames round-trip', () => {
  fc.assert(fc.property(frameArb, (frame) => roundTrip(frame)), { numRuns: 2000 });
});

// ---- encode-side argument checks ----------------------------------------------------------------------------

test('encode rejects values the wire cannot carry exactly', () => {
  const bad: unknown[] = [
    { type: 'barrier', checkpointId: 2 ** 53, timestampMs: 0, unaligned: false, savepoint: false },
    { type: 'barrier', checkpointId: -1, timestampMs: 0, unaligned: false, savepoint: false },
    { type: 'barrier', checkpointId: 1.5, timestampMs: 0, unaligned: false, savepoint: false },
    { type: 'barrier', checkpointId: 1, timestampMs: Number.NaN, unaligned: false, savepoint: false },
    { type: 'barrier', checkpointId: 1, timestampMs: 0, unaligned: 1, savepoint: false },
    { type: 'watermark', timestamp: Number.MAX_SAFE_INTEGER + 1 },
    { type: 'watermark', timestamp: Number.MIN_SAFE_INTEGER - 1 },
    { type: 'watermark', timestamp: Number.POSITIVE_INFINITY },
    { type: 'watermark', timestamp: 10n },
    { type: 'latency-marker', emittedAtNs: Number.POSITIVE_INFINITY, sourceOperator: 0, sourceSubtask: 0 },
    { type: 'latency-marker', emittedAtNs: 0, sourceOperator: INT32_MAX + 1, sourceSubtask: 0 },
    { type: 'latency-marker', emittedAtNs: 0, sourceOperator: 0, sourceSubtask: 0.5 },
    { type: 'idleness', idle: 'yes' },
    { type: 'checkpoint' },
  ];
  for (const frame of bad) {
    assert.throws(() => encodeControl(frame as ControlFrame), InvalidArgumentError, JSON.stringify(frame, (_k, v) => typeof v === 'bigint' ? `${v}n` : v));
  }
});

test('decode rejects a region that is not a region of the buffer', () => {
  const bytes = encodeControl({ type: 'end-of-stream' });
  assert.throws(() => decodeControl(bytes, -1, bytes.length), InvalidArgumentError);
  assert.throws(() => decodeControl(bytes, 0, 1.5), InvalidArgumentError);
  assert.throws(() => decodeControl(bytes, 1, bytes.length), FrameTruncatedError);
});

// ---- damaged bytes --------------------------------------------------------------------------------------------

test('every strict truncation throws a typed error', () => {
  fc.assert(fc.property(frameArb, (frame) => {
    const bytes = encodeControl(frame);
    for (let length = 0; length < bytes.length; length++) {
      // Both ways a frame can end early: a shorter region of the same buffer, and a buffer that ends there.
      assert.ok(tryDecode(bytes, 0, length) instanceof ShmError, `length ${length} of ${bytes.length} decoded`);
      assert.ok(tryDecode(bytes.slice(0, length)) instanceof ShmError, `slice of ${length} of ${bytes.length} decoded`);
    }
  }), { numRuns: 300 });
});

test('truncations that cut into the flatbuffer say truncated', () => {
  // Nested tables are written last-first, so cutting the tail leaves offsets that point past the end.
  const bytes = encodeControl({ type: 'barrier', checkpointId: 7, timestampMs: 1, unaligned: true, savepoint: true });
  assert.throws(() => decodeControl(bytes, 0, 11), FrameTruncatedError);
  assert.throws(() => decodeControl(bytes, 0, bytes.length - 12), FrameTruncatedError);
});

test('a cut flatbuffer behind a valid checksum is truncated, not read past its end', () => {
  // The runtime reads past a Uint8Array's end as 0 without throwing; only the structure checks stop it.
  // encodeControl writes every field and the union's table last, so any cut removes bytes an offset needs.
  fc.assert(fc.property(frameArb, (frame) => {
    const bytes = encodeControl(frame);
    const fb = bytes.subarray(0, bytes.length - 4);
    for (let size = 0; size < fb.length; size++) {
      const framed = withTrailer(fb.slice(0, size));
      assert.throws(() => decodeControl(framed, 0, framed.length), FrameTruncatedError, `${frame.type} cut to ${size} of ${fb.length}`);
    }
  }), { numRuns: 300 });
});

test('every single-bit flip of every frame type throws', () => {
  const frames: ControlFrame[] = [
    { type: 'barrier', checkpointId: 99, timestampMs: 1_700_000_000_000, unaligned: false, savepoint: true },
    { type: 'watermark', timestamp: -1 },
    { type: 'end-of-stream' },
    { type: 'latency-marker', emittedAtNs: 5e17, sourceOperator: 3, sourceSubtask: 1 },
    { type: 'idleness', idle: false },
  ];
  for (const frame of frames) {
    const bytes = encodeControl(frame);
    for (let at = 0; at < bytes.length; at++) {
      for (let bit = 0; bit < 8; bit++) {
        const damaged = bytes.slice();
        damaged[at]! ^= 1 << bit;
        assert.ok(tryDecode(damaged) instanceof ShmError, `${frame.type}: flip of bit ${bit} at ${at} decoded`);
      }
    }
  }
});

test('random bit flips throw a typed error or decode to the original, never to another frame', () => {
  const flips = fc.array(fc.record({ at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }), { minLength: 1, maxLength: 4 });
  fc.assert(fc.property(frameArb, flips, (frame, positions) => {
    const damaged = encodeControl(frame).slice();
    // Two flips of the same bit cancel out, which is what exercises the "decodes to the original" branch.
    for (const { at, bit } of positions) damaged[at % damaged.length]! ^= 1 << bit;
    const result = tryDecode(damaged);
    if (!(result instanceof ShmError)) assert.deepStrictEqual(result, frame);
  }), { numRuns: 5000 });
});

test('damage behind a valid checksum still throws typed errors or gives a well-formed frame', () => {
  // Recomputing the trailer after the damage takes the checksum out of play, so this exercises the
  // structure checks alone: the runtime must never be left to read out of bounds or throw untyped errors.
  const edits = fc.array(fc.record({ at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 4 });
  fc.assert(fc.property(frameArb, edits, fc.nat(), (frame, changes, cut) => {
    const bytes = encodeControl(frame);
    let fb = bytes.slice(0, bytes.length - 4);
    for (const { at, value } of changes) fb[at % fb.length] = value;
    if (cut % 3 === 0) fb = fb.slice(0, cut % (fb.length + 1));
    const result = tryDecode(withTrailer(fb));
    if (!(result instanceof ShmError)) roundTrip(result);
  }), { numRuns: 5000 });
});

test('structurally valid flatbuffers with values a frame cannot have are corrupt', () => {
  const cases: Array<[string, Uint8Array]> = [
    ['unknown union type', rawFrame((b) => [99 as ControlBody, Watermark.createWatermark(b, 1n)])],
    ['no body', rawFrame(() => [ControlBody.NONE, 0])],
    ['checkpoint id past 2^53', rawFrame((b) => [ControlBody.CheckpointBarrier,
      CheckpointBarrier.createCheckpointBarrier(b, 2n ** 64n - 1n, 0, false, false)])],
    ['watermark past 2^53', rawFrame((b) => [ControlBody.Watermark, Watermark.createWatermark(b, 2n ** 53n)])],
    ['watermark below -2^53', rawFrame((b) => [ControlBody.Watermark, Watermark.createWatermark(b, -(2n ** 53n))])],
    ['NaN barrier timestamp', rawFrame((b) => [ControlBody.CheckpointBarrier,
      CheckpointBarrier.createCheckpointBarrier(b, 1n, Number.NaN, false, false)])],
    ['infinite latency timestamp', rawFrame((b) => [ControlBody.LatencyMarker,
      LatencyMarker.createLatencyMarker(b, Number.NEGATIVE_INFINITY, 0, 0)])],
    ['missing file identifier', rawFrame((b) => [ControlBody.Watermark, Watermark.createWatermark(b, 1n)], null)],
  ];
  for (const [what, bytes] of cases) {
    assert.throws(() => decodeControl(bytes, 0, bytes.length), FrameCorruptError, what);
  }
});

test('a bool byte other than 0 or 1 is corrupt', () => {
  const bytes = rawFrame((b) => [ControlBody.Idleness, Idleness.createIdleness(b, true)]);
  const fb = bytes.subarray(0, bytes.length - 4);
  const idle = FbControlFrame.getRootAsControlFrame(new flatbuffers.ByteBuffer(fb)).body(new Idleness()) as Idleness;
  const at = idle.bb_pos + idle.bb!.__offset(idle.bb_pos, 4);
  assert.equal(fb[at], 1);
  const damaged = fb.slice();
  damaged[at] = 2;
  const framed = withTrailer(damaged);
  assert.throws(() => decodeControl(framed, 0, framed.length), FrameCorruptError);
});

test('fields a writer left out decode as the schema defaults', () => {
  // Without forceDefaults the builder omits fields equal to their default, as other writers may.
  const bytes = rawFrame((b) => [ControlBody.CheckpointBarrier, CheckpointBarrier.createCheckpointBarrier(b, 0n, 0, false, false)]);
  assert.ok(bytes.length < encodeControl({ type: 'barrier', checkpointId: 0, timestampMs: 0, unaligned: false, savepoint: false }).length);
  assert.deepStrictEqual(decodeControl(bytes, 0, bytes.length),
    { type: 'barrier', checkpointId: 0, timestampMs: 0, unaligned: false, savepoint: false });
});

// ---- generated code ------------------------------------------------------------------------------------------

const flatcMissing = spawnSync('flatc', ['--version'], { encoding: 'utf8' }).error !== undefined;

function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .sort();
}

test('generated code is in sync with control.fbs', { skip: flatcMissing ? 'flatc not installed (apt-get install flatbuffers-compiler)' : false }, () => {
  const committed = join(repoRoot, 'shm/schema/generated');
  const fresh = mkdtempSync(join(tmpdir(), 'sluice-flatc-'));
  try {
    const run = spawnSync('sh', [join(repoRoot, 'shm/schema/generate.sh'), fresh], { encoding: 'utf8' });
    assert.equal(run.status, 0, `generate.sh failed: ${run.stderr}`);
    const version = spawnSync('flatc', ['--version'], { encoding: 'utf8' }).stdout.trim();
    const hint = `regenerate with \`npm run flatc\` (this flatc: ${version}; generated/ was made with flatc 2.0.8)`;
    assert.deepStrictEqual(listFiles(fresh), listFiles(committed), `generated file set differs; ${hint}`);
    for (const file of listFiles(fresh)) {
      assert.equal(readFileSync(join(committed, file), 'utf8'), readFileSync(join(fresh, file), 'utf8'), `${file} differs; ${hint}`);
    }
  } finally {
    rmSync(fresh, { recursive: true, force: true });
  }
});
