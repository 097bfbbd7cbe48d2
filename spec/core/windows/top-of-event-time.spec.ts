// Records at the top of the event-time range (Number.MAX_SAFE_INTEGER, which README says sluice holds): their
// windows end past it, where end - 1 is no safe integer. Their trigger timer at end - 1 was refused ("a timer
// timestamp must be ... within ±(2^53 - 1), got 9007199254741000") and the job failed, naming the window; a
// window's maxTimestamp is now the top of the range at most, so the final watermark fires it, once; with allowed
// lateness its cleanup is there too (a record after the final watermark was added and fired it again, or vanished).

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  EventTimeSessionWindows, OutputTag, SlidingEventTimeWindows, TumblingEventTimeWindows, type TimeWindow,
} from '../../../core/index.js';
import { TimeWindow as TimeWindowClass } from '../../../core/windows/window.js';
import { MAX_WATERMARK } from '../../../core/time/watermark.js';
import { harness } from './harness.js';
import { run } from '../../../core/index.js';

interface Ev { k: string; id: number }
const TOP = Number.MAX_SAFE_INTEGER;

for (const fastPaths of [true, false]) describe(`fast paths ${fastPaths ? 'on' : 'off'}`, () => {
  test('a tumbling window past the top of event time fires at the end of input, stamped with the top', () => {
    const h = windowOf(TumblingEventTimeWindows.of(10), fastPaths, 0);
    h.push({ k: 'a', id: 1 }, TOP); h.push({ k: 'a', id: 2 }, TOP - 1); h.push({ k: 'a', id: 3 }, TOP - 20);
    h.watermark(TOP - 2);
    assert.deepEqual(h.out.records.map((r) => [r.value, r.ts]), [[[TOP - 21, TOP - 11, [3]], TOP - 12]], 'the window below the top fires at its time');
    h.out.take();
    h.finish();
    assert.deepEqual(h.out.records.map((r) => [r.value, r.ts]), [[[TOP - 1, TOP + 9, [1, 2]], TOP]]);
  });

  test('sliding and session windows past the top fire once at the end; a record after the final watermark is late', () => {
    for (const [assigner, lateness] of [[SlidingEventTimeWindows.of(10, 5), 0], [EventTimeSessionWindows.withGap(4), 0], [SlidingEventTimeWindows.of(10, 5), 5], [EventTimeSessionWindows.withGap(4), 5]] as const) {
      const h = windowOf(assigner, fastPaths, lateness);
      h.push({ k: 'a', id: 1 }, TOP - 2); h.push({ k: 'a', id: 2 }, TOP);
      h.watermark(MAX_WATERMARK);
      const got = h.out.records.map((r) => [r.value, r.ts]);
      // Stamped with end - 1, or the top for those that end past it.
      assert.ok(got.length > 0 && got.every(([v, ts]) => ts === Math.min((v as number[])[1]! - 1, TOP)), JSON.stringify(got));
      assert.ok(got.some(([v]) => (v as number[])[1]! - 1 > TOP), 'a window ends past the top');
      assert.deepEqual(got.map(([v]) => (v as [number, number, number[]])[2]).flat().sort(), assigner instanceof SlidingEventTimeWindows ? [1, 1, 2, 2] : [1, 2]);
      h.out.take();
      h.push({ k: 'a', id: 3 }, TOP);
      h.finish();
      assert.deepEqual(h.out.records, [], 'no window fires again');
      assert.deepEqual(h.side.get('late')!.values(), [{ k: 'a', id: 3 }]);
    }
  });
});

test('TimeWindow.maxTimestamp is end - 1, at most the top of event time', () => {
  assert.equal(new TimeWindowClass(0, 10).maxTimestamp(), 9);
  assert.equal(new TimeWindowClass(TOP - 1, TOP + 9).maxTimestamp(), TOP);
  assert.equal(new TimeWindowClass(TOP - 9, TOP + 1).maxTimestamp(), TOP);
});

function windowOf(assigner: TumblingEventTimeWindows | SlidingEventTimeWindows | EventTimeSessionWindows, fastPaths: boolean, lateness: number) {
  const late = new OutputTag<Ev>('late');
  return harness((e: Ev) => e.k, (s) => s.window(assigner).allowedLateness(lateness).sideOutputLateData(late).process<[number, number, number[]]>((_k, ctx, els, out) => {
    const w = ctx.window as TimeWindow;
    out.collect([w.start, w.end, els.map((e) => e.id).sort((x, y) => x - y)]);
  }), { fastPaths, sideTags: ['late'] });
}

test('combineLocally: partials of a window past the top land in that window downstream, counted once', async () => {
  const h = await run<{ out: [string, number, number, number][] }>(new URL('./jobs/top-of-event-time.ts', import.meta.url), { parallelism: 2 });
  const { collected } = await h.result;
  assert.deepEqual([...collected.out].sort(), [['a', TOP - 1, TOP + 9, 3], ['b', TOP - 21, TOP - 11, 1]]);
});
