// A job for sink.it.spec.ts: JSON Lines files -> a map that fails once at record `failAt` -> collect, chained, with
// checkpoints every `interval` ms. With a tiny file and a big one at parallelism 2, one subtask ends (and its end
// of input is published) long before the other; after the failure the unfinished split is dealt out again, so
// that subtask reads more input and ends a second time.
//   ?in=/dir&marker=/path&failAt=i&interval=5
import { existsSync, writeFileSync } from 'node:fs';
import { defineJob, jsonLines } from '../../../../core/index.js';

const q = new URL(import.meta.url).searchParams;

export default defineJob((env) => {
  env.enableCheckpointing(Number(q.get('interval') ?? 5));
  const failAt = Number(q.get('failAt'));
  const marker = q.get('marker')!;
  env.fromFiles(`${q.get('in')}/*.jsonl`, jsonLines<{ i: number }>(), { chunkBytes: 4096 }).name('read').uid('read')
    .map((r) => {
      if (r.i === failAt && !existsSync(marker)) { writeFileSync(marker, 'failed once'); throw new Error(`injected failure at ${r.i}`); }
      // Slow enough that checkpoints complete between the small file's end and the failure.
      if (r.i % 500 === 0) { const t = performance.now(); while (performance.now() - t < 2); }
      return r.i;
    }).name('ids').uid('ids')
    .collect().name('out').uid('out');
});
