// A job for the split-less subtask tests: a source of your own (no hasSplits) with a fixed set of splits, fewer
// than its subtasks, whose reader never ends: a reader given no split waits for good. Each split's records come
// 100 ms of event time apart, then an end record past every window (filtered out after the assigner); a window
// count per split into the collect sink 'out', as jobs/split-watermarks.ts.
//   ?splits=2&n=50&p=4
import { defineJob, SOURCE_MORE, SOURCE_WAIT, TumblingEventTimeWindows, WatermarkStrategy, type SourceSpec } from '../../../../core/index.js';
import type { Ev, Out } from './split-watermarks.js';

const q = new URL(import.meta.url).searchParams;
const T0 = 1_700_000_000_000;
const n = Number(q.get('n') ?? 50);

const source: SourceSpec<Ev> = {
  kind: 'spec-fixed-splits',
  fingerprint: `spec-fixed-splits(${q.get('splits')},${n})`,
  maxParallelism: Number.MAX_SAFE_INTEGER,
  bounded: false,
  rewindable: false,
  enumerateSplits: () => Array.from({ length: Number(q.get('splits') ?? 2) }, (_, s) => ({ id: `s${s}`, position: 0 })),
  createReader(_subtask, _parallelism, splits) {
    const evs = splits.flatMap((sp) => [...Array.from({ length: n }, (_, i): Ev => ({ s: sp.id, i, ts: T0 + 100 * i })), { s: sp.id, i: n, ts: T0 + 1e9, end: true as const }]);
    let next = 0;
    return {
      read(emit, max) {
        const to = Math.min(evs.length, next + max);
        for (; next < to; next++) emit(evs[next]!);
        return next < evs.length ? SOURCE_MORE : SOURCE_WAIT;
      },
      // Unbounded: more might come, and never does.
      ready: () => new Promise<void>(() => {}),
      snapshot: () => [],
    };
  },
};

export default defineJob((env) => {
  env.setParallelism(Number(q.get('p') ?? 4));
  env.setAutoWatermarkInterval(1);
  env.fromSource(source, 'read')
    .assignTimestampsAndWatermarks(WatermarkStrategy.forMonotonousTimestamps<Ev>().withTimestampAssigner((e) => e.ts)).name('stamps')
    .filter((e) => e.end !== true).name('no-ends')
    .keyBy((e) => e.s)
    .window(TumblingEventTimeWindows.of(1000))
    .process<Out>((s, ctx, elements, out) => out.collect({ kind: 'window', s, start: ctx.window.start, count: elements.length }))
    .name('count')
    .collect().name('out');
});
