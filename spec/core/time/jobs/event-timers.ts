// A job for the event-time tests: out-of-order events through a bounded-out-of-orderness strategy, keyed by a
// small key space, and a process function that fires an event-time timer at each record's timestamp.
//   ?n=20000&bound=50&p=2
import { defineJob, WatermarkStrategy } from '../../../../core/index.js';

const q = new URL(import.meta.url).searchParams;
const n = Number(q.get('n') ?? 20000);
const bound = Number(q.get('bound') ?? 50);

export interface Ev { key: string; ts: number; i: number }

/** Event i has time ~ i, shuffled backwards by up to `bound` (deterministic). */
export function event(i: number, r: { int(n: number): number }): Ev {
  return { key: `k${i % 7}`, ts: Math.max(0, i - r.int(bound + 1)), i };
}

export default defineJob((env) => {
  env.fromGenerator({ count: n, seed: 3 }, event).name('events')
    .assignTimestampsAndWatermarks(WatermarkStrategy.forBoundedOutOfOrderness<Ev>(bound).withTimestampAssigner((e) => e.ts)).name('timestamps')
    .keyBy((e) => e.key)
    .process<{ key: string; at: number; wm: number; late: boolean }>({
      processElement(e, ctx) {
        ctx.timerService.registerEventTimeTimer(e.ts);
      },
      onTimer(ts, ctx, out) {
        out.collect({ key: ctx.key, at: ts, wm: ctx.timerService.currentWatermark(), late: false });
      },
    }).name('timers')
    .collect().name('out');
});
