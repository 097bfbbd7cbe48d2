// Key-group chunks, in both formats (3: typed columns, the default; 2: msgpack rows, the switch off): every value
// the generic codec carries round-trips; columns decode to exactly what rows decode to; a chunk that is truncated,
// corrupted or of another format is a KeyGroupFormatError, never a wrong value.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Packr } from 'msgpackr';
import { crc32 } from '../../../shm/checksum.js';
import { ChunkEncoder, decodeKeyGroup, encodeKeyGroup, KeyGroupFormatError, chunkSeal, type TableChanges } from '../../../core/state/key-group-codec.js';
import type { StateEntry } from '../../../core/state/state-table.js';
import { KeyedStateBackend } from '../../../core/state/keyed-state-backend.js';
import { keyGroupFor, type Key } from '../../../core/graph/key-groups.js';
import { keyArb, ManualClocks, valueArb } from './fixtures.js';

const entry = (key: Key, value: unknown, expiresAt = Infinity): StateEntry<unknown> => ({ key, kg: 0, value, mark: 0, expiresAt, posAt: expiresAt, base: -1 });

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

/** Values shaped like keyed state usually is (numbers, records of one shape), and values that break the shape. */
class Point { constructor(readonly x: number, readonly y: number) {} }
const int32Edge = fc.constantFrom(2 ** 31 - 1, -(2 ** 31), 2 ** 31, -(2 ** 31) - 1, 0, 1, -1);
const columnNum = fc.oneof(fc.integer(), int32Edge, fc.double(), fc.constantFrom(NaN, Infinity, -Infinity, -0));
const columnValueArb: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: columnNum, weight: 4 },
  { arbitrary: fc.record({ key: columnNum, sum: columnNum }), weight: 6 },
  { arbitrary: fc.record({ key: fc.string({ maxLength: 3 }), sum: columnNum }), weight: 2 },
  { arbitrary: fc.record({ sum: columnNum, key: columnNum }), weight: 1 },
  { arbitrary: fc.record({ key: columnNum, sum: columnNum, extra: columnNum }), weight: 1 },
  { arbitrary: fc.record({ key: columnNum }), weight: 1 },
  { arbitrary: fc.record({ key: columnNum, sum: fc.constant(undefined) }), weight: 1 },
  fc.constant({}),
  fc.constant({ '': 1 }),
  fc.constant({ 1: 2, a: 3 }),
  columnNum.map((x) => new Point(x, 1)),
  columnNum.map((x) => Object.assign(Object.create(null) as object, { key: x, sum: 1 })),
  fc.constant([1, 2]),
  fc.constant(new Map([[1, 2]])),
  fc.constant(null),
  fc.string({ maxLength: 3 }),
);
/** Mostly one shape per table (the usual case), sometimes a mix. */
const columnTablesArb: fc.Arbitrary<TableChanges[]> = fc.uniqueArray(fc.record({
  name: fc.string({ maxLength: 8 }),
  ttl: fc.boolean(),
  puts: fc.oneof(
    fc.tuple(columnValueArb, fc.integer({ min: 0, max: 30 })).map(([v, n]) => Array.from({ length: n }, (_, i) => entry(i, structuredCloneish(v), i * 1.5))),
    fc.array(fc.tuple(keyArb, columnValueArb, fc.integer({ min: -1e12, max: 1e12 })).map(([k, v, at]) => entry(k, v, at)), { maxLength: 8 }),
  ),
  dels: fc.array(keyArb, { maxLength: 4 }),
}), { selector: (t) => t.name, maxLength: 3 });

/** A copy of v of the same kind (each entry holds its own object, as state does). */
function structuredCloneish(v: unknown): unknown {
  if (v instanceof Point) return new Point(v.x, v.y);
  if (typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Map)) return Object.assign(Object.getPrototypeOf(v) === null ? Object.create(null) as object : {}, v);
  return v;
}

describe('key-group codec', () => {
  test('property: tables of puts (with and without expiry) and tombstones round-trip, in both formats', () => {
    fc.assert(fc.property(fc.boolean(), fc.boolean(), tablesArb, (full, columns, tables) => {
      const d = decodeKeyGroup(encodeKeyGroup(full, tables, columns));
      assert.equal(d.full, full);
      assert.deepEqual(d.tables, expected(tables));
    }), { numRuns: 300 });
  });

  test('property: columns decode to exactly what rows decode to, through one encoder over many chunks', () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.boolean(), columnTablesArb), { minLength: 1, maxLength: 6 }), (chunks) => {
      const columns = new ChunkEncoder(true);
      const rows = new ChunkEncoder(false);
      for (const [full, tables] of chunks) {
        assert.deepEqual(decodeKeyGroup(columns.encode(full, tables)), decodeKeyGroup(rows.encode(full, tables)));
      }
    }), { numRuns: 400 });
  });

  // Regression: columns kept -0, rows (msgpack) write it as 0, so a restored value depended on the
  // checkpoint's format. Now both write 0 (as exchanges do); the property test above covers -0 in both formats.
  test('columns hold numbers as Int32Array or Float64Array, keep NaN and the int32 edges exact, and write -0 as 0 as rows do', () => {
    const values = [0, -0, 1.5, NaN, Infinity, -Infinity, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, Number.MAX_SAFE_INTEGER, 5e-324];
    const asRows = values.map((v) => (v === 0 ? 0 : v));
    const tables: TableChanges[] = [
      { name: 'f64', ttl: true, puts: values.map((v, i) => entry(i, v, i === 0 ? Infinity : i)), dels: [] },
      { name: 'i32', ttl: false, puts: [1, -2, 2 ** 31 - 1].map((v, i) => entry(-i, { n: v, m: -v || 0 })), dels: ['gone'] },
    ];
    const d = decodeKeyGroup(encodeKeyGroup(true, tables));
    assert.deepEqual(d.tables[0]!.puts.filter((_, i) => i % 3 === 1), asRows);
    assert.ok(Object.is(d.tables[0]!.puts[4], 0));
    assert.deepEqual(decodeKeyGroup(encodeKeyGroup(true, tables, false)).tables[0]!.puts.filter((_, i) => i % 3 === 1), asRows, 'rows: the same');
    assert.deepEqual(d.tables[0]!.puts.filter((_, i) => i % 3 === 2), values.map((_, i) => (i === 0 ? Infinity : i)));
    assert.deepEqual(d.tables[1], { name: 'i32', ttl: false, puts: [0, { n: 1, m: -1 }, -1, { n: -2, m: 2 }, -2, { n: 2 ** 31 - 1, m: -(2 ** 31 - 1) }], dels: ['gone'] });
    // The raw layout: typed columns, narrowed to Int32Array where every item is an int32, and to Int8Array or
    // Int16Array where every item fits (format 4).
    const raw = new Packr({ useRecords: true, sequential: true, moreTypes: true }).unpack(encodeKeyGroup(true, tables).subarray(0, -4)) as unknown[][];
    assert.equal(raw[0], 4);
    const [f64, i32] = raw[2] as unknown[][];
    assert.ok(f64![3] instanceof Int8Array, 'keys 0..10');
    assert.ok((f64![4] as unknown[])[1] instanceof Float64Array);
    assert.ok(((i32![4] as unknown[])[2] as unknown[]).every((c) => c instanceof Int32Array));
  });

  test('format 4: a value column that repeats the keys is written as 0, small numbers as Int8Array or Int16Array', () => {
    // A reduce's state carries its key: (k, { key: k, sum }), as StateTable entries and as a TypedStateTable's columns.
    const n = 300;
    const keys = Int32Array.from({ length: n }, (_, i) => 100_000 + i * 7);
    const sums = Int32Array.from({ length: n }, (_, i) => (i * 131) % 30_000);
    const asEntries: TableChanges = { name: 's', ttl: false, puts: [...keys].map((k, i) => entry(k, { key: k, sum: sums[i]! })), dels: [] };
    const asColumns: TableChanges = { name: 's', ttl: false, puts: [], dels: [], columns: { keys, fields: ['key', 'sum'], cols: [keys, sums], value: (i) => ({ key: keys[i], sum: sums[i] }) } };
    for (const t of [asEntries, asColumns]) {
      const bytes = encodeKeyGroup(true, [t]);
      const raw = new Packr({ useRecords: true, sequential: true, moreTypes: true }).unpack(bytes.subarray(0, -4)) as unknown[][];
      const table = (raw[2] as unknown[][])[0]!;
      assert.ok(table[3] instanceof Int32Array, 'keys above 2^16 stay int32');
      const [, fields, cols] = table[4] as [number, string[], unknown[]];
      assert.deepEqual(fields, ['key', 'sum']);
      assert.equal(cols[0], 0, 'the key field: the keys again');
      assert.ok(cols[1] instanceof Int16Array, 'sums below 2^15');
      assert.ok(bytes.length < n * 7, `${bytes.length} bytes for ${n} entries`);
      const puts = decodeKeyGroup(bytes).tables[0]!.puts;
      assert.deepEqual(puts, [...keys].flatMap((k, i) => [k, { key: k, sum: sums[i] }]));
    }
    // The edges of each width round-trip, in the column each needs.
    const edges = [[-128, 127], [-129, 127], [-128, 128], [-32768, 32767], [-32769, 0], [0, 32768], [-(2 ** 31), 2 ** 31 - 1]];
    const widths = [Int8Array, Int16Array, Int16Array, Int16Array, Int32Array, Int32Array, Int32Array];
    edges.forEach((vals, e) => {
      const ks = Int32Array.from(vals);
      const bytes = encodeKeyGroup(true, [{ name: 's', ttl: false, puts: [], dels: [], columns: { keys: ks, fields: ['v'], cols: [Int32Array.from(vals).reverse()], value: (i) => ({ v: vals[1 - i] }) } }]);
      const raw = new Packr({ useRecords: true, sequential: true, moreTypes: true }).unpack(bytes.subarray(0, -4)) as unknown[][];
      const table = (raw[2] as unknown[][])[0]!;
      assert.ok(table[3] instanceof widths[e]!, `keys ${vals.join(', ')}: ${(table[3] as object).constructor.name}`);
      assert.ok(((table[4] as unknown[])[2] as unknown[])[0] instanceof widths[e]!, `values ${vals.join(', ')}`);
      assert.deepEqual(decodeKeyGroup(bytes).tables[0]!.puts, [vals[0], { v: vals[1] }, vals[1], { v: vals[0] }]);
    });
    // A column equal to the keys but for one item is not the keys.
    const almost = Int32Array.from(keys);
    almost[n - 1] = 5;
    const d = decodeKeyGroup(encodeKeyGroup(true, [{ name: 's', ttl: false, puts: [], dels: [], columns: { keys, fields: ['key'], cols: [almost], value: (i) => ({ key: almost[i] }) } }]));
    assert.deepEqual(d.tables[0]!.puts.at(-1), { key: 5 });
  });

  test('regression: one encoder met the shapes {} and {"": x}; its generated readers were cached under one name', () => {
    const enc = new ChunkEncoder(true);
    const empty = decodeKeyGroup(enc.encode(true, [{ name: 's', ttl: false, puts: [entry('a', {})], dels: [] }]));
    const blank = decodeKeyGroup(enc.encode(true, [{ name: 's', ttl: false, puts: [entry('a', { '': 7 })], dels: [] }]));
    assert.deepEqual(empty.tables[0]!.puts, ['a', {}]);
    assert.deepEqual(blank.tables[0]!.puts, ['a', { '': 7 }]);
  });

  test('property: every truncation or corruption throws KeyGroupFormatError, or decodes to the original (both formats)', () => {
    fc.assert(fc.property(fc.boolean(), fc.boolean(), fc.oneof(tablesArb, columnTablesArb), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }), fc.nat(), (full, columns, tables, flips, cut) => {
      const good = encodeKeyGroup(full, tables, columns);
      const original = decodeKeyGroup(good);
      const bad = Uint8Array.from(good);
      for (const [pos, x] of flips) bad[pos % bad.length]! ^= x;
      for (const candidate of [bad, good.subarray(0, cut % good.length)]) {
        try {
          const d = decodeKeyGroup(candidate);
          assert.deepEqual(d, original, 'decoded a wrong value');
        } catch (e) {
          assert.ok(e instanceof KeyGroupFormatError, `untyped error: ${String(e)}`);
        }
      }
    }), { numRuns: 1000 });
  });

  test('a chunk of another format, or with a malformed table, is KeyGroupFormatError naming what is wrong', () => {
    assert.throws(() => decodeKeyGroup(new Uint8Array(0)), /truncated/);
    assert.throws(() => decodeKeyGroup(sealed({ not: 'a chunk' })), /unknown format/);
    assert.throws(() => decodeKeyGroup(sealed([1, 1, []])), /unknown format \(expected format 2, 3, 4 or 5\)/);
    assert.throws(() => decodeKeyGroup(sealed([6, 1, []])), /unknown format/);
    assert.throws(() => decodeKeyGroup(sealed([5, 1, []])), /format 5 is malformed/);
    assert.throws(() => decodeKeyGroup(sealed([2, 3, []])), /unknown format/);
    assert.throws(() => decodeKeyGroup(sealed([2, 1, [['s', 0, 'x', []]]])), /malformed state table/);
    assert.throws(() => decodeKeyGroup(sealed([2, 1, [[7, 0, [], []]]])), /malformed state table/);
    assert.throws(() => decodeKeyGroup(sealed([2, 1, [['s', 1, ['k', 1], []]]])), /state 's': a truncated entry list/);
    assert.throws(() => decodeKeyGroup(sealed([2, 1, [['s', 0, ['k'], []]]])), KeyGroupFormatError);
    assert.deepEqual(decodeKeyGroup(sealed([2, 0, []])), { full: false, tables: [] });
    // Format 3: [name, ttl, n, keys, values, expiresAt, dels].
    const col = (t: unknown[]): Uint8Array => sealed([3, 1, [t]]);
    assert.deepEqual(decodeKeyGroup(col(['s', 0, 2, ['a', 'b'], [0, new Int32Array([1, 2])], null, []])).tables[0]!.puts, ['a', 1, 'b', 2]);
    assert.throws(() => decodeKeyGroup(col(['s', 0, 2, ['a'], [0, [1, 2]], null, []])), /state 's': a malformed key column \(expected 2 entries\)/);
    assert.throws(() => decodeKeyGroup(col(['s', 0, 2, ['a', 'b'], [0, [1]], null, []])), /state 's': a malformed value column/);
    assert.throws(() => decodeKeyGroup(col(['s', 0, 1, ['a'], [1, ['x', 'x'], [[1], [2]]], null, []])), /malformed value column/);
    assert.throws(() => decodeKeyGroup(col(['s', 0, 1, ['a'], [1, ['__proto__'], [[1]]], null, []])), /malformed value column/);
    assert.throws(() => decodeKeyGroup(col(['s', 0, 1, ['a'], [1, ['x'], [[1], [2]]], null, []])), /malformed value column/);
    assert.throws(() => decodeKeyGroup(col(['s', 1, 1, ['a'], [0, [1]], null, []])), /malformed expiry column/);
    assert.throws(() => decodeKeyGroup(col(['s', 1, 1, ['a'], [0, [1]], ['soon'], []])), /malformed expiry column/);
    assert.throws(() => decodeKeyGroup(col(['s', 0, 1, ['a'], [0, [1]], 5, []])), /malformed expiry column/);
    assert.throws(() => decodeKeyGroup(col(['s', 0, -1, [], [0, []], null, []])), /malformed state table/);
    assert.throws(() => decodeKeyGroup(col(['s', 0, 0, [], [0, []], null])), /malformed state table/);
    // Format 4's compact columns: not in format 3.
    const col4 = (t: unknown[]): Uint8Array => sealed([4, 1, [t]]);
    assert.deepEqual(decodeKeyGroup(col4(['s', 0, 2, new Int16Array([300, 301]), [1, ['k', 'v'], [0, new Int8Array([1, 2])]], null, []])).tables[0]!.puts, [300, { k: 300, v: 1 }, 301, { k: 301, v: 2 }]);
    assert.throws(() => decodeKeyGroup(col(['s', 0, 2, new Int16Array([300, 301]), [0, [1, 2]], null, []])), /malformed key column/);
    assert.throws(() => decodeKeyGroup(col(['s', 0, 2, ['a', 'b'], [1, ['k'], [0]], null, []])), /malformed value column/);
    assert.throws(() => decodeKeyGroup(col4(['s', 0, 2, ['a', 'b'], [1, ['k'], [1]], null, []])), /malformed value column/);
    // "The keys again" names int keys only: not strings, nor doubles (which may hold -0).
    assert.throws(() => decodeKeyGroup(col4(['s', 0, 2, ['a', 'b'], [1, ['k'], [0]], null, []])), /malformed value column/);
    assert.throws(() => decodeKeyGroup(col4(['s', 0, 2, new Float64Array([0.5, 1]), [1, ['k'], [0]], null, []])), /malformed value column/);
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

test('chunkSeal: the CRC-32 of the chunk but its last 4 bytes, read from them; different chunks, different seals', () => {
  const seen = new Set<number>();
  fc.assert(fc.property(fc.boolean(), tablesArb, fc.boolean(), (full, tables, columns) => {
    const bytes = encodeKeyGroup(full, tables, columns);
    const seal = chunkSeal(bytes);
    assert.equal(seal, crc32(bytes, 0, bytes.length - 4));
    seen.add(seal);
  }), { numRuns: 200 });
  // Not a constant (the CRC-32 of a whole sealed chunk would be: CRC-32's residue).
  assert.ok(seen.size > 100, `${seen.size} distinct seals`);
  assert.throws(() => chunkSeal(new Uint8Array([7, 8])), KeyGroupFormatError);
});
