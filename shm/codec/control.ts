// Runs on: any thread. In-band control frames (barriers, watermarks, end of stream, ...) of a stream channel.
//
// Wire format of one control frame, as written by encodeControl and read by decodeControl:
//
//   [flatbuffer: root table sluice.control.ControlFrame, file identifier "SLCF"][u32 LE CRC-32 of the flatbuffer]
//
// The schema is shm/schema/control.fbs; the TypeScript under shm/schema/generated/ comes from it (npm run flatc).
// The trailer is CRC-32 (IEEE 802.3, the zlib one) over every flatbuffer byte before it. Control frames are
// a few dozen bytes, and at that size CRC-32 detects every error of up to four flipped bits, so a damaged
// frame throws instead of turning into a different barrier or watermark.
//
// The JS flatbuffers runtime has no verifier and reads out of bounds silently (a Uint8Array gives undefined,
// which becomes 0), so decodeControl checks every offset it follows before the generated code reads it.
//
// Number mapping: 64-bit integers are bigint in the runtime; here they are numbers limited to safe integers
// (|x| <= 2^53 - 1), so Number.MAX_SAFE_INTEGER is the largest watermark (the "max" watermark at end of input).
// A -0 in an integer field encodes as 0; doubles keep -0.

import * as flatbuffers from 'flatbuffers';
import { crc32 } from '../checksum.js';
import { FrameCorruptError, FrameTruncatedError, InvalidArgumentError } from '../errors.js';
import { CheckpointBarrier } from '../schema/generated/sluice/control/checkpoint-barrier.js';
import { ControlBody } from '../schema/generated/sluice/control/control-body.js';
import { ControlFrame as FbControlFrame } from '../schema/generated/sluice/control/control-frame.js';
import { EndOfStream } from '../schema/generated/sluice/control/end-of-stream.js';
import { Idleness } from '../schema/generated/sluice/control/idleness.js';
import { LatencyMarker } from '../schema/generated/sluice/control/latency-marker.js';
import { Watermark } from '../schema/generated/sluice/control/watermark.js';

export type ControlFrame =
  | { type: 'barrier'; checkpointId: number; timestampMs: number; unaligned: boolean; savepoint: boolean }
  | { type: 'watermark'; timestamp: number }
  | { type: 'end-of-stream' }
  | { type: 'latency-marker'; emittedAtNs: number; sourceOperator: number; sourceSubtask: number }
  | { type: 'idleness'; idle: boolean };

const FILE_IDENTIFIER = 'SLCF';
const TRAILER_BYTES = 4;
// Root uoffset + file identifier: no valid control flatbuffer is shorter.
const HEADER_BYTES = 8;

const INT32_MIN = -0x8000_0000;
const INT32_MAX = 0x7fff_ffff;

/** Encodes one control frame as [flatbuffer][u32 LE CRC-32]. Throws InvalidArgumentError for a frame it cannot carry exactly. */
export function encodeControl(frame: ControlFrame): Uint8Array {
  // Per call: control frames are rare, and a shared builder would be module-level mutable state.
  const builder = new flatbuffers.Builder(64);
  // Write every field, even at its default: the builder compares with ==, so without this a -0.0 double
  // would be dropped and decode as 0.
  builder.forceDefaults(true);

  let bodyType: ControlBody;
  let body: flatbuffers.Offset;
  switch (frame.type) {
    case 'barrier':
      body = CheckpointBarrier.createCheckpointBarrier(builder,
        BigInt(checkSafeInteger(frame.checkpointId, 'barrier checkpointId', 0)),
        checkFinite(frame.timestampMs, 'barrier timestampMs'),
        checkBoolean(frame.unaligned, 'barrier unaligned'),
        checkBoolean(frame.savepoint, 'barrier savepoint'));
      bodyType = ControlBody.CheckpointBarrier;
      break;
    case 'watermark':
      body = Watermark.createWatermark(builder,
        BigInt(checkSafeInteger(frame.timestamp, 'watermark timestamp', Number.MIN_SAFE_INTEGER)));
      bodyType = ControlBody.Watermark;
      break;
    case 'end-of-stream':
      body = EndOfStream.createEndOfStream(builder);
      bodyType = ControlBody.EndOfStream;
      break;
    case 'latency-marker':
      body = LatencyMarker.createLatencyMarker(builder,
        checkFinite(frame.emittedAtNs, 'latency-marker emittedAtNs'),
        checkInt32(frame.sourceOperator, 'latency-marker sourceOperator'),
        checkInt32(frame.sourceSubtask, 'latency-marker sourceSubtask'));
      bodyType = ControlBody.LatencyMarker;
      break;
    case 'idleness':
      body = Idleness.createIdleness(builder, checkBoolean(frame.idle, 'idleness idle'));
      bodyType = ControlBody.Idleness;
      break;
    default:
      // Reachable from untyped callers only; the union is exhaustive for typed ones.
      throw new InvalidArgumentError(`unknown control frame type ${JSON.stringify((frame as { type: unknown }).type)}`);
  }
  FbControlFrame.finishControlFrameBuffer(builder, FbControlFrame.createControlFrame(builder, bodyType, body));

  // asUint8Array is a view into the builder's buffer; copy it into a buffer that has room for the trailer.
  const fb = builder.asUint8Array();
  const out = new Uint8Array(fb.length + TRAILER_BYTES);
  out.set(fb);
  new DataView(out.buffer, out.byteOffset, out.byteLength).setUint32(fb.length, crc32(fb, 0, fb.length), true);
  return out;
}

/**
 * Decodes the control frame stored in bytes[offset, offset + length), trailer included. Throws
 * FrameTruncatedError when the bytes end before what the frame's offsets need, FrameCorruptError for anything
 * else invalid (bad checksum, unknown frame type, out-of-range value); never returns a value it cannot vouch for.
 */
export function decodeControl(bytes: Uint8Array, offset: number, length: number): ControlFrame {
  if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0) {
    throw new InvalidArgumentError(`control frame region needs non-negative integer offset and length, got ${offset} and ${length}`);
  }
  if (offset + length > bytes.length) {
    throw new FrameTruncatedError(`control frame of ${length} bytes at ${offset} runs past the end of a ${bytes.length}-byte buffer`);
  }
  if (length < HEADER_BYTES + TRAILER_BYTES) {
    throw new FrameTruncatedError(`control frame of ${length} bytes is shorter than the ${HEADER_BYTES + TRAILER_BYTES}-byte minimum`);
  }
  const size = length - TRAILER_BYTES;
  // A view, so the runtime's indices (and ours) are relative to the flatbuffer's first byte.
  const fb = bytes.subarray(offset, offset + size);

  // Structure first: a frame cut short fails here with FrameTruncatedError, which says more than a checksum mismatch.
  const body = checkStructure(fb);

  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, length);
  const stored = view.getUint32(size, true);
  const actual = crc32(fb, 0, size);
  if (stored !== actual) {
    throw new FrameCorruptError(`control frame checksum mismatch: trailer says 0x${hex(stored)}, bytes give 0x${hex(actual)}`);
  }

  let frame: ControlFrame;
  try {
    frame = readFrame(new flatbuffers.ByteBuffer(fb), body.type);
  } catch (error) {
    // checkStructure should leave the runtime nothing to throw on; if it still does, the frame is not one we understand.
    throw new FrameCorruptError('control frame could not be read by the flatbuffers runtime', { cause: error });
  }
  return frame;
}

// ---- structure checks -------------------------------------------------------------------------------------

/** Byte size of each field of a table, in schema (vtable slot) order. */
const BODY_FIELDS: Readonly<Record<number, { name: string; sizes: readonly number[]; bools: readonly number[] }>> = {
  [ControlBody.CheckpointBarrier]: { name: 'CheckpointBarrier', sizes: [8, 8, 1, 1], bools: [2, 3] },
  [ControlBody.Watermark]: { name: 'Watermark', sizes: [8], bools: [] },
  [ControlBody.EndOfStream]: { name: 'EndOfStream', sizes: [], bools: [] },
  [ControlBody.LatencyMarker]: { name: 'LatencyMarker', sizes: [8, 4, 4], bools: [] },
  [ControlBody.Idleness]: { name: 'Idleness', sizes: [1], bools: [0] },
};
// ControlFrame: body_type (u8), body (uoffset to the union's table).
const ROOT_FIELD_SIZES = [1, 4] as const;

/**
 * Follows every offset the generated readers will follow and checks it lands inside fb; returns the union type.
 * This is the part of the C++ verifier the JS runtime lacks, for this schema only.
 */
function checkStructure(fb: Uint8Array): { type: ControlBody } {
  const n = fb.length;
  for (let i = 0; i < FILE_IDENTIFIER.length; i++) {
    if (fb[4 + i] !== FILE_IDENTIFIER.charCodeAt(i)) {
      throw new FrameCorruptError(`control frame lacks the '${FILE_IDENTIFIER}' file identifier`);
    }
  }
  const root = u32(fb, 0);
  if (root < HEADER_BYTES) throw new FrameCorruptError(`control frame root offset ${root} points into its header`);
  const rootFields = checkTable(fb, root, ROOT_FIELD_SIZES, 'ControlFrame');

  const typeAt = rootFields[0]!;
  const type: number = typeAt === 0 ? ControlBody.NONE : fb[typeAt]!;
  const spec = BODY_FIELDS[type];
  if (type === ControlBody.NONE || spec === undefined) {
    throw new FrameCorruptError(`control frame has unknown body type ${type}`);
  }
  const bodyAt = rootFields[1]!;
  if (bodyAt === 0) throw new FrameCorruptError(`control frame of type ${spec.name} has no body`);
  // uoffset: unsigned and forward. Past n, it cannot be less than 2^31, so the runtime's signed read agrees.
  const table = bodyAt + u32(fb, bodyAt);
  if (table + 4 > n) {
    throw new FrameTruncatedError(`control frame ${spec.name} table at ${table} needs bytes past the ${n}-byte flatbuffer`);
  }
  const fields = checkTable(fb, table, spec.sizes, spec.name);
  for (const slot of spec.bools) {
    const at = fields[slot]!;
    // The runtime reads any non-zero byte as true; only 0 and 1 are what an encoder writes.
    if (at !== 0 && fb[at]! > 1) throw new FrameCorruptError(`control frame ${spec.name} has bool byte ${fb[at]} in field ${slot}`);
  }
  return { type };
}

/**
 * Checks one table: its vtable, and each field of the given byte sizes. Returns each field's absolute
 * position in fb, 0 for a field the table omits (the reader then uses the schema default).
 */
function checkTable(fb: Uint8Array, table: number, sizes: readonly number[], name: string): number[] {
  const n = fb.length;
  if (table + 4 > n) throw new FrameTruncatedError(`${name} table at ${table} runs past the ${n}-byte flatbuffer`);
  if (table % 4 !== 0) throw new FrameCorruptError(`${name} table at ${table} is not 4-byte aligned`);
  // soffset from the table back to its vtable; signed, so the vtable may sit on either side.
  const vtable = table - i32(fb, table);
  if (vtable < 0) throw new FrameCorruptError(`${name} vtable offset points ${-vtable} bytes before the flatbuffer`);
  if (vtable + 4 > n) throw new FrameTruncatedError(`${name} vtable at ${vtable} runs past the ${n}-byte flatbuffer`);
  if (vtable % 2 !== 0) throw new FrameCorruptError(`${name} vtable at ${vtable} is not 2-byte aligned`);
  const vtableSize = u16(fb, vtable);
  const tableSize = u16(fb, vtable + 2);
  // The runtime reads these as int16, so sizes of 0x8000 and up would read negative there.
  if (vtableSize < 4 || vtableSize % 2 !== 0 || vtableSize > 0x7fff) {
    throw new FrameCorruptError(`${name} vtable size ${vtableSize} is not a valid vtable size`);
  }
  if (tableSize < 4 || tableSize > 0x7fff) throw new FrameCorruptError(`${name} table size ${tableSize} is not a valid table size`);
  if (vtable + vtableSize > n) throw new FrameTruncatedError(`${name} vtable of ${vtableSize} bytes at ${vtable} runs past the ${n}-byte flatbuffer`);
  if (table + tableSize > n) throw new FrameTruncatedError(`${name} table of ${tableSize} bytes at ${table} runs past the ${n}-byte flatbuffer`);

  const positions: number[] = [];
  for (let slot = 0; slot < sizes.length; slot++) {
    const entry = 4 + 2 * slot;
    // A vtable shorter than the schema is valid: an older writer, the field takes its default.
    const field = entry < vtableSize ? u16(fb, vtable + entry) : 0;
    if (field === 0) {
      positions.push(0);
      continue;
    }
    const size = sizes[slot]!;
    if (field < 4 || field + size > tableSize) {
      throw new FrameCorruptError(`${name} field ${slot} at table offset ${field} lies outside the ${tableSize}-byte table`);
    }
    if ((table + field) % size !== 0) throw new FrameCorruptError(`${name} field ${slot} is not ${size}-byte aligned`);
    positions.push(table + field);
  }
  return positions;
}

// ---- reading (after the checks) ----------------------------------------------------------------------------

function readFrame(bb: flatbuffers.ByteBuffer, type: ControlBody): ControlFrame {
  const root = FbControlFrame.getRootAsControlFrame(bb);
  switch (type) {
    case ControlBody.CheckpointBarrier: {
      const b = root.body(new CheckpointBarrier()) as CheckpointBarrier;
      return {
        type: 'barrier',
        checkpointId: fromLong(b.checkpointId(), 'barrier checkpointId'),
        timestampMs: finiteOrCorrupt(b.timestampMs(), 'barrier timestampMs'),
        unaligned: b.unaligned(),
        savepoint: b.savepoint(),
      };
    }
    case ControlBody.Watermark: {
      const w = root.body(new Watermark()) as Watermark;
      return { type: 'watermark', timestamp: fromLong(w.timestamp(), 'watermark timestamp') };
    }
    case ControlBody.EndOfStream:
      return { type: 'end-of-stream' };
    case ControlBody.LatencyMarker: {
      const m = root.body(new LatencyMarker()) as LatencyMarker;
      return {
        type: 'latency-marker',
        emittedAtNs: finiteOrCorrupt(m.emittedAtNs(), 'latency-marker emittedAtNs'),
        sourceOperator: m.sourceOperator(),
        sourceSubtask: m.sourceSubtask(),
      };
    }
    case ControlBody.Idleness: {
      const i = root.body(new Idleness()) as Idleness;
      return { type: 'idleness', idle: i.idle() };
    }
    default:
      throw new FrameCorruptError(`control frame has unknown body type ${type}`);
  }
}

/** A 64-bit integer from the wire as a number; one a number cannot hold exactly would be a wrong value. */
function fromLong(value: bigint, what: string): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new FrameCorruptError(`${what} ${value} is outside the safe integer range`);
  }
  return Number(value);
}

function finiteOrCorrupt(value: number, what: string): number {
  // encodeControl never writes NaN or infinities.
  if (!Number.isFinite(value)) throw new FrameCorruptError(`${what} is ${value}`);
  return value;
}

// ---- encode-side argument checks ---------------------------------------------------------------------------

function checkSafeInteger(value: unknown, what: string, min: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new InvalidArgumentError(`${what} must be a safe integer >= ${min}, got ${String(value)}`);
  }
  return value;
}

function checkInt32(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < INT32_MIN || value > INT32_MAX) {
    throw new InvalidArgumentError(`${what} must be a 32-bit signed integer, got ${String(value)}`);
  }
  return value;
}

function checkFinite(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new InvalidArgumentError(`${what} must be a finite number, got ${String(value)}`);
  }
  return value;
}

function checkBoolean(value: unknown, what: string): boolean {
  if (typeof value !== 'boolean') throw new InvalidArgumentError(`${what} must be a boolean, got ${String(value)}`);
  return value;
}

// ---- bytes ---------------------------------------------------------------------------------------------------

// Callers check bounds first; these read little-endian like the runtime does.
function u16(b: Uint8Array, at: number): number {
  return b[at]! | (b[at + 1]! << 8);
}

function i32(b: Uint8Array, at: number): number {
  return b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24);
}

function u32(b: Uint8Array, at: number): number {
  return i32(b, at) >>> 0;
}


function hex(x: number): string {
  return x.toString(16).padStart(8, '0');
}
