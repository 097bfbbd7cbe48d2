// A job for unclonable-record.it.spec.ts: a collection whose third record holds a function, mapped, into a collect
// sink (chained: the record never crosses a ring, so no codec refuses it first). The sink's error policy is `sink`.
//   ?sink=fail|drop|dead-letter
import { DEAD_LETTERS, defineJob, type ErrorPolicy } from '../../../../core/index.js';

const q = new URL(import.meta.url).searchParams;
const policy = (q.get('sink') ?? 'fail') as ErrorPolicy;

export default defineJob((env) => {
  const out = env.fromCollection([1, 2, 3, 4]).name('src')
    .map((i) => (i === 3 ? { i, f: () => i } : { i })).name('m')
    .collect().name('out').onError(policy);
  if (policy === 'dead-letter') out.getSideOutput(DEAD_LETTERS).collect().name('out-dead');
});
