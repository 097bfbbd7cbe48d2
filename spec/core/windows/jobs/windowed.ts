// A job for the window property tests: one generated, out-of-order event stream (and a second one for the
// joins) through every window kind x every window computation, and two joins; each result to its own sink.
//   ?seed=1&n=2000&keys=4&step=1&bound=10&wmi=5&size=50&slide=20&gap=15&lo=-5&hi=8&fast=1   (b.* for the second stream)
import {
  defineJob, EventTimeSessionWindows, SlidingEventTimeWindows, TumblingEventTimeWindows, WatermarkStrategy,
  type Collector, type DataStream, type TimeWindow, type WindowAssigner,
} from '../../../../core/index.js';
import { eventFn, eventParams, type Ev } from './events.js';

const q = new URL(import.meta.url).searchParams;
const a = eventParams(q);
const b = eventParams(q, 'b.');
const wmi = Number(q.get('wmi') ?? 200);
const size = Number(q.get('size') ?? 50);
const slide = Number(q.get('slide') ?? 20);
const gap = Number(q.get('gap') ?? 15);
const lo = Number(q.get('lo') ?? -5);
const hi = Number(q.get('hi') ?? 8);
/** fast=0: the window operators' fast paths off. */
const fast = q.get('fast') !== '0';
/** Accumulators a local combiner holds before it sends them early (combineLocally). */
const held = Number(q.get('held') ?? 100_000);

export const ASSIGNERS = ['tumbling', 'sliding', 'session'] as const;
export const COMPUTATIONS = ['reduce', 'aggregate', 'process', 'reduceFn', 'aggregateFn'] as const;

function assigner(kind: typeof ASSIGNERS[number]): WindowAssigner<TimeWindow> {
  switch (kind) {
    case 'tumbling': return TumblingEventTimeWindows.of(size);
    case 'sliding': return SlidingEventTimeWindows.of(size, slide);
    case 'session': return EventTimeSessionWindows.withGap(gap);
  }
}

interface Acc { key: string; n: number; s: number; lo: number }
const agg = {
  createAccumulator: (): Acc => ({ key: '', n: 0, s: 0, lo: Infinity }),
  add: (e: Ev, acc: Acc): Acc => ({ key: e.key, n: acc.n + 1, s: acc.s + e.v, lo: Math.min(acc.lo, e.ts) }),
  getResult: (acc: Acc): [string, number, number, number] => [acc.key, acc.n, acc.s, acc.lo],
  merge: (x: Acc, y: Acc): Acc => ({ key: x.key || y.key, n: x.n + y.n, s: x.s + y.s, lo: Math.min(x.lo, y.lo) }),
};
const sum = (x: Ev, y: Ev): Ev => ({ id: Math.min(x.id, y.id), key: x.key, v: x.v + y.v, ts: Math.max(x.ts, y.ts) });

function stream(env: Parameters<Parameters<typeof defineJob>[0]>[0], p: typeof a, name: string): DataStream<Ev> {
  return env.fromGenerator({ count: p.n, seed: p.seed }, eventFn(p)).name(name)
    .assignTimestampsAndWatermarks(WatermarkStrategy.forBoundedOutOfOrderness<Ev>(p.bound).withTimestampAssigner((e) => e.ts)).name(`${name}-ts`);
}

export default defineJob((env) => {
  env.setAutoWatermarkInterval(wmi);
  const left = stream(env, a, 'a');
  const right = stream(env, b, 'b');
  for (const kind of ASSIGNERS) {
    const keyed = left.keyBy((e) => e.key);
    const w = (): ReturnType<typeof keyed.window<TimeWindow>> => (fast ? keyed.window(assigner(kind)) : keyed.window(assigner(kind)).withoutFastPaths());
    w().reduce(sum).name(`${kind}-reduce`).collect().name(`${kind}.reduce`);
    w().aggregate(agg).name(`${kind}-aggregate`).collect().name(`${kind}.aggregate`);
    w().process<unknown[]>((key, ctx, els, out) => {
      // The watermark has passed the window's end when it fires (no allowed lateness, no late records here).
      if (ctx.currentWatermark() < ctx.window.maxTimestamp()) throw new Error(`window ${ctx.window} fired at watermark ${ctx.currentWatermark()}`);
      out.collect([key, ctx.window.start, ctx.window.end, els.map((e) => e.id).sort((x, y) => x - y)]);
    }).name(`${kind}-process`).collect().name(`${kind}.process`);
    w().reduce<unknown[]>(sum, (key, ctx, [r], out) => out.collect([key, ctx.window.start, ctx.window.end, r!.v])).name(`${kind}-reduceFn`).collect().name(`${kind}.reduceFn`);
    w().aggregate(agg, (key, ctx, [r], out: Collector<unknown[]>) => out.collect([key, ctx.window.start, ctx.window.end, r![1], r![2]])).name(`${kind}-aggregateFn`).collect().name(`${kind}.aggregateFn`);
  }
  // Two-phase: tumbling windows folded per upstream subtask before the exchange (combineLocally).
  const combined = () => left.keyBy((e) => e.key).window<TimeWindow>(TumblingEventTimeWindows.of(size)).combineLocally(held);
  combined().reduce(sum).name('combined-reduce').collect().name('combined.reduce');
  combined().aggregate(agg).name('combined-aggregate').collect().name('combined.aggregate');
  combined().reduce<unknown[]>(sum, (key, ctx, [r], out) => out.collect([key, ctx.window.start, ctx.window.end, r!.v])).name('combined-reduceFn').collect().name('combined.reduceFn');
  combined().aggregate(agg, (key, ctx, [r], out: Collector<unknown[]>) => out.collect([key, ctx.window.start, ctx.window.end, r![1], r![2]])).name('combined-aggregateFn').collect().name('combined.aggregateFn');
  for (const kind of ['tumbling', 'session'] as const) {
    left.join(right).where((e) => e.key).equalTo((e) => e.key).window(assigner(kind))
      .apply((x, y) => [x.id, y.id]).name(`join-${kind}`).collect().name(`join.${kind}`);
    // Outer: windows with records of one side only come out too.
    left.coGroup(right).where((e) => e.key).equalTo((e) => e.key).window(assigner(kind))
      .apply<[number[], number[]]>((xs, ys, out) => out.collect([xs.map((e) => e.id).sort((p, q) => p - q), ys.map((e) => e.id).sort((p, q) => p - q)]))
      .name(`coGroup-${kind}`).collect().name(`coGroup.${kind}`);
  }
  left.keyBy((e) => e.key).intervalJoin(right.keyBy((e) => e.key)).between(lo, hi)
    .process<[number, number, number]>((x, y, ctx, out) => out.collect([x.id, y.id, ctx.timestamp])).name('interval-join').collect().name('join.interval');
});
