// Runs on: the worker thread of a keyed operator (encode at a snapshot, decode at a restore). The bytes of one
// key group's chunk of an operator's keyed state.
//
//   chunk = msgpack [FORMAT, full(0|1), [[stateName, hasTtl(0|1), puts, dels], ...]], crc32 of it (u32 LE)
//   puts  = [key, value, (expiresAt if hasTtl), key, value, ...]     dels = [key, ...]
//
// The CRC-32 trailer is there because msgpack has no redundancy: a flipped byte inside a string or a number
// decodes to another valid value, and an entry count cannot notice a changed value.
//
// Each chunk is packed by a fresh msgpackr Packr, so it is self-contained (record shapes are defined inside it)
// and decodes alone, in any process. Values round-trip as the generic codec's do (plain objects, arrays, Map,
// Set, Date, bigint, typed arrays; class instances come back as plain objects).

import { Packr } from 'msgpackr';
import { crc32 } from '../../shm/checksum.js';
import type { Key } from '../graph/key-groups.js';
import type { StateEntry } from './state-table.js';

const FORMAT = 2;
const CRC_BYTES = 4;

function packr(): Packr {
  return new Packr({ useRecords: true, sequential: true, moreTypes: true });
}

export interface TableChanges {
  name: string;
  ttl: boolean;
  puts: StateEntry<unknown>[];
  dels: Key[];
}

export interface DecodedTable {
  name: string;
  ttl: boolean;
  /** key, value[, expiresAt] repeated. */
  puts: unknown[];
  dels: Key[];
}

export function encodeKeyGroup(full: boolean, tables: TableChanges[]): Uint8Array {
  const body = tables.map((t) => {
    const puts: unknown[] = [];
    for (const e of t.puts) {
      puts.push(e.key, e.value);
      if (t.ttl) puts.push(e.expiresAt);
    }
    return [t.name, t.ttl ? 1 : 0, puts, t.dels];
  });
  const packed = packr().pack([FORMAT, full ? 1 : 0, body]);
  const out = new Uint8Array(packed.length + CRC_BYTES);
  out.set(packed);
  new DataView(out.buffer).setUint32(packed.length, crc32(packed, 0, packed.length), true);
  return out;
}

export class KeyGroupFormatError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KeyGroupFormatError';
  }
}

export function decodeKeyGroup(bytes: Uint8Array): { full: boolean; tables: DecodedTable[] } {
  const end = bytes.length - CRC_BYTES;
  if (end < 0) throw new KeyGroupFormatError(`key group chunk is truncated (${bytes.length} bytes)`);
  if (crc32(bytes, 0, end) !== new DataView(bytes.buffer, bytes.byteOffset, bytes.length).getUint32(end, true)) {
    throw new KeyGroupFormatError('key group chunk does not match its checksum (truncated or corrupted)');
  }
  let v: unknown;
  try {
    v = packr().unpack(bytes.subarray(0, end));
  } catch (cause) {
    throw new KeyGroupFormatError(`key group chunk does not decode: ${(cause as Error).message}`, { cause });
  }
  if (!Array.isArray(v) || v[0] !== FORMAT || (v[1] !== 0 && v[1] !== 1) || !Array.isArray(v[2])) {
    throw new KeyGroupFormatError(`key group chunk has an unknown format (expected format ${FORMAT})`);
  }
  const tables: DecodedTable[] = [];
  for (const t of v[2] as unknown[]) {
    if (!Array.isArray(t) || typeof t[0] !== 'string' || !Array.isArray(t[2]) || !Array.isArray(t[3])) {
      throw new KeyGroupFormatError('key group chunk has a malformed state table');
    }
    const ttl = t[1] === 1;
    if (t[2].length % (ttl ? 3 : 2) !== 0) throw new KeyGroupFormatError(`state '${t[0]}': a truncated entry list`);
    tables.push({ name: t[0], ttl, puts: t[2], dels: t[3] as Key[] });
  }
  return { full: v[1] === 1, tables };
}
