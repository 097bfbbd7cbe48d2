// Key-group chunks: every value the generic codec carries round-trips; a chunk that is truncated, corrupted or
// of another format is a KeyGroupFormatError, never a wrong value.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Packr } from 'msgpackr';
import { crc32 } from '../../../shm/checksum.js';
import { decodeKeyGroup, encodeKeyGroup, KeyGroupFormatError, type TableChanges } from '../../../core/state/key-group-codec.js';
import type { StateEntry } from '../../../core/state/state-table.js';
import { KeyedStateBackend } from '../../../core/state/keyed-state-backend.js';
import { keyGroupFor, type Key } from '../../../core/graph/key-groups.js';
import { keyArb, ManualClocks, valueArb } from './fixtures.js';

const entry = (key: Key, value: unknown, expiresAt = Infinity): StateEntry<unknown> => ({ key, kg: 0, value, mark: 0, expiresAt });

const tablesArb: fc.Arbitrary<TableChanges[]> = fc.uniqueArray(fc.record({
  name: fc.string({ maxLength: 8 }),
  ttl: fc.boolean(),
  puts: fc.array(fc.tuple(keyArb, valueArb, fc.integer({ min: -1e12, max: 1e12 })).map(([k, v, at]) => entry(k, v, at)), { maxLength: 6 }),
  dels: fc.array(keyArb, { maxLength: 4 }),
}), { selector: (t) => t.name, maxLength: 4 });

/** What decode should give back for `tables`. */
function expected(tables: TableChanges[]): unknown {
  return tables.map((t) => ({
    name: t.name,
    ttl: t.ttl,
    puts: t.puts.flatMap((e) => (t.ttl ? [normKey(e.key), e.value, e.expiresAt] : [normKey(e.key), e.value])),
    dels: t.dels.map(normKey),
  }));
}
// msgpack has no -0.
const normKey = (k: Key): Key => (Object.is(k, -0) ? 0 : k);

/** A chunk with the right checksum around arbitrary msgpack content. */
function sealed(content: unknown): Uint8Array {
  const packed = new Packr({ useRecords: true, sequential: true, moreTypes: true }).pack(content);
  const out = new Uint8Array(packed.length + 4);
  out.set(packed);
  new DataView(out.buffer).setUint32(packed.length, crc32(packed, 0, packed.length), true);
  return out;
}

describe('key-group codec', () => {
  test('property: tables of puts (with and without expiry) and tombstones round-trip', () => {
    fc.assert(fc.property(fc.boolean(), tablesArb, (full, tables) => {
      const d = decodeKeyGroup(encodeKeyGroup(full, tables));
      assert.equal(d.full, full);
      assert.deepEqual(d.tables, expected(tables));
    }), { numRuns: 300 });
  });

  test('property: every truncation or corruption throws KeyGroupFormatError, or decodes to the original', () => {
    fc.assert(fc.property(fc.boolean(), tablesArb, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }), fc.nat(), (full, tables, flips, cut) => {
      const good = encodeKeyGroup(full, tables);
      const bad = Uint8Array.from(good);
      for (const [pos, x] of flips) bad[pos % bad.length]! ^= x;
      for (const candidate of [bad, good.subarray(0, cut % good.length)]) {
        try {
          const d = decodeKeyGroup(candidate);
          assert.deepEqual(d, { full, tables: expected(tables) }, 'decoded a wrong value');
        } catch (e) {
          assert.ok(e instanceof KeyGroupFormatError, `untyped error: ${String(e)}`);
        }
      }
    }), { numRuns: 1000 });
  });

  test('a chunk of another format, or with a malformed table, is KeyGroupFormatError naming what is wrong', () => {
    assert.throws(() => decodeKeyGroup(new Uint8Array(0)), /truncated/);
    assert.throws(() => decodeKeyGroup(sealed({ not: 'a chunk' })), /unknown format/);
    assert.throws(() => decodeKeyGroup(sealed([1, 1, []])), /unknown format \(expected format 2\)/);
    assert.throws(() => decodeKeyGroup(sealed([2, 3, []])), /unknown format/);
    assert.throws(() => decodeKeyGroup(sealed([2, 1, [['s', 0, 'x', []]]])), /malformed state table/);
    assert.throws(() => decodeKeyGroup(sealed([2, 1, [[7, 0, [], []]]])), /malformed state table/);
    assert.throws(() => decodeKeyGroup(sealed([2, 1, [['s', 1, ['k', 1], []]]])), /state 's': a truncated entry list/);
    assert.throws(() => decodeKeyGroup(sealed([2, 1, [['s', 0, ['k'], []]]])), KeyGroupFormatError);
    assert.deepEqual(decodeKeyGroup(sealed([2, 0, []])), { full: false, tables: [] });
  });

  test('a chunk whose keys are not keys, or belong to another key group, is refused on restore', () => {
    const restore = (puts: unknown[], dels: unknown[], kg: number): void =>
      new KeyedStateBackend('op', 8, true, new ManualClocks()).restore([{ keyGroup: kg, full: true, entries: puts.length / 2, changed: 0, bytes: sealed([2, 1, [['v', 0, puts, dels]]]) }]);
    const kgA = keyGroupFor('a', 8);
    restore(['a', 1], [], kgA);
    assert.throws(() => restore([{ o: 1 }, 1], [], kgA), /holds a value of type object where a key belongs/);
    assert.throws(() => restore([null, 1], [], kgA), /holds null where a key belongs/);
    assert.throws(() => restore(['a', 1], [], (kgA + 1) % 8), KeyGroupFormatError);
    // Only tombstones, for keys of another group: no count can notice, the key's group can.
    let other = 0;
    while (keyGroupFor(`x${other}`, 8) === kgA) other++;
    assert.throws(() => restore([], [`x${other}`], kgA), /holds key x\d+ of another key group/);
  });
});
