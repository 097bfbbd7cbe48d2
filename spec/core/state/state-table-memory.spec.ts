// StateTable's heap after keys go: what expired or was removed is garbage once a GC runs, not held by the table's
// own bookkeeping (the cleanup iterator, the member lists of full snapshots, the removal lists), and an entry of a
// table without a TTL carries no expiry fields. Measured by heapUsed after a forced GC (gc exposed at run time),
// against what the keys' values took: no timing.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { StateTable } from '../../../core/state/state-table.js';
import { ttlConfig } from '../../../core/state/ttl.js';
import { PATCH_LIST_APPEND } from '../../../core/state/collection-deltas.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const heap = (): number => { gc(); gc(); return process.memoryUsage().heapUsed; };

const MAXP = 128;
const N = 20_000;
/** A value of ~1 KB: what the keys hold is far above the noise of a heap reading. */
const value = (i: number): number[] => Array.from({ length: 120 }, (_, k) => i + k + 0.5);

describe('StateTable memory', () => {
  // Regression: after a mass expiry, the cleanup's Map iterator (positioned before the removed entries) kept every
  // hash table the Map had shrunk out of alive, with all the expired entries and their values: heapUsed stayed
  // where it was until the next write (a job gone quiet: for good).
  test('entries a full cleanup removes (a mass expiry) are garbage: heapUsed falls back', () => {
    let now = 0;
    const t = new StateTable<number[]>('s', MAXP, false, ttlConfig({ ttlMs: 1e9, time: 'event' }, 's'), () => now);
    const before = heap();
    for (let i = 0; i < N; i++) { now = i; t.put(`key-${i}`, value(i)); }
    const loaded = heap() - before;
    now = 2e9;
    assert.equal(t.cleanup(now), N);
    assert.equal(t.size, 0);
    const left = heap() - before;
    assert.ok(left < loaded / 10, `held ${(left / 1e6).toFixed(1)} MB of the ${(loaded / 1e6).toFixed(1)} MB the expired keys took`);
  });

  // Regression: with change tracking, removed entries stayed in their group's member list (for its next full
  // chunk), values and all, until that full chunk: up to MAX_DELTA_CHAIN checkpoints after a mass expiry.
  test('with change tracking, removed entries are garbage after the next snapshot, full or not', () => {
    const t = new StateTable<number[]>('s', MAXP, true, undefined, () => 0);
    const before = heap();
    for (let i = 0; i < N; i++) t.put(`key-${i}`, value(i));
    t.takeChanges(new Uint8Array(MAXP).fill(1), true);
    const loaded = heap() - before;
    for (let i = 0; i < N; i++) if (i % 10 !== 0) t.remove(`key-${i}`);
    const delta = t.takeChanges(new Uint8Array(MAXP), false);
    let dels = 0;
    for (const g of delta.values()) dels += g.dels.length;
    assert.equal(dels, N - N / 10, 'the removals are in the delta');
    // A tenth is live; removed members wait for a compaction until they are half of their group's list (amortised).
    const left = heap() - before;
    assert.ok(left < loaded / 4, `held ${(left / 1e6).toFixed(1)} MB of the ${(loaded / 1e6).toFixed(1)} MB; a tenth of the keys is left`);
  });

  test('an entry of a table without a TTL has no expiry fields; one with a TTL has them', () => {
    const plain = new StateTable<number>('s', MAXP, true, undefined, () => 0);
    plain.put('a', 1);
    plain.restorePut('b', 3, 2, Infinity);
    // Restored through a patch (a list of 10, then 1 appended) too.
    const list = new StateTable<number[]>('l', MAXP, true, undefined, () => 0);
    list.restorePut('c', 3, Array.from({ length: 10 }, (_, i) => i), Infinity);
    assert.equal(list.restorePatch('c', PATCH_LIST_APPEND, [10], Infinity), undefined);
    assert.equal(list.entries.get('c')!.value.length, 11);
    assert.deepEqual(Object.keys(list.entries.get('c')!).sort(), ['base', 'key', 'kg', 'mark', 'value']);
    for (const k of ['a', 'b']) assert.deepEqual(Object.keys(plain.entries.get(k)!).sort(), ['base', 'key', 'kg', 'mark', 'value']);
    const ttl = new StateTable<number>('s', MAXP, true, ttlConfig({ ttlMs: 10, time: 'event' }, 's'), () => 5);
    ttl.put('a', 1);
    assert.equal(ttl.entries.get('a')!.expiresAt, 15);
  });
});
