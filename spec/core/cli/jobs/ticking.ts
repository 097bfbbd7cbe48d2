// Runs until cancelled, at a bounded rate: the operations tests' job (savepoints, resume, metrics, latency).
// Ingestion-time timestamps give every subtask a watermark near the wall clock; a keyed count gives the state
// something to checkpoint; the hash exchange gives latency markers a ring to cross.
import { defineJob, WatermarkStrategy } from '../../../../core/index.js';

interface Tick { key: string; n: number }

export default defineJob((env) => {
  env.fromGenerator({ seed: 5, ratePerSec: 20_000 }, (_i, r): Tick => ({ key: `k${r.int(50)}`, n: 1 })).name('ticks').uid('ticks')
    .assignTimestampsAndWatermarks(WatermarkStrategy.forBoundedOutOfOrderness<Tick>(0).withTimestampAssigner(() => Date.now())).name('stamp').uid('stamp')
    .keyBy((t) => t.key)
    .reduce((a, b) => ({ key: a.key, n: a.n + b.n })).name('count').uid('count')
    .discard().name('sink').uid('sink');
});
