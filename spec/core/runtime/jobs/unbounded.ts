// Runs until cancelled.
import { defineJob } from '../../../../core/index.js';

export default defineJob((env) => {
  env.fromGenerator({ seed: 7 }, (i, r) => ({ key: `k${r.int(100)}`, i })).name('forever')
    .keyBy((x) => x.key)
    .reduce((a, b) => ({ key: a.key, i: a.i + b.i })).name('sum')
    .discard().name('out');
});
