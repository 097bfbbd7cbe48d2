// A job whose tuple key selector returns what is not a key for some records: ids 4 (a null part), 7 (a nested
// array) and 9 (an empty tuple). 'parse' emits them into the keyBy, under the policy the URL names. Under
// 'dead-letter', 'timers' too: its onTimer throws for the key ['u1', 1], and the dead letter names the tuple.
//   ?policy=fail|drop|dead-letter
import { DEAD_LETTERS, defineJob, type ErrorPolicy } from '../../../../core/index.js';

const policy = (new URL(import.meta.url).searchParams.get('policy') ?? 'fail') as ErrorPolicy;

interface In { id: number; parts: unknown[] }

export default defineJob((env) => {
  const input: In[] = Array.from({ length: 10 }, (_, i) => ({
    id: i + 1, parts: i + 1 === 4 ? ['a', null] : i + 1 === 7 ? ['a', ['b']] : i + 1 === 9 ? [] : [`u${(i + 1) % 3}`, (i + 1) % 2],
  }));
  const parsed = env.fromCollection(input).name('src').setParallelism(1).map((r) => r).name('parse').onError(policy);
  parsed.keyBy((r) => r.parts as [string, number]).process<[unknown, number]>((r, ctx, out) => out.collect([ctx.key, r.id])).name('keyed').collect().name('keyed-out');
  if (policy === 'dead-letter') {
    parsed.getSideOutput(DEAD_LETTERS).collect().name('parse-dead');
    const timers = parsed.filter((r) => r.id !== 4 && r.id !== 7 && r.id !== 9).keyBy((r) => r.parts as [string, number]).process<number>({
      processElement(_r, ctx) { ctx.timerService.registerEventTimeTimer(5); },
      onTimer(_ts, ctx, out) {
        if (ctx.key[0] === 'u1' && ctx.key[1] === 1) throw new Error('no timer for this key');
        out.collect(1);
      },
    }).name('timers').onError('dead-letter');
    timers.getSideOutput(DEAD_LETTERS).collect().name('timers-dead');
  }
});
