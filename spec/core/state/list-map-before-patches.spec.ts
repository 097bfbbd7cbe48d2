// Checkpoints written before list and map patches (chunk formats 4 and 2, fixtures/list-map-before-patches.json,
// written by an older sluice) restore as they did, rescaled too, and a restored list or map then goes on in
// patches (format 5) chained onto the old chunks.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { KeyedStateBackend } from '../../../core/state/keyed-state-backend.js';
import { decodeKeyGroup } from '../../../core/state/key-group-codec.js';
import { keyGroupRange, type Key } from '../../../core/graph/key-groups.js';
import type { KeyGroupChunk } from '../../../core/checkpoint/snapshot.js';
import { ChunkStore, ManualClocks } from './fixtures.js';
import { Unpackr } from 'msgpackr';

interface Fixture {
  maxParallelism: number;
  clockMs: number;
  chains: Record<'columns' | 'rows', { keyGroup: number; full: boolean; entries: number; bytes: string }[]>;
  expected: Record<'columns' | 'rows', Record<string, { list: unknown[]; map: [unknown, unknown][]; value: unknown; ttlList: unknown[] }>>;
}
const f = JSON.parse(readFileSync(new URL('./fixtures/list-map-before-patches.json', import.meta.url), 'utf8')) as Fixture;
const keyOf = (s: string): Key => (s.startsWith('number:') ? Number(s.slice(7)) : s.slice(7));

function restored(chunks: KeyGroupChunk[], clocks: ManualClocks): KeyedStateBackend {
  const b = new KeyedStateBackend('op', f.maxParallelism, true, clocks);
  b.restore(chunks);
  return b;
}

function view(bs: KeyedStateBackend[], key: Key): { list: unknown[]; map: [unknown, unknown][]; value: unknown; ttlList: unknown[] } {
  const b = bs.find((x) => x.keysOf('list').includes(key) || x.keysOf('value').includes(key) || x.keysOf('map').includes(key) || x.keysOf('ttl-list').includes(key)) ?? bs[0]!;
  b.currentKey = key;
  return {
    list: b.listState('list').get(),
    map: b.mapState<string | number, unknown>('map').entries(),
    value: b.valueState('value').value() ?? null,
    ttlList: b.listState('ttl-list', { ttl: { ttlMs: 1e9 } }).get(),
  };
}

for (const format of ['columns', 'rows'] as const) {
  const chunks: KeyGroupChunk[] = f.chains[format].map((c) => ({ keyGroup: c.keyGroup, full: c.full, entries: c.entries, changed: 0, bytes: new Uint8Array(Buffer.from(c.bytes, 'base64')) }));
  const expected = f.expected[format];

  test(`an older checkpoint's ${format} chunks (format ${format === 'columns' ? 4 : 2}) restore exactly, at its parallelism and rescaled to 2 and 3`, () => {
    assert.ok(chunks.some((c) => !c.full), 'the fixture holds delta chains');
    assert.ok(chunks.every((c) => new Unpackr({ useRecords: true, sequential: true, moreTypes: true }).unpack(c.bytes.subarray(0, c.bytes.length - 4))[0] === (format === 'columns' ? 4 : 2)));
    for (const n of [1, 2, 3]) {
      const clocks = new ManualClocks();
      clocks.processingMs = f.clockMs;
      const bs = Array.from({ length: n }, (_, i) => {
        const [start, end] = keyGroupRange(i, f.maxParallelism, n);
        return restored(chunks.filter((c) => c.keyGroup >= start && c.keyGroup < end), clocks);
      });
      for (const [k, want] of Object.entries(expected)) assert.deepEqual(view(bs, keyOf(k)), want, `key ${k} at parallelism ${n}`);
    }
  });

  test(`a list and a map restored from an older checkpoint's ${format} chunks go on in patches chained onto them`, () => {
    const clocks = new ManualClocks();
    clocks.processingMs = f.clockMs;
    const store = new ChunkStore();
    store.add(chunks);
    const b = restored(store.chunks(), clocks);
    const want = structuredClone(expected);
    for (const k of Object.keys(expected)) {
      b.currentKey = keyOf(k);
      b.listState('list').add('appended');
      want[k]!.list.push('appended');
      b.mapState<string, unknown>('map').put('new', 1);
      const m = new Map(want[k]!.map); m.set('new', 1); want[k]!.map = [...m];
    }
    const next = b.snapshot(false).chunks;
    const deltas = next.filter((c) => !c.full);
    assert.ok(deltas.length > 0, 'some groups go on in deltas');
    // A list restored is patched; one written whole held fewer than 8 elements (or none).
    let patched = 0;
    for (const c of deltas) {
      const list = decodeKeyGroup(c.bytes).tables.find((t) => t.name === 'list')!;
      patched += (list.patches?.length ?? 0) / 3;
      for (let i = 0; i < list.puts.length; i += 2) assert.ok(expected[`${typeof list.puts[i]}:${String(list.puts[i])}`]!.list.length < 8, `key ${String(list.puts[i])} written whole`);
    }
    assert.ok(patched > 0, 'lists restored from the old chunks are patched');
    store.add(next);
    const again = restored(store.chunks(), clocks);
    for (const [k, w] of Object.entries(want)) {
      assert.deepEqual(view([again], keyOf(k)), w, `key ${k}`);
    }
  });
}
