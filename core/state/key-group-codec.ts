// Runs on: the worker thread of a keyed operator (encode at a snapshot, decode at a restore). The bytes of one
// key group's chunk of an operator's keyed state.
//
//   chunk = msgpack [FORMAT, full(0|1), [[stateName, hasTtl(0|1), puts, dels], ...]]
//   puts  = [key, value, (expiresAt if hasTtl), key, value, ...]     dels = [key, ...]
//
// Each chunk is packed by a fresh msgpackr Packr, so it is self-contained (record shapes are defined inside it)
// and decodes alone, in any process. Values round-trip as the generic codec's do (plain objects, arrays, Map,
// Set, Date, bigint, typed arrays; class instances come back as plain objects).

import { Packr } from 'msgpackr';
import type { Key } from '../graph/key-groups.js';
import type { StateEntry } from './state-table.js';

const FORMAT = 1;

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
  return packr().pack([FORMAT, full ? 1 : 0, body]);
}

export class KeyGroupFormatError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KeyGroupFormatError';
  }
}

export function decodeKeyGroup(bytes: Uint8Array): { full: boolean; tables: DecodedTable[] } {
  let v: unknown;
  try {
    v = packr().unpack(bytes);
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
