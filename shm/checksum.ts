// Runs on: any thread. CRC-32 (IEEE 802.3, reflected, as zlib's), the one checksum of shm/.
//
// Why CRC-32 and not a cheaper hash: FNV-1a misses two flipped low bits in neighbouring bytes; CRC-32 detects
// every burst of up to 32 bits and, for the frame sizes here, every error of up to 3 bits (4 for short frames).
//
// Fast path: long inputs (checkpoint chunks of megabytes) go to zlib's native crc32 (Node >= 20.15), ~10x the
// table loop; short ones (ring frames) stay in JS, where a call into C++ would cost more than the loop.

import * as zlib from 'node:zlib';

/** The 256-entry table, computed once per thread; immutable after construction. */
const TABLE: Uint32Array = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb8_8320 & -(c & 1));
    t[n] = c >>> 0;
  }
  return t;
})();

/** From this many bytes on, the native crc32 is used (when there is one and the fast path is on). */
export const NATIVE_CRC_MIN_BYTES = 1024;

type NativeCrc = (data: Uint8Array, value?: number) => number;
const nativeCrc = (zlib as { crc32?: NativeCrc }).crc32;

/** CRC-32 of bytes[start, end). `native: false` turns the native fast path off (tests cover both ways). */
export function crc32(bytes: Uint8Array, start: number, end: number, native = true): number {
  if (native && nativeCrc !== undefined && end - start >= NATIVE_CRC_MIN_BYTES) return nativeCrc(bytes.subarray(start, end)) >>> 0;
  let crc = 0xffff_ffff;
  for (let i = start; i < end; i++) crc = TABLE[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffff_ffff) >>> 0;
}
