// A generator feeding an asyncMap whose every request takes `delay` ms, then a sink; latency markers measure it.
// `exchange=1` puts a rebalance before the asyncMap (markers reach it through an input gate), else it is chained
// to the source (markers start in its chain). Chained, the source reads only while the asyncMap has room, so it sends
// markers while the asyncMap works. Behind the exchange it is paced (`rate` a second): unpaced, it read all its
// records and ended before its first marker was due; and below what the asyncMap takes (capacity / delay), so
// records do not queue in the ring ahead of it, where a marker would wait behind them anyway.
//   ?n=600&delay=40&capacity=20&exchange=0      ?n=300&rate=250&delay=40&capacity=20&exchange=1
import { defineJob } from '../../../../core/index.js';

const q = new URL(import.meta.url).searchParams;
const delay = Number(q.get('delay') ?? 40);

export default defineJob((env) => {
  const gen = env.fromGenerator({ count: Number(q.get('n') ?? 600), seed: 1, ...(q.has('rate') ? { ratePerSec: Number(q.get('rate')) } : {}) }, (i) => i).name('gen');
  (q.get('exchange') === '1' ? gen.rebalance() : gen)
    .asyncMap(async (x: number) => { await new Promise((r) => setTimeout(r, delay)); return x; }, { capacity: Number(q.get('capacity') ?? 20) }).name('enrich')
    .discard().name('out');
});
