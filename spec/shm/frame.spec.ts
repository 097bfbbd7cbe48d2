// Frames: every truncated or corrupted frame fails with a typed error, never a wrong value.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FRAME_HEADER_BYTES, KIND_CONTROL, KIND_RECORD, frameLength, readFrame, sealFrame, writeFrameHeader, type FrameInfo } from '../../shm/frame.js';
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
});
