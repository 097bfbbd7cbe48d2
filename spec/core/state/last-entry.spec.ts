// A table without a TTL remembers the entry its last read or write found or made (a fast path,
// RunOptions.stateFastPaths): value() then update() or clear() of a key, a reduce's read then write, or a key's
// timers registered one after another, look the key up once. With it on and off, a read or write lands on the key's
// live entry whatever came between: another key, a removal, the key written again, a restore; and the snapshots
// are the same bytes.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { KeyedStateBackend } from '../../../core/state/keyed-state-backend.js';
import { StateTable } from '../../../core/state/state-table.js';
import { ManualClocks } from './fixtures.js';

const backend = (fastPaths: boolean): KeyedStateBackend => new KeyedStateBackend('op', 16, true, new ManualClocks(), true, fastPaths);

/** Reads and writes of two value states over a few keys, with removals in between; snapshots' bytes along the way. */
function script(fastPaths: boolean): { bytes: number[][]; reads: unknown[] } {
  const b = backend(fastPaths);
  const v = b.valueState<number>('v');
  const w = b.valueState<string>('w');
  const bytes: number[][] = [];
  const reads: unknown[] = [];
  const keys = ['a', 'b', 'a', 'c', 'a', 'b'];
  for (let round = 0; round < 4; round++) {
    for (let i = 0; i < keys.length; i++) {
      b.currentKey = keys[i]!;
      reads.push(v.value(), w.value());
      v.update((v.value() ?? 0) + i);
      if ((i + round) % 3 === 0) v.clear();
      w.update(`${round}.${i}`);
      if ((i + round) % 4 === 1) { w.clear(); w.update('again'); }
    }
    for (const c of b.snapshot(round === 2).chunks) bytes.push([c.keyGroup, ...c.bytes]);
  }
  return { bytes, reads };
}

for (const fastPaths of [true, false]) {
  describe(`a table's last entry (fast paths ${fastPaths ? 'on' : 'off'})`, () => {
    test('a write after a read of another key, or after the key was removed, lands on the live entry of its own key', () => {
      const t = new StateTable<number>('t', 16, true, undefined, () => 0, () => 0, fastPaths);
      t.put('a', 1);
      assert.equal(t.entry('a')!.value, 1);
      t.entry('b');
      t.put('b', 2);
      t.put('a', 3);
      assert.deepEqual([t.get('a'), t.get('b')], [3, 2]);
      const before = t.entry('a')!;
      t.remove('a');
      const after = t.put('a', 4);
      assert.notEqual(after, before, 'a key written after its removal gets a new entry');
      assert.equal(t.entries.get('a'), after, 'the table holds the new entry');
      assert.equal(t.size, 2);
      assert.equal(before.value, 3, 'the removed entry was not written');
      // Read, then removed by the caller (as a reduce function could), then written: the write is not lost.
      const e = t.entry('b')!;
      t.delete(e);
      t.put('b', 5);
      assert.equal(t.get('b'), 5);
      assert.equal(t.counts.reduce((x, y) => x + y, 0), 2);
    });

    test('a read (or a removal) after the key was removed, made again, or restored away finds what the table holds', () => {
      const t = new StateTable<number>('t', 16, true, undefined, () => 0, () => 0, fastPaths);
      const a = t.create('a', 1);
      assert.equal(t.entry('a'), a, 'the entry create made');
      t.delete(a);
      assert.equal(t.entry('a'), undefined, 'removed by the entry held');
      const again = t.put('a', 2);
      assert.equal(t.entry('a'), again);
      t.remove('a');
      assert.equal(t.entry('a'), undefined, 'removed by key');
      t.remove('a');
      assert.equal(t.size, 0);
      t.put('b', 3);
      t.restoreDelete('b');
      assert.equal(t.entry('b'), undefined, 'a restore\'s delete');
      t.restorePut('b', 0, 4, Infinity);
      t.restoreDone();
      assert.equal(t.entry('b')?.value, 4);
      assert.equal(t.entry('c'), undefined);
      assert.equal(t.entry('b')?.value, 4, 'another key read between');
    });

    test('after a restore, a write lands on the restored entry', () => {
      const a = backend(fastPaths);
      a.currentKey = 'k';
      a.valueState<number>('v').update(1);
      const { chunks } = a.snapshot(false);
      const b = backend(fastPaths);
      const v = b.valueState<number>('v');
      b.currentKey = 'k';
      v.update(9);
      assert.equal(v.value(), 9);
      b.restore(chunks);
      assert.equal(v.value(), 1);
      v.update(2);
      assert.equal(v.value(), 2);
      assert.equal(b.sizeOf('v'), 1);
    });
  });
}

test('a table\'s last entry: the same reads and the same snapshot bytes with the fast path on and off', () => {
  const on = script(true);
  const off = script(false);
  assert.ok(on.bytes.length > 0);
  assert.deepEqual(on.reads, off.reads);
  assert.deepEqual(on.bytes, off.bytes);
});
