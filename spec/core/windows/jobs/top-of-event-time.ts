// Records at the top of the event-time range through a two-phase window aggregate (combineLocally): the partial
// is stamped with its window's maxTimestamp, which must land it in that same window downstream.
import { defineJob, TumblingEventTimeWindows, WatermarkStrategy } from '../../../../core/index.js';

const TOP = Number.MAX_SAFE_INTEGER;

export default defineJob((env) => {
  env.fromCollection([{ k: 'a', ts: TOP - 1 }, { k: 'a', ts: TOP }, { k: 'b', ts: TOP - 12 }, { k: 'a', ts: TOP }]).name('events')
    .assignTimestampsAndWatermarks(WatermarkStrategy.forMonotonousTimestamps<{ k: string; ts: number }>().withTimestampAssigner((e) => e.ts)).name('times')
    .keyBy((e) => e.k).window(TumblingEventTimeWindows.of(10)).combineLocally()
    .aggregate<number, number, [string, number, number, number]>(
      { createAccumulator: () => 0, add: (_e, n) => n + 1, getResult: (n) => n, merge: (x, y) => x + y },
      (k, ctx, [n], out) => out.collect([k, ctx.window.start, ctx.window.end, n!]),
    ).name('count').collect().name('out');
});
