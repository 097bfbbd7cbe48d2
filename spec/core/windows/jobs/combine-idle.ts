// A source of two splits at parallelism 2. Split 'x' sends one record (key x, ts 5), then reads nothing
// (idle after 50 ms) until dir/go exists, then ends. Split 'y' sends key y at ts 0, 10, ..., 3000, then waits for
// dir/go and ends. The window function writes dir/go when y's window ending at 3000 fires: only once the watermark
// went on without the idle split, i.e. after x's window [0, 100) closed downstream.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defineJob, WatermarkStrategy, TumblingEventTimeWindows } from '../../../../core/index.js';
import { SOURCE_END, SOURCE_MORE, SOURCE_WAIT, type SourceReader, type SourceSpec } from '../../../../core/connectors/source.js';

const q = new URL(import.meta.url).searchParams;
const dir = q.get('dir') ?? '';
const combine = q.get('combine') === '1';
interface Ev { key: string; ts: number }
const poll = (): Promise<void> => new Promise((r) => setTimeout(r, 5));

const source: SourceSpec<Ev> = {
  kind: 'two-splits', fingerprint: 'two-splits', maxParallelism: 2, bounded: true, rewindable: false,
  enumerateSplits: () => [{ id: 'x', position: 0 }, { id: 'y', position: 0 }],
  createReader(_subtask: number, _p: number, splits: { id: string }[]): SourceReader<Ev> {
    const split = splits[0]?.id;
    let i = 0;
    return {
      read(emit: (value: Ev) => void, max: number) {
        if (split === undefined) return SOURCE_END;
        if (split === 'x') {
          if (i === 0) { emit({ key: 'x', ts: 5 }); i++; return SOURCE_MORE; }
          return existsSync(join(dir, 'go')) ? SOURCE_END : SOURCE_WAIT;
        }
        let k = 0;
        while (i <= 300 && k < max) { emit({ key: 'y', ts: i * 10 }); i++; k++; }
        if (k > 0) return SOURCE_MORE;
        return existsSync(join(dir, 'go')) ? SOURCE_END : SOURCE_WAIT;
      },
      ready: poll,
      snapshot: () => [],
    } as unknown as SourceReader<Ev>;
  },
};

export default defineJob((env) => {
  env.graph.autoWatermarkIntervalMs = 10;
  const s = WatermarkStrategy.forBoundedOutOfOrderness<Ev>(0).withTimestampAssigner((e) => e.ts).withIdleness(50);
  let w = env.fromSource(source, 'src').setParallelism(2).assignTimestampsAndWatermarks(s).setParallelism(2)
    .keyBy((e) => e.key).window(TumblingEventTimeWindows.of(100));
  if (combine) w = w.combineLocally();
  w.aggregate<number, number, string>({ createAccumulator: () => 0, add: (_e, a) => a + 1, getResult: (a) => a, merge: (a, b) => a + b },
    (key, ctx, [n], out) => {
      if (key === 'y' && ctx.window.end >= 3000) writeFileSync(join(dir, 'go'), '');
      if (key === 'x') out.collect(`${key}@${ctx.window.start}:${n}`);
    }).name('win').setParallelism(1).collect().name('out');
});
