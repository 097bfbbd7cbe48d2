// A job for the event-time tests: out-of-order events through a bounded-out-of-orderness strategy, keyed by a
// small key space, and a process function that fires an event-time timer at each record's timestamp.
//   ?n=20000&bound=50&punctuate=0
// punctuate=k: besides the periodic watermarks, each timestamps instance emits its bounded watermark after every
// k-th record it sees, so event time advances during the run however fast it is (0: periodic only).
import { defineJob, WatermarkStrategy, type WatermarkGenerator } from '../../../../core/index.js';

const q = new URL(import.meta.url).searchParams;
const n = Number(q.get('n') ?? 20000);
const bound = Number(q.get('bound') ?? 50);
const punctuate = Number(q.get('punctuate') ?? 0);

export interface Ev { key: string; ts: number; i: number }
export interface Fired { key: string; at: number; wm: number; late: boolean }

/** Event i has time ~ i, shuffled backwards by up to `bound` (deterministic). */
export function event(i: number, r: { int(n: number): number }): Ev {
  return { key: `k${i % 7}`, ts: Math.max(0, i - r.int(bound + 1)), i };
}

/** Bounded out-of-orderness, also emitted every `punctuate` records. */
function punctuated(): WatermarkGenerator<Ev> {
  let max = -Infinity;
  let seen = 0;
  return {
    onEvent(_e, ts, out) {
      if (ts > max) max = ts;
      if (++seen % punctuate === 0) out.emitWatermark(max - bound - 1);
    },
    onPeriodicEmit(out) { if (max !== -Infinity) out.emitWatermark(max - bound - 1); },
  };
}

export default defineJob((env) => {
  const strategy = punctuate > 0
    ? WatermarkStrategy.forGenerator<Ev>(`punctuated(${bound},${punctuate})`, punctuated)
    : WatermarkStrategy.forBoundedOutOfOrderness<Ev>(bound);
  env.fromGenerator({ count: n, seed: 3 }, event).name('events')
    .assignTimestampsAndWatermarks(strategy.withTimestampAssigner((e) => e.ts)).name('timestamps')
    .keyBy((e) => e.key)
    .process<Fired>({
      processElement(e, ctx) {
        ctx.timerService.registerEventTimeTimer(e.ts);
      },
      onTimer(ts, ctx, out) {
        out.collect({ key: ctx.key, at: ts, wm: ctx.timerService.currentWatermark(), late: false });
      },
    }).name('timers')
    .collect().name('out');
});
