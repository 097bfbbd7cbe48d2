// A job for the unkeyed co-map error-policy tests: numbers 0..N-1 on two inputs of an unkeyed connect's map and
// flatMap, throwing on the multiples of 10 of input 1 (map) or input 2 (flatMap). Name, parallelism and policy
// are set on what connect(...).map returned; the policy comes from the URL (?policy=...).
import { DEAD_LETTERS, collectSink, defineJob, type ErrorPolicy } from '../../../../core/index.js';
import { N, check } from './two-input-errors.js';

export { N };
const policy = (new URL(import.meta.url).searchParams.get('policy') ?? 'fail') as ErrorPolicy;

export default defineJob((env) => {
  const a = env.fromCollection(Array.from({ length: N }, (_, i) => i)).name('a');
  const b = env.fromCollection(Array.from({ length: N }, (_, i) => i)).name('b');
  const cm = a.connect(b).map((n) => `1:${check(n, 'first')}`, (n) => `2:${n}`).name('cm').setParallelism(2).onError(policy);
  cm.collect().name('cm-out');
  if (policy === 'dead-letter') cm.getSideOutput(DEAD_LETTERS).collect().name('cm-dead');
  const cf = a.connect(b).flatMap<string>((n, out) => { out.collect(`1:${n}`); }, (n, out) => { out.collect(`2:${check(n, 'second')}`); }).name('cf');
  if (policy === 'dead-letter') cf.onError('dead-letter', collectSink()); // unnamed: the only collected output not named here
  else cf.onError(policy);
  cf.collect().name('cf-out');
});
