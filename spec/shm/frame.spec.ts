// Frames: every truncated or corrupted frame fails with a typed error, never a wrong value.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FRAME_HEADER_BYTES, KIND_CONTROL, KIND_RECORD, KIND_RECORD_BATCH, RECORD_TIMESTAMP_BYTES, batchTimestampBytes, frameLength, readFrame, sealFrame, writeFrameHeader, type FrameInfo } from '../../shm/frame.js';
import { FrameCorruptError, FrameTruncatedError, ShmError } from '../../shm/errors.js';

function encode(kind: number, body: Uint8Array, checksum: boolean): Uint8Array {
  const out = new Uint8Array(frameLength(body.length, checksum));
  const view = new DataView(out.buffer);
  writeFrameHeader(view, 0, kind, checksum);
  out.set(body, FRAME_HEADER_BYTES);
  if (checksum) sealFrame(out, view, FRAME_HEADER_BYTES, body.length);
  return out;
}

function decode(bytes: Uint8Array, checksum = false): { kind: number; body: Uint8Array } {
  const f: FrameInfo = { kind: 0, bodyOffset: 0, bodyLength: 0 };
  readFrame(bytes, new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), 0, bytes.length, checksum, f);
  return { kind: f.kind, body: bytes.slice(f.bodyOffset, f.bodyOffset + f.bodyLength) };
}

const kinds = fc.constantFrom(KIND_RECORD, KIND_CONTROL);
const bodies = fc.uint8Array({ maxLength: 200 });

describe('frame', () => {
  test('round-trips with and without checksum', () => {
    fc.assert(fc.property(kinds, bodies, fc.boolean(), (kind, body, checksum) => {
      assert.deepEqual(decode(encode(kind, body, checksum), checksum), { kind, body });
    }));
  });

  test('a frame shorter than its header or checksum is FrameTruncatedError', () => {
    assert.throws(() => decode(new Uint8Array(3)), FrameTruncatedError);
    const f = encode(KIND_RECORD, new Uint8Array(4), true);
    assert.throws(() => decode(f.subarray(0, f.length - 1), true), FrameCorruptError, 'a cut body fails its checksum');
    assert.throws(() => decode(f.subarray(0, 7), true), FrameTruncatedError);
  });

  test('a frame whose checksum flag differs from what the channel agreed is FrameCorruptError', () => {
    assert.throws(() => decode(encode(KIND_RECORD, new Uint8Array([1]), true), false), FrameCorruptError);
    assert.throws(() => decode(encode(KIND_RECORD, new Uint8Array([1]), false), true), FrameCorruptError);
  });

  test('unknown kind, unknown flag or wrong tag is FrameCorruptError', () => {
    const f = encode(KIND_RECORD, new Uint8Array([1, 2]), false);
    for (const [i, v] of [[0, 9], [1, 0x80], [2, 0], [3, 0]] as const) {
      const g = f.slice();
      g[i] = v;
      assert.throws(() => decode(g), FrameCorruptError);
    }
  });

  test('property: with checksums, every truncation or corruption throws a typed error or decodes to the original', () => {
    fc.assert(fc.property(kinds, bodies, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }), fc.nat(), (kind, body, flips, cut) => {
      const good = encode(kind, body, true);
      const bad = good.slice();
      for (const [pos, x] of flips) bad[pos % bad.length]! ^= x;
      const truncated = good.subarray(0, cut % good.length);
      for (const candidate of [bad, truncated]) {
        try {
          const d = decode(candidate, true);
          assert.deepEqual(d, { kind, body }, 'decoded a wrong value');
        } catch (e) {
          assert.ok(e instanceof ShmError, `untyped error: ${String(e)}`);
        }
      }
    }), { numRuns: 2000 });
  });

  test('property: frames with timestamp sections round-trip, and every truncation or corruption is a typed error or the original', () => {
    const withTs = (kind: number, tss: number[], body: Uint8Array): Uint8Array => {
      const tsBytes = kind === KIND_RECORD ? RECORD_TIMESTAMP_BYTES : batchTimestampBytes(tss.length);
      const out = new Uint8Array(frameLength(body.length, true, tsBytes));
      const view = new DataView(out.buffer);
      writeFrameHeader(view, 0, kind, true, true);
      if (kind === KIND_RECORD) view.setFloat64(FRAME_HEADER_BYTES, tss[0]!, true);
      else { view.setUint32(FRAME_HEADER_BYTES, tss.length, true); tss.forEach((t, i) => view.setFloat64(FRAME_HEADER_BYTES + 4 + 8 * i, t, true)); }
      out.set(body, FRAME_HEADER_BYTES + tsBytes);
      sealFrame(out, view, FRAME_HEADER_BYTES, tsBytes + body.length);
      return out;
    };
    const read = (bytes: Uint8Array) => {
      const f: FrameInfo = { kind: 0, bodyOffset: 0, bodyLength: 0 };
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      readFrame(bytes, view, 0, bytes.length, true, f);
      const tss = Array.from({ length: f.timestampCount! }, (_, i) => view.getFloat64(f.timestampsOffset! + 8 * i, true));
      return { kind: f.kind, tss, body: bytes.slice(f.bodyOffset, f.bodyOffset + f.bodyLength) };
    };
    fc.assert(fc.property(fc.constantFrom(KIND_RECORD, KIND_RECORD_BATCH), fc.array(fc.double({ noNaN: true }), { minLength: 1, maxLength: 6 }), bodies, fc.nat(), fc.nat(), fc.integer({ min: 1, max: 255 }), (kind, tss0, body, cut, pos, x) => {
      const tss = kind === KIND_RECORD ? tss0.slice(0, 1) : tss0;
      const good = withTs(kind, tss, body);
      assert.deepEqual(read(good), { kind, tss, body });
      const bad = good.slice();
      bad[pos % bad.length]! ^= x;
      for (const candidate of [bad, good.subarray(0, cut % good.length)]) {
        try {
          assert.deepEqual(read(candidate), { kind, tss, body }, 'decoded a wrong value');
        } catch (e) {
          assert.ok(e instanceof ShmError, `untyped error: ${String(e)}`);
        }
      }
    }), { numRuns: 2000 });
  });

  test('a control frame flagged with timestamps is FrameCorruptError', () => {
    const out = new Uint8Array(frameLength(8, false));
    writeFrameHeader(new DataView(out.buffer), 0, KIND_CONTROL, false, true);
    assert.throws(() => decode(out), FrameCorruptError);
  });
});
