// Runs on: main thread (the LevelDB table check before a state directory is opened).
// Snappy's raw format, decoded. Stores written before sluice turned LevelDB's compression off (2026-12-03) may hold
// Snappy-compressed index blocks, and the check must read an index block to find the data blocks it lists.

import { LevelDbFormatError, LevelDbCursor } from './leveldb-coding.js';

/** The bytes `compressed` holds; throws LevelDbFormatError when it is not valid Snappy. */
export function snappyDecode(compressed: Uint8Array): Uint8Array {
  const c = new LevelDbCursor(compressed);
  const length = c.varint('snappy length');
  if (length > compressed.length * 64) throw new LevelDbFormatError(`snappy: ${length} bytes from ${compressed.length}`);
  const out = new Uint8Array(length);
  let o = 0;
  while (!c.done) {
    const tag = c.bytes[c.at++]!;
    let len: number;
    let offset: number;
    switch (tag & 3) {
      case 0: {
        len = tag >>> 2;
        if (len >= 60) {
          const n = len - 59;
          const b = c.take(n, 'snappy literal length');
          len = 0;
          for (let i = n - 1; i >= 0; i--) len = len * 256 + b[i]!;
        }
        len += 1;
        if (len > length - o) throw new LevelDbFormatError('snappy: a literal past the declared length');
        out.set(c.take(len, 'snappy literal'), o);
        o += len;
        continue;
      }
      case 1:
        len = 4 + ((tag >>> 2) & 7);
        offset = ((tag >>> 5) << 8) | c.take(1, 'snappy copy')[0]!;
        break;
      case 2: {
        len = 1 + (tag >>> 2);
        const b = c.take(2, 'snappy copy');
        offset = b[0]! | (b[1]! << 8);
        break;
      }
      default: {
        len = 1 + (tag >>> 2);
        const b = c.take(4, 'snappy copy');
        offset = (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0;
      }
    }
    if (offset === 0 || offset > o) throw new LevelDbFormatError(`snappy: a copy from ${offset} bytes back at ${o}`);
    if (len > length - o) throw new LevelDbFormatError('snappy: a copy past the declared length');
    // Byte by byte: a copy may overlap what it writes (a run).
    for (let i = 0; i < len; i++, o++) out[o] = out[o - offset]!;
  }
  if (o !== length) throw new LevelDbFormatError(`snappy: ${o} bytes decoded, ${length} declared`);
  return out;
}
