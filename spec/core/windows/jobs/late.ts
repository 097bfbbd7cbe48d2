// A job for the allowed-lateness tests, deterministic at any parallelism: one source subtask whose records
// carry the watermarks (a punctuated generator: the watermark an event carries is emitted right after it), so
// every window subtask sees records and watermarks in one fixed order. Some records are later than the bound.
//   ?seed=1&n=3000&keys=3&step=1&bound=5&lateEvery=7&lateBy=200&wmEvery=10&kind=tumbling&size=50&slide=20&lateness=30
import {
  defineJob, OutputTag, SlidingEventTimeWindows, TumblingEventTimeWindows, WatermarkStrategy, type Random, type TimeWindow,
} from '../../../../core/index.js';
import { SplitRandom } from '../../../../core/connectors/generator.js';

export interface LateEv { id: number; key: string; v: number; ts: number; wm?: number }
export interface LateParams {
  seed: number; n: number; keys: number; step: number; bound: number;
  lateEvery: number; lateBy: number; wmEvery: number; kind: 'tumbling' | 'sliding'; size: number; slide: number; lateness: number;
}

export function lateParams(q: URLSearchParams): LateParams {
  const num = (k: string, d: number): number => Number(q.get(k) ?? d);
  return {
    seed: num('seed', 1), n: num('n', 3000), keys: num('keys', 3), step: num('step', 1), bound: num('bound', 5),
    lateEvery: num('lateEvery', 7), lateBy: num('lateBy', 200), wmEvery: num('wmEvery', 10),
    kind: (q.get('kind') ?? 'tumbling') as 'tumbling' | 'sliding', size: num('size', 50), slide: num('slide', 20), lateness: num('lateness', 30),
  };
}

/** Record i: on time within the bound, or (every lateEvery-th) up to lateBy beyond it; every wmEvery-th carries a watermark. */
export function lateEvent(p: LateParams): (i: number, r: Random) => LateEv {
  return (i, r) => {
    const t = Math.floor(i * p.step);
    const late = i % p.lateEvery === p.lateEvery - 1;
    const ts = late ? t - p.bound - 1 - r.int(p.lateBy) : t - r.int(p.bound);
    const e: LateEv = { id: i, key: `k${r.int(p.keys)}`, v: r.int(100), ts };
    if (i % p.wmEvery === 0) e.wm = t - p.bound - 1;
    return e;
  };
}

export function allLateEvents(p: LateParams): LateEv[] {
  const r = new SplitRandom();
  const fn = lateEvent(p);
  return Array.from({ length: p.n }, (_, i) => fn(i, r.reset(p.seed, i)));
}

const q = new URL(import.meta.url).searchParams;
const p = lateParams(q);
/** fast=0: the window operators' fast paths off. */
const fast = q.get('fast') !== '0';
const late = new OutputTag<LateEv>('late');

export default defineJob((env) => {
  const events = env.fromGenerator({ count: p.n, seed: p.seed }, lateEvent(p)).name('events').setParallelism(1)
    .assignTimestampsAndWatermarks(WatermarkStrategy.forGenerator<LateEv>('carried', () => ({
      onEvent(e, _ts, out) { if (e.wm !== undefined) out.emitWatermark(e.wm); },
      onPeriodicEmit() {},
    })).withTimestampAssigner((e) => e.ts)).name('timestamps').setParallelism(1);
  const assigner = p.kind === 'tumbling' ? TumblingEventTimeWindows.of(p.size) : SlidingEventTimeWindows.of(p.size, p.slide);
  const windowed = events.keyBy((e) => e.key).window(assigner);
  const fired = (fast ? windowed : windowed.withoutFastPaths()).allowedLateness(p.lateness).sideOutputLateData(late)
    .process<[string, number, number, number[]]>((key, ctx, els, out) => {
      const w = ctx.window as TimeWindow;
      out.collect([key, w.start, w.end, els.map((e) => e.id).sort((a, b) => a - b)]);
    }).name('process');
  fired.collect().name('fires');
  fired.getSideOutput(late).map((e) => e.id).name('late-ids').collect().name('late');
  events.keyBy((e) => e.key).window(assigner).allowedLateness(p.lateness)
    .reduce((a, b) => ({ id: Math.min(a.id, b.id), key: a.key, v: a.v + b.v, ts: Math.max(a.ts, b.ts) })).name('reduce')
    .map((e) => [e.key, e.id, e.v, e.ts]).name('project').collect().name('sums');
});
