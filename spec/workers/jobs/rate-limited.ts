// A generator of `n` records at `rate` records/s (all subtasks together), keyed and counted: a paced source whose
// next record is due every few µs, for the task loop's time accounting.
//   ?n=40000&rate=40000
import { defineJob, generatorSource } from '../../../core/index.js';

const q = new URL(import.meta.url).searchParams;
const n = Number(q.get('n') ?? 40_000);
const rate = Number(q.get('rate') ?? 40_000);

export default defineJob((env) => {
  env.fromSource(generatorSource({ count: n, ratePerSec: rate }, (i) => ({ key: i % 16, i })), 'paced')
    .keyBy((r) => r.key)
    .reduce((a, b) => ({ key: a.key, i: Math.max(a.i, b.i) })).name('latest')
    .discard().name('out');
});
