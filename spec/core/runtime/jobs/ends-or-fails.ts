// Three records to a discard sink: the job ends at once, or with ?fail=1 fails at the first record.
import { defineJob } from '../../../../core/index.js';

const fail = new URL(import.meta.url).searchParams.get('fail') === '1';

export default defineJob((env) => {
  env.fromCollection([1, 2, 3]).name('three')
    .map((x: number) => {
      if (fail) throw new Error(`record ${x} refused`);
      return x;
    }).name('maybe-fail')
    .discard().name('out');
});
