// A job for the error-policy tests: records an exchange cannot take. 'parse' emits 12 records into a keyBy whose
// key selector throws on the ones without `a` (ids 3 and 8); 'to-stats' emits them into a typed codec whose `n`
// is a u32, and ids 5 and 10 carry a string there; 'to-generic' emits them into the default (generic) codec, and
// ids 6 and 11 carry a function, which it cannot encode. All three operators have the policy the URL names.
//   ?policy=fail|drop|dead-letter
import { DEAD_LETTERS, defineJob, recordSchema, typedCodec, type ErrorPolicy } from '../../../../core/index.js';

const policy = (new URL(import.meta.url).searchParams.get('policy') ?? 'fail') as ErrorPolicy;

interface In { id: number; a: { b: string } | null; n: number | string }

export default defineJob((env) => {
  const input: In[] = Array.from({ length: 12 }, (_, i) => ({
    id: i + 1, a: i + 1 === 3 || i + 1 === 8 ? null : { b: `k${(i + 1) % 3}` }, n: i + 1 === 5 || i + 1 === 10 ? 'many' : i + 1,
  }));
  const src = env.fromCollection(input).name('src').setParallelism(1);
  const parsed = src.map((r) => r).name('parse').onError(policy);
  parsed.keyBy((r) => r.a!.b).map((r) => r.id).name('keyed').collect().name('keyed-out');
  const stats = src.map((r) => ({ id: r.id, n: r.n as number })).name('to-stats').onError(policy)
    .withCodec(typedCodec(recordSchema({ id: 'u32', n: 'u32' })));
  stats.keyBy((r) => r.id % 2).map((r) => r.id).name('typed').collect().name('typed-out');
  const generic = src.map((r) => (r.id === 6 || r.id === 11 ? { id: r.id, f: () => r.id } : { id: r.id })).name('to-generic').onError(policy);
  generic.keyBy((r) => r.id % 2).map((r) => r.id).name('generic').collect().name('generic-out');
  if (policy === 'dead-letter') {
    parsed.getSideOutput(DEAD_LETTERS).collect().name('parse-dead');
    stats.getSideOutput(DEAD_LETTERS).collect().name('stats-dead');
    generic.getSideOutput(DEAD_LETTERS).collect().name('generic-dead');
  }
});
