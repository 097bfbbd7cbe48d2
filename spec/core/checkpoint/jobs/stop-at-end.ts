// A bounded job for a stop with savepoint asked for as the job ends: a generator of 0..n-1 whose map, at record
// n/2, marks `half` and waits for the test's `go`; a ledger sink whose writer marks `ended` at its end of input,
// and whose commit waits for the test's `release`. So the savepoint's barrier passes, every thread ends, and only
// then does the savepoint complete.
//   ?dir=/markers&ledger=/dir&n=4000
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { defineJob } from '../../../../core/index.js';
import { ledgerSink } from '../ledger.js';

const q = new URL(import.meta.url).searchParams;
const dir = q.get('dir') ?? '';
const n = Number(q.get('n') ?? 4000);
const inner = ledgerSink<number>(q.get('ledger') ?? '');
const pause = new Int32Array(new SharedArrayBuffer(4));

export default defineJob((env) => {
  env.fromGenerator({ count: n, seed: 1 }, (i) => i).name('gen').uid('gen')
    .map((i: number) => {
      if (i === n / 2) {
        writeFileSync(join(dir, 'half'), '');
        // Polls the test's marker file (nothing is timed: the wait only orders the steps).
        while (!existsSync(join(dir, 'go'))) Atomics.wait(pause, 0, 0, 5);
      }
      return i;
    }).name('hold').uid('hold')
    .sink({
      ...inner,
      createWriter(subtask, parallelism) {
        const w = inner.createWriter(subtask, parallelism);
        return { ...w, finish: () => { writeFileSync(join(dir, 'ended'), ''); return w.finish(); } };
      },
      async commit(transactions) {
        while (!existsSync(join(dir, 'release'))) await sleep(5);
        await inner.commit!(transactions);
      },
    }).name('ledger').uid('ledger');
});
