// A map whose function is async (a promise per record), in a checkpointed job: the mistake a restart cannot fix.
import { defineJob } from '../../../../core/index.js';

export default defineJob((env) => {
  env.fromGenerator({ count: 100_000, seed: 1 }, (i) => i).name('numbers')
    .map(async (i: number) => i + 1).name('async-plus-one')
    .discard().name('out');
});
