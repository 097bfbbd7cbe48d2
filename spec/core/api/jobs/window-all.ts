// A job for windowAll: generated events (at the job's parallelism) counted per 1 s of event time over the whole
// stream, three ways (aggregate with a window function, process, and aggregate combined locally), and a
// countWindowAll summing every 7 values of an ordered collection.
import { defineJob, TumblingEventTimeWindows, WatermarkStrategy, type AggregateFunction } from '../../../../core/index.js';

export interface Count { how: string; end: number; n: number }
export const N = 5000;

const count: AggregateFunction<unknown, number, number> = { createAccumulator: () => 0, add: (_x, n) => n + 1, getResult: (n) => n, merge: (a, b) => a + b };

export default defineJob((env) => {
  const events = env.fromGenerator({ count: N, seed: 5 }, (i, r) => ({ i, ts: i * 3 + r.int(3) })).name('src')
    .assignTimestampsAndWatermarks(WatermarkStrategy.forBoundedOutOfOrderness<{ i: number; ts: number }>(10).withTimestampAssigner((e) => e.ts)).name('stamp');
  events.windowAll(TumblingEventTimeWindows.of(1000))
    .aggregate<number, number, Count>(count, (ctx, [n], out) => out.collect({ how: 'aggregate', end: ctx.window.end, n: n! })).name('all-aggregate')
    .collect().name('out-aggregate');
  events.windowAll(TumblingEventTimeWindows.of(1000))
    .process<Count>((ctx, elements, out) => out.collect({ how: 'process', end: ctx.window.end, n: elements.length })).name('all-process')
    .collect().name('out-process');
  events.windowAll(TumblingEventTimeWindows.of(1000)).combineLocally()
    .aggregate<number, number, Count>(count, { process(ctx, [n], out) { out.collect({ how: 'combined', end: ctx.window.end, n: n! }); } }).name('all-combined')
    .collect().name('out-combined');
  env.fromCollection(Array.from({ length: 30 }, (_, i) => i)).name('numbers')
    .countWindowAll(7).reduce((a, b) => a + b).name('sevens')
    .collect().name('out-sevens').setParallelism(1);
  env.fromCollection(Array.from({ length: 30 }, (_, i) => i)).name('numbers-2')
    .countWindowAll(4, 2).reduce((a, b) => a + b).name('last-four')
    .collect().name('out-last-four').setParallelism(1);
});
