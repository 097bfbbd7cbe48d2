// Window assigners: every window a record gets holds its timestamp, windows are aligned to size / slide and
// offset (negative times too), sliding windows come ceil(size / slide) per record; and window definitions
// reach the graph fingerprint that every thread checks.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  EventTimeSessionWindows, GlobalWindow, GlobalWindows, JobDefinitionError, OutputTag, SlidingEventTimeWindows, StreamEnvironment,
  TimeWindow, TumblingEventTimeWindows, TumblingProcessingTimeWindows, CountTrigger,
} from '../../../core/index.js';
import { MAX_WATERMARK } from '../../../core/time/watermark.js';

function assigned(a: { assign(e: unknown, ts: number, out: number[]): number }, ts: number): [number, number][] {
  const out: number[] = [];
  const n = a.assign(undefined, ts, out);
  return Array.from({ length: n }, (_, i) => [out[2 * i]!, out[2 * i + 1]!]);
}

test('tumbling: one window per record, holding it, aligned to size and offset', () => {
  fc.assert(fc.property(fc.integer({ min: -1e12, max: 1e12 }), fc.integer({ min: 1, max: 100_000 }), fc.integer({ min: -99_999, max: 99_999 }), (ts, size, off) => {
    fc.pre(Math.abs(off) < size);
    const ws = assigned(TumblingEventTimeWindows.of(size, off), ts);
    assert.equal(ws.length, 1);
    const [s, e] = ws[0]!;
    assert.ok(s <= ts && ts < e && e - s === size);
    assert.equal(((s - off) % size + size) % size, 0);
  }));
});

test('sliding: ceil(size / slide) windows when slide divides size, each holding the record, distinct and aligned', () => {
  fc.assert(fc.property(fc.integer({ min: -1e12, max: 1e12 }), fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 1, max: 20 }), (ts, slide, k) => {
    const size = slide * k;
    const ws = assigned(SlidingEventTimeWindows.of(size, slide), ts);
    assert.equal(ws.length, k);
    assert.equal(new Set(ws.map(([s]) => s)).size, k);
    for (const [s, e] of ws) { assert.ok(s <= ts && ts < e && e - s === size); assert.equal((s % slide + slide) % slide, 0); }
  }));
  // slide larger than size: some records fall in no window at all.
  assert.deepEqual(assigned(SlidingEventTimeWindows.of(5, 10), 7), []);
  assert.deepEqual(assigned(SlidingEventTimeWindows.of(5, 10), 3), [[0, 5]]);
});

test('sessions open [ts, ts + gap); the global window is [MIN, MAX + 1) with maxTimestamp MAX_WATERMARK', () => {
  assert.deepEqual(assigned(EventTimeSessionWindows.withGap(30), 100), [[100, 130]]);
  const [[s, e]] = assigned(GlobalWindows.create(), 5) as [[number, number]];
  assert.equal(e - 1, MAX_WATERMARK);
  assert.equal(GlobalWindows.create().window().maxTimestamp(), MAX_WATERMARK);
  assert.ok(GlobalWindows.create().window() === GlobalWindow.INSTANCE && s < 0);
  assert.ok(new TimeWindow(0, 10).intersects(new TimeWindow(10, 20)), 'touching windows intersect (they merge)');
  assert.ok(!new TimeWindow(0, 10).intersects(new TimeWindow(11, 20)));
  assert.deepEqual(new TimeWindow(0, 10).cover(new TimeWindow(5, 20)), new TimeWindow(0, 20));
});

test('bad window definitions are rejected when the job is defined', () => {
  for (const bad of [() => TumblingEventTimeWindows.of(0), () => TumblingEventTimeWindows.of(1.5), () => TumblingEventTimeWindows.of(10, 10),
    () => SlidingEventTimeWindows.of(10, 0), () => EventTimeSessionWindows.withGap(-1), () => CountTrigger.of(0)]) {
    assert.throws(bad, JobDefinitionError);
  }
  const env = new StreamEnvironment(1);
  const keyed = env.fromCollection([1]).keyBy((x) => x);
  assert.throws(() => keyed.window({} as never), JobDefinitionError);
  assert.throws(() => keyed.window(TumblingEventTimeWindows.of(10)).trigger({} as never), JobDefinitionError);
  assert.throws(() => keyed.window(TumblingEventTimeWindows.of(10)).allowedLateness(-1), JobDefinitionError);
  assert.throws(() => keyed.window(TumblingEventTimeWindows.of(10)).process(42 as never), JobDefinitionError);
  assert.throws(() => keyed.window(TumblingEventTimeWindows.of(10)).aggregate({ add: () => 0 } as never), JobDefinitionError);
});

test('the window definition is part of the graph fingerprint every thread checks', () => {
  const fingerprint = (define: (env: StreamEnvironment) => void): string => {
    const env = new StreamEnvironment(1);
    define(env);
    return env.graph.nodeFingerprints().join('\n');
  };
  const base = (env: StreamEnvironment, f: (w: ReturnType<typeof win>) => unknown) => { f(win(env)); };
  const win = (env: StreamEnvironment) => env.fromCollection([1]).keyBy((x) => x).window(TumblingEventTimeWindows.of(10));
  const variants = [
    (env: StreamEnvironment) => base(env, (w) => w.reduce((a) => a).collect()),
    (env: StreamEnvironment) => base(env, (w) => w.allowedLateness(5).reduce((a) => a).collect()),
    (env: StreamEnvironment) => base(env, (w) => w.sideOutputLateData(new OutputTag<number>('late')).reduce((a) => a).collect()),
    (env: StreamEnvironment) => base(env, (w) => w.trigger(CountTrigger.of(3)).reduce((a) => a).collect()),
    (env: StreamEnvironment) => base(env, (w) => w.process<number>((_k, _c, els, out) => out.collect(els.length)).collect()),
    (env: StreamEnvironment) => base(env, (w) => w.withoutFastPaths().reduce((a) => a).collect()),
    (env: StreamEnvironment) => { env.fromCollection([1]).keyBy((x) => x).window(TumblingProcessingTimeWindows.of(10)).reduce((a) => a).collect(); },
    (env: StreamEnvironment) => { env.fromCollection([1]).keyBy((x) => x).window(TumblingEventTimeWindows.of(11)).reduce((a) => a).collect(); },
  ];
  const prints = variants.map(fingerprint);
  assert.equal(new Set(prints).size, variants.length, 'every variant has its own fingerprint');
  assert.equal(fingerprint(variants[1]!), prints[1], 'the same definition, the same fingerprint');
});
