// Runs on: main thread (the LevelDB table check before a state directory is opened); pure, any thread could.
// CRC-32C (Castagnoli, reflected), the checksum LevelDB keeps in its tables and logs, and LevelDB's mask of it.
//
// Node has no native CRC-32C (zlib's crc32 is the IEEE polynomial), so it is computed here. Fast path: eight
// bytes a step through eight tables (slicing-by-8) instead of one byte a step; `sliced: false` turns it off.

const POLY = 0x82f6_3b78;

/** Table k maps a byte to its CRC shifted through k more zero bytes; table 0 is the plain byte table. */
const TABLES: Uint32Array = (() => {
  const t = new Uint32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (POLY & -(c & 1));
    t[n] = c >>> 0;
  }
  for (let k = 1; k < 8; k++) {
    for (let n = 0; n < 256; n++) {
      const prev = t[(k - 1) * 256 + n]!;
      t[k * 256 + n] = (prev >>> 8) ^ t[prev & 0xff]!;
    }
  }
  return t;
})();

/**
 * CRC-32C of bytes[start, end), continuing `prev` (the CRC of the bytes before them; 0 to start), so a long range
 * can be checked a piece at a time. `sliced: false` runs the byte-at-a-time loop (tests compare the two).
 */
export function crc32c(bytes: Uint8Array, start: number, end: number, prev = 0, sliced = true): number {
  const t = TABLES;
  let crc = ~prev;
  let i = start;
  if (sliced) {
    for (; i + 8 <= end; i += 8) {
      const lo = crc ^ (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24));
      const hi = bytes[i + 4]! | (bytes[i + 5]! << 8) | (bytes[i + 6]! << 16) | (bytes[i + 7]! << 24);
      crc = t[1792 + (lo & 0xff)]! ^ t[1536 + ((lo >>> 8) & 0xff)]! ^ t[1280 + ((lo >>> 16) & 0xff)]! ^ t[1024 + (lo >>> 24)]!
        ^ t[768 + (hi & 0xff)]! ^ t[512 + ((hi >>> 8) & 0xff)]! ^ t[256 + ((hi >>> 16) & 0xff)]! ^ t[hi >>> 24]!;
    }
  }
  for (; i < end; i++) crc = t[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8);
  return ~crc >>> 0;
}

/**
 * LevelDB stores a CRC masked (rotated right by 15 bits, plus a constant): a CRC of data that holds CRCs of its
 * own would otherwise be weak.
 */
export function maskCrc32c(crc: number): number {
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282_ead8) >>> 0;
}
