// A job for the stream process function: generated readings split without keying (main: small, side: large),
// each side then counted per key in event-time windows, so the side output must carry event time across threads.
import { DEAD_LETTERS, defineJob, OutputTag, TumblingEventTimeWindows, WatermarkStrategy } from '../../../../core/index.js';

export interface Reading { i: number; k: string; v: number; ts: number }
export const LARGE = new OutputTag<Reading>('large');
export const N = 4000;

export default defineJob((env) => {
  const readings = env.fromGenerator({ count: N, seed: 3 }, (i, r) => ({ i, k: `k${r.int(3)}`, v: r.int(100), ts: i * 10 })).name('src')
    .assignTimestampsAndWatermarks(WatermarkStrategy.forMonotonousTimestamps<Reading>().withTimestampAssigner((x) => x.ts)).name('stamp');
  const small = readings.process<Reading>((x, ctx, out) => {
    if (x.v === 13) throw new Error(`unlucky ${x.i}`);
    if (x.v >= 50) ctx.output(LARGE, x);
    else out.collect(x);
  }).name('split').onError('dead-letter');
  const count = (name: string) => (s: typeof small) => s.keyBy((x) => x.k).window(TumblingEventTimeWindows.of(10_000))
    .aggregate<number, number, { side: string; k: string; end: number; n: number }>({ createAccumulator: () => 0, add: (_x: Reading, n: number) => n + 1, getResult: (n: number) => n, merge: (a: number, b: number) => a + b },
      (k, ctx, [n], out) => out.collect({ side: name, k, end: ctx.window.end, n: n! }))
    .name(`count-${name}`).collect().name(`out-${name}`);
  count('small')(small);
  count('large')(small.getSideOutput(LARGE));
  small.getSideOutput(DEAD_LETTERS).collect().name('rejected');
});
