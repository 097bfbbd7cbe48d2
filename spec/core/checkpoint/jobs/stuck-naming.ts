// A job for naming stuck threads: a bounded pipeline that ends at once ('short', its thread's loop then ends),
// beside an unbounded generator into a map taking 1 ms a record ('slow-map', a healthy but slow operator: aligned
// barriers wait behind its backlog). ?marker=path: once the file exists, slow-map spins forever on its next record.
//   ?ms=1&marker=/path
import { existsSync } from 'node:fs';
import { defineJob } from '../../../../core/index.js';

const q = new URL(import.meta.url).searchParams;
const ms = Number(q.get('ms') ?? 1);
const marker = q.get('marker') ?? '';

export default defineJob((env) => {
  env.fromGenerator({ count: 10, seed: 2 }, (i) => i).name('short').collect().name('done');
  const pause = new Int32Array(new SharedArrayBuffer(4));
  env.fromGenerator({ seed: 1, ratePerSec: 20_000 }, (i) => i).name('gen')
    .rebalance()
    .map((i: number) => {
      if (marker !== '' && existsSync(marker)) for (;;) { /* hung in user code */ }
      Atomics.wait(pause, 0, 0, ms);
      return i;
    }).name('slow-map').setParallelism(1)
    .discard().name('sink');
});
