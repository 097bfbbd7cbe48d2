// A paced generator with watermarks feeding two readers: a keyed reduce and an asyncMap (each a task of its own,
// so the generator and an asyncMap share each thread). When the asyncMap fills and the generator blocks on its
// ring, the generator's watermark timer is due but cannot fire. The thread must still give the event loop turns,
// or the asyncMap's settled promises never run and both threads wait on each other for good.
//   ?n=150000&rate=100000&capacity=200
import { defineJob, WatermarkStrategy } from '../../../core/index.js';

const q = new URL(import.meta.url).searchParams;
const n = Number(q.get('n') ?? 150_000);

export default defineJob((env) => {
  const events = env.fromGenerator({ count: n, seed: 1, ratePerSec: Number(q.get('rate') ?? 100_000) }, (i) => i).name('gen')
    .assignTimestampsAndWatermarks(WatermarkStrategy.forBoundedOutOfOrderness<number>(1000).withTimestampAssigner((x) => x)).name('wm');
  events.keyBy((x) => x % 1000).reduce((a, b) => a + b).name('reduce').discard().name('reduced');
  events.asyncMap(async (x: number) => { await Promise.resolve(); return x; }, { capacity: Number(q.get('capacity') ?? 200) }).name('async')
    .discard().name('out');
});
