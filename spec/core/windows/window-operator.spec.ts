// The window operator on this thread, records and watermarks pushed by hand: firing, output timestamps,
// allowed lateness, late data, state purge, session merging, count triggers, processing time, checkpoints.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ContinuousEventTimeTrigger, ContinuousProcessingTimeTrigger, CountEvictor, CountTrigger, EventTimeSessionWindows, EventTimeTrigger, GlobalWindows, JobDefinitionError, OutputTag, PurgingTrigger, SlidingEventTimeWindows,
  Trigger, TriggerResult, TumblingEventTimeWindows, TumblingProcessingTimeWindows, type TimeWindow, type TriggerContext, type Window,
  type Collector, type DataStream, type KeyedStream,
} from '../../../core/index.js';
import { WindowOperator } from '../../../core/windows/window-operator.js';
import { WindowAssigner } from '../../../core/windows/window-assigner.js';
import { TimeWindow as TimeWindowClass } from '../../../core/windows/window.js';
import { MAX_WATERMARK } from '../../../core/time/watermark.js';
import { KeyTypeError } from '../../../core/graph/tuple-key.js';
import { harness as baseHarness, type HarnessOptions } from './harness.js';

interface Ev { k: string; v: number }
const ev = (k: string, v: number): Ev => ({ k, v });
const sum = (a: Ev, b: Ev): Ev => ({ k: a.k, v: a.v + b.v });
const win = <T>(h: { op: unknown }): WindowOperator<T, unknown> => h.op as WindowOperator<T, unknown>;

// Every test runs with the window operator's fast paths on and off: results must not differ.
for (const fast of [true, false]) {
const harness: typeof baseHarness = (key, define, options: HarnessOptions = {}) => baseHarness(key, define, { ...options, fastPaths: fast });

describe(`fast paths ${fast ? 'on' : 'off'}`, () => {
describe('tumbling event-time windows', () => {
  test('fire when the watermark passes the end, stamped with end - 1, one result per key and window', () => {
    const h = harness((e: Ev) => e.k, (s) => s.window(TumblingEventTimeWindows.of(10)).reduce(sum));
    h.push(ev('a', 1), 1); h.push(ev('b', 5), 3); h.push(ev('a', 2), 9); h.push(ev('a', 4), 10);
    h.watermark(8);
    assert.equal(h.out.records.length, 0, 'nothing before the end');
    h.watermark(9);
    assert.deepEqual(h.out.records.map((r) => [r.value, r.ts]).sort(), [[ev('a', 3), 9], [ev('b', 5), 9]]);
    assert.deepEqual(h.out.watermarks, [8, 9], 'watermarks pass on after the results');
    h.out.take();
    h.finish();
    assert.deepEqual(h.out.records.map((r) => [r.value, r.ts]), [[ev('a', 4), 19]], 'end of input fires the rest');
    assert.ok(h.out.finished);
    assert.equal(win(h).windowCount, 0);
  });

  test('negative timestamps and offsets align windows like Flink', () => {
    const h = harness((e: Ev) => e.k, (s) => s.window(TumblingEventTimeWindows.of(10, 3)).process<[number, number, number]>((_k, ctx, els, out) => {
      const w = ctx.window as TimeWindow;
      out.collect([w.start, w.end, els.length]);
    }));
    h.push(ev('a', 1), -1); h.push(ev('a', 1), 2); h.push(ev('a', 1), 3); h.push(ev('a', 1), 12);
    h.finish();
    assert.deepEqual(h.out.values().sort((x, y) => x[0] - y[0]), [[-7, 3, 2], [3, 13, 2]]);
  });

  test('a record without a timestamp fails with a clear error', () => {
    const h = harness((e: Ev) => e.k, (s) => s.window(TumblingEventTimeWindows.of(10)).reduce(sum));
    assert.throws(() => h.push(ev('a', 1)), /without a timestamp: call assignTimestampsAndWatermarks/);
  });
});

describe('allowed lateness and late data', () => {
  const late = new OutputTag<Ev>('late');

  test('a late record within the lateness updates the window and fires it again; later ones go to the late output', () => {
    const h = harness((e: Ev) => e.k, (s) => s.window(TumblingEventTimeWindows.of(10)).allowedLateness(5).sideOutputLateData(late).reduce(sum), { sideTags: ['late'] });
    h.push(ev('a', 1), 2);
    h.watermark(9);
    assert.deepEqual(h.out.take(), [ev('a', 1)]);
    h.push(ev('a', 10), 3);
    assert.deepEqual(h.out.records.map((r) => [r.value, r.ts]), [[ev('a', 11), 9]], 're-fired at once with the updated result');
    h.out.take();
    h.watermark(13);
    h.push(ev('a', 100), 4);
    assert.deepEqual(h.out.take(), [ev('a', 111)], 'still within end + lateness (9 + 5 > 13)');
    h.watermark(14);
    assert.equal(win(h).windowCount, 0, 'state dropped once the watermark reaches end + lateness');
    h.push(ev('a', 1000), 5);
    assert.deepEqual(h.out.take(), [], 'no window takes it');
    assert.deepEqual(h.side.get('late')!.records.map((r) => [r.value, r.ts]), [[ev('a', 1000), 5]], 'late output keeps the record timestamp');
    assert.equal(h.op.lateRecordsDropped, 0);
  });

  test('without a late-data output, late records are dropped and counted', () => {
    const h = harness((e: Ev) => e.k, (s) => s.window(TumblingEventTimeWindows.of(10)).reduce(sum));
    h.push(ev('a', 1), 2);
    h.watermark(20);
    h.push(ev('a', 1), 3); h.push(ev('b', 1), 9); h.push(ev('b', 1), 21);
    assert.equal(h.op.lateRecordsDropped, 2);
    h.finish();
    assert.deepEqual(h.out.values(), [ev('a', 1), ev('b', 1)]);
  });

  test('state is purged when the watermark passes end + lateness, not before (entries, windows, timers)', () => {
    const h = harness((e: Ev) => e.k, (s) => s.window(SlidingEventTimeWindows.of(10, 5)).allowedLateness(20).reduce(sum), { checkpointing: true });
    const op = win<Ev>(h);
    for (let i = 0; i < 50; i++) h.push(ev(`k${i % 5}`, 1), i % 10);
    // Windows [-5, 5), [0, 10), [5, 15) for each of 5 keys.
    assert.equal(op.windowCount, 15);
    assert.equal(op.backend.sizeOf('__windows'), 5, 'one state entry per key');
    h.watermark(14 + 20 - 1);
    assert.equal(op.windowCount, 5, 'windows with maxTimestamp 4 and 9 are gone at 24 and 29; [5, 15) stays until 34');
    assert.equal(h.out.records.length, 15, 'every window fired once');
    h.watermark(34);
    assert.equal(op.windowCount, 0);
    assert.equal(op.backend.entryCount, 0, 'no state entry left, timers included');
    assert.equal(op.timers.size, 0);
    const snap = op.snapshotState(1, false);
    assert.equal(snap.keyedEntries, 0);
  });
});

// Many keys, about one record per key and window: nearly every record opens a window whose one timer fires once.
// The fast path shares a window object among keys' windows of the same bounds and sets the default trigger's end
// timer directly (once: without lateness it is the cleanup timer).
describe('one record per key and window', () => {
  const define = (lateness: number) => (s: KeyedStream<Ev, string>): DataStream<[string, number, number, number]> =>
    s.window(TumblingEventTimeWindows.of(10)).allowedLateness(lateness).aggregate<number, number, [string, number, number, number]>(
      { createAccumulator: () => 0, add: (e, a) => a + e.v, getResult: (a) => a },
      (k, ctx, [total], out) => { const w = ctx.window as TimeWindow; out.collect([k, w.start, w.end, total!]); });
  /** Record i at time i, key i * 7 mod 200: a key sees a record every 200 ms, so each window of 10 holds one. */
  const feed = (h: { push(e: Ev, ts: number): void; watermark(wm: number): void }, n: number, onWatermark?: () => void): void => {
    for (let i = 0; i < n; i++) {
      h.push(ev(`k${(i * 7) % 200}`, i), i);
      if ((i + 1) % 50 === 0) { onWatermark?.(); h.watermark(i - 5); }
    }
  };

  test('each window fires alone at its end with its record, and its state and its one timer go', () => {
    const h = harness((e: Ev) => e.k, define(0));
    const op = win<Ev>(h);
    let checked = 0;
    feed(h, 1000, () => {
      // One timer per window (its end is its cleanup), none left behind by fired ones.
      assert.equal(op.timers.size, op.windowCount);
      checked++;
    });
    h.watermark(MAX_WATERMARK);
    const want = Array.from({ length: 1000 }, (_, i) => [`k${(i * 7) % 200}`, i - (i % 10), i - (i % 10) + 10, i]);
    assert.deepEqual(h.out.values().sort(), want.sort());
    assert.ok(h.out.records.every((r) => r.ts === (r.value as [string, number, number, number])[2] - 1), 'stamped with end - 1');
    assert.equal(checked, 20);
    assert.equal(op.windowCount, 0);
    assert.equal(op.backend.entryCount, 0, 'no state entry left, timers included');
    assert.equal(op.timers.size, 0);
  });

  test(`keys' windows of the same bounds ${fast ? 'share one window object' : 'each get their own window object'}`, () => {
    const seen: Window[] = [];
    const h = harness((e: Ev) => e.k, (s) => s.window(TumblingEventTimeWindows.of(10)).process<number>((_k, ctx, _els, out) => { seen.push(ctx.window); out.collect(1); }));
    h.push(ev('a', 1), 1); h.push(ev('b', 1), 2); h.push(ev('c', 1), 12);
    h.watermark(MAX_WATERMARK);
    assert.equal(seen.length, 3);
    assert.deepEqual(seen.map((w) => [(w as TimeWindow).start, (w as TimeWindow).end]), [[0, 10], [0, 10], [10, 20]]);
    assert.equal(seen[0] === seen[1], fast);
    assert.notEqual(seen[1], seen[2]);
  });

  test('a record opening a window the watermark has passed, within the lateness, fires it at once; it goes at end + lateness', () => {
    const h = harness((e: Ev) => e.k, define(5));
    const op = win<Ev>(h);
    h.watermark(12);
    h.push(ev('a', 1), 5);
    assert.deepEqual(h.out.take(), [['a', 0, 10, 1]], 'fired at once');
    assert.equal(op.timers.size, 1, 'its cleanup timer only (no end timer: its end has passed)');
    h.push(ev('b', 2), 15);
    assert.equal(op.timers.size, 3, "b's window: its end timer (19) and its cleanup timer (24)");
    h.watermark(14);
    assert.equal(op.windowCount, 1, "a's window went at 9 + 5");
    h.watermark(19);
    assert.deepEqual(h.out.take(), [['b', 10, 20, 2]]);
    assert.equal(op.timers.size, 1);
    h.push(ev('b', 3), 16);
    assert.deepEqual(h.out.take(), [['b', 10, 20, 5]], 'a late record fires it again');
    h.watermark(24);
    assert.equal(op.windowCount, 0);
    assert.equal(op.timers.size, 0);
    assert.equal(op.backend.entryCount, 0);
  });

  test("a late record of a key without windows leaves no state entry; a record opening a key's windows makes one", () => {
    const h = harness((e: Ev) => e.k, (s) => s.window(SlidingEventTimeWindows.of(10, 5)).reduce(sum), { checkpointing: true });
    const op = win<Ev>(h);
    h.watermark(30);
    h.push(ev('a', 1), 3);
    assert.equal(h.op.lateRecordsDropped, 1);
    assert.equal(op.backend.sizeOf('__windows'), 0);
    h.push(ev('b', 2), 33); h.push(ev('b', 3), 34);
    assert.equal(op.backend.sizeOf('__windows'), 1);
    assert.equal(op.windowCount, 2, "b's two windows, [25, 35) and [30, 40), in one entry");
    h.watermark(MAX_WATERMARK);
    assert.deepEqual(h.out.values(), [ev('b', 5), ev('b', 5)]);
    assert.equal(op.backend.entryCount, 0);
  });

  for (const lateness of [0, 5]) {
    test(`a checkpoint has the same bytes with the fast paths on and off (lateness ${lateness})`, () => {
      const on = baseHarness((e: Ev) => e.k, define(lateness), { checkpointing: true, fastPaths: fast });
      const off = baseHarness((e: Ev) => e.k, define(lateness), { checkpointing: true, fastPaths: !fast });
      feed(on, 537);
      feed(off, 537);
      assert.ok(win<Ev>(on).windowCount > 0);
      assert.deepEqual(win<Ev>(on).snapshotState(1, false), win<Ev>(off).snapshotState(1, false));
    });
  }
});

describe('session windows', () => {
  test('windows of one key merge when they overlap or touch, and a bridging record joins two sessions', () => {
    const h = harness((e: Ev) => e.k, (s) => s.window(EventTimeSessionWindows.withGap(10)).process<[string, number, number, number[]]>((k, ctx, els, out) => {
      const w = ctx.window as TimeWindow;
      out.collect([k, w.start, w.end, els.map((e) => e.v).sort((a, b) => a - b)]);
    }));
    const op = win<Ev>(h);
    h.push(ev('a', 1), 0); h.push(ev('a', 2), 30); h.push(ev('b', 3), 5);
    assert.equal(op.windowCount, 3);
    h.push(ev('a', 4), 10); // touches [0, 10): merges into [0, 20)
    assert.equal(op.windowCount, 3);
    h.push(ev('a', 5), 20); // touches [0, 20) and [30, 40): one session [0, 40)
    assert.equal(op.windowCount, 2);
    assert.equal(op.timers.size, 2, 'one timer per session: the merged windows\' timers are deleted');
    h.watermark(38);
    assert.deepEqual(h.out.take(), [['b', 5, 15, [3]]]);
    h.watermark(39);
    assert.deepEqual(h.out.take(), [['a', 0, 40, [1, 2, 4, 5]]]);
    assert.equal(op.windowCount, 0);
    assert.equal(op.backend.entryCount, 0);
  });

  test('aggregate merges accumulators with AggregateFunction.merge', () => {
    const avg = {
      createAccumulator: () => ({ n: 0, s: 0 }),
      add: (e: Ev, a: { n: number; s: number }) => ({ n: a.n + 1, s: a.s + e.v }),
      getResult: (a: { n: number; s: number }) => a.s / a.n,
      merge: (a: { n: number; s: number }, b: { n: number; s: number }) => ({ n: a.n + b.n, s: a.s + b.s }),
    };
    const h = harness((e: Ev) => e.k, (s) => s.window(EventTimeSessionWindows.withGap(5)).aggregate(avg, (key, ctx, [r], out: Collector<{ key: string; end: number; avg: number }>) => {
      out.collect({ key, end: (ctx.window as TimeWindow).end, avg: r });
    }));
    h.push(ev('a', 2), 0); h.push(ev('a', 4), 8); h.push(ev('a', 6), 4);
    h.finish();
    assert.deepEqual(h.out.records.map((r) => [r.value, r.ts]), [[{ key: 'a', end: 13, avg: 4 }, 12]]);
  });

  test('an AggregateFunction without merge is rejected for session windows', () => {
    assert.throws(() => harness((e: Ev) => e.k, (s) => s.window(EventTimeSessionWindows.withGap(5)).aggregate({
      createAccumulator: () => 0, add: (e: Ev, a: number) => a + e.v, getResult: (a: number) => a,
    })), (e: Error) => e instanceof JobDefinitionError && /merge\(a, b\)/.test(e.message));
  });

  test('a late record that merges into a live session is not late', () => {
    const late = new OutputTag<Ev>('late');
    const h = harness((e: Ev) => e.k, (s) => s.window(EventTimeSessionWindows.withGap(10)).sideOutputLateData(late).reduce(sum), { sideTags: ['late'] });
    h.push(ev('a', 1), 50);
    h.watermark(45);
    h.push(ev('a', 2), 42); // its own window [42, 52) ends before the watermark + 1 ... but it touches [50, 60)
    h.push(ev('b', 4), 30); // alone and late
    h.finish();
    assert.deepEqual(h.out.records.map((r) => [r.value, r.ts]), [[ev('a', 3), 59]]);
    assert.deepEqual(h.side.get('late')!.values(), [ev('b', 4)]);
  });
});

describe('count triggers and global windows', () => {
  test('countWindow(n) fires and purges every n elements per key', () => {
    const h = harness((e: Ev) => e.k, (s) => s.countWindow(3).reduce(sum));
    const op = win<Ev>(h);
    for (let i = 1; i <= 8; i++) h.push(ev(i % 2 === 0 ? 'a' : 'b', i));
    assert.deepEqual(h.out.records.map((r) => [r.value, r.ts]), [[ev('b', 1 + 3 + 5), MAX_WATERMARK], [ev('a', 2 + 4 + 6), MAX_WATERMARK]]);
    assert.equal(op.windowCount, 2, 'the unfinished windows (b: 7, a: 8)');
    h.out.take();
    h.finish();
    assert.deepEqual(h.out.take(), [], 'an unfinished count window never fires');
  });

  test('a non-purging count trigger fires with everything so far', () => {
    const h = harness((e: Ev) => e.k, (s) => s.window(GlobalWindows.create()).trigger(CountTrigger.of(2)).process<number[]>((_k, _c, els, out) => out.collect(els.map((e) => e.v))));
    for (let i = 1; i <= 5; i++) h.push(ev('a', i));
    assert.deepEqual(h.out.values(), [[1, 2], [1, 2, 3, 4]]);
  });

  test('a global window without a trigger never fires', () => {
    const h = harness((e: Ev) => e.k, (s) => s.window(GlobalWindows.create()).reduce(sum));
    h.push(ev('a', 1));
    h.finish();
    assert.deepEqual(h.out.values(), []);
  });

  test('count triggers sum their counts when session windows merge', () => {
    const h = harness((e: Ev) => e.k, (s) => s.window(EventTimeSessionWindows.withGap(15)).trigger(PurgingTrigger.of(CountTrigger.of(3))).process<number[]>((_k, _c, els, out) => out.collect(els.map((e) => e.v).sort())));
    h.push(ev('a', 1), 0); h.push(ev('a', 2), 30);
    assert.deepEqual(h.out.values(), []);
    h.push(ev('a', 3), 15); // [15, 30) touches [0, 15) and [30, 45): 3 elements
    assert.deepEqual(h.out.values(), [[1, 2, 3]]);
  });
});

describe('processing-time windows', () => {
  test('fire on the wall clock, and every remaining window fires at end of input', () => {
    const h = harness((e: Ev) => e.k, (s) => s.window(TumblingProcessingTimeWindows.of(60_000)).process<[number, number]>((_k, ctx, els, out) => {
      out.collect([(ctx.window as TimeWindow).start, els.length]);
    }));
    const op = win<Ev>(h);
    const t0 = Date.now();
    h.push(ev('a', 1)); h.push(ev('a', 2)); h.push(ev('b', 3));
    const due = op.nextProcessingTime();
    assert.ok(due >= t0 && due < t0 + 60_000 + 1000, 'a processing timer at the window end');
    assert.equal(due % 60_000, 0, 'due at the end: once the window\'s last millisecond (its maxTimestamp) has passed');
    op.onProcessingTime(due - 1);
    assert.deepEqual(h.out.values(), [], 'not within its last millisecond, which may still bring records');
    h.finish();
    const start = Math.floor(t0 / 60_000) * 60_000;
    // Both keys almost surely fall in the same minute; if the minute turned between pushes there are more rows.
    const total = h.out.values().reduce((n, [, c]) => n + c, 0);
    assert.equal(total, 3);
    for (const [s] of h.out.values()) assert.ok(s === start || s === start + 60_000);
    assert.equal(op.windowCount, 0);
    assert.equal(op.timers.size, 0);
  });

  test('allowed lateness is rejected for processing-time windows', () => {
    assert.throws(() => harness((e: Ev) => e.k, (s) => s.window(TumblingProcessingTimeWindows.of(10)).allowedLateness(5).reduce(sum)), JobDefinitionError);
  });
});

describe('custom triggers', () => {
  /** Fires at end and also at a second timer it registers and then deletes on a marker element. */
  class EarlyTrigger extends Trigger<TimeWindow> {
    readonly fingerprint = 'early';
    onElement(e: unknown, _ts: number, w: TimeWindow, ctx: TriggerContext): TriggerResult {
      ctx.registerEventTimeTimer(w.maxTimestamp());
      ctx.registerEventTimeTimer(w.start + 2);
      if ((e as Ev).v < 0) ctx.deleteEventTimeTimer(w.maxTimestamp());
      return TriggerResult.CONTINUE;
    }
    onEventTime(): TriggerResult { return TriggerResult.FIRE; }
    onProcessingTime(): TriggerResult { return TriggerResult.CONTINUE; }
  }

  test('a trigger deleting its own timer does not delete the window cleanup timer at the same time', () => {
    const h = harness((e: Ev) => e.k, (s) => s.window(TumblingEventTimeWindows.of(10)).trigger(new EarlyTrigger()).reduce(sum));
    const op = win<Ev>(h);
    h.push(ev('a', 1), 0);
    h.push(ev('a', -1), 1);
    h.watermark(2);
    assert.deepEqual(h.out.take(), [ev('a', 0)], 'early firing');
    h.watermark(9);
    assert.deepEqual(h.out.take(), [], 'the end timer was deleted: no firing at the end');
    assert.equal(op.windowCount, 0, 'but the cleanup timer (also at 9) still dropped the window');
    assert.equal(op.backend.entryCount, 0);
  });

  // A backlog (regression: a key's every window was visited at each of its timers, with a scan of the whole list
  // per window: a job catching up thousands of open windows took minutes). Sliding by 1: the early timer of one
  // window (start + 2) is the end of another (start + 9 - 7), so one timer fires two windows.
  test('a backlog of thousands of open windows of one key fires each window at each of its timers, shared ones too', () => {
    const N = 2000;
    const h = harness((e: Ev) => e.k, (s) => s.window(SlidingEventTimeWindows.of(10, 1)).trigger(new EarlyTrigger()).reduce(sum));
    for (let t = 0; t < N; t++) h.push(ev('a', 1), t);
    assert.equal(win<Ev>(h).windowCount, N + 9);
    h.watermark(MAX_WATERMARK);
    const want: number[] = [];
    for (let start = -9; start < N; start++) {
      const n = Math.min(start + 10, N) - Math.max(start, 0);
      want.push(n, n);
    }
    assert.deepEqual(h.out.values().map((e) => e.v).sort((a, b) => a - b), want.sort((a, b) => a - b));
    assert.equal(win<Ev>(h).windowCount, 0);
  });

  // Regression: the fast path looked a timer's windows up by end = ts + 1, but timers are at end - 1
  // (+ lateness), and in floating point 0.3 - 1 + 1 is not 0.3: a custom assigner's sub-millisecond window never
  // fired, and stayed.
  test('a custom assigner with sub-millisecond bounds: its windows fire and go', () => {
    class Tenths extends WindowAssigner<TimeWindow> {
      readonly isEventTime = true;
      readonly fingerprint = 'tenths';
      assign(_e: unknown, ts: number, out: number[]): number {
        const s = Math.floor(ts * 10) / 10;
        out[0] = s;
        out[1] = Math.round((s + 0.1) * 10) / 10;
        return 1;
      }
      window(s: number, e: number): TimeWindow { return new TimeWindowClass(s, e); }
      defaultTrigger(): Trigger<TimeWindow> { return new EventTimeTrigger(); }
    }
    const h = harness((e: Ev) => e.k, (s) => s.window(new Tenths()).allowedLateness(1).reduce(sum));
    h.push(ev('a', 1), 0.25);
    h.push(ev('a', 2), 0.71);
    h.watermark(5);
    assert.deepEqual(h.out.values().map((e) => e.v), [1, 2]);
    assert.equal(win<Ev>(h).windowCount, 0);
  });

  // The fast path keeps a key's windows sorted by end and finds a timer's windows by binary search: windows opened
  // out of order (a record for an older window after newer ones), with allowed lateness (a second timer, at the
  // cleanup) must each fire at their own end, once, and go at end + lateness.
  test('windows opened out of order fire at their own ends, in end order, and go at end + lateness', () => {
    const h = harness((e: Ev) => e.k, (s) => s.window(SlidingEventTimeWindows.of(10, 5)).allowedLateness(7).reduce(sum));
    for (const t of [42, 3, 27, 11, 38, 0]) h.push(ev('a', t), t);
    const opened = win<Ev>(h).windowCount;
    assert.equal(opened, 9, 'windows [-5,5) .. [40,50), but [15,25): no record');
    const fired: [number, number][] = [];
    for (let wm = 0; wm <= 60; wm++) {
      h.watermark(wm);
      for (const r of h.out.records) fired.push([r.ts, r.value.v]);
      h.out.take();
      // A window stays until end - 1 + lateness: those ending after wm - 7 + 1.
      const live = [5, 10, 15, 20, 30, 35, 40, 45, 50].filter((end) => end - 1 + 7 > wm).length;
      assert.equal(win<Ev>(h).windowCount, live, `windows held at watermark ${wm}`);
    }
    assert.deepEqual(fired, [[4, 3], [9, 3], [14, 11], [19, 11], [29, 27], [34, 27], [39, 38], [44, 80], [49, 42]]);
  });
});

describe('timestamps (regressions, a review)', () => {
  const late = new OutputTag<Ev>('late');

  // A trigger on GlobalWindows (window chosen without event time) got the wall clock, not the record's timestamp.
  test("a trigger's onElement gets the record's timestamp, on GlobalWindows too", () => {
    const seen: number[] = [];
    class Early extends Trigger<Window> {
      readonly fingerprint = 'early-by-ts';
      onElement(_e: unknown, ts: number): TriggerResult { seen.push(ts); return ts < 1000 ? TriggerResult.FIRE_AND_PURGE : TriggerResult.CONTINUE; }
      onEventTime(): TriggerResult { return TriggerResult.CONTINUE; }
      onProcessingTime(): TriggerResult { return TriggerResult.CONTINUE; }
    }
    const h = harness((e: Ev) => e.k, (s) => s.window(GlobalWindows.create()).trigger(new Early()).reduce(sum));
    h.push(ev('a', 1), 1); h.push(ev('a', 2), 2); h.push(ev('a', 3), 5000);
    assert.deepEqual(seen, [1, 2, 5000]);
    assert.deepEqual(h.out.values(), [ev('a', 1), ev('a', 2)]);
  });

  // ctx.output in a window function carried whatever time was current (a late record's), not the window's.
  test("a window function's side output carries the window's maxTimestamp, in late firings too", () => {
    const side = new OutputTag<string>('side');
    const h = harness((e: Ev) => e.k, (s) => s.window(TumblingEventTimeWindows.of(10)).allowedLateness(50).process<string>({
      process(_key, ctx, els, out) { ctx.output(side, `side n=${els.length}`); out.collect(`n=${els.length}`); },
    }), { sideTags: ['side'] });
    h.push(ev('a', 1), 0);
    h.watermark(30);
    h.push(ev('a', 1), 5);
    assert.deepEqual(h.out.records.map((r) => [r.value, r.ts]), [['n=1', 9], ['n=2', 9]]);
    assert.deepEqual(h.side.get('side')!.records.map((r) => [r.value, r.ts]), [['side n=1', 9], ['side n=2', 9]]);
  });

  // A fractional timestamp past its window's maxTimestamp but above the watermark was neither added nor late.
  test('a record with a fractional timestamp whose window has ended goes to the late output', () => {
    const h = harness((e: Ev) => e.k, (s) => s.window(TumblingEventTimeWindows.of(10)).sideOutputLateData(late).reduce(sum), { sideTags: ['late'] });
    h.push(ev('a', 1), 9.5);
    h.watermark(9);
    h.push(ev('a', 2), 9.7);
    h.push(ev('a', 4), 20);
    h.finish();
    assert.deepEqual(h.out.values(), [ev('a', 1), ev('a', 4)]);
    assert.deepEqual(h.side.get('late')!.records.map((r) => [r.value, r.ts]), [[ev('a', 2), 9.7]]);
  });
});

describe('window function context', () => {
  test('per-key state across windows (globalState), window metadata, and clear when a window\'s state goes', () => {
    const cleared: string[] = [];
    const h = harness((e: Ev) => e.k, (s) => s.window(TumblingEventTimeWindows.of(10)).allowedLateness(5).process<string>({
      process(key, ctx, els, out) {
        const fires = ctx.globalState.valueState<number>('fires');
        fires.update((fires.value() ?? 0) + 1);
        const w = ctx.window as TimeWindow;
        out.collect(`${key} [${w.start},${w.end}) n=${els.length} fire#${fires.value()} wm=${ctx.currentWatermark()} st=${ctx.subtask}`);
      },
      clear(ctx) { cleared.push(`${ctx.key} ${(ctx.window as TimeWindow).start}`); },
    }));
    h.push(ev('a', 1), 1); h.push(ev('a', 1), 12);
    h.watermark(9);
    h.push(ev('a', 1), 2); // late, within the lateness: fires again
    h.watermark(19);
    assert.deepEqual(h.out.values(), ['a [0,10) n=1 fire#1 wm=9 st=0', 'a [0,10) n=2 fire#2 wm=9 st=0', 'a [10,20) n=1 fire#3 wm=19 st=0']);
    assert.deepEqual(cleared, ['a 0'], 'cleared at 9 + 5 <= 19');
    assert.equal((h.op as WindowOperator<Ev, unknown>).backend.sizeOf('fires'), 1, 'global state outlives windows');
  });
});

describe('continuous triggers (early firings)', () => {
  const sizes = (s: KeyedStream<Ev, string>, t: Trigger<Window>): DataStream<number> =>
    s.window(TumblingEventTimeWindows.of(100)).trigger(t).process<number>((_k, _ctx, els, out) => out.collect(els.length));

  test('event time: fires at each multiple of the interval the watermark passes, and at the end; a jump fires once', () => {
    const h = harness((e: Ev) => e.k, (s) => sizes(s, ContinuousEventTimeTrigger.of(30)));
    h.push(ev('a', 1), 5); h.push(ev('a', 1), 40);
    h.watermark(29);
    assert.deepEqual(h.out.take(), []);
    h.watermark(30);
    assert.deepEqual(h.out.records.map((r) => [r.value, r.ts]), [[2, 99]], 'early, stamped with the window end - 1');
    h.out.take();
    h.push(ev('a', 1), 70);
    h.watermark(95); // passes 60 and 90: one firing
    assert.deepEqual(h.out.take(), [3]);
    h.watermark(99);
    assert.deepEqual(h.out.take(), [3], 'the end fires');
    h.watermark(500);
    assert.deepEqual(h.out.take(), []);
    assert.equal(win<Ev>(h).windowCount, 0);
    assert.equal(win<Ev>(h).timers.size, 0, 'no timer left behind');
  });

  // A first record behind the watermark (on time for its window) fired an interval late, and nothing
  // came at the next watermark.
  test('event time: a first record behind the watermark fires at the next watermark, as in Flink', () => {
    const h = harness((e: Ev) => e.k, (s) => s.window(TumblingEventTimeWindows.of(60)).trigger(ContinuousEventTimeTrigger.of(15))
      .process<number>((_k, _ctx, els, out) => out.collect(els.length)));
    h.watermark(40);
    h.push(ev('b', 1), 10);
    h.watermark(42);
    assert.deepEqual(h.out.take(), [1]);
    h.push(ev('b', 1), 44);
    h.watermark(46);
    assert.deepEqual(h.out.take(), [2], 'then at 45');
  });

  test('event time: a watermark past the window end fires it once, not once per interval too', () => {
    const h = harness((e: Ev) => e.k, (s) => sizes(s, ContinuousEventTimeTrigger.of(10)));
    h.push(ev('a', 1), 5); h.push(ev('b', 1), 7);
    h.watermark(1000);
    assert.deepEqual(h.out.take(), [1, 1]);
    assert.equal(win<Ev>(h).timers.size, 0);
  });

  test('event time, purging: each firing holds the elements since the one before', () => {
    const h = harness((e: Ev) => e.k, (s) => sizes(s, PurgingTrigger.of(ContinuousEventTimeTrigger.of(30))));
    h.push(ev('a', 1), 1); h.push(ev('a', 1), 2);
    h.watermark(30);
    h.push(ev('a', 1), 31);
    h.watermark(60);
    for (const t of [62, 63, 64]) h.push(ev('a', 1), t);
    h.watermark(99);
    assert.deepEqual(h.out.take(), [2, 1, 3]);
  });

  test('event time, session windows: a merged window keeps the earliest pending firing', () => {
    const h = harness((e: Ev) => e.k, (s) => s.window(EventTimeSessionWindows.withGap(50)).trigger(ContinuousEventTimeTrigger.of(30))
      .process<[number, number]>((_k, ctx, els, out) => out.collect([(ctx.window as TimeWindow).end, els.length])));
    h.push(ev('a', 1), 0); h.push(ev('a', 1), 60); h.push(ev('a', 1), 40); // bridges [0, 50) and [60, 110)
    h.watermark(30);
    assert.deepEqual(h.out.take(), [[110, 3]]);
    h.watermark(60);
    assert.deepEqual(h.out.take(), [[110, 3]], 'at 60');
    h.watermark(200);
    assert.deepEqual(h.out.take(), [[110, 3]], 'at the end only: 90 is passed with it');
  });

  test('processing time: fires at multiples of the interval, and a late timer is followed by the next multiple ahead', () => {
    const h = harness((e: Ev) => e.k, (s) => s.window(GlobalWindows.create()).trigger(ContinuousProcessingTimeTrigger.of(60_000))
      .process<number>((_k, _ctx, els, out) => out.collect(els.length)));
    const op = win<Ev>(h);
    h.push(ev('a', 1)); h.push(ev('a', 1));
    const due = op.nextProcessingTime();
    assert.equal((due - 1) % 60_000, 0, 'at a multiple of the interval (due once it has passed)');
    op.onProcessingTime(due);
    assert.deepEqual(h.out.take(), [2]);
    h.push(ev('a', 1));
    assert.equal(op.nextProcessingTime(), due + 60_000, 'the next multiple');
    op.onProcessingTime(due + 5 * 60_000); // three intervals late
    assert.deepEqual(h.out.take(), [3], 'once');
    assert.ok(op.nextProcessingTime() >= due + 60_000 * 5, 'the next multiple ahead of the late timer');
  });

  test('intervals must be whole ms >= 1', () => {
    assert.throws(() => ContinuousEventTimeTrigger.of(0), JobDefinitionError);
    assert.throws(() => ContinuousProcessingTimeTrigger.of(1.5), JobDefinitionError);
  });
});

describe('per-window state (windowState)', () => {
  // Counts the firings of each window (a late record within the lateness fires it again) and keeps the last
  // result, as a Flink ProcessWindowFunction does with windowState().
  const define = (s: KeyedStream<Ev, string>): DataStream<string> => s.window(TumblingEventTimeWindows.of(10)).allowedLateness(5).process<string>({
    process(key, ctx, els, out) {
      const fires = ctx.windowState.valueState<number>('fires');
      const seen = ctx.windowState.listState<number>('seen');
      fires.update((fires.value() ?? 0) + 1);
      seen.add(els.length);
      out.collect(`${key} ${(ctx.window as TimeWindow).start} fire#${fires.value()} sizes=${seen.get().join(',')}`);
    },
  });

  test('is per key and window, outlives a firing, and is removed with its window (no clear written)', () => {
    const h = harness((e: Ev) => e.k, define, { checkpointing: true });
    const backend = win<Ev>(h).backend;
    h.push(ev('a', 1), 1); h.push(ev('b', 1), 2); h.push(ev('a', 1), 7);
    h.watermark(9);
    assert.deepEqual(h.out.take().sort(), ['a 0 fire#1 sizes=2', 'b 0 fire#1 sizes=1']);
    h.push(ev('a', 1), 3); // late, within the lateness: fires [0, 10) again
    h.push(ev('a', 1), 12);
    assert.deepEqual(h.out.take(), ['a 0 fire#2 sizes=2,3']);
    assert.equal(backend.sizeOf('__window/fires'), 2, 'a and b: [0, 10) fired; [10, 20) has not');
    h.watermark(14);
    assert.equal(backend.sizeOf('__window/fires'), 0, '[0, 10) gone at 9 + 5, and its state with it');
    assert.equal(backend.sizeOf('__window/seen'), 0);
    h.watermark(19);
    assert.deepEqual(h.out.take(), ['a 10 fire#1 sizes=1'], 'a new window counts from one');
    assert.equal(backend.sizeOf('__window/fires'), 1);
    h.watermark(100);
    assert.equal(win<Ev>(h).windowCount, 0);
    assert.equal(backend.sizeOf('__window/fires'), 0, 'every window gone, and its state with it');
  });

  test('survives a snapshot and restore mid-window, and the late firing counts on', () => {
    const h = harness((e: Ev) => e.k, define, { checkpointing: true });
    h.push(ev('a', 1), 1);
    h.watermark(9);
    assert.deepEqual(h.out.take(), ['a 0 fire#1 sizes=1']);
    const snap = win<Ev>(h).snapshotState(1, false);
    const restored = harness((e: Ev) => e.k, define, { checkpointing: true });
    restored.ctx.watermark = 9;
    restored.op.restoreState({ keyed: snap.keyed!, operator: [] });
    restored.push(ev('a', 1), 2);
    assert.deepEqual(restored.out.take(), ['a 0 fire#2 sizes=1,2'], 'the count from before the restore');
    restored.watermark(100);
    assert.equal(win<Ev>(restored).backend.sizeOf('__window/fires'), 0, 'restored entries are removed with their windows');
    // Restored, and its windows gone before the function runs again (so before it declares the state).
    const idle = harness((e: Ev) => e.k, define, { checkpointing: true });
    idle.ctx.watermark = 9;
    idle.op.restoreState({ keyed: snap.keyed!, operator: [] });
    assert.equal(win<Ev>(idle).backend.sizeOf('__window/fires'), 1);
    idle.watermark(100);
    assert.equal(win<Ev>(idle).backend.sizeOf('__window/fires'), 0, 'removed though not declared since the restore');
  });

  test('a state declared as another kind, or with a TTL, is refused; merging windows refuse windowState', () => {
    const twoKinds = harness((e: Ev) => e.k, (s) => s.window(TumblingEventTimeWindows.of(10)).process<string>((k, ctx, _els, out) => {
      ctx.windowState.valueState<number>('x');
      ctx.windowState.listState<number>('x');
      out.collect(k);
    }));
    twoKinds.push(ev('a', 1), 1);
    assert.throws(() => twoKinds.watermark(20), /window state 'x' is a value state, not a list state/);
    const ttl = harness((e: Ev) => e.k, (s) => s.window(TumblingEventTimeWindows.of(10)).process<string>((k, ctx, _els, out) => {
      ctx.windowState.valueState<number>('y', { ttl: { ttlMs: 5 } });
      out.collect(k);
    }));
    ttl.push(ev('a', 1), 1);
    assert.throws(() => ttl.watermark(20), /window state 'y' cannot have a TTL/);
    const sessions = harness((e: Ev) => e.k, (s) => s.window(EventTimeSessionWindows.withGap(5)).process<string>((k, ctx, _els, out) => {
      ctx.windowState.valueState<number>('z');
      out.collect(k);
    }));
    sessions.push(ev('a', 1), 1);
    assert.throws(() => sessions.watermark(20), /windowState is not available with merging windows/);
  });

  // Regression: a window map state stored a map key that is not a key (an object: found only by identity).
  test('a window map state put with a map key that is not a key is a KeyTypeError naming the operator and the state', () => {
    const h = harness((e: Ev) => e.k, (s) => s.window(TumblingEventTimeWindows.of(10)).process<string>((k, ctx, _els, out) => {
      ctx.windowState.mapState<string, number>('m').put({ id: 1 } as unknown as string, 1);
      out.collect(k);
    }));
    h.push(ev('a', 1), 1);
    assert.throws(() => h.watermark(20), (e: unknown) => e instanceof Error && e.cause instanceof KeyTypeError
      && /window state 'm': a map key must be a string, number, bigint or boolean, got an object/.test(e.message));
  });

  // Regression: a window state declared again with another reduce function kept the first one, silently.
  test('a window state declared again with another reduce function is refused; again with the same source it is the same state', () => {
    const twoFns = harness((e: Ev) => e.k, (s) => s.window(TumblingEventTimeWindows.of(10)).process<string>((k, ctx, _els, out) => {
      ctx.windowState.reducingState<number>('r', (a, b) => a + b).add(1);
      ctx.windowState.reducingState<number>('r', (a, b) => Math.max(a, b)).add(1);
      out.collect(k);
    }));
    twoFns.push(ev('a', 1), 1);
    assert.throws(() => twoFns.watermark(20), /operator '[^']+'.*window state 'r' was declared with one reduce function, and again with another/);
    const perFire = harness((e: Ev) => e.k, (s) => s.window(TumblingEventTimeWindows.of(10)).allowedLateness(5).process<string>((k, ctx, _els, out) => {
      const r = ctx.windowState.reducingState<number>('r', (a, b) => a + b);
      r.add(1);
      out.collect(`${k} ${r.get()}`);
    }));
    perFire.push(ev('a', 1), 1);
    perFire.watermark(9);
    perFire.push(ev('a', 1), 2);
    assert.deepEqual(perFire.out.take(), ['a 1', 'a 2'], 'a closure made again per firing is the same declaration');
  });
});

describe('checkpoints', () => {
  // The fast path sorts a key's windows by end; a checkpoint taken with it off keeps them in arrival order.
  test(`a checkpoint taken with the fast paths ${fast ? 'off' : 'on'} restores into an operator with them ${fast ? 'on' : 'off'}`, () => {
    const define = (s: KeyedStream<Ev, string>): DataStream<Ev> => s.window(SlidingEventTimeWindows.of(10, 5)).reduce(sum);
    const h = baseHarness((e: Ev) => e.k, define, { checkpointing: true, fastPaths: !fast });
    for (const t of [42, 3, 27, 11, 38, 0]) h.push(ev('a', t), t);
    const snap = win<Ev>(h).snapshotState(1, false);
    const restored = harness((e: Ev) => e.k, define, { checkpointing: true });
    restored.op.restoreState({ keyed: snap.keyed!, operator: [] });
    for (const w of [9, 24, 60]) { h.watermark(w); restored.watermark(w); }
    assert.deepEqual(restored.out.values(), h.out.values());
    assert.equal(restored.out.values().length, 9);
  });

  test('window state snapshotted mid-stream and restored into a new operator gives the same results', () => {
    const define = (s: KeyedStream<Ev, string>): DataStream<[string, number, number[]]> => s.window(EventTimeSessionWindows.withGap(5)).allowedLateness(3).process<[string, number, number[]]>((k, ctx, els, out) => {
      out.collect([k, (ctx.window as TimeWindow).end, els.map((e) => e.v).sort((a, b) => a - b)]);
    });
    const events: [Ev, number][] = [];
    for (let i = 0; i < 60; i++) events.push([ev(`k${i % 3}`, i), i * 2 + (i % 4)]);
    const run = (cut: number | undefined): unknown[] => {
      let h = harness((e: Ev) => e.k, define, { checkpointing: true });
      const out: unknown[] = [];
      for (let i = 0; i < events.length; i++) {
        if (i === cut) {
          // Two checkpoints (a full chunk, then a delta): restore applies both.
          out.push(...h.out.take());
          const first = win<Ev>(h).snapshotState(1, false);
          for (let j = 0; j < 3; j++) h.push(...events[i + j]!);
          const second = win<Ev>(h).snapshotState(2, false);
          const restored = harness((e: Ev) => e.k, define, { checkpointing: true });
          restored.ctx.watermark = h.ctx.watermark;
          restored.op.restoreState({ keyed: [...first.keyed!, ...second.keyed!].sort((a, b) => a.keyGroup - b.keyGroup), operator: [] });
          assert.equal(win<Ev>(restored).windowCount, win<Ev>(h).windowCount);
          out.push(...h.out.take());
          h = restored;
          i += 2;
          continue;
        }
        h.push(...events[i]!);
        if (i % 7 === 6) h.watermark(events[i]![1] - 6);
      }
      h.finish();
      out.push(...h.out.take());
      return out;
    };
    assert.deepEqual(run(31), run(undefined));
  });
});

// Regressions: a PURGE dropped the whole window, not just its contents, so
// a purged session could not merge with later records, and the window function's clear ran at every purge.
describe('purging triggers clear contents only; the window stays until its cleanup time', () => {
  const fmt = (k: string, ctx: { window: unknown }, els: readonly Ev[]): string => {
    const w = ctx.window as TimeWindow;
    return `${k} [${w.start},${w.end}) ${els.map((e) => e.v).sort((a, b) => a - b).join(',')}`;
  };

  test('a purged session (PurgingTrigger(EventTimeTrigger), allowed lateness) still merges with a late record that bridges it', () => {
    const h = harness((e: Ev) => e.k, (s) => s.window(EventTimeSessionWindows.withGap(10))
      .trigger(PurgingTrigger.of(EventTimeTrigger.create()) as never)
      .allowedLateness(20)
      .process<string>((k, ctx, els, out) => out.collect(fmt(k, ctx, els))));
    h.push(ev('a', 1), 0);
    h.watermark(9); // fires and purges [0,10); the window stays until 9 + 20
    assert.deepEqual(h.out.records.map((r) => [r.value, r.ts]), [['a [0,10) 1', 9]]);
    h.out.take();
    h.push(ev('a', 2), 5); // [5,15) merges into [0,10): [0,15)
    h.push(ev('a', 3), -8); // [-8,2) touches [0,15): [-8,15)
    h.watermark(30);
    assert.deepEqual(h.out.records.map((r) => [r.value, r.ts]), [['a [-8,15) 2,3', 14]]);
  });

  test('a purged session (PurgingTrigger(CountTrigger(2))) merges with later records, and its next firing happens', () => {
    const h = harness((e: Ev) => e.k, (s) => s.window(EventTimeSessionWindows.withGap(10))
      .trigger(PurgingTrigger.of(CountTrigger.of(2)) as never)
      .process<string>((k, ctx, els, out) => out.collect(fmt(k, ctx, els))));
    h.push(ev('a', 1), 0);
    h.push(ev('a', 2), 1);
    assert.deepEqual(h.out.take(), ['a [0,11) 1,2']);
    h.push(ev('a', 3), 11); // touches [0,11): [0,21), count 1
    h.push(ev('a', 4), -8); // touches [0,21): [-8,21), count 2: fires
    assert.deepEqual(h.out.take(), ['a [-8,21) 3,4']);
  });

  test('countWindow: the window function\'s clear never runs (a global window never expires)', () => {
    const cleared: string[] = [];
    const h = harness((e: Ev) => e.k, (s) => s.countWindow(2).process<string>({
      process(k, _ctx, els, out) { out.collect(`${k} ${els.map((e) => e.v).join(',')}`); },
      clear(ctx) { cleared.push(String(ctx.key)); },
    }));
    for (let i = 1; i <= 4; i++) h.push(ev('a', i));
    assert.deepEqual(h.out.take(), ['a 1,2', 'a 3,4']);
    assert.deepEqual(cleared, []);
  });
});

// Regression: end of input fired processing-time timers up to the end of time, including the ones a
// firing registered, so a trigger that re-arms itself (a continuous trigger on a global window) never let
// finish() return.
test('end of input fires each pending processing-time timer once, even for a trigger that re-arms itself', () => {
  let fires = 0;
  class Continuous extends Trigger<TimeWindow> {
    readonly fingerprint = 'continuous-pt(1000)';
    onElement(_e: unknown, _ts: number, _w: TimeWindow, ctx: TriggerContext): TriggerResult {
      if (ctx.getState<number>() === undefined) {
        const next = ctx.currentProcessingTime() + 1000;
        ctx.setState(next);
        ctx.registerProcessingTimeTimer(next);
      }
      return TriggerResult.CONTINUE;
    }
    onEventTime(): TriggerResult { return TriggerResult.CONTINUE; }
    onProcessingTime(time: number, _w: TimeWindow, ctx: TriggerContext): TriggerResult {
      if (++fires > 50) throw new Error(`looping: ${fires} firings at end of input`);
      ctx.setState(time + 1000);
      ctx.registerProcessingTimeTimer(time + 1000);
      return TriggerResult.FIRE;
    }
    override clear(_w: TimeWindow, ctx: TriggerContext): void { ctx.setState(undefined); }
  }
  const h = harness((e: Ev) => e.k, (s) => s.window(GlobalWindows.create()).trigger(new Continuous() as never)
    .process<string>((k, _c, els, out) => out.collect(`${k}:${els.length}`)));
  h.push(ev('a', 1));
  h.push(ev('b', 1));
  h.push(ev('a', 2));
  h.finish();
  assert.equal(fires, 2, 'one final firing per window');
  assert.deepEqual(h.out.take().sort(), ['a:2', 'b:1']);
});
});
}

test('a window function that returns a promise fails when the window fires, naming the operator', () => {
  const h = baseHarness((e: Ev) => e.k, (s) => s.window(TumblingEventTimeWindows.of(10))
    .process<string>({ async process(k: string, _ctx: unknown, els: readonly Ev[], out: Collector<string>) { out.collect(`${k} ${els.length}`); } } as never).name('counts'));
  h.push(ev('a', 1), 1);
  assert.throws(() => h.watermark(20), /operator 'counts' \(subtask 0\) failed: its window function returned a promise, but it runs synchronously .*asyncMap/);
});

test('a window reduce or aggregate function that returns a promise fails naming the operator (with and without an evictor)', () => {
  const asyncSum = (async (a: Ev, b: Ev) => sum(a, b)) as unknown as (a: Ev, b: Ev) => Ev;
  const reduce = baseHarness((e: Ev) => e.k, (s) => s.window(TumblingEventTimeWindows.of(10)).reduce(asyncSum).name('r'));
  reduce.push(ev('a', 1), 1);
  assert.throws(() => reduce.push(ev('a', 2), 2), /operator 'r' \(subtask 0\) failed: its reduce function returned a promise, but it runs synchronously \(what it returns is kept as the state\)/);
  const agg = baseHarness((e: Ev) => e.k, (s) => s.window(TumblingEventTimeWindows.of(10)).aggregate<number, number>({
    createAccumulator: () => 0, add: (e, acc) => acc + e.v, getResult: (async (acc: number) => acc) as unknown as (acc: number) => number,
  }).name('g'));
  agg.push(ev('a', 1), 1);
  assert.throws(() => agg.watermark(20), /operator 'g' \(subtask 0\) failed: its aggregate function's getResult returned a promise/);
  const evicting = baseHarness((e: Ev) => e.k, (s) => s.window(TumblingEventTimeWindows.of(10)).evictor(CountEvictor.of(5)).reduce(asyncSum).name('e'));
  evicting.push(ev('a', 1), 1);
  evicting.push(ev('a', 2), 2);
  assert.throws(() => evicting.watermark(20), /operator 'e' \(subtask 0\) failed: its reduce function returned a promise/);
});

// Regression: a count window's slot stayed after it fired and purged (a global window never expires), so every key
// ever seen kept a slot and a state entry for good, and every full checkpoint wrote them.
for (const fastPaths of [true, false]) test(`countWindow(n): a key whose window fired and purged leaves no state behind (fast paths ${fastPaths ? 'on' : 'off'})`, () => {
  const h = baseHarness((e: Ev) => e.k, (s) => s.countWindow(2).reduce(sum), { checkpointing: true, fastPaths });
  for (let i = 0; i < 1000; i++) { h.push({ k: `k${i}`, v: 1 }); h.push({ k: `k${i}`, v: 2 }); }
  const op = h.op as WindowOperator<Ev, Ev>;
  assert.equal(h.out.records.length, 1000);
  assert.ok(h.out.records.every((r) => r.value.v === 3));
  assert.equal(op.windowCount, 0);
  assert.equal(op.backend.entryCount, 0);
  assert.equal(op.snapshotState(1, true).keyedEntries, 0);
  // A key half way through its next window keeps it.
  h.push({ k: 'k1', v: 5 });
  assert.equal(op.windowCount, 1);
  assert.equal(op.backend.entryCount, 1);
});
