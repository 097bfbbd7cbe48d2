// A job for the per-split watermark tests (and splitless-subtasks.it): Redis streams, or files followed, read by one subtask into event-time
// tumbling windows (a count per stream and window), late records to a side output; both into the collect sink 'out'.
//   ?url=redis://...&streams=backlog,live&mode=split|subtask&size=1000&p=1
//   ?files=/dir/backlog.jsonl,/dir/live.jsonl&mode=split|subtask&size=1000&p=1&discover=20   (`s` of a record names
//   its file; `discover`: discoverIntervalMs, files may then be patterns)
// mode=split: the watermark strategy runs per split of the source (perSplit); subtask: assignTimestampsAndWatermarks
// after the same source, one generator for both streams. Each stream's entries carry increasing event times
// (monotonous per stream); an entry with `end` (event time past every window) is filtered out after the assigner,
// so that once every stream's end is read every window fires. Redis: one entry per stream per read command, so the
// streams' entries are read strictly interleaved; files: read round-robin, a small chunk at a time. A watermark
// every 1 ms.
import { defineJob, jsonLines, OutputTag, TumblingEventTimeWindows, WatermarkStrategy } from '../../../../core/index.js';

export interface Ev { s: string; i: number; ts: number; end?: true }
export type Out = { kind: 'window'; s: string; start: number; count: number } | { kind: 'late'; s: string; i: number; ts: number };

const q = new URL(import.meta.url).searchParams;
const late = new OutputTag<Ev>('late');

export default defineJob((env) => {
  env.setParallelism(Number(q.get('p') ?? 1));
  env.setAutoWatermarkInterval(1);
  const files = q.get('files');
  const src = files !== null
    ? env.fromFiles<Ev>(files.split(','), jsonLines<Ev>(), { follow: true, chunkBytes: 1024, ...(q.get('discover') ? { discoverIntervalMs: Number(q.get('discover')) } : {}) }).name('read')
    : env.fromRedisStreams<Ev>({ connection: q.get('url')!, streams: q.get('streams')!.split(','), count: 1, blockMs: 50 }).name('read');
  const strategy = WatermarkStrategy.forMonotonousTimestamps<Ev>().withTimestampAssigner((e) => e.ts);
  const stamped = q.get('mode') === 'split' ? src.assignTimestampsAndWatermarks(strategy, { perSplit: true }) : src.assignTimestampsAndWatermarks(strategy);
  const windows = stamped.name('stamps').filter((e) => e.end !== true).name('no-ends')
    .keyBy((e) => e.s)
    .window(TumblingEventTimeWindows.of(Number(q.get('size') ?? 1000)))
    .sideOutputLateData(late)
    .process<Out>((s, ctx, elements, out) => out.collect({ kind: 'window', s, start: ctx.window.start, count: elements.length }))
    .name('count');
  windows.union(windows.getSideOutput(late).map((e): Out => ({ kind: 'late', s: e.s, i: e.i, ts: e.ts })).name('late'))
    .collect().name('out');
});
