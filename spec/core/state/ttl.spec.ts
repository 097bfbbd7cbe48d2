// State TTL: expired entries are never returned, on the processing-time clock (injected) and on event time;
// 'read-write' renews on reads; cleanup in the background keeps rotating keys bounded; snapshots carry no
// expired entries, and incremental ones carry tombstones for entries that expired since the last.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { KeyedStateBackend, type StateClocks } from '../../../core/state/keyed-state-backend.js';
import { ttlConfig } from '../../../core/state/ttl.js';
import { decodeKeyGroup } from '../../../core/state/key-group-codec.js';
import { JobDefinitionError } from '../../../core/api/errors.js';
import type { StateOptions } from '../../../core/api/state.js';
import { ChunkStore, ManualClocks } from './fixtures.js';

/** A backend with the state fast paths on or off (RunOptions.stateFastPaths): the TTL rules hold either way. */
function backend(fastPaths: boolean, tracking: boolean, clocks: StateClocks): KeyedStateBackend {
  return new KeyedStateBackend('op', 16, tracking, clocks, true, fastPaths);
}

function setup(fastPaths: boolean, options: StateOptions, tracking = true) {
  const clocks = new ManualClocks();
  const b = backend(fastPaths, tracking, clocks);
  const v = b.valueState<number>('v', options);
  const put = (k: string, x: number): void => { b.currentKey = k; v.update(x); };
  const get = (k: string): number | undefined => { b.currentKey = k; return v.value(); };
  return { clocks, b, v, put, get };
}

describe('ttlConfig', () => {
  test('defaults: renew on write, processing time', () => {
    assert.deepEqual(ttlConfig({ ttlMs: 10 }, 'x'), { ttlMs: 10, readRenews: false, eventTime: false });
    assert.deepEqual(ttlConfig({ ttlMs: 10, update: 'read-write', time: 'event' }, 'x'), { ttlMs: 10, readRenews: true, eventTime: true });
    assert.equal(ttlConfig(undefined, 'x'), undefined);
    assert.throws(() => ttlConfig({ ttlMs: 0 }, "operator 'o'"), (e: unknown) => e instanceof JobDefinitionError && e.message.startsWith("operator 'o': ttl.ttlMs"));
  });
});

// Regression: a misspelt option was ignored: { ttl: { ttlMs: 100, updte: 'read-write' } } renewed on writes only,
// and { tll: { ttlMs: 100 } } kept entries for good.
describe('misspelt state options', () => {
  test('a state option or TTL key not known is refused when the state is first declared, naming the state and the nearest key', () => {
    const b = backend(true, true, new ManualClocks());
    assert.throws(() => b.valueState('v', { ttl: { ttlMs: 100, updte: 'read-write' } } as never), (e: unknown) =>
      e instanceof JobDefinitionError && e.message === "operator 'op', state 'v': ttl: unknown option 'updte' (did you mean 'update'?); known: ttlMs, update, time");
    assert.throws(() => b.listState('l', { tll: { ttlMs: 100 } } as never), (e: unknown) =>
      e instanceof JobDefinitionError && e.message === "operator 'op', state 'l': unknown option 'tll' (did you mean 'ttl'?); known: ttl");
    assert.throws(() => ttlConfig(5 as never, "operator 'o'"), /^JobDefinitionError: operator 'o': ttl must be an object \{ ttlMs, update\?, time\? \}, got 5$/);
    assert.equal(b.mapState('m', { ttl: { ttlMs: 100, update: undefined } }) !== undefined, true);
  });
});

for (const fastPaths of [true, false]) describe(`state fast paths ${fastPaths ? 'on' : 'off'}`, () => {
  describe('processing-time TTL', () => {
    test('an entry expires ttlMs after its last write, and is never returned after', () => {
      const { clocks, put, get, b } = setup(fastPaths, { ttl: { ttlMs: 100 } });
      put('a', 1);
      clocks.processingMs = 99;
      assert.equal(get('a'), 1);
      put('a', 2); // renews: expires at 199
      clocks.processingMs = 198;
      assert.equal(get('a'), 2);
      clocks.processingMs = 199;
      assert.equal(get('a'), undefined);
      assert.equal(b.entryCount, 0, 'the expired entry was removed when read');
    });

    test("reads do not renew by default; 'read-write' renews on every read", () => {
      for (const update of ['write', 'read-write'] as const) {
        const { clocks, put, get } = setup(fastPaths, { ttl: { ttlMs: 100, update } });
        put('a', 1);
        for (const t of [50, 100, 150]) { clocks.processingMs = t; get('a'); }
        clocks.processingMs = 200;
        assert.equal(get('a'), update === 'read-write' ? 1 : undefined, update);
      }
    });

    test('every handle kind hides expired entries (list add and map put on an expired entry start over)', () => {
      const clocks = new ManualClocks();
      const b = backend(fastPaths, false, clocks);
      const o = { ttl: { ttlMs: 10 } };
      const list = b.listState<number>('l', o);
      const map = b.mapState<string, number>('m', o);
      const red = b.reducingState<number>('r', (x, y) => x + y, o);
      const agg = b.aggregatingState<number, number, number>('g', { createAccumulator: () => 0, add: (x, a) => a + x, getResult: (a) => a }, o);
      b.currentKey = 'k';
      list.add(1); map.put('x', 1); red.add(1); agg.add(1);
      clocks.processingMs = 10;
      assert.deepEqual(list.get(), []);
      assert.equal(map.contains('x'), false);
      assert.equal(red.get(), undefined);
      assert.equal(agg.get(), undefined);
      list.add(2); map.put('y', 2); red.add(2); agg.add(2);
      assert.deepEqual(list.get(), [2]);
      assert.deepEqual(map.entries(), [['y', 2]]);
      assert.equal(red.get(), 2);
      assert.equal(agg.get(), 2);
    });

    test('in-place list and map updates renew the entry', () => {
      const clocks = new ManualClocks();
      const b = backend(fastPaths, false, clocks);
      const list = b.listState<number>('l', { ttl: { ttlMs: 10 } });
      b.currentKey = 'k';
      list.add(1);
      clocks.processingMs = 9; list.add(2);
      clocks.processingMs = 18;
      assert.deepEqual(list.get(), [1, 2]);
    });

    test('background cleanup keeps the entry count bounded for rotating keys that are never read again', () => {
      const { clocks, put, b } = setup(fastPaths, { ttl: { ttlMs: 100 } }, false);
      let max = 0;
      // A new key every ms: about 100 are alive at any time; written once, never read.
      for (let t = 0; t < 20_000; t++) {
        clocks.processingMs = t;
        put(`k${t}`, t);
        max = Math.max(max, b.entryCount);
      }
      assert.ok(max <= 101, `at most the live keys are kept, saw ${max}`);
      clocks.processingMs = 1e9;
      const left = b.entryCount;
      assert.ok(left > 0);
      assert.equal(b.cleanupExpired(), left, 'cleanupExpired removes the rest');
      assert.equal(b.entryCount, 0);
    });

    test('property: a read returns the last write exactly while it is younger than ttlMs (model check)', () => {
      type Step = { k: number; write: boolean; dt: number };
      fc.assert(fc.property(fc.array(fc.record({ k: fc.integer({ min: 0, max: 5 }), write: fc.boolean(), dt: fc.integer({ min: 0, max: 40 }) }), { maxLength: 200 }), fc.boolean(), (steps: Step[], readRenews) => {
        const { clocks, put, get } = setup(fastPaths, { ttl: { ttlMs: 50, update: readRenews ? 'read-write' : 'write' } }, false);
        const model = new Map<number, { v: number; at: number }>();
        let t = 0;
        steps.forEach((s, i) => {
          t += s.dt;
          clocks.processingMs = t;
          const m = model.get(s.k);
          const alive = m !== undefined && m.at + 50 > t;
          if (!alive) model.delete(s.k);
          if (s.write) { put(`k${s.k}`, i); model.set(s.k, { v: i, at: t }); }
          else {
            assert.equal(get(`k${s.k}`), alive ? m!.v : undefined, `step ${i}`);
            if (alive && readRenews) m!.at = t;
          }
        });
      }));
    });
  });

  describe('event-time TTL', () => {
    test('an entry expires once the watermark passes its last write time + ttlMs', () => {
      const { clocks, put, get } = setup(fastPaths, { ttl: { ttlMs: 100, time: 'event' } });
      clocks.watermarkMs = 0;
      clocks.recordTs = 50;
      put('a', 1);
      clocks.recordTs = NaN;
      clocks.processingMs = 1e12; // wall time plays no part
      clocks.watermarkMs = 149;
      assert.equal(get('a'), 1);
      clocks.watermarkMs = 150;
      assert.equal(get('a'), undefined);
    });

    test('writes before the first watermark live ttlMs from their record time (regression: they expired at the first watermark)', () => {
      const { clocks, put, get } = setup(fastPaths, { ttl: { ttlMs: 1000, time: 'event' } });
      // No watermark yet: the task's watermark is MIN_WATERMARK.
      clocks.recordTs = 5000;
      put('a', 1);
      clocks.recordTs = NaN;
      clocks.watermarkMs = 4000; // the first periodic watermark
      assert.equal(get('a'), 1);
      clocks.watermarkMs = 6000;
      assert.equal(get('a'), undefined);
    });

    test('a record sees an entry as expired from its own time: the result does not depend on when watermarks came', () => {
      const { clocks, put, get } = setup(fastPaths, { ttl: { ttlMs: 100, time: 'event' } });
      clocks.recordTs = 0;
      put('a', 1);
      // The watermark lags; a record at 100 still finds the entry expired, one at 99 does not.
      clocks.watermarkMs = -50;
      clocks.recordTs = 99;
      assert.equal(get('a'), 1);
      clocks.recordTs = 100;
      assert.equal(get('a'), undefined);
    });

    test('background cleanup goes by the watermark: it never removes an entry a record still to come may see', () => {
      const { clocks, put, b, get } = setup(fastPaths, { ttl: { ttlMs: 100, time: 'event' } }, false);
      clocks.watermarkMs = 0;
      clocks.recordTs = 10;
      put('old', 1);
      // A record far ahead of the watermark writes another key: 'old' has expired by that record's time, not by
      // the watermark, so a later record at 100 (not late: above the watermark) must still find it.
      clocks.recordTs = 500;
      put('new', 2);
      assert.equal(b.sizeOf('v'), 2);
      clocks.recordTs = 100;
      assert.equal(get('old'), 1);
    });

    // Regression: a read by a record past the expiry removed the entry, so a record at an earlier time that came
    // after it (not late) found nothing, where it found the value had the two come the other way round.
    test('a read by a later-timed record hides an expired entry from itself only: an earlier-timed record after it still sees it', () => {
      const clocks = new ManualClocks();
      const b = backend(fastPaths, false, clocks);
      const o = { ttl: { ttlMs: 1000, time: 'event' as const } };
      const v = b.valueState<number>('v', o);
      const list = b.listState<number>('l', o);
      const map = b.mapState<string, number>('m', o);
      clocks.watermarkMs = -10_000;
      b.currentKey = 'k';
      clocks.recordTs = 0;
      v.update(1); list.add(1); map.put('x', 1);
      clocks.recordTs = 2000;
      assert.equal(v.value(), undefined);
      assert.deepEqual(list.get(), []);
      assert.equal(map.get('x'), undefined);
      clocks.recordTs = 500;
      assert.equal(v.value(), 1, 'a record at 500 sees what was written at 0');
      assert.deepEqual(list.get(), [1]);
      assert.equal(map.get('x'), 1);
      // A later-timed record that writes starts over (the list and the map anew), and the hidden entries go.
      clocks.recordTs = 2000;
      v.update(2); list.add(2); map.put('y', 2);
      assert.equal(v.value(), 2);
      assert.deepEqual(list.get(), [2]);
      assert.deepEqual([...map.keys()], ['y']);
      assert.equal(b.entryCount, 3);
      // Tracked as any removal and write: a snapshot holds the new entries only, and restores.
      const tracked = backend(fastPaths, true, clocks);
      const tv = tracked.valueState<number>('v', o);
      const tl = tracked.listState<number>('l', o);
      tracked.currentKey = 'k';
      clocks.recordTs = 0; tv.update(1); tl.add(1);
      clocks.recordTs = 2000; tl.add(2); tv.update(2);
      const { chunks, entries } = tracked.snapshot(true);
      assert.equal(entries, 2);
      const r = backend(fastPaths, true, clocks);
      r.restore(chunks);
      r.currentKey = 'k';
      assert.equal(r.valueState<number>('v', o).value(), 2);
      assert.deepEqual(r.listState<number>('l', o).get(), [2]);
      // Once the watermark has passed an expiry, a read removes the entry.
      clocks.watermarkMs = 3000;
      clocks.recordTs = 3500;
      assert.equal(v.value(), undefined);
      assert.equal(b.entryCount, 2);
    });

    test('an out-of-order write does not shorten the life a later-timed write gave the entry', () => {
      const { clocks, put, get } = setup(fastPaths, { ttl: { ttlMs: 100, time: 'event' } });
      clocks.watermarkMs = 0;
      clocks.recordTs = 200; put('a', 1);
      clocks.recordTs = 150; put('a', 2);
      clocks.recordTs = 299;
      assert.equal(get('a'), 2);
    });

    // Regression: cleanup on write goes by the watermark, an event-time timer's writes by the timer's time;
    // with the watermark past the new expiry, the write's own cleanup removed the entry it had just written.
    test('a write in an event-time timer far behind the watermark is read back in the timer, and snapshots restore', () => {
      for (const update of ['write', 'read-write'] as const) {
        const clocks = new ManualClocks();
        let timerTs = NaN;
        clocks.event = () => (timerTs === timerTs ? timerTs : clocks.watermarkMs);
        const b = backend(fastPaths, true, clocks);
        const v = b.valueState<number>('v', { ttl: { ttlMs: 10, time: 'event', update } });
        const l = b.listState<number>('l', { ttl: { ttlMs: 10, time: 'event', update } });
        b.currentKey = 'a';
        clocks.watermarkMs = 90; timerTs = 95;
        v.update(1); l.add(1); // expire at 105
        clocks.watermarkMs = 1000; timerTs = 100; // a timer at 100 fired by watermark 1000
        v.update(42); l.add(2);
        assert.equal(v.value(), 42, update);
        assert.deepEqual([...l.get()], [1, 2], update);
        timerTs = NaN;
        const { chunks, entries } = b.snapshot(true);
        assert.ok(entries >= 0 && entries <= 2, `${update}: ${entries} entries`);
        const r = backend(fastPaths, true, clocks);
        r.restore(chunks); // threw KeyGroupFormatError: the chunk held an entry its count left out
        assert.equal(r.entryCount, entries, update);
        // Expired by the watermark since: neither a record nor the next snapshot sees them.
        clocks.recordTs = 1000;
        assert.equal(v.value(), undefined);
        assert.equal(b.snapshot(true).entries, 0, update);
      }
    });

    // Regression: an out-of-order write that kept the entry's expiry still moved it behind later entries,
    // where cleanup (stopping at the first live entry) did not reach it, and snapshots wrote it after it expired.
    test('an out-of-order write keeps the entry where cleanup finds it once it expires', () => {
      const { clocks, put, b } = setup(fastPaths, { ttl: { ttlMs: 10, time: 'event' } });
      clocks.recordTs = 100; put('a', 1); // expires at 110
      clocks.recordTs = 105; put('b', 2); // expires at 115
      clocks.recordTs = 95; put('a', 3); // still expires at 110
      clocks.recordTs = NaN; clocks.watermarkMs = 112;
      assert.equal(b.cleanupExpired(), 1);
      assert.equal(b.snapshot(true).entries, 1);
    });

    // The table remembers its first entry, to clean without an iterator: removing that entry must make it look again.
    test('an entry out of order behind a removed first entry is cleaned once it expires', () => {
      const { clocks, put, b, v } = setup(fastPaths, { ttl: { ttlMs: 10, time: 'event' } });
      clocks.watermarkMs = 0;
      clocks.recordTs = 100; put('a', 1); // expires at 110
      clocks.recordTs = 95; put('b', 2); // expires at 105, behind 'a'
      clocks.recordTs = NaN; clocks.watermarkMs = 100;
      assert.equal(b.cleanupExpired(), 0);
      b.currentKey = 'a'; v.clear();
      clocks.watermarkMs = 106;
      assert.equal(b.snapshot(true).entries, 0);
    });

    test('rotating keys in event time stay bounded', () => {
      const { clocks, put, b } = setup(fastPaths, { ttl: { ttlMs: 100, time: 'event' } }, false);
      let max = 0;
      for (let t = 0; t < 10_000; t++) {
        clocks.recordTs = t;
        clocks.watermarkMs = t - 10;
        put(`k${t}`, t);
        max = Math.max(max, b.entryCount);
      }
      assert.ok(max <= 111, `saw ${max} entries`);
    });
  });

  describe('TTL and snapshots', () => {
    test('expired entries are not written to snapshots (full or delta)', () => {
      for (const full of [false, true]) {
        const { clocks, put, b } = setup(fastPaths, { ttl: { ttlMs: 100 } });
        for (let i = 0; i < 20; i++) { clocks.processingMs = i * 10; put(`k${i}`, i); }
        clocks.processingMs = 200; // k0..k10 expired (written at 0..100)
        const { chunks, entries } = b.snapshot(full);
        assert.equal(entries, 9);
        const written = chunks.flatMap((c) => decodeKeyGroup(c.bytes).tables.flatMap((t) => t.puts.filter((_, i) => i % 3 === 0)));
        assert.deepEqual(written.sort(), Array.from({ length: 9 }, (_, i) => `k${i + 11}`).sort());
      }
    });

    test('an entry that expired since the last snapshot is a tombstone in the next delta, and stays gone on restore', () => {
      const { clocks, put, b, get } = setup(fastPaths, { ttl: { ttlMs: 1000 } });
      put('gone', 1); // expires at 1000
      // Many keys in every group, so that the next snapshot is a delta.
      clocks.processingMs = 500;
      for (let i = 0; i < 200; i++) put(`keep${i}`, i);
      const store = new ChunkStore();
      store.add(b.snapshot(false).chunks);
      clocks.processingMs = 1100;
      const delta = b.snapshot(false).chunks;
      assert.deepEqual(delta.map((c) => c.full), [false]);
      const dels = delta.flatMap((c) => decodeKeyGroup(c.bytes).tables.flatMap((t) => t.dels));
      assert.deepEqual(dels, ['gone']);
      store.add(delta);
      const r = backend(fastPaths, true, clocks);
      r.restore(store.chunks());
      const rv = r.valueState<number>('v', { ttl: { ttlMs: 1000 } });
      r.currentKey = 'gone';
      assert.equal(rv.value(), undefined);
      assert.equal(r.entryCount, 200);
      assert.equal(get('keep3'), 3);
    });

    test("a 'read-write' renewal is part of the next snapshot (regression: a restored entry expired at its last write's time)", () => {
      const { clocks, put, get, b } = setup(fastPaths, { ttl: { ttlMs: 100, update: 'read-write' } });
      put('a', 1);
      const store = new ChunkStore();
      store.add(b.snapshot(false).chunks);
      clocks.processingMs = 90;
      assert.equal(get('a'), 1); // renewed to 190
      store.add(b.snapshot(false).chunks);
      clocks.processingMs = 150;
      assert.equal(get('a'), 1, 'live');
      const r = backend(fastPaths, true, clocks);
      r.restore(store.chunks());
      const rv = r.valueState<number>('v', { ttl: { ttlMs: 100, update: 'read-write' } });
      r.currentKey = 'a';
      assert.equal(rv.value(), 1, 'restored');
    });

    test('a clock that moves during a snapshot does not make its entry counts disagree with its chunks (regression)', () => {
      const clocks = new ManualClocks();
      // Every read of the clock moves it on by 1 ms, as a wall clock may between two reads.
      let t = 0;
      clocks.processing = () => t++;
      const b = backend(fastPaths, true, clocks);
      const v = b.valueState<number>('v', { ttl: { ttlMs: 50 } });
      for (let i = 0; i < 40; i++) { b.currentKey = i; v.update(i); }
      const store = new ChunkStore();
      // Entries expire at every ms from here on: some snapshot reads the clock on both sides of an expiry.
      for (let s = 0; s < 60; s++) {
        const { chunks } = b.snapshot(false);
        store.add(chunks);
        backend(fastPaths, true, new ManualClocks()).restore(store.chunks());
      }
    });

    test('restored entries keep their expiry; the table takes its TTL when the job declares it', () => {
      const { clocks, put, b } = setup(fastPaths, { ttl: { ttlMs: 100 } });
      put('a', 1);
      clocks.processingMs = 60;
      put('b', 2);
      const chunks = b.snapshot(false).chunks;
      const r = backend(fastPaths, true, clocks);
      r.restore(chunks);
      clocks.processingMs = 120;
      const rv = r.valueState<number>('v', { ttl: { ttlMs: 100 } });
      r.currentKey = 'a'; assert.equal(rv.value(), undefined);
      r.currentKey = 'b'; assert.equal(rv.value(), 2);
    });

    test('restored event-time entries survive a snapshot taken before the job declares their state (regression: cleaned by the wall clock)', () => {
      const { clocks, put, b } = setup(fastPaths, { ttl: { ttlMs: 1000, time: 'event' } });
      clocks.processingMs = Date.now();
      clocks.watermarkMs = 0;
      clocks.recordTs = 10;
      put('a', 1);
      const r = backend(fastPaths, true, clocks);
      r.restore(b.snapshot(false).chunks);
      // A checkpoint before any record reaches the restored operator: the state is not declared yet.
      const { chunks, entries } = r.snapshot(true);
      assert.equal(entries, 1);
      const r2 = backend(fastPaths, true, clocks);
      r2.restore(chunks);
      const v = r2.valueState<number>('v', { ttl: { ttlMs: 1000, time: 'event' } });
      r2.currentKey = 'a';
      assert.equal(v.value(), 1);
      assert.equal(r.cleanupExpired(), 0, 'nothing expires in an undeclared table');
    });
  });

  // Regression: entries checkpointed without a TTL restored with expiry at infinity into a state now
  // declared with one, so they never expired. Flink refuses a TTL change on restore; so does sluice, both ways.
  test('a TTL added to or dropped from a state across a restore is refused, naming the operator and the state', () => {
    for (const [before, after] of [[undefined, { ttlMs: 100 }], [{ ttlMs: 100 }, undefined]] as const) {
      const { put, b } = setup(fastPaths, before === undefined ? {} : { ttl: before });
      put('a', 1);
      const store = new ChunkStore();
      store.add(b.snapshot(false).chunks);
      const r = backend(fastPaths, true, new ManualClocks());
      r.restore(store.chunks());
      r.currentKey = 'a';
      assert.throws(() => r.valueState<number>('v', after === undefined ? {} : { ttl: after }),
        (e: unknown) => e instanceof JobDefinitionError && e.message.startsWith(`operator 'op': state 'v' was checkpointed ${before ? 'with' : 'without'} a TTL, and this job declares it ${after ? 'with' : 'without'} one`));
      // The same setting as before restores as it was.
      const same = backend(fastPaths, true, new ManualClocks());
      same.restore(store.chunks());
      same.currentKey = 'a';
      assert.equal(same.valueState<number>('v', before === undefined ? {} : { ttl: before }).value(), 1);
    }
  });

  describe('TTL exactness with slack in cleanup order (fast paths on: a write moves its entry only past the slack)', () => {
    // ttlMs 160: with the fast paths, the slack is 10 ms.
    test('an expired entry behind a live one whose position is due is still cleaned before a snapshot and tombstoned', () => {
      const { clocks, put, b, get } = setup(fastPaths, { ttl: { ttlMs: 160 } });
      for (let i = 0; i < 100; i++) put(`keep${i}`, i); // at 0: expire at 160; many keys, so the next snapshot is a delta
      clocks.processingMs = 1;
      put('a', 1); // expires at 161
      clocks.processingMs = 2;
      put('b', 2); // expires at 162
      clocks.processingMs = 6;
      put('a', 3); // expires at 166: within the slack, not moved (fast paths): 'a' stays in front of 'b'
      clocks.processingMs = 100;
      for (let i = 0; i < 100; i++) put(`keep${i}`, i); // renewed to 260
      const store = new ChunkStore();
      store.add(b.snapshot(false).chunks);
      clocks.processingMs = 163; // 'b' expired, 'a' alive till 166
      const { chunks, entries } = b.snapshot(false);
      assert.equal(entries, 101);
      assert.deepEqual(chunks.flatMap((c) => decodeKeyGroup(c.bytes).tables.flatMap((t) => t.dels)), ['b']);
      store.add(chunks);
      assert.equal(get('a'), 3);
      assert.equal(get('b'), undefined);
      clocks.processingMs = 166;
      assert.equal(get('a'), undefined);
      const r = backend(fastPaths, true, clocks);
      r.restore(store.chunks());
      const rv = r.valueState<number>('v', { ttl: { ttlMs: 160 } });
      clocks.processingMs = 165;
      r.currentKey = 'a'; assert.equal(rv.value(), 3);
      r.currentKey = 'b'; assert.equal(rv.value(), undefined);
      assert.equal(r.entryCount, 101);
    });

    test('rotating keys written twice within the slack stay bounded by the live keys and the slack', () => {
      const { clocks, put, b } = setup(fastPaths, { ttl: { ttlMs: 160 } }, false);
      let max = 0;
      // A new key every ms, written again 5 ms later, never after: 165 keys alive at a time, plus at most the
      // slack's worth waiting behind an entry whose position is due.
      for (let t = 0; t < 20_000; t++) {
        clocks.processingMs = t;
        put(`k${t}`, t);
        if (t >= 5) put(`k${t - 5}`, t);
        max = Math.max(max, b.entryCount);
      }
      assert.ok(max <= 166 + 10, `saw ${max} entries`);
      clocks.processingMs = 20_200;
      assert.ok(b.cleanupExpired() > 0);
      assert.equal(b.entryCount, 0);
    });

    test('a list or map write reads the clock once with the fast paths (twice without)', () => {
      const clocks = new ManualClocks();
      let reads = 0;
      clocks.processing = () => { reads++; return clocks.processingMs; };
      const b = backend(fastPaths, false, clocks);
      const l = b.listState<number>('l', { ttl: { ttlMs: 100 } });
      const m = b.mapState<string, number>('m', { ttl: { ttlMs: 100 } });
      b.currentKey = 'k';
      l.add(1); m.put('x', 1); // new entries: a miss reads no clock, the write one
      assert.equal(reads, 2);
      reads = 0;
      l.add(2); m.put('y', 2);
      assert.equal(reads, fastPaths ? 2 : 4);
    });

    test('property: reads and restored snapshots hold exactly the live entries (value, list, map; model check)', () => {
      type Step = { k: number; s: number; write: boolean; dt: number; snap: number };
      const step = fc.record({ k: fc.integer({ min: 0, max: 7 }), s: fc.integer({ min: 0, max: 2 }), write: fc.boolean(), dt: fc.integer({ min: 0, max: 12 }), snap: fc.integer({ min: 0, max: 15 }) });
      fc.assert(fc.property(fc.array(step, { maxLength: 250 }), fc.boolean(), (steps: Step[], readRenews) => {
        const TTL = 160;
        const o: StateOptions = { ttl: { ttlMs: TTL, update: readRenews ? 'read-write' : 'write' } };
        const clocks = new ManualClocks();
        const b = backend(fastPaths, true, clocks);
        const handles = (x: KeyedStateBackend) => ({ v: x.valueState<number>('v', o), l: x.listState<number>('l', o), m: x.mapState<number, number>('m', o) });
        const h = handles(b);
        const read = (x: ReturnType<typeof handles>, s: number): unknown => s === 0 ? x.v.value() : s === 1 ? x.l.get() : x.m.entries();
        // Model: per state and key, the last renewal and what a read returns.
        const model = new Map<string, { at: number; v: number | number[] | [number, number][] }>();
        const expect = (s: number, k: number, t: number): unknown => {
          const m = model.get(`${s}/${k}`);
          if (m !== undefined && m.at + TTL > t) return m.v;
          model.delete(`${s}/${k}`);
          return s === 0 ? undefined : [];
        };
        const store = new ChunkStore();
        let t = 0;
        steps.forEach((st, i) => {
          t += st.dt;
          clocks.processingMs = t;
          b.currentKey = st.k;
          const before = expect(st.s, st.k, t);
          if (st.write) {
            if (st.s === 0) { h.v.update(i); model.set(`0/${st.k}`, { at: t, v: i }); }
            else if (st.s === 1) { h.l.add(i); model.set(`1/${st.k}`, { at: t, v: [...(before as number[]), i] }); }
            else { h.m.put(i % 3, i); const es = new Map(before as [number, number][]); es.set(i % 3, i); model.set(`2/${st.k}`, { at: t, v: [...es] }); }
          } else {
            assert.deepEqual(read(h, st.s), before, `step ${i}`);
            const m = model.get(`${st.s}/${st.k}`);
            if (m !== undefined && readRenews) m.at = t;
          }
          if (st.snap === 0) {
            const { chunks, entries } = b.snapshot(i % 2 === 0);
            store.add(chunks);
            let live = 0;
            for (const [, m] of model) if (m.at + TTL > t) live++;
            assert.equal(entries, live, `snapshot at step ${i}`);
            const r = backend(fastPaths, true, clocks);
            r.restore(store.chunks());
            assert.equal(r.entryCount, live);
            const rh = handles(r);
            for (const [id, m] of model) {
              if (m.at + TTL <= t) continue;
              const [s, k] = id.split('/').map(Number) as [number, number];
              r.currentKey = k;
              assert.deepEqual(read(rh, s), m.v, `restored ${id} at step ${i}`);
            }
          }
        });
      }), { numRuns: 60 });
    });
  });
});

// Regression: the cleanup's kept Map iterator, not stepped while the first entry stayed,
// held every table the Map rehashed into since (121 MB after 3 M moves on 10 k keys); it is dropped once the writes
// outnumber the entries, and cleanup goes on from a fresh one.
test('fast paths: a first entry that stays while busy keys are rewritten does not keep the cleanup iterator, and cleanup goes on', () => {
  const { clocks, b, put, get } = setup(true, { ttl: { ttlMs: 32 } }, false);
  clocks.processingMs = 0;
  put('cold', 0);
  for (let t = 0; t < 3000; t++) {
    clocks.processingMs = t % 31;
    put(`hot${t % 8}`, t);
  }
  const table = (b as unknown as { tables: Map<string, { table: { iter: unknown } }> }).tables.get('v')!.table;
  assert.equal(table.iter, undefined);
  clocks.processingMs = 40;
  put('hot0', 1);
  assert.equal(get('cold'), undefined);
  assert.equal(b.entryCount, 8, 'the cold entry went, the hot ones stay');
  clocks.processingMs = 200;
  for (let i = 0; i < 4; i++) put('new', i);
  assert.equal(b.entryCount, 1, 'expired hot entries go behind it (two a write), from a fresh iterator');
});
