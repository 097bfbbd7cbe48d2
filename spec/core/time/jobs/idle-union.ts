// Two sources unioned, then keyed event-time windows at parallelism 2: A sends 3000 records (ts = 10 i) and then
// reads nothing (idle, not ended) until each of B's records has reached the windows (its window fired, or it was
// late: a marker file each); B is silent (idle) until the marker file 'go' exists, which the first window ending at
// 5000 or later writes, then sends 5 records far ahead of A's watermark and ends. (A ended 500 ms after B did: a
// loaded machine could keep B's records in flight longer, and A's final watermark then made them late.)
// None of B's records may be late: each channel carries B's records before B's final watermark. Regression:
// the union was a task of its own at parallelism 2, so B's records went through both union subtasks,
// and a window subtask got B's final watermark through one before B's records through the other (late).
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defineJob, WatermarkStrategy, TumblingEventTimeWindows, OutputTag } from '../../../../core/index.js';
import { scripted, type Script } from './idle-source.js';

const q = new URL(import.meta.url).searchParams;
const dir = q.get('dir') ?? '';
export const B_TS = 40_000;

export interface Ev { src: string; i: number; ts: number; key: string }

/** Marks that B's record `i` reached the windows: in a window that fired, or late. */
const seen = (i: number): void => writeFileSync(join(dir, `b-seen-${i}`), '');

const busy = (): Script<Ev> => {
  let i = 0;
  return (emit) => {
    if (i < 3000) { emit({ src: 'A', i, ts: i * 10, key: `a${i % 4}` }); i++; return 'more'; }
    // Idle until every record of B has reached the windows (B's own final watermark fires them), then the end.
    return readdirSync(dir).filter((f) => f.startsWith('b-seen-')).length === 5 ? 'end' : 'wait';
  };
};

const silent = (): Script<Ev> => {
  let i = 0;
  return (emit) => {
    if (!existsSync(join(dir, 'go'))) return 'wait';
    if (i < 5) { emit({ src: 'B', i, ts: B_TS + i, key: `b${i}` }); i++; return 'more'; }
    return 'end';
  };
};

const late = new OutputTag<Ev>('late');

export default defineJob((env) => {
  env.graph.autoWatermarkIntervalMs = 10;
  const s = WatermarkStrategy.forBoundedOutOfOrderness<Ev>(0).withTimestampAssigner((e) => e.ts).withIdleness(50);
  const a = env.fromSource(scripted('A', busy), 'A').setParallelism(1).assignTimestampsAndWatermarks(s).name('a-ts').setParallelism(1);
  const b = env.fromSource(scripted('B', silent), 'B').setParallelism(1).assignTimestampsAndWatermarks(s).name('b-ts').setParallelism(1);
  const w = a.union(b).name('both').keyBy((e) => e.key).window(TumblingEventTimeWindows.of(100)).sideOutputLateData(late)
    .process<string>((key, ctx, els, out) => {
      if (ctx.window.end >= 5000 && !existsSync(join(dir, 'go'))) writeFileSync(join(dir, 'go'), String(ctx.currentWatermark()));
      for (const e of els) if (e.src === 'B') seen(e.i);
      out.collect(`${key}@${ctx.window.start}:${els.length}`);
    }).name('win').setParallelism(2);
  w.filter((x) => x.startsWith('b')).collect().name('bwins');
  w.getSideOutput(late).map((e) => { if (e.src === 'B') seen(e.i); return `${e.src}${e.i}@${e.ts}`; }).collect().name('late');
});
