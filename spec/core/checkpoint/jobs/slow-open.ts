// A job whose keyed process function takes ?openMs= ms in open() (a slow start, as a large restore is), or, with
// ?release=path, stays in open() until a file exists there; behind a rate-limited generator of ?n= records: for
// the tests that start-up is no failed checkpoint.
import { existsSync } from 'node:fs';
import { defineJob } from '../../../../core/index.js';

const q = new URL(import.meta.url).searchParams;
const openMs = Number(q.get('openMs') ?? 1500);
const release = q.get('release') ?? '';
const n = Number(q.get('n') ?? 4000);

export default defineJob((env) => {
  env.fromGenerator({ count: n, seed: 3, ratePerSec: 8000 }, (i) => i).name('gen')
    .keyBy((i) => i % 10)
    .process<number>({
      // Blocks this thread, as a long restore would.
      open() {
        const nap = new Int32Array(new SharedArrayBuffer(4));
        if (release === '') Atomics.wait(nap, 0, 0, openMs);
        else while (!existsSync(release)) Atomics.wait(nap, 0, 0, 5);
      },
      processElement(i, _ctx, out) { out.collect(i); },
    }).name('slow-open')
    .collect().name('out');
});
