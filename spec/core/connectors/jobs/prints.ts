// A job for the print sink: 2,000 generated records printed by `print()` at the job's parallelism, and a
// console.log from a map on every 500th.
import { defineJob } from '../../../../core/index.js';

export default defineJob((env) => {
  env.fromGenerator({ count: 2000, seed: 1 }, (i) => i).name('src')
    .map((i: number) => { if (i % 500 === 0) console.log(`console ${i}`); return i; }).name('m')
    .print((i: number) => `rec ${i}`).name('p');
});
