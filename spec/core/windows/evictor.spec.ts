// Evictors: a count evictor behind a count trigger is Flink's sliding count window; a time evictor keeps the
// elements near the newest; eviction before or after the window function; reduce and aggregate run over what is
// left; combined with combineLocally it is refused.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CountEvictor, CountTrigger, EventTimeSessionWindows, GlobalWindows, JobDefinitionError, StreamEnvironment, TimeEvictor, TumblingEventTimeWindows, type AggregateFunction, type DataStream, type KeyedStream } from '../../../core/index.js';
import { harness } from './harness.js';

interface E { k: string; v: number }
const e = (v: number, k = 'a'): E => ({ k, v });

test('countWindow(size, slide): every slide records of a key, its last size records', () => {
  const h = harness((x: E) => x.k, (s) => s.countWindow(3, 2).process<number[]>((_k, _ctx, els, out) => out.collect(els.map((x) => x.v))));
  for (let v = 1; v <= 7; v++) h.push(e(v));
  h.push(e(100, 'b'));
  assert.deepEqual(h.out.values(), [[1, 2], [2, 3, 4], [4, 5, 6]]);
  h.push(e(101, 'b'));
  assert.deepEqual(h.out.values().at(-1), [100, 101], 'keys count apart');
});

test('countWindow(size, slide) with reduce and with aggregate: computed over the kept records when it fires', () => {
  const sum = harness((x: E) => x.k, (s) => s.countWindow(3, 2).reduce((a, b) => ({ k: a.k, v: a.v + b.v })));
  for (let v = 1; v <= 6; v++) sum.push(e(v));
  assert.deepEqual(sum.out.values().map((x) => x.v), [3, 9, 15]);
  const avg: AggregateFunction<E, { n: number; s: number }, number> = { createAccumulator: () => ({ n: 0, s: 0 }), add: (x, a) => ({ n: a.n + 1, s: a.s + x.v }), getResult: (a) => a.s / a.n };
  const h = harness((x: E) => x.k, (s) => s.countWindow(3, 2).aggregate<{ n: number; s: number }, number, string>(avg, (k, _ctx, [m], out) => out.collect(`${k}:${m}`)));
  for (let v = 1; v <= 6; v++) h.push(e(v));
  assert.deepEqual(h.out.values(), ['a:1.5', 'a:3', 'a:5']);
});

test('TimeEvictor keeps the elements within its size of the newest; after the function, the function sees them all first', () => {
  const h = harness((x: E) => x.k, (s) => s.window(TumblingEventTimeWindows.of(10)).evictor(TimeEvictor.of(3)).process<number[]>((_k, _ctx, els, out) => out.collect(els.map((x) => x.v))));
  for (const ts of [1, 2, 8, 9]) h.push(e(ts), ts);
  h.watermark(20);
  assert.deepEqual(h.out.values(), [[8, 9]], 'newest 9: those at or before 6 go');
  const after = harness((x: E) => x.k, (s) => s.window(GlobalWindows.create()).trigger(CountTrigger.of(2)).evictor(CountEvictor.of(2, true)).process<number[]>((_k, _ctx, els, out) => out.collect(els.map((x) => x.v))));
  for (let v = 1; v <= 4; v++) after.push(e(v));
  assert.deepEqual(after.out.values(), [[1, 2], [1, 2, 3, 4]], 'evicted after: each firing sees what the last one left, then the new ones');
});

test('an evictor with combineLocally is refused when the job is built; bad evictor sizes too', () => {
  const env = new StreamEnvironment(1);
  const w = env.fromCollection<E>([]).keyBy((x) => x.k).window(TumblingEventTimeWindows.of(10)).evictor(CountEvictor.of(2)).combineLocally();
  assert.throws(() => w.reduce((a) => a), (err: unknown) => err instanceof JobDefinitionError && /combineLocally: cannot be combined with an evictor/.test(err.message));
  assert.throws(() => CountEvictor.of(0), JobDefinitionError);
  assert.throws(() => TimeEvictor.of(-1), JobDefinitionError);
});

test('a sliding count window snapshotted mid-stream and restored into a new operator goes on as the original', () => {
  const define = (s: KeyedStream<E, string>): DataStream<number[]> => s.countWindow(3, 2).process<number[]>((_k, _ctx, els, out) => out.collect(els.map((x) => x.v)));
  const h = harness((x: E) => x.k, define, { checkpointing: true });
  for (let v = 1; v <= 5; v++) h.push(e(v));
  const snap = h.op.snapshotState(1, false)!;
  const restored = harness((x: E) => x.k, define, { checkpointing: true });
  restored.op.restoreState({ keyed: snap.keyed!, operator: [] });
  for (let v = 6; v <= 9; v++) { h.push(e(v)); restored.push(e(v)); }
  assert.deepEqual(h.out.values(), [[1, 2], [2, 3, 4], [4, 5, 6], [6, 7, 8]]);
  assert.deepEqual(restored.out.values(), [[4, 5, 6], [6, 7, 8]]);
});

test('session windows with an evictor: merged windows keep every element, and the evictor applies to the merged list', () => {
  const h = harness((x: E) => x.k, (s) => s.window(EventTimeSessionWindows.withGap(10)).evictor(CountEvictor.of(2)).process<number[]>((_k, _ctx, els, out) => out.collect(els.map((x) => x.v))));
  h.push(e(1), 0);
  h.push(e(2), 20);
  h.push(e(3), 10); // [10, 20) touches [0, 10) and [20, 30): one session [0, 30)
  h.watermark(100);
  assert.deepEqual(h.out.values(), [[2, 3]], 'one session of three, the last two in arrival order');
});
