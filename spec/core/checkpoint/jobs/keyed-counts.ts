// An unbounded generator keyed into a running count per key (1,000 keys): keyed state for checkpoints to hold, and
// a job that runs until it is stopped.
import { defineJob } from '../../../../core/index.js';

export default defineJob((env) => {
  env.fromGenerator({ ratePerSec: 50_000, seed: 1 }, (i) => ({ k: i % 1000, n: 1 })).name('gen').uid('gen')
    .keyBy((r) => r.k).reduce((a, b) => ({ k: a.k, n: a.n + b.n })).name('count').uid('count')
    .discard().name('out').uid('out');
});
