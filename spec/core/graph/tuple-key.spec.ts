// Tuple keys' canonical form: round-trips, equal keys ↔ equal forms (scalar and tuple alike, strings that look
// like an encoding included), a stable key group, and a clear error for what is not a key.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { canonicalKey, decodeKey, encodeTuple, KeyDecoder, KeyTypeError, MARK, type KeyPart, type UserKey } from '../../../core/graph/tuple-key.js';
import { hashKey, keyGroupFor } from '../../../core/graph/key-groups.js';
import { JobDefinitionError } from '../../../core/api/errors.js';

const M = String.fromCharCode(MARK);

/** Strings of any UTF-16 code units, and ones that start with the mark or spell an encoding (a user can produce them). */
const anyString = fc.oneof(
  fc.string({ unit: 'binary' }),
  fc.string({ unit: 'binary' }).map((s) => M + s),
  fc.constantFrom(M, `${M}S`, `${M}T`, `${M}Ts1:a`, `${M}Sx`, `${M}T${M}Ts1:a`),
);
const number = fc.oneof(fc.integer(), fc.double(), fc.constantFrom(0, -0, NaN, Infinity, -Infinity, 2 ** 53, 1e21));
const part: fc.Arbitrary<KeyPart> = fc.oneof(anyString, number, fc.bigInt(), fc.boolean());
const tuple = fc.array(part, { minLength: 1, maxLength: 5 });
/** Any key a selector may return; strings that equal some tuple's encoding too. */
const userKey: fc.Arbitrary<UserKey> = fc.oneof(part, tuple as unknown as fc.Arbitrary<UserKey>, tuple.map((t) => encodeTuple(t)));

/** Key equality as state sees it for scalar keys (a Map: SameValueZero), part by part for tuples. */
function sameKey(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => sameKey(x, b[i]));
  }
  return a === b || (a !== a && b !== b && typeof a === 'number' && typeof b === 'number');
}

test('round trip: a key decodes to itself (-0 as 0, as scalar keys), a tuple as a frozen array', () => {
  fc.assert(fc.property(userKey, (k) => {
    const back = decodeKey(canonicalKey(k));
    assert.ok(sameKey(back, k), `${String(k)} came back as ${String(back)}`);
    if (Array.isArray(k)) assert.ok(Array.isArray(back) && Object.isFrozen(back));
    else assert.equal(typeof back, typeof k);
  }), { numRuns: 2000 });
});

test('equal keys ↔ equal canonical forms, tuples against scalars and encoding-like strings too', () => {
  fc.assert(fc.property(userKey, userKey, (a, b) => {
    // Forms compared as state compares keys (a Map: SameValueZero), so NaN's form equals NaN's (a CI run drew NaN twice).
    const [x, y] = [canonicalKey(a), canonicalKey(b)];
    assert.equal(x === y || (x !== x && y !== y), sameKey(a, b), `${JSON.stringify(String(a))} vs ${JSON.stringify(String(b))}`);
  }), { numRuns: 5000 });
  // Pairs that differ only in how the parts would split or in the type of a part.
  const distinct: UserKey[] = [
    ['a|b'], ['a', 'b'], ['ab'], ['a', 'b', ''], ['', 'ab'],
    [1], ['1'], [1n], [true], ['true'], 1, '1', 1n, true, 'true',
    ['s1:a'], ['a'], encodeTuple(['a']), [encodeTuple(['a'])], [M], M, `${M}S${M}`, ['', ''], [''], '',
    [NaN], ['NaN'], 'NaN', [Infinity], ['Infinity'],
  ];
  const forms = distinct.map(canonicalKey);
  assert.equal(new Set(forms).size, distinct.length, 'two distinct keys share a canonical form');
  assert.equal(canonicalKey([-0, 'x']), canonicalKey([0, 'x']));
  assert.equal(canonicalKey([NaN]), canonicalKey([0 / 0]));
});

test('a string key that spells a tuple encoding stays that string', () => {
  fc.assert(fc.property(tuple, (t) => {
    const s = encodeTuple(t);
    assert.notEqual(canonicalKey(s), canonicalKey(t));
    assert.equal(decodeKey(canonicalKey(s)), s);
  }));
  // Strings without the mark are their own canonical form: scalar keys keep the form (and snapshots) they had.
  fc.assert(fc.property(fc.string({ unit: 'binary' }).filter((s) => s.charCodeAt(0) !== MARK), (s) => assert.equal(canonicalKey(s), s)));
  for (const k of [0, -1, 2 ** 40, 1.5, NaN, 7n, false]) assert.equal(canonicalKey(k), k);
});

test('the key group of a tuple is stable: pinned values, and equal tuples built apart hash equal', () => {
  // Pinned: a change here moves tuple keys to other key groups, and checkpoints taken before no longer restore.
  assert.equal(hashKey(canonicalKey(['user-1', 'eu'])), 0x04aa177f);
  assert.equal(hashKey(canonicalKey(['user-1', 42, 7n, true])), 0xd19ba877);
  assert.equal(keyGroupFor(canonicalKey(['a', 1]), 128), 7);
  fc.assert(fc.property(tuple, (t) => {
    const rebuilt = t.map((p) => (typeof p === 'string' ? [...p].join('') : p));
    assert.equal(hashKey(canonicalKey(rebuilt)), hashKey(canonicalKey(t)));
  }));
});

test('what is not a key: a KeyTypeError (a TypeError: bad input, for the error policy) saying which part and why', () => {
  const cases: [unknown, RegExp][] = [
    [[], /at least one part, got an empty array/],
    [['a', ['b']], /got an array at index 1 .*nested arrays and objects are not keys/],
    [['a', { b: 1 }], /got an object at index 1/],
    [[null], /got null at index 0/],
    [['a', undefined], /got undefined at index 1/],
    [null, /a key must be a string, number, bigint or boolean, or an array of them \(a tuple key\), got null/],
    [undefined, /got undefined/],
    [{ a: 1 }, /got an object/],
    [Symbol('s'), /got symbol/],
  ];
  for (const [k, message] of cases) {
    assert.throws(() => canonicalKey(k), (e: unknown) => e instanceof KeyTypeError && e instanceof TypeError && !(e instanceof JobDefinitionError) && message.test(e.message));
  }
});

test('the decoder hands back the same tuple for the same key', () => {
  const d = new KeyDecoder();
  const k = canonicalKey(['x', 1]);
  const first = d.decode(k);
  assert.deepEqual(first, ['x', 1]);
  assert.equal(d.decode(k), first);
  assert.equal(d.decode('plain'), 'plain');
  assert.deepEqual(d.decode(canonicalKey(['y'])), ['y']);
});
