// A job for lone-surrogate-keys.it.spec.ts: 40 records keyed by four strings in turn: a lone high surrogate, a lone
// low one (JSON.parse gives such strings from "\ud800" escapes), an emoji (a well-formed pair) and 'a'. 'tag'
// dead-letters what the keyBy after it rejects; a keyed count runs on two subtasks.
import { DEAD_LETTERS, defineJob } from '../../../../core/index.js';

export const KEYS = ['\ud800', '\udc00', '\ud83d\ude00', 'a'];

export default defineJob((env) => {
  const tagged = env.fromCollection(Array.from({ length: 40 }, (_, i) => ({ i, k: KEYS[i % 4]! }))).name('src')
    .map((r) => r).name('tag').onError('dead-letter');
  tagged.keyBy((r) => r.k).process<{ key: number; count: number }>((r, ctx, out) => {
    const seen = ctx.state<number>('seen');
    const count = (seen.value() ?? 0) + 1;
    seen.update(count);
    out.collect({ key: KEYS.indexOf(r.k), count }); // the key's index: the record crosses a ring to the sink
  }).name('count').setParallelism(2).collect().name('counts');
  tagged.getSideOutput(DEAD_LETTERS).collect().name('rejected');
});
