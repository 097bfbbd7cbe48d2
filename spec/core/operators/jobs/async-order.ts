// A job for ordered asyncMap across a restore: a generator at parallelism 2 (subtask 0 emits the even numbers,
// subtask 1 the odd ones) -> ordered asyncMap with varying delays -> a map that fails once at failAt -> keyBy
// parity -> a check that outputs every number it gets, and a message for each arriving after a larger one of its
// key. Checkpoints every 20 ms.
// With `go`, it fails at the first number from failAt on once that file exists (the spec writes it when a
// checkpoint completed: under load the first one came after failAt, and the restart restored none).
//   ?n=4000&failAt=2001&marker=/path[&go=/path]
import { existsSync, writeFileSync } from 'node:fs';
import { defineJob } from '../../../../core/index.js';
const q = new URL(import.meta.url).searchParams;
const n = Number(q.get('n') ?? 4000);
const failAt = Number(q.get('failAt') ?? 2001);
const P = 2;
const marker = q.get('marker')!;
const go = q.get('go');
export default defineJob((env) => {
  env.enableCheckpointing(20);
  env.fromGenerator({ count: n, ratePerSec: 4000 }, (i) => i).name('gen').uid('gen').setParallelism(P)
    .asyncMap((i: number) => new Promise<number>((r) => setTimeout(() => r(i), 2 + (i * 7) % 5)), { ordered: true, capacity: 32 }).name('lookup').uid('lookup').setParallelism(P)
    .map((i) => {
      if ((go === null ? i === failAt : i >= failAt && existsSync(go)) && !existsSync(marker)) { writeFileSync(marker, 'x'); throw new Error('injected'); }
      return i;
    }).name('inject').uid('inject').setParallelism(P)
    .keyBy((i) => (i % 2 === 0 ? 'even' : 'odd'))
    .process<string | number>((i, ctx, out) => {
      const last = ctx.state<number>('last');
      const l = last.value();
      out.collect(i);
      if (l !== undefined && i < l) out.collect(`${ctx.key}: ${i} after ${l}`);
      last.update(l === undefined ? i : Math.max(l, i));
    }).name('check').uid('check').collect().name('out');
});
