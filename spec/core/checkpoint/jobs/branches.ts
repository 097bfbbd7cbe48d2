// Two branches from one generator, each keyed into its own ledger sink, with unaligned checkpoints every 50 ms and
// a slow sink 'a': small rings keep some of the generator task's output waiting in its gates. Versions change the
// job between runs, uids kept:
//   v=1: src -> ma -> a, then src -> mb -> b;  v=2: the branches declared the other way round;
//   v=3: a new branch src -> mc -> c declared first;  v=4: branch a rebalanced instead of keyed.
//   ?v=1&ledger=/dir&n=30000
import { defineJob, type DataStream } from '../../../../core/index.js';
import { ledgerSink } from '../ledger.js';

const q = new URL(import.meta.url).searchParams;
const v = Number(q.get('v') ?? 1);
const ledger = q.get('ledger') ?? '';
const n = Number(q.get('n') ?? 30_000);

export interface Routed { i: number; k: number; to: string }

export default defineJob((env) => {
  env.enableCheckpointing(50, { mode: 'unaligned' });
  const src = env.fromGenerator({ count: n, seed: 1 }, (i) => ({ i, k: i % 50 })).name('src').uid('src').setParallelism(1);
  const branch = (name: string, slow: boolean, rebalance = false): DataStream<Routed> => {
    const out = src.map((r): Routed => ({ i: r.i, k: r.k, to: name })).name(`m${name}`).uid(`m${name}`).setParallelism(1);
    const inner = ledgerSink<Routed>(`${ledger}/${name}`);
    (rebalance ? out.rebalance() : out.keyBy((r) => r.k)).sink({
      ...inner,
      createWriter(subtask, parallelism) {
        const w = inner.createWriter(subtask, parallelism);
        return {
          ...w,
          write(r: Routed) {
            if (slow) { const until = performance.now() + 0.05; while (performance.now() < until); }
            w.write(r);
          },
        };
      },
    }).name(name).uid(name).setParallelism(1);
    return out;
  };
  if (v === 1) { branch('a', true); branch('b', false); }
  else if (v === 2) { branch('b', false); branch('a', true); }
  else if (v === 3) { branch('c', false); branch('a', true); branch('b', false); }
  else { branch('a', true, true); branch('b', false); }
});
