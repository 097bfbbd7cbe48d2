// WatermarkValve: the task's watermark is the minimum over its active inputs and only moves forward; idle inputs
// are ignored, all idle makes the task idle; an input back from idle counts once it has caught up; ended inputs
// are at +infinity. A property test checks random event sequences against a plain oracle.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { WatermarkValve } from '../../../core/time/watermark-valve.js';
import { MAX_WATERMARK, MIN_WATERMARK } from '../../../core/time/watermark.js';

function valve(n: number) {
  const out: (number | 'idle' | 'active')[] = [];
  const v = new WatermarkValve(n, { watermark: (w) => out.push(w), idle: (b) => out.push(b ? 'idle' : 'active') });
  return { v, out };
}

describe('WatermarkValve', () => {
  test('the watermark is the minimum over the inputs and only moves forward', () => {
    const { v, out } = valve(2);
    v.onWatermark(0, 10);
    assert.deepEqual(out, [], 'input 1 has no watermark yet');
    v.onWatermark(1, 5);
    v.onWatermark(1, 20);
    v.onWatermark(0, 8); // backwards on input 0: ignored
    v.onWatermark(0, 15);
    assert.deepEqual(out, [5, 10, 15]);
    assert.equal(v.current, 15);
  });

  test('startAt (a restore): nothing at or below the checkpoint\'s event time is emitted; past it, the minimum again', () => {
    const { v, out } = valve(2);
    v.startAt(100);
    assert.equal(v.current, 100);
    v.onWatermark(0, 50);
    v.onWatermark(1, 100);
    assert.deepEqual(out, [], 'the inputs start over below it');
    v.onWatermark(0, 120);
    assert.deepEqual(out, [], 'input 1 is still at 100');
    v.onWatermark(1, 130);
    assert.deepEqual(out, [120]);
    v.startAt(110);
    assert.equal(v.current, 120, 'never backwards');
  });

  test('an idle input does not hold the watermark back; when all are idle the task is idle', () => {
    const { v, out } = valve(3);
    v.onWatermark(0, 10); v.onWatermark(1, 20); v.onWatermark(2, 30);
    v.onIdle(0, true);
    v.onIdle(1, true);
    v.onIdle(2, true);
    assert.deepEqual(out, [10, 20, 30, 'idle']);
    v.onIdle(2, true); // repeated: nothing
    v.onIdle(2, false);
    assert.deepEqual(out, [10, 20, 30, 'idle', 'active']);
  });

  test('an input back from idle counts only once its watermark catches up with the task', () => {
    const { v, out } = valve(2);
    v.onWatermark(0, 10); v.onWatermark(1, 10);
    v.onIdle(1, true);
    v.onWatermark(0, 100);
    v.onWatermark(1, 50); // back (a watermark ends idleness), but behind: it neither pulls back nor holds back
    v.onWatermark(0, 200);
    v.onWatermark(1, 150); // still behind 200
    assert.deepEqual(out, [10, 100, 200]);
    v.onWatermark(1, 300); // caught up: from now on it counts
    v.onWatermark(0, 400);
    assert.deepEqual(out, [10, 100, 200, 300]);
  });

  test('when the input holding event time back goes idle last, the watermark goes to the highest any input reached (regression: stuck behind)', () => {
    const { v, out } = valve(2);
    v.onWatermark(0, 9984); v.onWatermark(1, -2);
    v.onIdle(0, true); // ahead, idle first: input 1 still holds the minimum
    v.onIdle(1, true);
    assert.deepEqual(out, [-2, 9984, 'idle']);
    // An input that goes idle while not holding the minimum does not flush.
    const w = valve(3);
    w.v.onWatermark(0, 10); w.v.onWatermark(1, 20); w.v.onWatermark(2, 30);
    w.v.onIdle(1, true);
    assert.deepEqual(w.out, [10]);
  });

  test('an input back from idle that is already ahead counts at once (regression: only from its next, higher watermark)', () => {
    const { v, out } = valve(3);
    v.onWatermark(0, 100); v.onWatermark(1, 50); v.onWatermark(2, 50);
    v.onIdle(2, true);
    v.onWatermark(1, 70); // 70
    v.onWatermark(2, 60); // input 2 back, but behind 70: not counted
    v.onIdle(0, true);
    v.onIdle(1, true); // input 2 is open and active (though behind): no flush
    assert.deepEqual(out, [50, 70]);
    v.onIdle(0, false); // back at 100, ahead of 70, the only input counted
    assert.deepEqual(out, [50, 70, 100]);
    // An input behind the task (back from idle, or after a restore's startAt) that goes idle
    // last flushes too: every input is idle then (it used to stay behind for good, where Flink's valve flushes).
    const w = valve(3);
    w.v.onWatermark(0, 100); w.v.onWatermark(1, 50); w.v.onWatermark(2, 50);
    w.v.onIdle(2, true);
    w.v.onWatermark(1, 70);
    w.v.onWatermark(2, 60);
    w.v.onIdle(0, true);
    w.v.onIdle(1, true);
    w.v.onIdle(2, true);
    assert.deepEqual(w.out, [50, 70, 100, 'idle']);
    const r = valve(2);
    r.v.startAt(989);
    r.v.onWatermark(0, 4989);
    r.v.onIdle(0, true);
    r.v.onIdle(1, true); // never sent one since the restore
    assert.deepEqual(r.out, [4989, 'idle']);
  });

  test('an ended input is at +infinity; when every input has ended, the watermark is MAX_WATERMARK', () => {
    const { v, out } = valve(2);
    v.onWatermark(0, 10);
    v.onEnd(1);
    assert.deepEqual(out, [10]);
    v.onWatermark(1, 5); v.onIdle(1, true); // after its end: ignored
    v.onEnd(0);
    assert.deepEqual(out, [10, MAX_WATERMARK]);
    v.onEnd(0);
    assert.equal(out.length, 2);
  });

  test('an idle input that ends no longer counts as idle; the last open input decides idleness', () => {
    const { v, out } = valve(2);
    v.onIdle(0, true);
    v.onIdle(1, true);
    assert.deepEqual(out, ['idle']);
    v.onEnd(0);
    // The only open input is idle: the task stays idle; the ended one (at +infinity) is the only one counted.
    // (So the watermark jumps to the end: records the idle input sends later are late. Flink's valve does the same.)
    assert.deepEqual(out, ['idle', MAX_WATERMARK]);
    v.onIdle(1, false);
    assert.deepEqual(out, ['idle', MAX_WATERMARK, 'active']);
  });

  test('property: random event sequences match a plain oracle, and the output never goes backwards', () => {
    type Ev = { k: 'wm'; i: number; w: number } | { k: 'idle'; i: number; b: boolean } | { k: 'end'; i: number };
    const ev = (n: number): fc.Arbitrary<Ev> => fc.oneof(
      { arbitrary: fc.record({ k: fc.constant('wm' as const), i: fc.nat(n - 1), w: fc.integer({ min: -5, max: 60 }) }), weight: 6 },
      { arbitrary: fc.record({ k: fc.constant('idle' as const), i: fc.nat(n - 1), b: fc.boolean() }), weight: 3 },
      { arbitrary: fc.record({ k: fc.constant('end' as const), i: fc.nat(n - 1) }), weight: 1 },
    );
    fc.assert(fc.property(fc.integer({ min: 1, max: 4 }).chain((n) => fc.tuple(fc.constant(n), fc.array(ev(n), { maxLength: 80 }))), ([n, events]) => {
      const { v, out } = valve(n);
      // Oracle: per input its watermark, idle/ended flags, and whether it has caught up since it was last active.
      const wm = Array<number>(n).fill(MIN_WATERMARK);
      const idle = Array<boolean>(n).fill(false);
      const ended = Array<boolean>(n).fill(false);
      const caught = Array<boolean>(n).fill(true);
      let current = MIN_WATERMARK;
      let taskIdle = false;
      const expected: (number | 'idle' | 'active')[] = [];
      const setIdle = (b: boolean): void => { if (b !== taskIdle) { taskIdle = b; expected.push(b ? 'idle' : 'active'); } };
      for (const e of events) {
        if (e.k === 'wm') v.onWatermark(e.i, e.w); else if (e.k === 'idle') v.onIdle(e.i, e.b); else v.onEnd(e.i);
        if (ended[e.i]) { /* an ended input says nothing more */ } else if (e.k === 'end') {
          ended[e.i] = true; idle[e.i] = false; wm[e.i] = MAX_WATERMARK; caught[e.i] = true;
        } else if (e.k === 'idle') {
          if (e.b && !idle[e.i]) {
            const heldMin = wm[e.i]! <= current;
            idle[e.i] = true; caught[e.i] = false;
            const counted = wm.filter((_, i) => !idle[i] && caught[i]);
            if (counted.length > 0 && Math.min(...counted) > current) { current = Math.min(...counted); expected.push(current); }
            // The last input holding event time went idle with nothing open and active left: flush to the maximum.
            if (heldMin && ended.every((x, i) => x || idle[i]) && Math.max(...wm) > current) { current = Math.max(...wm); expected.push(current); }
          }
          else if (!e.b && idle[e.i]) { idle[e.i] = false; caught[e.i] = wm[e.i]! >= current; setIdle(false); }
        } else {
          if (idle[e.i]) { idle[e.i] = false; caught[e.i] = wm[e.i]! >= current; setIdle(false); }
          if (e.w > wm[e.i]!) { wm[e.i] = e.w; if (e.w >= current) caught[e.i] = true; }
        }
        const counted = wm.filter((_, i) => !idle[i] && caught[i]);
        if (counted.length > 0 && Math.min(...counted) > current) { current = Math.min(...counted); expected.push(current); }
        const open = ended.map((x, i) => (x ? -1 : i)).filter((i) => i >= 0);
        setIdle(open.length > 0 && open.every((i) => idle[i]));
      }
      assert.deepEqual(out, expected, JSON.stringify({ out, expected }));
      const wms = out.filter((x): x is number => typeof x === 'number');
      for (let i = 1; i < wms.length; i++) assert.ok(wms[i]! > wms[i - 1]!, 'strictly forward');
      assert.equal(v.current, current);
    }), { numRuns: 2000 });
  });

  test('property: a valve restored from another\'s channel times (an unaligned checkpoint) goes on exactly as that one does', () => {
    type Ev = { k: 'wm'; i: number; w: number } | { k: 'idle'; i: number; b: boolean } | { k: 'end'; i: number };
    const ev = (n: number): fc.Arbitrary<Ev> => fc.oneof(
      fc.record({ k: fc.constant('wm' as const), i: fc.nat(n - 1), w: fc.integer({ min: 0, max: 100 }) }),
      fc.record({ k: fc.constant('idle' as const), i: fc.nat(n - 1), b: fc.boolean() }),
      fc.record({ k: fc.constant('end' as const), i: fc.nat(n - 1) }),
    );
    const apply = (v: WatermarkValve, e: Ev): void => { if (e.k === 'wm') v.onWatermark(e.i, e.w); else if (e.k === 'idle') v.onIdle(e.i, e.b); else v.onEnd(e.i); };
    fc.assert(fc.property(fc.integer({ min: 1, max: 4 }).chain((n) => fc.tuple(fc.constant(n), fc.array(ev(n), { maxLength: 40 }), fc.array(ev(n), { maxLength: 40 }))), ([n, before, after]) => {
      const a = valve(n);
      for (const e of before) apply(a.v, e);
      const b = valve(n);
      // Through JSON, as the manifest keeps them.
      b.v.restoreChannels(JSON.parse(JSON.stringify(a.v.channelTimes())));
      assert.deepEqual(b.out, [], 'a restore emits nothing');
      assert.equal(b.v.current, a.v.current);
      a.out.length = 0;
      for (const e of after) { apply(a.v, e); apply(b.v, e); }
      assert.deepEqual(b.out, a.out);
      assert.equal(b.v.current, a.v.current);
    }), { numRuns: 2000 });
  });
});
