// A group's full chunk takes the part of each table unchanged since the group's last full chunk as that chunk
// wrote it, and re-encodes only the tables that changed. Regression: while end-of-input timers fired beside state
// they left alone, each checkpoint wrote the groups at their turn in full (an eighth of the state), re-encoding
// every unchanged value, list and map entry: with 1 M keys the snapshots during the firing took ~15 s of CPU for
// 0.7 s of timers. A restore from such chunks, mid-firing, holds exactly the state and timers of its snapshot.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { KeyedStateBackend, MAX_DELTA_CHAIN } from '../../../core/state/keyed-state-backend.js';
import { TimerService } from '../../../core/state/timer-service.js';
import { decodeKeyGroup, encodeKeyGroup, ChunkEncoder, type TableChanges } from '../../../core/state/key-group-codec.js';
import type { StateEntry } from '../../../core/state/state-table.js';
import type { Key } from '../../../core/graph/key-groups.js';
import { ChunkStore, ManualClocks } from './fixtures.js';

const MAX_P = 16;
const KEYS = 400;

/** A keyed operator's state as the end-timers trial held it: a value, a map, a list and a timer per key. */
function operator(clocks = new ManualClocks()) {
  const b = new KeyedStateBackend('op', MAX_P, true, clocks);
  const timers = new TimerService(b);
  const v = b.valueState<{ n: number; tag: string }>('v');
  const m = b.mapState<string, { at: number }>('m');
  const l = b.listState<number>('l');
  return { b, timers, v, m, l };
}

type Op = ReturnType<typeof operator>;

function fill(o: Op): void {
  for (let i = 0; i < KEYS; i++) {
    o.b.currentKey = `k${i}`;
    o.v.update({ n: i, tag: `t${i % 7}` });
    o.m.put('a', { at: i });
    o.m.put('b', { at: -i - 1 });
    o.l.add(i);
    o.l.add(i * 2);
    o.timers.register('event', `k${i}`, 1000 + i);
  }
}

/** Every key's state and the timers pending (read from their table: firing them would change the state), in one comparable value. */
function contents(o: Op): unknown {
  const keys: unknown[] = [];
  for (let i = 0; i < KEYS; i++) {
    o.b.currentKey = `k${i}`;
    keys.push([o.v.value(), [...o.m.entries()], o.l.get()]);
  }
  const timers: [Key, number][] = [];
  for (const e of o.b.table<number | number[]>('__timers/event', 'internal', undefined).entries.values()) {
    for (const ts of typeof e.value === 'number' ? [e.value] : e.value) timers.push([e.key, ts]);
  }
  timers.sort((x, y) => x[1] - y[1] || String(x[0]).localeCompare(String(y[0])));
  return { keys, timers };
}

function fireAll(o: Op): [Key, number][] {
  const out: [Key, number][] = [];
  o.timers.fire('event', Number.MAX_SAFE_INTEGER, (k, ts) => out.push([k, ts]));
  return out;
}

function restored(store: ChunkStore): Op {
  const o = operator();
  o.b.restore(store.chunks());
  o.timers.rebuild();
  return o;
}

describe('full chunks of tables unchanged since their group was last written in full', () => {
  test('timers firing beside unchanged state: a group written in full again re-encodes its timers only', () => {
    const o = operator();
    const store = new ChunkStore();
    fill(o);
    store.add(o.b.snapshot(false).chunks);
    // The firing: a few timers between snapshots, as a slice each, for three rounds of turns.
    let fired = 0;
    const encodedPerRound: number[] = [];
    for (let round = 0; round < 3; round++) {
      const before = o.b.encoder.entriesEncoded;
      for (let s = 0; s < MAX_DELTA_CHAIN; s++) {
        fired += Math.max(0, o.timers.fireSome('event', Number.MAX_SAFE_INTEGER, 10, () => false, () => {}));
        store.add(o.b.snapshot(false).chunks);
      }
      encodedPerRound.push(o.b.encoder.entriesEncoded - before);
    }
    assert.ok(fired < KEYS, 'timers are still pending after the rounds');
    // A group with changes at its turn is written in full: after the first round, each part of the static state is
    // one kept from the round before, and only the timers still pending are encoded again.
    for (const n of encodedPerRound.slice(1)) assert.ok(n <= KEYS, `later rounds encode no unchanged value, map or list entry: ${encodedPerRound}`);
    assert.deepEqual(contents(restored(store)), contents(o), 'the chunks restore the state and timers of the last snapshot');
  });

  test('a restore mid-firing from any snapshot holds exactly its state and timers, and fires the rest once', () => {
    const o = operator();
    const store = new ChunkStore();
    fill(o);
    store.add(o.b.snapshot(false).chunks);
    const firedByOriginal: [Key, number][] = [];
    for (let s = 0; s < 3 * MAX_DELTA_CHAIN; s++) {
      o.timers.fireSome('event', Number.MAX_SAFE_INTEGER, 7, () => false, (k, ts) => {
        firedByOriginal.push([k, ts]);
        // onTimer changes some keys' state as it fires: those groups' parts are encoded anew.
        if (ts % 3 === 0) { o.b.currentKey = k; o.l.add(-ts); }
      });
      store.add(o.b.snapshot(false).chunks);
      const r = restored(store);
      assert.deepEqual(contents(r), contents(o), `restored from snapshot ${s} of the firing`);
      // What the restore fires is what the original fires from there on, each timer once.
      const rest = fireAll(r);
      const all = [...firedByOriginal, ...rest];
      assert.equal(new Set(all.map(([k, ts]) => `${String(k)}@${ts}`)).size, KEYS, 'every timer fired once over the original and the restore');
      assert.equal(all.length, KEYS);
    }
  });

  // Each kind of change after a group's full chunk must drop the parts it kept: else the next full chunk of the
  // group writes the state from before the change.
  const changes: [string, (o: Op, clocks: ManualClocks) => void][] = [
    ['a value updated', (o) => { o.b.currentKey = 'k3'; o.v.update({ n: -1, tag: 'new' }); }],
    ['a value cleared', (o) => { o.b.currentKey = 'k3'; o.v.clear(); }],
    ['a map entry put', (o) => { o.b.currentKey = 'k3'; o.m.put('c', { at: 9 }); }],
    ['a map entry removed', (o) => { o.b.currentKey = 'k3'; o.m.remove('a'); }],
    ['a list appended to', (o) => { o.b.currentKey = 'k3'; o.l.add(99); }],
    ['a list replaced', (o) => { o.b.currentKey = 'k3'; o.l.update([5]); }],
    ['a timer fired', (o) => { o.timers.fireSome('event', Number.MAX_SAFE_INTEGER, 1, () => false, () => {}); }],
    ['a timer registered', (o) => { o.timers.register('event', 'k3', 5); }],
    ['a new key written', (o) => { o.b.currentKey = 'new'; o.v.update({ n: 0, tag: '' }); }],
  ];
  for (const [what, change] of changes) {
    test(`${what} after a full chunk: the next full chunk of the group writes it`, () => {
      const o = operator();
      fill(o);
      o.b.snapshot(true);
      // Kept parts used again (nothing changed): the same state.
      const store = new ChunkStore();
      store.add(o.b.snapshot(true).chunks);
      assert.deepEqual(contents(restored(store)), contents(o));
      change(o, new ManualClocks());
      store.add(o.b.snapshot(true).chunks);
      const r = restored(store);
      assert.deepEqual(contents(r), contents(o));
      r.b.currentKey = 'new';
      o.b.currentKey = 'new';
      assert.deepEqual(r.v.value(), o.v.value());
    });
  }

  // Review: a group of one state is written in full only when that state changed, so its part was memory no
  // checkpoint used again (100 k values of 1 KB held ~100 MB outside the heap).
  test('a state alone in its key groups keeps no part', () => {
    const b = new KeyedStateBackend('op', MAX_P, true, new ManualClocks());
    const v = b.valueState<string>('v');
    for (let i = 0; i < 100; i++) { b.currentKey = i; v.update('x'.repeat(100)); }
    b.snapshot(true);
    const kept = (b.table('v', 'value', undefined) as unknown as { sections: (Uint8Array | undefined)[] }).sections;
    assert.equal(kept.filter((x) => x !== undefined).length, 0);
  });

  // Regression (found while gating the parts): a part kept while its group had two states was dropped when the
  // group came to hold one (its other state's entries there removed), and the state was written as empty.
  test('a kept part is written when its group has come to hold that state alone', () => {
    const b = new KeyedStateBackend('op', MAX_P, true, new ManualClocks());
    const v = b.valueState<number>('v');
    const m = b.mapState<string, number>('m');
    for (let i = 0; i < 50; i++) { b.currentKey = i; v.update(i); m.put('a', i); }
    const store = new ChunkStore();
    store.add(b.snapshot(true).chunks);
    for (let i = 0; i < 50; i++) { b.currentKey = i; m.clear(); }
    store.add(b.snapshot(true).chunks);
    const r = new KeyedStateBackend('op', MAX_P, true, new ManualClocks());
    r.restore(store.chunks());
    const rv = r.valueState<number>('v');
    const rm = r.mapState<string, number>('m');
    for (let i = 0; i < 50; i++) { r.currentKey = i; assert.equal(rv.value(), i); assert.equal(rm.get('a'), undefined); }
  });

  test('with fast paths off no part is kept: every full chunk re-encodes its states, and restores the same', () => {
    const b = new KeyedStateBackend('op', MAX_P, true, new ManualClocks(), true, false);
    const timers = new TimerService(b);
    const v = b.valueState<number>('v');
    for (let i = 0; i < KEYS; i++) { b.currentKey = `k${i}`; v.update(i); timers.register('event', `k${i}`, 1000 + i); }
    const store = new ChunkStore();
    store.add(b.snapshot(false).chunks);
    const before = b.encoder.entriesEncoded;
    let fired = 0;
    for (let s = 0; s < 2 * MAX_DELTA_CHAIN; s++) {
      timers.fireSome('event', Number.MAX_SAFE_INTEGER, 10, () => false, (key) => { b.currentKey = key; fired++; });
      store.add(b.snapshot(false).chunks);
    }
    assert.ok(fired > 0);
    const kept = (b.table('v', 'value', undefined) as unknown as { sections: (Uint8Array | undefined)[] }).sections;
    assert.equal(kept.filter((x) => x !== undefined).length, 0);
    assert.ok(b.encoder.entriesEncoded - before >= KEYS, `values re-encoded in full chunks: ${b.encoder.entriesEncoded - before}`);
    const r = new KeyedStateBackend('op', MAX_P, true, new ManualClocks());
    r.restore(store.chunks());
    const rv = r.valueState<number>('v');
    for (let i = 0; i < KEYS; i++) { r.currentKey = `k${i}`; assert.equal(rv.value(), i); }
  });

  test('entries expired by their TTL after a full chunk are not in the next one', () => {
    const clocks = new ManualClocks();
    const b = new KeyedStateBackend('op', MAX_P, true, clocks);
    const v = b.valueState<number>('v', { ttl: { ttlMs: 100 } });
    for (let i = 0; i < 50; i++) { clocks.processingMs = i < 25 ? 0 : 60; b.currentKey = i; v.update(i); }
    b.snapshot(true);
    // The first 25 expire (at 100), the others live on (to 160); the snapshot cleans them up first.
    clocks.processingMs = 130;
    const { chunks, entries } = b.snapshot(true);
    assert.equal(entries, 25);
    const r = new KeyedStateBackend('op', MAX_P, true, clocks);
    r.restore(chunks);
    assert.equal(r.entryCount, 25, 'the full chunks hold the live entries only');
    const rv = r.valueState<number>('v', { ttl: { ttlMs: 100 } });
    const live: number[] = [];
    for (let i = 0; i < 50; i++) { r.currentKey = i; if (rv.value() !== undefined) live.push(i); }
    assert.deepEqual(live, Array.from({ length: 25 }, (_, i) => 25 + i));
  });
});

describe('ChunkEncoder.encodeFull', () => {
  const entry = (key: Key, value: unknown): StateEntry<unknown> => ({ key, kg: 0, value, mark: 0, base: -1 } as StateEntry<unknown>);
  // Values msgpack packs as records (objects inside arrays and maps): each table's part defines its own shapes.
  const tables = (): TableChanges[] => [
    { name: 'a', ttl: false, kind: 'list', puts: [entry('x', [{ p: 1, q: 'r' }, { p: 2, q: 's' }]), entry('y', [{ p: 3, q: 't' }])], dels: [] },
    { name: 'b', ttl: false, kind: 'map', puts: [entry('x', new Map([['m', { z: [{ p: 9, q: 'u' }] }]]))], dels: [] },
    { name: 'c', ttl: false, kind: 'value', puts: [entry('x', { n: 1 }), entry('z', { n: 2 })], dels: [] },
  ];
  for (const columns of [true, false]) {
    test(`a chunk of parts, kept ones among them, decodes as the chunk encoded whole (${columns ? 'columns' : 'rows'})`, () => {
      const whole = decodeKeyGroup(encodeKeyGroup(true, tables(), columns));
      const first = new ChunkEncoder(columns).encodeFull(tables());
      assert.deepEqual(decodeKeyGroup(first.bytes), whole);
      // The first and third parts kept, the second encoded again.
      const again = tables().map((t, i) => (i === 1 ? t : { ...t, puts: [], section: first.sections[i] }));
      const second = new ChunkEncoder(columns).encodeFull(again);
      assert.deepEqual(decodeKeyGroup(second.bytes), whole);
      assert.equal(second.sections[0], first.sections[0], 'a kept part is used as it is');
    });
  }
});
