// Runs on: any thread. What a ring block carries: a 4-byte frame header, the body, and an optional checksum.
//
//   block payload:  [kind u8][flags u8][tag u16 = FRAME_TAG][body ...][fnv1a32(body) u32, if FLAG_CHECKSUM]
//
// The tag catches a reader that lost its place (a block read from the wrong offset is almost never tagged).
// The checksum is off by default on rings (memory does not flip bits; it costs ~1 ns per byte) and on where
// bytes leave memory or where a test proves that no corruption is ever decoded into a wrong value.

import { FrameCorruptError, FrameTruncatedError } from './errors.js';

export const FRAME_HEADER_BYTES = 4;
export const FRAME_CHECKSUM_BYTES = 4;
export const FRAME_TAG = 0x51ce;

export const KIND_RECORD = 1;
export const KIND_CONTROL = 2;

export const FLAG_CHECKSUM = 1;
const KNOWN_FLAGS = FLAG_CHECKSUM;

/** Bytes a frame with a body of `bodyLength` takes. */
export function frameLength(bodyLength: number, checksum: boolean): number {
  return FRAME_HEADER_BYTES + bodyLength + (checksum ? FRAME_CHECKSUM_BYTES : 0);
}

export function writeFrameHeader(view: DataView, offset: number, kind: number, checksum: boolean): void {
  view.setUint32(offset, kind | ((checksum ? FLAG_CHECKSUM : 0) << 8) | (FRAME_TAG << 16), true);
}

/** Appends the checksum of [bodyStart, bodyStart + bodyLength) right after the body. */
export function sealFrame(bytes: Uint8Array, view: DataView, bodyStart: number, bodyLength: number): void {
  view.setUint32(bodyStart + bodyLength, fnv1a32(bytes, bodyStart, bodyLength), true);
}

/** A parsed frame header: where the body is and what it is. */
export interface FrameInfo {
  kind: number;
  bodyOffset: number;
  bodyLength: number;
}

/**
 * Checks the frame in [offset, offset + length) and fills `out`. Throws FrameTruncatedError when the bytes are
 * too short for the header or checksum, FrameCorruptError for an unknown kind or flag, a wrong tag, or a
 * checksum that does not match.
 */
export function readFrame(bytes: Uint8Array, view: DataView, offset: number, length: number, out: FrameInfo): FrameInfo {
  if (length < FRAME_HEADER_BYTES) throw new FrameTruncatedError(`frame of ${length} bytes is shorter than its ${FRAME_HEADER_BYTES}-byte header`);
  const word = view.getUint32(offset, true);
  const kind = word & 0xff;
  const flags = (word >>> 8) & 0xff;
  if (word >>> 16 !== FRAME_TAG) throw new FrameCorruptError(`frame tag 0x${(word >>> 16).toString(16)} is not 0x${FRAME_TAG.toString(16)}`);
  if (kind !== KIND_RECORD && kind !== KIND_CONTROL) throw new FrameCorruptError(`unknown frame kind ${kind}`);
  if ((flags & ~KNOWN_FLAGS) !== 0) throw new FrameCorruptError(`unknown frame flags 0x${flags.toString(16)}`);
  let bodyLength = length - FRAME_HEADER_BYTES;
  const bodyOffset = offset + FRAME_HEADER_BYTES;
  if ((flags & FLAG_CHECKSUM) !== 0) {
    if (bodyLength < FRAME_CHECKSUM_BYTES) throw new FrameTruncatedError('frame ends before its checksum');
    bodyLength -= FRAME_CHECKSUM_BYTES;
    const expected = view.getUint32(bodyOffset + bodyLength, true);
    if (fnv1a32(bytes, bodyOffset, bodyLength) !== expected) throw new FrameCorruptError('frame checksum does not match its body');
  }
  out.kind = kind;
  out.bodyOffset = bodyOffset;
  out.bodyLength = bodyLength;
  return out;
}

/** FNV-1a, 32 bit: small, and any single corrupted byte changes it. */
export function fnv1a32(bytes: Uint8Array, start: number, length: number): number {
  let h = 0x811c9dc5;
  const end = start + length;
  for (let i = start; i < end; i++) {
    h ^= bytes[i]!;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
