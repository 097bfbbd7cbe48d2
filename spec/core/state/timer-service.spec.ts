// TimerService: timers fire once, in timestamp order, deduplicated per (key, timestamp); deleted timers do not
// fire, registering again after a delete does; timers registered while firing fire in the same pass when due;
// processing-time timers give the next wake-up; timers are keyed state, so they survive a snapshot and restore.
// Every test runs with the one-timer fast path (inlineSingle) on and off (and with it timers of one time batched,
// groupTimes: timer-batches.spec.ts); a snapshot of either layout restores into either.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { KeyedStateBackend } from '../../../core/state/keyed-state-backend.js';
import { TimerService, type TimeDomain } from '../../../core/state/timer-service.js';
import type { Key } from '../../../core/graph/key-groups.js';
import { ChunkStore, ManualClocks } from './fixtures.js';

function setup(inlineSingle: boolean, tracking = true): { b: KeyedStateBackend; ts: TimerService } {
  const b = new KeyedStateBackend('op', 16, tracking, new ManualClocks());
  return { b, ts: new TimerService(b, { inlineSingle }) };
}

function fire(ts: TimerService, upTo: number, domain: TimeDomain = 'event'): [Key, number][] {
  const out: [Key, number][] = [];
  ts.fire(domain, upTo, (k, t) => out.push([k, t]));
  return out;
}

for (const inline of [true, false]) describe(`TimerService, inlineSingle ${inline}`, () => {
  test('timers fire once, in timestamp order, when the time reaches them', () => {
    const { ts } = setup(inline);
    ts.register('event', 'a', 30);
    ts.register('event', 'b', 10);
    ts.register('event', 'a', 20);
    ts.register('event', 'c', 40);
    assert.deepEqual(fire(ts, 9), []);
    assert.deepEqual(fire(ts, 30), [['b', 10], ['a', 20], ['a', 30]]);
    assert.deepEqual(fire(ts, 30), [], 'a timer fires once');
    assert.equal(ts.size, 1);
    assert.deepEqual(fire(ts, Number.MAX_SAFE_INTEGER), [['c', 40]]);
    assert.equal(ts.size, 0);
  });

  test('one timer per (key, timestamp): registering it twice fires it once', () => {
    const { ts } = setup(inline);
    ts.register('event', 'a', 5);
    ts.register('event', 'a', 5);
    ts.register('event', 'b', 5);
    assert.equal(ts.size, 2);
    assert.deepEqual(fire(ts, 5).sort(), [['a', 5], ['b', 5]]);
  });

  test('a deleted timer does not fire; registered again, it fires once', () => {
    const { ts } = setup(inline);
    ts.register('event', 'a', 5);
    ts.register('event', 'a', 6);
    ts.delete('event', 'a', 5);
    ts.delete('event', 'a', 99); // absent: nothing happens
    ts.delete('event', 'zz', 5);
    assert.equal(ts.size, 1);
    assert.deepEqual(fire(ts, 10), [['a', 6]]);
    ts.register('event', 'b', 20);
    ts.delete('event', 'b', 20);
    ts.register('event', 'b', 20);
    assert.deepEqual(fire(ts, 20), [['b', 20]], 'the stale heap entry of the deleted registration fires nothing');
    assert.equal(ts.size, 0);
  });

  test('timers registered while firing fire in the same pass when due, and only then', () => {
    const { ts } = setup(inline);
    ts.register('event', 'a', 10);
    const out: [Key, number][] = [];
    ts.fire('event', 15, (k, t) => {
      out.push([k, t]);
      if (k === 'a' && t === 10) {
        ts.register('event', 'a', 12); // due: same pass
        ts.register('event', 'b', 10); // at the current time: same pass
        ts.register('event', 'a', 16); // later
      }
    });
    assert.deepEqual(out, [['a', 10], ['b', 10], ['a', 12]]);
    assert.deepEqual(fire(ts, 16), [['a', 16]]);
  });

  test('a timer registered again for the timestamp that is firing fires again (it is a new timer)', () => {
    const { ts } = setup(inline);
    ts.register('event', 'a', 10);
    let n = 0;
    ts.fire('event', 10, (k, t) => { if (n++ === 0) ts.register('event', k, t); });
    assert.equal(n, 2);
    assert.equal(ts.size, 0);
  });

  test('processing-time timers: the next wake-up is the earliest one, and they fire apart from event time', () => {
    const { ts } = setup(inline);
    assert.equal(ts.nextProcessingTime(), Infinity);
    ts.register('processing', 'a', 1000);
    ts.register('processing', 'b', 500);
    ts.register('event', 'a', 1);
    assert.equal(ts.nextProcessingTime(), 500);
    assert.deepEqual(fire(ts, 2000, 'event'), [['a', 1]]);
    assert.deepEqual(fire(ts, 600, 'processing'), [['b', 500]]);
    assert.equal(ts.nextProcessingTime(), 1000);
    ts.delete('processing', 'a', 1000);
    // A deleted timer may still be the next wake-up (it is dropped when it comes up), but never fires.
    assert.ok(ts.nextProcessingTime() === 1000 || ts.nextProcessingTime() === Infinity);
    assert.deepEqual(fire(ts, 2000, 'processing'), []);
    assert.equal(ts.nextProcessingTime(), Infinity);
  });

  test('timers are keyed state: restored into a fresh backend (the other layout) and rebuilt, they fire as they would have', () => {
    const { b, ts } = setup(inline);
    ts.register('event', 'a', 10);
    ts.register('event', 'b', 20);
    ts.register('processing', 'c', 1000);
    const store = new ChunkStore();
    store.add(b.snapshot(false).chunks);
    fire(ts, 10);
    ts.register('event', 'd', 5);
    store.add(b.snapshot(false).chunks);
    const r = new KeyedStateBackend('op', 16, true, new ManualClocks());
    const rts = new TimerService(r, { inlineSingle: !inline });
    r.restore(store.chunks());
    rts.rebuild();
    assert.equal(rts.size, 3);
    assert.equal(rts.nextProcessingTime(), 1000);
    assert.deepEqual(fire(rts, 100), [['d', 5], ['b', 20]]);
    assert.deepEqual(fire(rts, 2000, 'processing'), [['c', 1000]]);
  });

  test('layout: one timer is a number with the fast path on and an array with it off; back to one, a number again', () => {
    const { b, ts } = setup(inline);
    const held = (k: Key): unknown => b.table<unknown>('__timers/event', 'internal', undefined).entries.get(k)?.value;
    ts.register('event', 'a', 10);
    assert.deepEqual(held('a'), inline ? 10 : [10]);
    ts.register('event', 'a', 5);
    ts.register('event', 'a', 10);
    assert.deepEqual(held('a'), [5, 10], 'two timers: sorted, the duplicate not added');
    assert.deepEqual(fire(ts, 5), [['a', 5]]);
    assert.deepEqual(held('a'), inline ? 10 : [10]);
    ts.delete('event', 'a', 10);
    assert.equal(held('a'), undefined, 'no timer left: no entry');
    assert.deepEqual(fire(ts, 100), []);
  });

  test('a key holding many timers: the latest added at the end, the earliest fired off the front, one in the middle deleted', () => {
    const { b, ts } = setup(inline);
    const held = (k: Key): unknown => b.table<unknown>('__timers/event', 'internal', undefined).entries.get(k)?.value;
    for (const t of [10, 20, 30, 40, 50]) ts.register('event', 'a', t);
    ts.register('event', 'a', 25);
    ts.register('event', 'a', 50);
    assert.deepEqual(held('a'), [10, 20, 25, 30, 40, 50]);
    assert.deepEqual(fire(ts, 20), [['a', 10], ['a', 20]]);
    assert.deepEqual(held('a'), [25, 30, 40, 50]);
    ts.delete('event', 'a', 40);
    assert.deepEqual(held('a'), [25, 30, 50]);
    ts.register('event', 'a', 60);
    assert.deepEqual(fire(ts, 55), [['a', 25], ['a', 30], ['a', 50]]);
    assert.deepEqual(held('a'), inline ? 60 : [60]);
    assert.deepEqual(fire(ts, 100), [['a', 60]]);
    assert.equal(held('a'), undefined);
  });

  test('property: fired timers equal a model set, in timestamp order, across snapshots and restores', () => {
    type Op =
      | { t: 'reg' | 'del'; key: number; ts: number }
      | { t: 'advance'; by: number }
      | { t: 'restore'; inline: boolean };
    const op: fc.Arbitrary<Op> = fc.oneof(
      { arbitrary: fc.record({ t: fc.constant('reg' as const), key: fc.integer({ min: 0, max: 5 }), ts: fc.integer({ min: 0, max: 60 }) }), weight: 5 },
      { arbitrary: fc.record({ t: fc.constant('del' as const), key: fc.integer({ min: 0, max: 5 }), ts: fc.integer({ min: 0, max: 60 }) }), weight: 2 },
      { arbitrary: fc.record({ t: fc.constant('advance' as const), by: fc.integer({ min: 0, max: 10 }) }), weight: 2 },
      { arbitrary: fc.record({ t: fc.constant('restore' as const), inline: fc.boolean() }), weight: 1 },
    );
    fc.assert(fc.property(fc.array(op, { maxLength: 150 }), (ops) => {
      let { b, ts } = setup(inline);
      const store = new ChunkStore();
      const model = new Set<string>();
      let wm = -1;
      for (const o of ops) {
        if (o.t === 'reg') { ts.register('event', o.key, o.ts); model.add(`${o.key}@${o.ts}`); }
        else if (o.t === 'del') { ts.delete('event', o.key, o.ts); model.delete(`${o.key}@${o.ts}`); }
        else if (o.t === 'advance') {
          wm += o.by;
          const fired = fire(ts, wm);
          const expected = [...model].map((s) => s.split('@').map(Number) as [number, number]).filter(([, t]) => t <= wm);
          assert.deepEqual(fired.map(([k, t]) => `${k}@${t}`).sort(), expected.map(([k, t]) => `${k}@${t}`).sort());
          for (let i = 1; i < fired.length; i++) assert.ok(fired[i]![1] >= fired[i - 1]![1], 'timestamp order');
          for (const [k, t] of expected) model.delete(`${k}@${t}`);
        } else {
          store.add(b.snapshot(false).chunks);
          b = new KeyedStateBackend('op', 16, true, new ManualClocks());
          ts = new TimerService(b, { inlineSingle: o.t === 'restore' ? o.inline : inline });
          b.restore(store.chunks());
          ts.rebuild();
        }
        assert.equal(ts.size, model.size);
      }
    }), { numRuns: 300 });
  });
});
