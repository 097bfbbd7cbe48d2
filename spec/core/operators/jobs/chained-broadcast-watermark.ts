// A plain stream's broadcast process operator chained behind its source (readings), its broadcast input (rules)
// from a slower source: every reading goes out with the event time the operator saw it at (currentWatermark()).
// Unbounded: the test stops it.
import { defineJob, MapStateDescriptor, WatermarkStrategy } from '../../../../core/index.js';

export interface Seen { i: number; wm: number }

const RULES = new MapStateDescriptor<number, number>('rules');

export default defineJob((env) => {
  const rules = env.fromGenerator({ seed: 5, ratePerSec: 50 }, (j) => ({ j, ts: j * 20 })).name('rules').setParallelism(1)
    .assignTimestampsAndWatermarks(WatermarkStrategy.forMonotonousTimestamps<{ j: number; ts: number }>().withTimestampAssigner((r) => r.ts)).name('rule-times').setParallelism(1)
    .broadcast(RULES);
  env.fromGenerator({ seed: 3, ratePerSec: 1000 }, (i) => ({ i, ts: i })).name('readings').setParallelism(1)
    .assignTimestampsAndWatermarks(WatermarkStrategy.forMonotonousTimestamps<{ i: number; ts: number }>().withTimestampAssigner((r) => r.ts)).name('times').setParallelism(1)
    .connect(rules).process<Seen>({
      processElement(r, ctx, out) { out.collect({ i: r.i, wm: ctx.currentWatermark() }); },
      processBroadcastElement(l, ctx) { ctx.getBroadcastState(RULES).put(0, l.j); },
    }).name('check').setParallelism(1)
    .collect().name('out');
});
