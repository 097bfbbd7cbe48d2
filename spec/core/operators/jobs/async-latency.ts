// A generator feeding an asyncMap whose every request takes `delay` ms, then a sink; latency markers measure it.
// `exchange=1` puts a rebalance before the asyncMap (markers reach it through an input gate), else it is chained
// to the source (markers start in its chain).
//   ?n=600&delay=40&capacity=20&exchange=0
import { defineJob } from '../../../../core/index.js';

const q = new URL(import.meta.url).searchParams;
const delay = Number(q.get('delay') ?? 40);

export default defineJob((env) => {
  const gen = env.fromGenerator({ count: Number(q.get('n') ?? 600), seed: 1 }, (i) => i).name('gen');
  (q.get('exchange') === '1' ? gen.rebalance() : gen)
    .asyncMap(async (x: number) => { await new Promise((r) => setTimeout(r, delay)); return x; }, { capacity: Number(q.get('capacity') ?? 20) }).name('enrich')
    .discard().name('out');
});
