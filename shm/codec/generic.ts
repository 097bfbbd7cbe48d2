// Runs on: any thread. The generic record codec: any structured-clone-ish value through msgpackr, the fallback
// for records without a declared schema (like Flink's Kryo fallback).
//
// Wire format ('msgpackr/v1'): one MessagePack value per frame, written by a msgpackr Packr with
// `sequential: true` record structures and `moreTypes: true`. The first record of an object shape carries the
// shape's key list in-band (record extension 0x72) and later records of that shape reference it by a one- or
// two-byte id, so the decoder must see every record of its channel, in order: that is what an ordered SPSC ring
// gives us. Measured on a repeated {id, name, price, ts} shape (see the spec): first record 49 bytes, every
// later one 29 bytes, 48 bytes as plain msgpackr maps: the 17 bytes of keys plus 2 of map16 header are gone.
//
// Native addon: msgpackr-extract (string decoding) IS active in this tree: its install script never ran, but
// npm installed the prebuilt optional package @msgpackr-extract/msgpackr-extract-linux-x64, which msgpackr
// loads without a build (`isNativeAccelerationEnabled` is true). It only accepts a plain ArrayBuffer, which is
// one reason the decoder copies records out of the (shared) ring. Nothing here depends on it; the spec runs
// again with MSGPACKR_NATIVE_ACCELERATION_DISABLED=true to prove it. Worker threads run with it off (that variable
// set by core/runtime/attempt.ts): the addon's token table is one per process, cleared and filled again whenever a
// thread loads it, and a thread decoding meanwhile got one string field of one record wrong, silently
// (spec/core/runtime/native-strings.it.spec.ts, spec/shm/codec/native-extract-race.mjs).
//
// What round-trips: objects (as plain objects), arrays, strings, numbers, bigint (any size), booleans, null,
// undefined, Date (also invalid ones), Map, Set, typed arrays, ArrayBuffer, DataView, RegExp, Error (name,
// message, cause; no stack). Differences from structuredClone: -0 decodes as 0; a Buffer decodes as a
// Uint8Array (as structuredClone does too); lone surrogates in strings become U+FFFD
// (UTF-8); an own key named '__proto__' decodes as '__proto_' (msgpackr's prototype-pollution guard); class
// instances decode as plain objects; shared references and cycles need `structuredClone: true`. Boxed primitives
// (`new Boolean(false)`), Promises, WeakMaps and WeakSets decode as {}, a sparse array's holes as undefined: msgpackr
// offers no hook for them short of a module-wide extension, and a walk of every record would cost every record
// (documented in the README, not refused).

import { Buffer } from 'node:buffer';
import { Packr, Unpackr, type Options } from 'msgpackr';
import type { RecordCodec, RecordDecoder, RecordEncoder } from './codec.js';
import {
  FrameCorruptError,
  FrameTruncatedError,
  InvalidArgumentError,
  SchemaMismatchError,
  type ShmError,
} from '../errors.js';

export interface GenericCodecOptions {
  /**
   * How many object shapes one channel keeps defined at a time (msgpackr `maxOwnStructures`). Up to 64 use
   * one-byte record ids; more use two bytes for ids past the 32nd. A channel with more live shapes than this
   * still round-trips: the oldest shape's id is reused and the shape is defined again in-band when it next
   * appears. Default 64, between 1 and 8160.
   */
  maxStructures?: number;
  /**
   * Preserves shared references and cycles (msgpackr `structuredClone`), at ~25-30% encoding cost. Without it
   * a shared object is written once per reference and a cycle throws SchemaMismatchError. Default false.
   */
  structuredClone?: boolean;
  /**
   * Bytes of the output arena msgpackr packs into, set when an encoder starts (default 64 KiB; 0 keeps msgpackr's
   * own 8 KiB). msgpackr never rewinds an arena: a full one is dropped for a new one of the same size, and with
   * batch frames of a few KiB an 8 KiB arena costs an ArrayBuffer allocation every two or three frames. Every
   * msgpackr user on the thread shares the arena (msgpackr keeps it per module), and a view that someone keeps
   * from a pack() keeps its whole arena alive. At most 16 MiB.
   */
  arenaBytes?: number;
}

const DEFAULT_MAX_STRUCTURES = 64;
const MAX_STRUCTURES_LIMIT = 8160;
const INITIAL_SCRATCH_BYTES = 4096;
const MAX_KEPT_SCRATCH_BYTES = 1 << 20;   // a rare huge record should not pin its size per decoder
const DEFAULT_ARENA_BYTES = 64 * 1024;
const MAX_ARENA_BYTES = 16 * 1024 * 1024;

/** A codec for any structured-clone-ish value; the type parameter only names what the channel carries. */
export function genericCodec<T = unknown>(options: GenericCodecOptions = {}): RecordCodec<T> {
  const maxStructures = options.maxStructures ?? DEFAULT_MAX_STRUCTURES;
  if (!Number.isInteger(maxStructures) || maxStructures < 1 || maxStructures > MAX_STRUCTURES_LIMIT) {
    throw new InvalidArgumentError(
      `genericCodec: maxStructures must be an integer from 1 to ${MAX_STRUCTURES_LIMIT}, got ${maxStructures}`);
  }
  const structuredClone = options.structuredClone ?? false;
  const arenaBytes = options.arenaBytes ?? DEFAULT_ARENA_BYTES;
  if (!Number.isInteger(arenaBytes) || arenaBytes < 0 || arenaBytes > MAX_ARENA_BYTES) {
    throw new InvalidArgumentError(`genericCodec: arenaBytes must be an integer from 0 to ${MAX_ARENA_BYTES}, got ${arenaBytes}`);
  }

  // A fresh object per Packr/Unpackr on purpose: msgpackr's constructors write the in-band structure table
  // into the options object they are given (`options.structures = []`), so two instances built from one
  // options object would share one table, which silently breaks as soon as two channels use it.
  const msgpackrOptions = (): Options => ({
    useRecords: true,
    sequential: true,
    maxOwnStructures: maxStructures,
    moreTypes: true,              // Set, typed arrays, Error, RegExp, bigints past 64 bits keep their types
    structuredClone,
    copyBuffers: true,            // binary values must not alias the decoder's scratch (or the ring)
    // By default msgpackr writes a function as undefined; a record that silently loses a field is worse.
    writeFunction: () => {
      throw new TypeError('a function cannot be encoded');
    },
  });

  return {
    kind: 'generic',
    // Only options that change the bytes; copyBuffers is a decoder-side choice and stays out.
    fingerprint: `msgpackr/v1;records=sequential;maxStructures=${maxStructures};structuredClone=${structuredClone}`,
    encoder: () => new GenericEncoder<T>(() => new Packr(msgpackrOptions()), arenaBytes),
    decoder: () => new GenericDecoder<T>(new Unpackr(msgpackrOptions())),
  };
}

class GenericEncoder<T> implements RecordEncoder<T> {
  private packr: Packr;
  // Bytes of the last size() that write() has not copied yet, and the value they encode.
  private pending: Uint8Array | null = null;
  private pendingValue: unknown = undefined;

  constructor(private readonly newPackr: () => Packr, arenaBytes: number) {
    this.packr = newPackr();
    // A fresh arena: useBuffer() rewinds to its start, which is safe only on memory nobody else has a view into.
    if (arenaBytes > 0) this.packr.useBuffer(Buffer.allocUnsafeSlow(arenaBytes));
  }

  size(value: T): number {
    // The Packr records new shapes as already sent when it packs them. Bytes that never reach the ring (the
    // ring rejected the record, the reservation was aborted) or a pack that threw halfway would leave it
    // referencing shapes the decoder never saw, and a reference to an unknown or reused id decodes silently as
    // the wrong value. So start over with an empty shape table: every shape is then defined again before its
    // next use, and the decoder simply overwrites its slots as those definitions arrive.
    if (this.pending !== null) this.reset();
    let bytes: Uint8Array;
    try {
      // No useBuffer() on reused memory: msgpackr's output buffer is module-level, shared by every Packr on the
      // thread, so pointing it at our own buffer and rewinding it would overwrite bytes that another encoder (or
      // any other msgpackr user) on this thread has packed but not yet copied. pack() returns a view into an arena
      // that msgpackr never rewinds (it moves to a new arena when full; the constructor's fresh arena rewinds
      // nothing), so the view stays valid until write(), even when the channel awaits ring space in between,
      // unless other code on the thread calls useBuffer() on memory it reuses.
      bytes = this.packr.pack(value);
    } catch (cause) {
      this.reset();
      throw withCause(new SchemaMismatchError(`generic codec cannot encode the value: ${describe(cause)}`), cause);
    }
    this.pending = bytes;
    this.pendingValue = value;
    return bytes.length;
  }

  write(value: T, bytes: Uint8Array, _view: DataView, offset: number): void {
    const pending = this.pending;
    // Packing again here could give a different size than the ring reserved, so refuse instead.
    if (pending === null || !Object.is(value, this.pendingValue)) {
      throw new InvalidArgumentError('generic codec: write() must follow size() for the same value');
    }
    bytes.set(pending, offset);
    this.pending = null;
    this.pendingValue = undefined;
  }

  private reset(): void {
    this.packr = this.newPackr();
    this.pending = null;
    this.pendingValue = undefined;
  }
}

class GenericDecoder<T> implements RecordDecoder<T> {
  // The first error this decoder threw. A record that failed may have carried shape definitions (or installed
  // garbage ones before failing), so the shape table no longer matches the encoder's: later records could
  // decode to wrong values. The channel is broken from here on, and every later read says so.
  private failed: ShmError | null = null;
  // Each record is copied here (plain ArrayBuffer memory) and decoded from the copy; see read().
  private scratch = new Uint8Array(INITIAL_SCRATCH_BYTES);

  constructor(private readonly unpackr: Unpackr) {}

  read(bytes: Uint8Array, _view: DataView, offset: number, length: number): T {
    if (this.failed !== null) {
      throw withCause(new FrameCorruptError(
        `generic codec: an earlier record of this channel failed to decode (${this.failed.message}), so its record shapes are unknown`),
        this.failed);
    }
    if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length < 0) {
      return this.fail(new FrameCorruptError(`generic codec: impossible record range offset=${offset} length=${length}`));
    }
    // No value is empty (and msgpackr would read `end: 0` as "to the end of the buffer").
    if (length === 0) return this.fail(new FrameTruncatedError('generic codec: empty record'));
    if (offset + length > bytes.length) {
      return this.fail(new FrameTruncatedError(
        `generic codec: record [${offset}, ${offset + length}) runs past the ${bytes.length}-byte buffer`));
    }
    // Decode from a private copy rather than from the ring. The ring is a SharedArrayBuffer, which the native
    // string extractor refuses (it throws, msgpackr catches it and falls back to JS): measured 15-20 us per
    // record that way against 0.4-1.7 us from a copy. The copy also means msgpackr never reads ring bytes past
    // the record, never sees them change mid-decode, and caches its DataView on our array instead of the ring's.
    const source = this.scratchFor(length);
    source.set(bytes.subarray(offset, offset + length));
    try {
      // msgpackr checks after the read that it ended exactly at `end` ("Data read, but end of buffer not
      // reached" for trailing bytes, "Unexpected end of MessagePack data" when it ran past it).
      return this.unpackr.unpack(source, { start: 0, end: length }) as T;
    } catch (cause) {
      // msgpackr marks errors that more bytes could have fixed as `incomplete`.
      const incomplete = typeof cause === 'object' && cause !== null && (cause as { incomplete?: unknown }).incomplete === true;
      return this.fail(incomplete
        ? withCause(new FrameTruncatedError(`generic codec: record ends early: ${describe(cause)}`), cause)
        : new FrameCorruptError(`generic codec: record cannot be decoded: ${describe(cause)}`, { cause }));
    }
  }

  /** The scratch buffer when the record fits, grown up to a limit; past it a one-off buffer, not kept. */
  private scratchFor(length: number): Uint8Array {
    if (length <= this.scratch.length) return this.scratch;
    if (length > MAX_KEPT_SCRATCH_BYTES) return new Uint8Array(length);
    let size = this.scratch.length;
    while (size < length) size *= 2;
    this.scratch = new Uint8Array(size);
    return this.scratch;
  }

  private fail(error: ShmError): never {
    this.failed = error;
    throw error;
  }
}

/** Attaches a cause to an error whose constructor does not take one (FrameTruncatedError, SchemaMismatchError). */
function withCause<E extends Error>(error: E, cause: unknown): E {
  Object.defineProperty(error, 'cause', { value: cause, writable: true, configurable: true, enumerable: false });
  return error;
}

function describe(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}
