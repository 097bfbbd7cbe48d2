// Throws in a map at event 500,000 (of 1,000,000), at any parallelism.
import { defineJob } from '../../../../core/index.js';

export default defineJob((env) => {
  env.fromGenerator({ count: 1_000_000, seed: 1 }, (i) => i).name('numbers')
    .map((i: number) => {
      if (i === 500_000) throw new RangeError(`event ${i} is out of range`);
      return i;
    }).name('explode')
    .keyBy((i) => i % 7)
    .reduce((a, b) => a + b).name('sum')
    .discard().name('out');
});
