// Jobs for the Redis connector tests (a private redis-server at `url`).
//   ?case=eo&url=redis://...&in=s1,s2&out=o&dead=d&group=g|&policy=dead-letter|drop&failAt=i&marker=/path&crash=throw|exit
//        streams `in` (consumer group `group`, or plain reading) -> a map that fails once at record i (throws, or
//        kills its worker thread) -> stream `out`;
//        dead letters (policy 'dead-letter') -> stream `dead`. Checkpoints every 10 ms; unbounded. `&count=n`: entries
//        per read command (small: a savepoint falls mid-stream).
//   ?case=plain-sink&url=...&out=o&n=500     a collection -> stream `out`, without checkpoints (bounded)
//   ?case=unbounded-plain-sink&url=...&out=o  an unbounded generator -> stream `out`, without checkpoints
//   ?case=group-no-checkpoints&url=...&in=s&group=g  stream `s` read by consumer group `g` -> discard, without checkpoints
import { existsSync, writeFileSync } from 'node:fs';
import { DEAD_LETTERS, defineJob, redisStreamSink, type ErrorPolicy } from '../../../../../core/index.js';

const q = new URL(import.meta.url).searchParams;
const url = q.get('url')!;

export default defineJob((env) => {
  if (q.get('case') === 'plain-sink') {
    env.fromCollection(Array.from({ length: Number(q.get('n')) }, (_, i) => ({ i })))
      .sink(redisStreamSink({ connection: url, stream: q.get('out')!, chunkEntries: 100 })).name('out');
    return;
  }
  if (q.get('case') === 'unbounded-plain-sink') {
    env.fromGenerator({ ratePerSec: 100 }, (i) => ({ i })).name('gen')
      .sink(redisStreamSink({ connection: url, stream: q.get('out')! })).name('out');
    return;
  }
  if (q.get('case') === 'group-no-checkpoints') {
    env.fromRedisStreams<{ i: number }>({ connection: url, streams: [q.get('in')!], group: q.get('group')!, blockMs: 50 }).name('read').onError('drop').discard().name('out');
    return;
  }
  const failAt = Number(q.get('failAt') ?? -1);
  const marker = q.get('marker') ?? '';
  const policy = (q.get('policy') ?? 'fail') as ErrorPolicy;
  const group = q.get('group') || undefined;
  env.enableCheckpointing(10);
  const src = env.fromRedisStreams<{ i: number }>({ connection: url, streams: q.get('in')!.split(','), ...(group ? { group } : {}), blockMs: 100, ...(q.get('count') ? { count: Number(q.get('count')) } : {}) })
    .name('read').uid('read').onError(policy);
  src.map((r) => {
    if (r.i === failAt && !existsSync(marker)) {
      writeFileSync(marker, 'failed once');
      if (q.get('crash') === 'exit') process.exit(3); // the worker thread dies: no cleanup, no acknowledgements
      throw new Error(`injected failure at record ${r.i}`);
    }
    return r;
  }).name('inject').uid('inject')
    .rebalance()
    .sink(redisStreamSink({ connection: url, stream: q.get('out')!, encode: (r) => ({ i: String(r.i) }) })).name('out').uid('out');
  if (policy === 'dead-letter') src.getSideOutput(DEAD_LETTERS).sink(redisStreamSink({ connection: url, stream: q.get('dead')! })).name('dead').uid('dead');
});
