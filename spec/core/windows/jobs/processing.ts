// A job for the processing-time window tests: a rate-limited generator (so the job spans many windows of wall
// time) into tumbling, sliding and session processing-time windows, and count windows; every window reports its
// key, bounds and the ids it holds.
//   ?n=3000&rate=10000&keys=3&size=20&slide=10&gap=5&count=7
import {
  defineJob, ProcessingTimeSessionWindows, SlidingProcessingTimeWindows, TumblingProcessingTimeWindows,
  type Random, type TimeWindow, type WindowAssigner,
} from '../../../../core/index.js';

const q = new URL(import.meta.url).searchParams;
const num = (k: string, d: number): number => Number(q.get(k) ?? d);
const n = num('n', 3000);
const rate = num('rate', 10000);
const keys = num('keys', 3);
const size = num('size', 20);
const slide = num('slide', 10);
const gap = num('gap', 5);
const count = num('count', 7);

export interface PEv { id: number; key: string }
export function pEvent(keysN: number): (i: number, r: Random) => PEv {
  return (i, r) => ({ id: i, key: `k${r.int(keysN)}` });
}

export default defineJob((env) => {
  const events = env.fromGenerator({ count: n, seed: 5, ratePerSec: rate }, pEvent(keys)).name('events');
  const report = (name: string, assigner: WindowAssigner<TimeWindow>): void => {
    events.keyBy((e) => e.key).window(assigner).process<[string, number, number, number[]]>((key, ctx, els, out) => {
      out.collect([key, ctx.window.start, ctx.window.end, els.map((e) => e.id)]);
    }).name(name).collect().name(`${name}.out`);
  };
  report('tumbling', TumblingProcessingTimeWindows.of(size));
  report('sliding', SlidingProcessingTimeWindows.of(size, slide));
  report('session', ProcessingTimeSessionWindows.withGap(gap));
  events.keyBy((e) => e.key).countWindow(count).process<[string, number[]]>((key, _ctx, els, out) => out.collect([key, els.map((e) => e.id)]))
    .name('count').collect().name('count.out');
});
