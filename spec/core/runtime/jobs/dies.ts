// A worker thread that dies under the job: ?how=exit (process.exit in a worker), ?how=oom (heap limit) or ?how=timer
// (an error thrown in a timer the job set).
import { writeFileSync } from 'node:fs';
import { defineJob } from '../../../../core/index.js';

const how = new URL(import.meta.url).searchParams.get('how');
/** how=stuck: a file written just before the thread gets stuck, so the test knows when it is. */
const marker = new URL(import.meta.url).searchParams.get('marker');

export default defineJob((env) => {
  const hoard: number[][] = [];
  env.fromGenerator({ count: 50_000_000 }, (i) => i).name('numbers')
    .map((i: number) => {
      if (how === 'exit' && i === 100_000) process.exit(3);
      // Outside any call of the operator: the thread dies of it.
      if (how === 'timer' && i === 100_000) setTimeout(() => { throw new RangeError('thrown in a timer of the job'); }, 0);
      if (how === 'oom') hoard.push(new Array(10_000).fill(i));
      // Synchronous code that never returns: the thread can never read the stop flag.
      if (how === 'stuck' && i === 1000) {
        writeFileSync(marker!, 'stuck');
        for (;;) { /* spin */ }
      }
      return i;
    }).name('doomed')
    .discard().name('out');
});
