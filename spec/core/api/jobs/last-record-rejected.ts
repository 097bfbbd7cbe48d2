// A job for the error-policy tests: the last record a source's chained map emits is one the generic codec cannot
// encode (a function field), so the exchange rejects it as the stream ends; its dead letters cross a ring too.
import { DEAD_LETTERS, defineJob } from '../../../../core/index.js';

export default defineJob((env) => {
  const input = Array.from({ length: 12 }, (_, i) => ({ id: i + 1 }));
  const emitted = env.fromCollection(input).name('src')
    .map((r) => (r.id === 12 ? { id: r.id, f: () => r.id } : { id: r.id })).name('emit').onError('dead-letter');
  emitted.keyBy((r) => r.id % 2).map((r) => r.id).name('keyed').collect().name('out');
  emitted.getSideOutput(DEAD_LETTERS).keyBy((d) => d.operator).map((d) => d).name('letters').collect().name('dead');
});
