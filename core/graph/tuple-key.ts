// Runs on: any thread (canonicalKey runs wherever a key is computed from a record: the producing subtask's output
// gate, the keyed operators, a combineLocally, a rescale's re-routing; decoding where user code is handed its key).
// Tuple keys (`keyBy((e) => [e.user, e.region])`), as Flink's tuple keys: canonicalized once, where the key is
// computed, into one string, so state tables, snapshots, timers, key groups and rescale see a plain key and work
// unchanged; the tuple comes back (frozen) wherever user code gets its key.
//
// Why at each call site and not in a wrapper of the selector: a wrapper cost the keyed operator micro-benchmarks
// 1-4% (benchmarks/RESULTS.md; likely because its call of the selector is one call site shared by every keyBy,
// megamorphic, so no selector is inlined); inline, canonicalKey is a typeof and a charCodeAt next to the call the
// site made anyway. LogicalEdge.key returns
// UserKey, so a place that hashes or keys state by it without canonicalKey does not compile.
//
// Canonical form of a key, as state and hashing see it:
//   a string not starting with MARK      itself (the common case: one charCodeAt more than before)
//   a string starting with MARK          MARK 'S' string                 (escaped: it can never look like a tuple)
//   a number, bigint or boolean          itself
//   a tuple [p0, p1, ...] (>= 1 part)    MARK 'T' part0 part1 ...
//     part: 's' <length> ':' chars | 'n' <length> ':' String(n) | 'b' <length> ':' digits | 't' | 'f'
// Every canonical string that starts with MARK comes from a tuple or an escaped string, and their second chars
// differ; every other one is a user string as it was: no user key, scalar or tuple, shares another's form.
// Numbers as scalar keys behave as in a Map: -0 is 0 (String(-0) is '0') and NaN equals NaN ('NaN'); a number part
// and a bigint or string part of the same digits differ (their tags), as 1, 1n and '1' do as scalar keys.
// MARK is U+FDD0, a Unicode noncharacter ("for internal use"): real text hardly starts with it, so escaping is
// rare. Hashing stays hashKey's (FNV-1a over the canonical string), the same tuple to the same key group in every
// process and after every restore.

import type { Key } from './key-groups.js';

/** One part of a tuple key: what a scalar key may be. */
export type KeyPart = string | number | bigint | boolean;
/** A tuple (composite) key: one part or more, compared part by part by value. */
export type TupleKey = readonly [KeyPart, ...KeyPart[]];
/** What a key selector may return: a scalar key or a tuple of them. */
export type UserKey = Key | TupleKey;

export const MARK = 0xfdd0;
const MARK_S = String.fromCharCode(MARK);

/**
 * A key a selector returned that is not a key (the message says which part and why). Bad input, not a bad job: a
 * TypeError, so the error policy of the operator that emitted the record decides (a JobDefinitionError fails the
 * job under any policy, and a combineLocally computes the key in the operator itself).
 */
export class KeyTypeError extends TypeError {
  constructor(message: string) {
    super(message);
    this.name = 'KeyTypeError';
  }
}

/** What a value that is not a key is, for messages: 'null', 'an array', 'an object', or its type. */
export function describeNonKey(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : typeof v;
}

/** The canonical form of what a key selector returned; throws KeyTypeError for anything that is not a key. */
export function canonicalKey(k: unknown): Key {
  switch (typeof k) {
    case 'number': case 'bigint': case 'boolean':
      return k;
    case 'string':
      return k.charCodeAt(0) === MARK ? `${MARK_S}S${k}` : k;
    case 'object':
      if (Array.isArray(k)) return encodeTuple(k);
  }
  throw new KeyTypeError(`a key must be a string, number, bigint or boolean, or an array of them (a tuple key), got ${describeNonKey(k)}`);
}

/** MARK 'T' and the parts, each tagged and length-prefixed. */
export function encodeTuple(parts: readonly unknown[]): string {
  if (parts.length === 0) throw new KeyTypeError('a tuple key must have at least one part, got an empty array');
  let s = `${MARK_S}T`;
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i];
    switch (typeof p) {
      case 'string': s += `s${p.length}:${p}`; break;
      case 'number': { const n = String(p); s += `n${n.length}:${n}`; break; }
      case 'bigint': { const n = p.toString(); s += `b${n.length}:${n}`; break; }
      case 'boolean': s += p ? 't' : 'f'; break;
      default:
        throw new KeyTypeError(`a tuple key's parts must be strings, numbers, bigints or booleans, got ${describeNonKey(p)} at index ${i} (nested arrays and objects are not keys: flatten them into the tuple)`);
    }
  }
  return s;
}

/** Whether a canonical key is a tuple's or an escaped string's (decodeKey changes it). */
export function isEncoded(k: Key): k is string {
  return typeof k === 'string' && k.charCodeAt(0) === MARK;
}

/**
 * The key as the selector returned it (a tuple frozen), from its canonical form. For the keys user code is
 * handed: ctx.key, a window function's key, applyToKeyedState's.
 */
export function decodeKey(k: Key): UserKey {
  return isEncoded(k) ? decodeEncoded(k) : k;
}

function decodeEncoded(k: string): UserKey {
  if (k.charCodeAt(1) === 0x53 /* S */) return k.slice(2);
  const parts: KeyPart[] = [];
  let i = 2;
  while (i < k.length) {
    const tag = k[i++];
    if (tag === 't' || tag === 'f') { parts.push(tag === 't'); continue; }
    const colon = k.indexOf(':', i);
    const n = Number(k.slice(i, colon));
    const body = k.slice(colon + 1, colon + 1 + n);
    i = colon + 1 + n;
    parts.push(tag === 's' ? body : tag === 'n' ? Number(body) : BigInt(body));
  }
  return Object.freeze(parts) as unknown as TupleKey;
}

/** Decodes the last key asked for once: ctx.key read per record of one key decodes once, and is the same tuple. */
export class KeyDecoder {
  private last: Key = '';
  private decoded: UserKey = '';

  decode(k: Key): UserKey {
    if (!isEncoded(k)) return k;
    if (k !== this.last) {
      this.decoded = decodeEncoded(k);
      this.last = k;
    }
    return this.decoded;
  }
}
