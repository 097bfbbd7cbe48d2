// Small jobs over the other sources and partitioners, selected by ?case=<name>.
import { defineJob, genericCodec } from '../../../../core/index.js';

const which = new URL(import.meta.url).searchParams.get('case');
// Taken when the worker evaluates the job, so before any source reader of the job exists.
const loadedAt = performance.now();

async function* ticks(n: number): AsyncGenerator<number> {
  for (let i = 0; i < n; i++) {
    if (i % 100 === 0) await new Promise((r) => setTimeout(r, 1));
    yield i;
  }
}

export default defineJob((env) => {
  switch (which) {
    case 'async-iterable':
      env.fromAsyncIterable(() => ticks(1000), 'ticks').map((x: number) => x * 2).setParallelism(2).name('double').collect().name('out');
      break;
    case 'union': {
      const a = env.fromCollection(Array.from({ length: 500 }, (_, i) => i)).name('a');
      const b = env.fromCollection(Array.from({ length: 500 }, (_, i) => 1000 + i)).name('b');
      a.union(b).name('both').collect().name('out');
      break;
    }
    case 'broadcast':
      env.fromCollection([1, 2, 3]).name('rules').setParallelism(1).broadcast().map((x: number) => x).name('copy').setParallelism(3).collect().name('out');
      break;
    case 'rebalance':
      env.fromCollection(Array.from({ length: 900 }, (_, i) => i)).name('src2').setParallelism(1)
        .rebalance().map((x: number) => x).name('spread').setParallelism(3).collect().name('out');
      break;
    case 'big-records':
      // 10 KB records: a batch of 32 is far over a 64 KiB ring's 32 KiB frame limit, so batches split.
      env.fromGenerator({ count: 2000, seed: 3 }, (i) => ({ i, pad: 'x'.repeat(10_000) })).name('big')
        .keyBy((x) => x.i % 5)
        .map((x) => x.i).name('index')
        .collect().name('out');
      break;
    case 'batch-frames': {
      // Each input goes out twice as one object, through a codec that keeps shared references (structuredClone):
      // the two arrive as one object only when they crossed the exchange in one frame (recordBatch > 1).
      let last: unknown;
      env.fromCollection(Array.from({ length: 200 }, (_, i) => i)).name('src3').setParallelism(1)
        .flatMap((i: number) => { const o = { i }; return [o, o]; }).name('twice').setParallelism(1).withCodec(genericCodec({ structuredClone: true }))
        .rebalance().map((o: { i: number }) => { const same = o === last; last = o; return same; }).name('same').setParallelism(1)
        .collect().name('out');
      break;
    }
    case 'rate-limited':
      // Each record carries how long after the job was loaded it was produced (same thread, same clock).
      env.fromGenerator({ count: 600, ratePerSec: 3000 }, (i) => ({ i, afterMs: performance.now() - loadedAt })).name('slow').collect().name('out');
      break;
  }
});
