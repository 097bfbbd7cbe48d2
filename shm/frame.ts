// Runs on: any thread. What a ring block carries: a 4-byte frame header, the body, and an optional checksum.
//
//   block payload:  [kind u8][flags u8][tag u16 = FRAME_TAG][timestamps, if FLAG_TIMESTAMPS][body ...]
//                   [crc32(everything before it) u32 LE, if FLAG_CHECKSUM]
//
// Timestamps are the event times of records (Flink's StreamRecord timestamp), outside the codec's body so every
// codec carries them the same way: a record frame has one f64; a batch frame has a u32 count n, then n f64s (one
// per record, in order; NaN where a record has none). A stream without timestamps pays nothing.
//
// Both ends of a channel agree on checksums up front; a reader expecting them refuses a frame without one, so a
// flipped flag bit cannot switch the check off.
//
// The tag catches a reader that lost its place (a block read from the wrong offset is almost never tagged).
// The checksum is off by default on rings (memory does not flip bits, and it costs ~1 ns per byte); it is on where
// bytes leave memory or where a test proves that no corruption is ever decoded into a wrong value.

import { crc32 } from './checksum.js';
import { FrameCorruptError, FrameTruncatedError } from './errors.js';

export const FRAME_HEADER_BYTES = 4;
export const FRAME_CHECKSUM_BYTES = 4;
export const FRAME_TAG = 0x51ce;

export const KIND_RECORD = 1;
export const KIND_CONTROL = 2;
/** A batch of records encoded as one array value (generic codec only; both ends agree on batches). */
export const KIND_RECORD_BATCH = 3;

export const FLAG_CHECKSUM = 1;
/** Record timestamps precede the body (record frames: one f64; batch frames: u32 count, then count f64s). */
export const FLAG_TIMESTAMPS = 2;
const KNOWN_FLAGS = FLAG_CHECKSUM | FLAG_TIMESTAMPS;

/** Bytes of the timestamp section of a record frame. */
export const RECORD_TIMESTAMP_BYTES = 8;

/** Bytes of the timestamp section of a batch frame of `count` records. */
export function batchTimestampBytes(count: number): number {
  return 4 + 8 * count;
}

/** Bytes a frame with a body of `bodyLength` (and `timestampBytes` of timestamps) takes. */
export function frameLength(bodyLength: number, checksum: boolean, timestampBytes = 0): number {
  return FRAME_HEADER_BYTES + timestampBytes + bodyLength + (checksum ? FRAME_CHECKSUM_BYTES : 0);
}

export function writeFrameHeader(view: DataView, offset: number, kind: number, checksum: boolean, timestamps = false): void {
  const flags = (checksum ? FLAG_CHECKSUM : 0) | (timestamps ? FLAG_TIMESTAMPS : 0);
  view.setUint32(offset, kind | (flags << 8) | (FRAME_TAG << 16), true);
}

/** Appends the checksum of the header and body right after the body. */
export function sealFrame(bytes: Uint8Array, view: DataView, bodyStart: number, bodyLength: number): void {
  const end = bodyStart + bodyLength;
  view.setUint32(end, crc32(bytes, bodyStart - FRAME_HEADER_BYTES, end), true);
}

/** A parsed frame header: where the body is and what it is. */
export interface FrameInfo {
  kind: number;
  bodyOffset: number;
  bodyLength: number;
  /** Offset of the first f64 timestamp, and how many there are (0: the frame carries none). */
  timestampsOffset?: number;
  timestampCount?: number;
}

/**
 * Checks the frame in [offset, offset + length) and fills `out`. Throws FrameTruncatedError when the bytes are
 * too short for the header or checksum, FrameCorruptError for an unknown kind or flag, a wrong tag, a checksum
 * flag other than `checksum` (what this channel agreed on), or a checksum that does not match.
 */
export function readFrame(bytes: Uint8Array, view: DataView, offset: number, length: number, checksum: boolean, out: FrameInfo): FrameInfo {
  if (length < FRAME_HEADER_BYTES) throw new FrameTruncatedError(`frame of ${length} bytes is shorter than its ${FRAME_HEADER_BYTES}-byte header`);
  const word = view.getUint32(offset, true);
  const kind = word & 0xff;
  const flags = (word >>> 8) & 0xff;
  if (word >>> 16 !== FRAME_TAG) throw new FrameCorruptError(`frame tag 0x${(word >>> 16).toString(16)} is not 0x${FRAME_TAG.toString(16)}`);
  if (kind !== KIND_RECORD && kind !== KIND_CONTROL && kind !== KIND_RECORD_BATCH) throw new FrameCorruptError(`unknown frame kind ${kind}`);
  if ((flags & ~KNOWN_FLAGS) !== 0) throw new FrameCorruptError(`unknown frame flags 0x${flags.toString(16)}`);
  if (((flags & FLAG_CHECKSUM) !== 0) !== checksum) throw new FrameCorruptError(`frame ${checksum ? 'lacks' : 'has'} a checksum this channel did not agree on`);
  let bodyLength = length - FRAME_HEADER_BYTES;
  const bodyOffset = offset + FRAME_HEADER_BYTES;
  if (checksum) {
    if (bodyLength < FRAME_CHECKSUM_BYTES) throw new FrameTruncatedError('frame ends before its checksum');
    bodyLength -= FRAME_CHECKSUM_BYTES;
    const expected = view.getUint32(bodyOffset + bodyLength, true);
    if (crc32(bytes, offset, bodyOffset + bodyLength) !== expected) throw new FrameCorruptError('frame checksum does not match its header and body');
  }
  out.kind = kind;
  out.bodyOffset = bodyOffset;
  out.bodyLength = bodyLength;
  out.timestampCount = 0;
  if ((flags & FLAG_TIMESTAMPS) !== 0) {
    if (kind === KIND_CONTROL) throw new FrameCorruptError('a control frame cannot carry record timestamps');
    let tsBytes = RECORD_TIMESTAMP_BYTES;
    let count = 1;
    let first = bodyOffset;
    if (kind === KIND_RECORD_BATCH) {
      if (bodyLength < 4) throw new FrameTruncatedError('batch frame ends before its timestamp count');
      count = view.getUint32(bodyOffset, true);
      if (count === 0) throw new FrameCorruptError('batch frame with timestamps for 0 records');
      tsBytes = batchTimestampBytes(count);
      first = bodyOffset + 4;
    }
    if (bodyLength < tsBytes) throw new FrameTruncatedError(`frame of ${bodyLength} body bytes ends inside its ${tsBytes}-byte timestamp section`);
    out.timestampsOffset = first;
    out.timestampCount = count;
    out.bodyOffset = bodyOffset + tsBytes;
    out.bodyLength = bodyLength - tsBytes;
  }
  return out;
}
