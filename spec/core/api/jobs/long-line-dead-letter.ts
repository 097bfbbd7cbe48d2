// A JSON Lines file with a line over maxLineBytes (its default, 1 MiB), read under 'dead-letter', whose dead
// letters cross a ring (a map at parallelism 2 after a rebalance). ?dir=/files
import { defineJob, jsonLines, DEAD_LETTERS } from '../../../../core/index.js';

const q = new URL(import.meta.url).searchParams;

export default defineJob((env) => {
  const src = env.fromFiles(`${q.get('dir')}/*.jsonl`, jsonLines()).name('json').setParallelism(1).onError('dead-letter');
  src.collect().name('out');
  src.getSideOutput(DEAD_LETTERS).rebalance()
    .map((d) => ({ op: d.operator, truncated: d.truncated, length: (d.raw as string).length, error: d.error.name })).name('dl-map').setParallelism(2)
    .collect().name('dead');
});
