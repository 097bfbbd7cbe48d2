// A job whose keyed process function takes ?openMs= ms in open() (a slow start, as a large restore is), behind a
// rate-limited generator of ?n= records: for the test that start-up is no failed checkpoint.
import { defineJob } from '../../../../core/index.js';

const q = new URL(import.meta.url).searchParams;
const openMs = Number(q.get('openMs') ?? 1500);
const n = Number(q.get('n') ?? 4000);

export default defineJob((env) => {
  env.fromGenerator({ count: n, seed: 3, ratePerSec: 8000 }, (i) => i).name('gen')
    .keyBy((i) => i % 10)
    .process<number>({
      // Blocks this thread, as a long restore would.
      open() { Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, openMs); },
      processElement(i, _ctx, out) { out.collect(i); },
    }).name('slow-open')
    .collect().name('out');
});
