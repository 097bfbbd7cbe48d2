// Timers of one timestamp share a heap node (TimerServiceOptions.groupTimes, a fast path on with stateFastPaths;
// here with inlineSingle, on and off together, as stateFastPaths sets them):
// the heap holds about one node per timestamp, and the timers fire exactly as without it: each once, in timestamp
// order, those registered or deleted while others of their time fire included, across snapshots and restores.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { KeyedStateBackend } from '../../../core/state/keyed-state-backend.js';
import { TimerService } from '../../../core/state/timer-service.js';
import type { Key } from '../../../core/graph/key-groups.js';
import { ChunkStore, ManualClocks } from './fixtures.js';

function service(groupTimes: boolean, b = new KeyedStateBackend('op', 16, true, new ManualClocks())): { b: KeyedStateBackend; ts: TimerService } {
  return { b, ts: new TimerService(b, { inlineSingle: groupTimes, groupTimes }) };
}

/** Heap nodes of the event-time queue (a batch is one). */
function nodes(ts: TimerService): number {
  return (ts as unknown as { event: { heap: { size: number } } }).event.heap.size;
}

describe('timers of one timestamp', () => {
  test('share a heap node with groupTimes on (all fire, in no set order among themselves); one node each with it off', () => {
    for (const group of [true, false]) {
      const { ts } = service(group);
      for (let k = 0; k < 1000; k++) { ts.register('event', k, 100); ts.register('event', k, 200); }
      assert.equal(ts.size, 2000);
      // The first timer of a time has a node of its own, the rest one batch.
      assert.equal(nodes(ts), group ? 4 : 2000);
      const fired: [Key, number][] = [];
      ts.fire('event', 150, (k, t) => fired.push([k, t]));
      assert.equal(fired.length, 1000);
      assert.ok(fired.every(([, t]) => t === 100));
      // No order among timers of one time is promised (nor in Flink): the first of a time has a node of its own,
      // which the heap may take before or after the batch (review r5).
      assert.deepEqual(fired.map(([k]) => k as number).sort((a, b) => a - b), Array.from({ length: 1000 }, (_, k) => k));
      assert.equal(nodes(ts), group ? 2 : 1000);
    }
  });

  test('a timer of the time firing, registered from the callback, fires in the same pass; after its batch is done, too', () => {
    for (const group of [true, false]) {
      const { ts } = service(group);
      for (let k = 0; k < 5; k++) ts.register('event', k, 10);
      const fired: [Key, number][] = [];
      ts.fire('event', 10, (k, t) => {
        fired.push([k, t]);
        // Key 2 adds key 7 at this time (joins the batch still firing); key 7 adds key 8 once the others are done.
        if (k === 2) ts.register('event', 7, 10);
        if (k === 7) ts.register('event', 8, 10);
        if (k === 3) ts.delete('event', 4, 10);
      });
      const keys = fired.map(([k]) => k as number);
      // Timers of one time fire in no set order: key 4 fires only if it came before key 3 deleted it, and key 8
      // (registered by key 7) after key 7.
      assert.ok(!keys.includes(4) || keys.indexOf(4) < keys.indexOf(3), `key 4 after its delete: ${keys}`);
      assert.deepEqual(keys.filter((k) => k !== 4).sort((a, b) => a - b), [0, 1, 2, 3, 7, 8]);
      assert.ok(keys.indexOf(8) > keys.indexOf(7));
      assert.equal(ts.size, 0);
      ts.register('event', 9, 10);
      const later: Key[] = [];
      ts.fire('event', 10, (k) => later.push(k));
      assert.deepEqual(later, [9], 'a timer of a time whose batch fired earlier gets a node of its own');
    }
  });

  test('property: grouped and ungrouped fire the same timers, in timestamp order, with timers registered and deleted while firing, across restores', () => {
    type Op =
      | { t: 'reg' | 'del'; key: number; ts: number }
      | { t: 'advance'; by: number; again: number; del: number }
      | { t: 'restore' };
    // Few timestamps, many keys: timers share times, as windows' do.
    const op: fc.Arbitrary<Op> = fc.oneof(
      { arbitrary: fc.record({ t: fc.constant('reg' as const), key: fc.integer({ min: 0, max: 9 }), ts: fc.integer({ min: 0, max: 12 }).map((x) => x * 5) }), weight: 6 },
      { arbitrary: fc.record({ t: fc.constant('del' as const), key: fc.integer({ min: 0, max: 9 }), ts: fc.integer({ min: 0, max: 12 }).map((x) => x * 5) }), weight: 2 },
      { arbitrary: fc.record({ t: fc.constant('advance' as const), by: fc.integer({ min: 0, max: 12 }), again: fc.integer({ min: 0, max: 10 }), del: fc.integer({ min: 0, max: 9 }) }), weight: 2 },
      { arbitrary: fc.record({ t: fc.constant('restore' as const) }), weight: 1 },
    );
    fc.assert(fc.property(fc.array(op, { maxLength: 120 }), (ops) => {
      const runs = [true, false].map((group) => ({ group, store: new ChunkStore(), ...service(group) }));
      const model = new Set<string>();
      let wm = -1;
      for (const o of ops) {
        if (o.t === 'reg') { for (const r of runs) r.ts.register('event', o.key, o.ts); model.add(`${o.key}@${o.ts}`); }
        else if (o.t === 'del') { for (const r of runs) r.ts.delete('event', o.key, o.ts); model.delete(`${o.key}@${o.ts}`); }
        else if (o.t === 'advance') {
          wm += o.by;
          const firedBy: string[][] = [];
          const held = [...model];
          for (const r of runs) {
            const m = new Set(held);
            const fired: string[] = [];
            let last = -Infinity;
            // A timer re-armed at its own time from its callback fires again at once: a budget ends that.
            let budget = 20;
            r.ts.fire('event', wm, (k, t) => {
              assert.ok(m.delete(`${k}@${t}`), `${k}@${t} fired and is held`);
              assert.ok(t >= last, 'timestamp order');
              last = t;
              fired.push(`${k}@${t}`);
              // Some callbacks register a timer at this time or a little later (due now, or not yet), for another
              // key or their own, and delete one of another key at this time.
              const key = k as number;
              if ((key + t) % 3 === 0 && budget-- > 0) { const at = t + (key % 2) * o.again; r.ts.register('event', (key + o.again) % 10, at); m.add(`${(key + o.again) % 10}@${at}`); }
              if ((key + t) % 4 === 1) { r.ts.delete('event', o.del, t); m.delete(`${o.del}@${t}`); }
            });
            for (const s of m) assert.ok(Number(s.split('@')[1]) > wm, `${s} is due and did not fire`);
            firedBy.push(fired);
            if (r.group) { model.clear(); for (const s of m) model.add(s); }
            else assert.deepEqual([...m].sort(), [...model].sort(), 'the same timers held after firing');
          }
          assert.deepEqual([...firedBy[0]!].sort(), [...firedBy[1]!].sort());
        } else {
          for (const r of runs) {
            r.store.add(r.b.snapshot(false).chunks);
            Object.assign(r, service(r.group, new KeyedStateBackend('op', 16, true, new ManualClocks())));
            r.b.restore(r.store.chunks());
            r.ts.rebuild();
          }
        }
        for (const r of runs) assert.equal(r.ts.size, model.size);
      }
    }), { numRuns: 300 });
  });
});
