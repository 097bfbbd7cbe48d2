// shuffle, global and partitionCustom between a source of N numbers (parallelism 2) and an operator at parallelism
// 3 that tags each record with the subtask it reached. ?bad=1: the custom partitioner names a subtask that does
// not exist for key 4. A second partitionCustom keys by a tuple.
import { defineJob } from '../../../../core/index.js';

export const N = 3000;
const bad = new URL(import.meta.url).searchParams.get('bad') === '1';

export default defineJob((env) => {
  const nums = () => env.fromGenerator({ count: N }, (i) => i).setParallelism(2);
  const tag = () => (v: number, ctx: { subtask: number }, out: { collect(x: [number, number]): void }) => out.collect([ctx.subtask, v]);
  nums().name('src-shuffle').shuffle().process(tag()).name('shuffled').setParallelism(3).collect().name('out-shuffle');
  nums().name('src-global').global().process(tag()).name('global').setParallelism(3).collect().name('out-global');
  nums().name('src-custom').partitionCustom((k: number, p) => (bad && k === 4 ? p : k % p), (v) => v % 10)
    .process(tag()).name('custom').setParallelism(3).collect().name('out-custom');
  // A tuple key: the partitioner gets the tuple itself.
  nums().name('src-custom-tuple').partitionCustom(([a, b]: [number, number], p) => (a + b) % p, (v) => [v % 10, v % 7])
    .process(tag()).name('custom-tuple').setParallelism(3).collect().name('out-custom-tuple');
});
