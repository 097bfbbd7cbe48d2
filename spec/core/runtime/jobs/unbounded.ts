// Runs until cancelled. ?collect=1: the sums go to a collect sink instead of being discarded.
import { defineJob } from '../../../../core/index.js';

const collect = new URL(import.meta.url).searchParams.get('collect') === '1';

export default defineJob((env) => {
  const sums = env.fromGenerator({ seed: 7 }, (i, r) => ({ key: `k${r.int(100)}`, i })).name('forever')
    .keyBy((x) => x.key)
    .reduce((a, b) => ({ key: a.key, i: a.i + b.i })).name('sum');
  (collect ? sums.collect() : sums.discard()).name('out');
});
