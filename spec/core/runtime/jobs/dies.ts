// A worker thread that dies under the job: ?how=exit (process.exit in a worker) or ?how=oom (heap limit).
import { defineJob } from '../../../../core/index.js';

const how = new URL(import.meta.url).searchParams.get('how');

export default defineJob((env) => {
  const hoard: number[][] = [];
  env.fromGenerator({ count: 50_000_000 }, (i) => i).name('numbers')
    .map((i: number) => {
      if (how === 'exit' && i === 100_000) process.exit(3);
      if (how === 'oom') hoard.push(new Array(10_000).fill(i));
      return i;
    }).name('doomed')
    .discard().name('out');
});
