// TypedStateTable: values of a record schema in typed columns. Its snapshots must decode to the very entries a
// StateTable holding the same values as objects gives (so checkpoints restore into either), in both chunk formats;
// chunks restore into it; values that do not fit the schema are refused whole, naming the field.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { StateTable } from '../../../core/state/state-table.js';
import { StateSchemaError, TypedStateTable, stateSchemaFields } from '../../../core/state/typed-state-table.js';
import { ChunkEncoder, KeyGroupFormatError, decodeKeyGroup } from '../../../core/state/key-group-codec.js';
import type { KeyedTable } from '../../../core/state/keyed-table.js';
import { keyGroupFor, type Key } from '../../../core/graph/key-groups.js';
import { optional, recordSchema } from '../../../core/index.js';
import { JobDefinitionError } from '../../../core/api/errors.js';
import { keyArb } from './fixtures.js';

const MAXP = 8;
const schema = recordSchema({ n: 'i32', x: 'f64', s: 'string', b: 'bool', big: 'i64' });
type V = { n: number; x: number; s: string; b: boolean; big: number };
const fields = stateSchemaFields(schema, 'test');

const valueArb: fc.Arbitrary<V> = fc.record({
  n: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
  x: fc.oneof(fc.double(), fc.constantFrom(-0, 0.5, NaN, Infinity)),
  s: fc.string({ maxLength: 4 }),
  b: fc.boolean(),
  big: fc.maxSafeInteger(),
}, { noNullPrototype: true }).map((v) => ({ n: v.n, x: v.x, s: v.s, b: v.b, big: v.big }));

type Op = { kind: 'put'; key: Key; value: V } | { kind: 'remove'; key: Key } | { kind: 'snapshot'; full: number[] };
const opsOf = (key: fc.Arbitrary<Key>, snapshotWeight: number): fc.Arbitrary<Op> => fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('put' as const), key, value: valueArb }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('remove' as const), key }) },
  { weight: snapshotWeight, arbitrary: fc.record({ kind: fc.constant('snapshot' as const), full: fc.uniqueArray(fc.integer({ min: 0, max: MAXP - 1 }), { maxLength: MAXP }) }) },
);
const opArb = opsOf(keyArb, 1);

/** Order-free text of a key (chunks list entries in slot order or in touch order). */
const keyText = (k: unknown): string => `${typeof k}:${String(k)}`;

/**
 * What one snapshot of `t` holds per key group, as the backend would encode and a restore would decode it: the
 * full flag and, per table, its entries and removed keys in key order.
 */
function snapshot(t: KeyedTable, fullGroups: number[], encoder: ChunkEncoder): Map<number, unknown> {
  const mask = Uint8Array.from({ length: MAXP }, (_, kg) => (fullGroups.includes(kg) ? 1 : 0));
  const out = new Map<number, unknown>();
  for (const [kg, c] of t.takeChanges(mask, fullGroups.length > 0)) {
    const bytes = encoder.encode(mask[kg] === 1, [{ name: 'reduce', ttl: false, puts: c.puts, dels: c.dels, ...(c.columns ? { columns: c.columns } : {}) }]);
    const { full, tables } = decodeKeyGroup(bytes);
    out.set(kg, { full, tables: tables.map((d) => {
      const entries: [unknown, unknown][] = [];
      for (let i = 0; i < d.puts.length; i += 2) entries.push([d.puts[i], d.puts[i + 1]]);
      entries.sort((a, b) => (keyText(a[0]) < keyText(b[0]) ? -1 : 1));
      return { name: d.name, ttl: d.ttl, entries, dels: [...d.dels].sort((a, b) => (keyText(a) < keyText(b) ? -1 : 1)) };
    }) });
  }
  return out;
}

describe('TypedStateTable', () => {
  for (const [columns, keyTable] of [[true, true], [false, true], [true, false]]) {
    test(`property: snapshots decode to the same entries as a StateTable's of the same values, tracking on or off (${columns ? 'columns, format 4' : 'rows, format 2'}; ${keyTable ? 'int32 keys in KeySlots' : 'key table off: a Map'})`, () => {
      // Without tracking (a job that does not checkpoint) only full snapshots (savepoints) have entries.
      fc.assert(fc.property(fc.array(opArb, { maxLength: 60 }), fc.boolean(), (ops, tracking) => {
        const objects = new StateTable<V>('reduce', MAXP, tracking, undefined, () => 0);
        const typed = new TypedStateTable<V>('reduce', MAXP, tracking, fields, 'test', keyTable);
        const enc1 = new ChunkEncoder(columns);
        const enc2 = new ChunkEncoder(columns);
        for (const op of [...ops, { kind: 'snapshot', full: [] } as Op]) {
          if (op.kind === 'put') { objects.put(op.key, { ...op.value }); typed.put(op.key, op.value); }
          else if (op.kind === 'remove') { objects.remove(op.key); typed.remove(op.key); }
          else {
            const a = new Int32Array(MAXP);
            const b = new Int32Array(MAXP);
            objects.changeCounts(a);
            typed.changeCounts(b);
            assert.deepEqual(b, a, 'change counts');
            assert.deepEqual(snapshot(typed, op.full, enc2), snapshot(objects, op.full, enc1));
          }
          assert.deepEqual(typed.counts, objects.counts);
        }
      }));
    });
  }

  test('property: with thousands of keys (rows grown, changes on a few pages of slots) snapshots decode to what a StateTable gives', () => {
    // Number keys only (written as a number column), ints mostly, and some that are not int32 (or are -0).
    const many = fc.oneof({ weight: 20, arbitrary: fc.integer({ min: 0, max: 6000 }) }, { weight: 1, arbitrary: fc.constantFrom(-0, 0.5, 2 ** 40, -(2 ** 33)) });
    fc.assert(fc.property(fc.array(opsOf(many, 1), { maxLength: 300 }), fc.integer({ min: 0, max: 5000 }), (ops, preload) => {
      const objects = new StateTable<V>('reduce', MAXP, true, undefined, () => 0);
      const typed = new TypedStateTable<V>('reduce', MAXP, true, fields, 'test');
      const enc = new ChunkEncoder(true);
      const v: V = { n: 1, x: 0.5, s: 'a', b: true, big: 2 ** 40 };
      for (let k = 0; k < preload; k++) { objects.put(k * 7, { ...v, n: k }); typed.put(k * 7, { ...v, n: k }); }
      for (const op of [{ kind: 'snapshot', full: [] } as Op, ...ops, { kind: 'snapshot', full: [] } as Op]) {
        if (op.kind === 'put') { objects.put(op.key, { ...op.value }); typed.put(op.key, op.value); }
        else if (op.kind === 'remove') { objects.remove(op.key); typed.remove(op.key); }
        else assert.deepEqual(snapshot(typed, op.full, enc), snapshot(objects, op.full, enc));
      }
    }), { numRuns: 40 });
  });

  test("a key group's pages lie in runs (extents), so a snapshot reads its rows sequentially", () => {
    const t = new TypedStateTable<V>('reduce', MAXP, true, fields, 'test');
    const v: V = { n: 1, x: 0.5, s: 'a', b: true, big: 2 ** 40 };
    // Keys arrive spread over every group, as a job's do: pages taken one at a time would interleave the groups.
    for (let k = 0; k < 40_000; k++) t.put(k, { ...v, n: k });
    const pagesOf = (t as unknown as { pagesOf: number[][] }).pagesOf;
    for (let kg = 0; kg < MAXP; kg++) {
      const pages = pagesOf[kg]!;
      let runs = 1;
      for (let i = 1; i < pages.length; i++) if (pages[i] !== pages[i - 1]! + 1) runs++;
      // Extents of 1, 1, 2, 4, 8, then 16 pages: ~160 pages a group make 14 runs at most.
      assert.ok(pages.length > 100 && runs <= 5 + Math.ceil(pages.length / 16), `group ${kg}: ${pages.length} pages in ${runs} runs`);
    }
    // And every value reads back.
    for (let k = 0; k < 40_000; k += 997) assert.equal(t.get(k)?.n, k);
  });

  test('the snapshot scratch columns are reused, and made smaller after a snapshot that needs under a quarter of them', () => {
    const t = new TypedStateTable<V>('reduce', MAXP, true, fields, 'test');
    const v: V = { n: 1, x: 0.5, s: 'a', b: true, big: 2 ** 40 };
    for (let k = 0; k < 20_000; k++) t.put(k, { ...v, n: k });
    const scratchRows = (): number => (t as unknown as { narrowCols: Int32Array[] }).narrowCols[0]?.length ?? 0;
    const all = new Uint8Array(MAXP).fill(1);
    t.takeChanges(all, true);
    const big = scratchRows();
    assert.ok(big >= 20_000, `${big}`);
    for (let k = 0; k < 19_000; k++) t.put(k, { ...v, n: -k });
    t.takeChanges(new Uint8Array(MAXP), false);
    assert.equal(scratchRows(), big, 'reused for a snapshot of a similar size');
    for (let k = 0; k < 100; k++) t.put(k, { ...v, n: k + 1 });
    const small = t.takeChanges(new Uint8Array(MAXP), false);
    assert.ok(scratchRows() < big / 4, `${scratchRows()} after a snapshot of 100 rows`);
    let rows = 0;
    for (const c of small.values()) rows += c.columns!.keys.length;
    assert.equal(rows, 100);
  });

  test('a key of -0 is written as 0, also in a key column of doubles', () => {
    const t = new TypedStateTable<V>('reduce', 1, true, fields, 'test');
    const v: V = { n: 1, x: 0.5, s: 'a', b: true, big: 2 };
    t.put(-0, v);
    t.put(0.5, v);
    const [[, c]] = [...t.takeChanges(new Uint8Array([1]), true)];
    const { tables } = decodeKeyGroup(new ChunkEncoder(true).encode(true, [{ name: 'reduce', ttl: false, puts: [], dels: [], columns: c!.columns! }]));
    const keys = tables[0]!.puts.filter((_, i) => i % 2 === 0);
    assert.deepEqual(keys.map((k) => Object.is(k, -0)), [false, false]);
    assert.deepEqual(new Set(keys), new Set([0, 0.5]));
  });

  test('property: its chunks restore into a fresh table with every value (full, then deltas)', () => {
    fc.assert(fc.property(fc.array(fc.tuple(keyArb, valueArb), { maxLength: 40 }), fc.array(fc.tuple(keyArb, valueArb), { maxLength: 20 }), (first, second) => {
      const t = new TypedStateTable<V>('reduce', MAXP, true, fields, 'test');
      const enc = new ChunkEncoder(true);
      const chunks: { kg: number; bytes: Uint8Array }[] = [];
      const take = (full: boolean): void => {
        const mask = new Uint8Array(MAXP).fill(full ? 1 : 0);
        for (const [kg, c] of t.takeChanges(mask, full)) chunks.push({ kg, bytes: enc.encode(full, [{ name: 'reduce', ttl: false, puts: c.puts, dels: c.dels, columns: c.columns! }]) });
      };
      const expected = new Map<Key, V>();
      // A chunk writes -0 as 0, in columns as in rows (key-group-codec.ts narrow).
      const written = (v: V): V => Object.fromEntries(Object.entries(v).map(([f, x]) => [f, x === 0 ? 0 : x])) as V;
      for (const [k, v] of first) { t.put(k, v); expected.set(k, written(v)); }
      take(true);
      for (const [k, v] of second) { t.put(k, v); expected.set(k, written(v)); }
      take(false);
      const r = new TypedStateTable<V>('reduce', MAXP, true, fields, 'test');
      for (const c of chunks) {
        for (const table of decodeKeyGroup(c.bytes).tables) {
          for (let i = 0; i < table.puts.length; i += 2) r.restorePut(table.puts[i] as Key, c.kg, table.puts[i + 1], Infinity);
        }
      }
      assert.equal(r.size, expected.size);
      for (const [k, v] of expected) assert.deepEqual(r.get(k), v, `key ${String(k)}`);
      const counts = new Int32Array(MAXP);
      for (const k of expected.keys()) counts[keyGroupFor(k, MAXP)]!++;
      assert.deepEqual(r.counts, counts);
    }));
  });

  test('a value that does not fit is refused whole, naming the field; the stored value stays', () => {
    const t = new TypedStateTable<V>('reduce', MAXP, true, fields, "reduce 'sum'");
    const ok: V = { n: 1, x: 2.5, s: 'a', b: true, big: 2 ** 40 };
    t.put('k', ok);
    for (const [bad, field] of [
      [{ ...ok, n: 1.5 }, "'n' (i32) got 1.5"], [{ ...ok, n: 2 ** 31 }, "'n' (i32)"], [{ ...ok, x: '1' }, "'x' (f64) got string"],
      [{ ...ok, s: 3 }, "'s' (string)"], [{ ...ok, b: 0 }, "'b' (bool)"], [{ ...ok, big: 2 ** 53 }, "'big' (i64)"], [{ n: 1 }, "'x' (f64) got undefined"],
    ] as [unknown, string][]) {
      assert.throws(() => t.put('k', bad as V), (e: Error) => e instanceof StateSchemaError && e.message.includes("reduce 'sum'") && e.message.includes(field), JSON.stringify(bad));
      assert.throws(() => t.put('new', bad as V), StateSchemaError);
    }
    assert.throws(() => t.put('k', null as unknown as V), /needs an object/);
    assert.deepEqual(t.get('k'), ok);
    assert.equal(t.get('new'), undefined);
    assert.equal(t.size, 1);
  });

  test('only the declared fields are kept; f32 fields are rounded to float32; columns grow past their first size', () => {
    const t = new TypedStateTable<{ a: number; f: number }>('s', MAXP, false, stateSchemaFields(recordSchema({ a: 'u32', f: 'f32' }), 'test'), 'test');
    t.put(1, { a: 1, f: 0.1, extra: 'dropped' } as never);
    assert.deepEqual(t.get(1), { a: 1, f: Math.fround(0.1) });
    for (let k = 0; k < 5000; k++) t.put(k, { a: k, f: k });
    assert.equal(t.size, 5000);
    for (const k of [0, 1023, 1024, 4999]) assert.deepEqual(t.get(k), { a: k, f: k });
    // As the typed codec (regression: 1e39 was stored as Infinity, unsaid): refused, the stored value unchanged.
    assert.throws(() => t.put(1, { a: 1, f: 1e39 }), /'f' \(f32\)/);
    assert.deepEqual(t.get(1), { a: 1, f: 1 });
    t.put(2, { a: 2, f: Infinity });
    assert.deepEqual(t.get(2), { a: 2, f: Infinity }, 'the infinities and NaN themselves fit');
  });

  test('a restored value that does not fit the schema is a corrupt or mismatched checkpoint, named', () => {
    const t = new TypedStateTable<V>('reduce', MAXP, true, fields, "reduce 'sum'");
    assert.throws(() => t.restorePut('k', keyGroupFor('k', MAXP), { n: 1 }, Infinity), (e: Error) => e instanceof KeyGroupFormatError && /state 'reduce' of reduce 'sum'.*'x' \(f64\)/.test(e.message));
  });

  test('a state schema is checked when the job is defined: a record schema of required fields', () => {
    assert.throws(() => stateSchemaFields({}, 'reduce'), (e: Error) => e instanceof JobDefinitionError && /reduce: stateSchema must be a record schema/.test(e.message));
    assert.throws(() => stateSchemaFields(recordSchema({ a: optional('i32') }), 'reduce'), (e: Error) => e instanceof JobDefinitionError && /field 'a' is optional/.test(e.message));
  });

  // Set in the child below, which runs this file with code generation off.
  const NO_CODEGEN_ENV = 'SLUICE_SPEC_NO_CODEGEN';
  test('every test above passes with code generation off (the interpreted writer, tracking writer and reader)', { skip: process.env[NO_CODEGEN_ENV] === '1' }, () => {
    const child = spawnSync(process.execPath, ['--disallow-code-generation-from-strings', '--import', 'tsx', '--test', '--test-reporter=tap', fileURLToPath(import.meta.url)], {
      cwd: fileURLToPath(new URL('../../../', import.meta.url)),
      // Without NODE_TEST_CONTEXT: the child reports as a test run of its own (TAP), not to this runner.
      env: { ...process.env, NODE_TEST_CONTEXT: undefined, [NO_CODEGEN_ENV]: '1' },
      encoding: 'utf8',
    });
    assert.equal(child.status, 0, child.stdout + child.stderr);
    assert.match(child.stdout, /# fail 0/);
    assert.match(child.stdout, /# pass [1-9]/);
  });
});
