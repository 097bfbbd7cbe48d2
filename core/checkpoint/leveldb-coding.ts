// Runs on: main thread (the LevelDB table check before a state directory is opened).
// Reading LevelDB's encodings (its util/coding): varints, length-prefixed slices, little-endian fixed32. Bytes
// that do not decode (a varint running past the end, a length beyond the bytes) throw LevelDbFormatError, which the
// check reports as damage of the file it read them from.

export class LevelDbFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LevelDbFormatError';
  }
}

/** A read position in bytes[at, end). */
export class LevelDbCursor {
  constructor(readonly bytes: Uint8Array, public at = 0, readonly end = bytes.length) {}

  get done(): boolean {
    return this.at >= this.end;
  }

  /** A varint of up to 64 bits, as a number: the values read here (offsets, sizes, file numbers) stay below 2^53. */
  varint(what: string): number {
    let value = 0;
    for (let shift = 0; shift < 64; shift += 7) {
      if (this.at >= this.end) throw new LevelDbFormatError(`${what}: a varint runs past the end`);
      const b = this.bytes[this.at++]!;
      value += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) {
        if (!Number.isSafeInteger(value)) throw new LevelDbFormatError(`${what}: a varint too large (${value})`);
        return value;
      }
    }
    throw new LevelDbFormatError(`${what}: a varint longer than 10 bytes`);
  }

  /** `n` bytes from here, not copied. */
  take(n: number, what: string): Uint8Array {
    if (n > this.end - this.at) throw new LevelDbFormatError(`${what}: ${n} bytes asked for, ${this.end - this.at} left`);
    const out = this.bytes.subarray(this.at, this.at + n);
    this.at += n;
    return out;
  }

  /** A varint length, then that many bytes. */
  lengthPrefixed(what: string): Uint8Array {
    return this.take(this.varint(what), what);
  }
}

export function fixed32(bytes: Uint8Array, at: number): number {
  return (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24)) >>> 0;
}
