// A fast source into a slow sink: the rings fill, the producer parks, and checkpoints must still complete.
//   ?n=100000&interval=30&mode=unaligned&ledger=/dir&everyN=40&failAt=i&marker=/path
// failAt: the sink's worker thread exits (process.exit) when record i reaches it, once (a marker file remembers).
import { existsSync, writeFileSync } from 'node:fs';
import { defineJob } from '../../../../core/index.js';
import { beforeEachWrite, blockFor, ledgerSink } from '../ledger.js';
import type { Update } from './exactly-once.js';

const q = new URL(import.meta.url).searchParams;
const n = Number(q.get('n') ?? 100_000);
const interval = Number(q.get('interval') ?? 30);
const mode = (q.get('mode') ?? 'unaligned') as 'aligned' | 'unaligned';
const ledger = q.get('ledger') ?? '';
const everyN = Number(q.get('everyN') ?? 40);
const failAt = Number(q.get('failAt') ?? -1);
const marker = q.get('marker') ?? '';

export default defineJob((env) => {
  env.enableCheckpointing(interval, { mode });
  env.fromGenerator({ count: n, seed: 1 }, (i) => ({ key: `k${i % 500}`, count: 1, i }) as Update).name('fast').uid('fast')
    .keyBy((u) => u.key)
    .reduce((a, b) => ({ key: a.key, count: a.count + b.count, i: b.i })).name('count').uid('count')
    .rebalance()
    .sink(beforeEachWrite(ledgerSink<Update>(ledger), 'test-slow-ledger', () => {
      let k = 0;
      // 1 ms asleep every `everyN` records: a sink a few times slower than the source.
      return (u) => {
        if (u.i === failAt && marker !== '' && !existsSync(marker)) { writeFileSync(marker, 'failed once'); process.exit(3); }
        if (++k % everyN === 0) blockFor(1);
      };
    }))
    .name('slow-out').uid('slow-out')
    // One sink subtask: the other thread runs source and counter freely, fills the sink's rings and then waits.
    .setParallelism(1);
});
