// A bounded generator keyed into a running count per key (100 keys): keyed state left at the end of input, for
// the final checkpoint to hold.
import { defineJob } from '../../../../core/index.js';

export default defineJob((env) => {
  env.fromGenerator({ count: 5_000, seed: 1 }, (i) => ({ k: i % 100, n: 1 })).name('gen').uid('gen')
    .keyBy((r) => r.k).reduce((a, b) => ({ k: a.k, n: a.n + b.n })).name('count').uid('count')
    .discard().name('out').uid('out');
});
