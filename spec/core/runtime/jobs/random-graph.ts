// A job that breaks the rule that every thread builds the same graph: its parallelism depends on the thread.
import { isMainThread } from 'node:worker_threads';
import { defineJob } from '../../../../core/index.js';

export default defineJob((env) => {
  env.fromCollection([1, 2, 3]).name('numbers')
    .map((x: number) => x + 1).name(isMainThread ? 'plus-one' : 'plus-one-on-worker')
    .discard().name('out');
});
