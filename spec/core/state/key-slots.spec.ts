// KeySlots: a key's slot, int32 keys in an open-addressing table, other keys in a Map. Whatever the order of adds
// and deletes (with keys that collide, wrap around the table's end and grow it), it answers as a Map does.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { KeySlots } from '../../../core/state/key-slots.js';
import type { Key } from '../../../core/graph/key-groups.js';

type Op = { kind: 'add' | 'delete' | 'get'; at: number };

// Keys from a small pool (so deletes hit), drawn per run: random int32s collide in a small table, as ids in a
// row would not (Fibonacci hashing spreads those evenly), plus edge values and keys that are not int32.
const poolArb: fc.Arbitrary<Key[]> = fc.array(fc.oneof(
  { weight: 12, arbitrary: fc.integer() },
  { weight: 2, arbitrary: fc.constantFrom(-0, 0, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, 0.5, -(2 ** 40)) },
  { weight: 1, arbitrary: fc.oneof(fc.string({ maxLength: 2 }), fc.bigInt({ min: -3n, max: 3n })) },
), { minLength: 1, maxLength: 80 });
const opArb: fc.Arbitrary<Op> = fc.record({ kind: fc.constantFrom('add' as const, 'add' as const, 'delete' as const, 'get' as const), at: fc.nat() });

describe('KeySlots', () => {
  for (const fast of [true, false]) {
    test(`property: answers get, delete, size and keys as a Map does (${fast ? 'int32 keys in the table' : 'fast path off: a Map only'})`, () => {
      fc.assert(fc.property(poolArb, fc.array(opArb, { maxLength: 400 }), (pool, ops) => {
        const slots = new KeySlots(fast);
        const map = new Map<Key, number>();
        let next = 0;
        for (const { kind, at } of ops) {
          const op = { kind, key: pool[at % pool.length]! };
          if (op.kind === 'add') {
            // add is only called for a key without a slot.
            if (map.has(op.key)) continue;
            map.set(op.key, next);
            slots.add(op.key, next++);
          } else if (op.kind === 'delete') {
            assert.equal(slots.delete(op.key), map.delete(op.key), `delete ${String(op.key)}`);
          } else {
            assert.equal(slots.get(op.key), map.get(op.key) ?? -1, `get ${String(op.key)}`);
          }
          assert.equal(slots.size, map.size);
        }
        for (const [k, s] of map) assert.equal(slots.get(k), s);
        const text = (ks: Iterable<Key>): string[] => [...ks].map((k) => `${typeof k}:${Object.is(k, -0) ? 0 : String(k)}`).sort();
        assert.deepEqual(text(slots.keys()), text(map.keys()));
      }), { numRuns: 300 });
    });
  }

  test('a table that grew to 100 K random keys, then lost every other one, still finds the rest (deletes in clusters)', () => {
    const slots = new KeySlots();
    const keys = new Set<number>();
    for (let x = 12345; keys.size < 100_000;) { x = (Math.imul(x, 1103515245) + 12345) | 0; keys.add(x); }
    const list = [...keys];
    list.forEach((k, i) => slots.add(k, i));
    for (let i = 0; i < list.length; i += 2) assert.ok(slots.delete(list[i]!));
    list.forEach((k, i) => assert.equal(slots.get(k), i % 2 === 0 ? -1 : i));
    assert.equal(slots.size, 50_000);
  });

  test('-0 and 0 are one key, as in a Map', () => {
    const slots = new KeySlots();
    slots.add(-0, 3);
    assert.equal(slots.get(0), 3);
    assert.ok(slots.delete(0));
    assert.equal(slots.get(-0), -1);
  });
});
