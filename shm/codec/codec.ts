// Runs on: any thread. The contract every record codec keeps.
//
// A codec is used in pairs: one encoder on the producing thread, one decoder on the consuming thread,
// both created by `codec.encoder()` / `codec.decoder()` for one channel. Encoders and decoders may keep state
// that relies on seeing every record of that channel in order (msgpackr's in-band structures do).

/** Writes records into a byte region of the ring. */
export interface RecordEncoder<in T> {
  /**
   * Prepares `value` and returns its exact encoded size in bytes. The next `write` writes exactly that many
   * bytes for the same value. Throws SchemaMismatchError for a value the codec cannot encode.
   */
  size(value: T): number;
  /** Writes the value last passed to `size` at `offset`; `bytes` and `view` cover the same memory. */
  write(value: T, bytes: Uint8Array, view: DataView, offset: number): void;
  /**
   * Optional bounded path, for encoders that can write faster than they can measure: checks `value` like `size`
   * and returns an upper bound of its encoded size, cheaply. The next `writeBounded` for the same value writes
   * at most that many bytes and returns how many it wrote. A channel reserves the bound and gives the rest back.
   */
  bound?(value: T): number;
  writeBounded?(value: T, bytes: Uint8Array, view: DataView, offset: number): number;
}

/** Reads records from a byte region of the ring. */
export interface RecordDecoder<T> {
  /**
   * Reads the record stored in [offset, offset + length). Throws FrameTruncatedError when the bytes end
   * before the record does and FrameCorruptError when they cannot be a record; never returns a wrong value
   * for bytes it can detect as wrong.
   */
  read(bytes: Uint8Array, view: DataView, offset: number, length: number): T;
}

export interface RecordCodec<T> {
  /** 'typed' for a declared schema, 'generic' for msgpackr. */
  readonly kind: 'typed' | 'generic';
  /** Stable text that identifies the wire format (schema fields and types), for plan fingerprints. */
  readonly fingerprint: string;
  encoder(): RecordEncoder<T>;
  decoder(): RecordDecoder<T>;
}
