// A job for fromCollection's order: 2,000 records of two keys, each key's indices concatenated by a keyed reduce.
// `?split=N` sets the source's parallelism to N.
import { defineJob } from '../../../../core/index.js';

// Keys alternate in pairs (a a b b ...), so a split by index gives each subtask records of both keys.
const items = Array.from({ length: 2000 }, (_, i) => ({ key: i % 4 < 2 ? 'a' : 'b', seen: [i] }));

export default defineJob((env) => {
  const split = new URL(import.meta.url).searchParams.get('split');
  const src = env.fromCollection(items).name('src');
  if (split !== null) src.setParallelism(Number(split));
  src.keyBy((r) => r.key)
    .reduce((a, b) => ({ key: a.key, seen: [...a.seen, ...b.seen] })).name('concat')
    .collect().name('out');
});
