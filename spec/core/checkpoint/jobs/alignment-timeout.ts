// Aligned checkpoints with alignmentTimeoutMs under heavy backpressure: two fast sources (partitions 0 and 1), a
// map whose input gate aligns their barriers, and a sink that takes `slowMs` per record until `marker` exists (the
// test writes it from onCheckpoint). Every exchange rebalances between single subtasks: the map has two channels,
// the sink one, and all the rings are full while the sink is slow.
//   ?n=20000&slowMs=20&interval=300&timeout=50&ledger=/dir&marker=/path&limit=400&exit=1
// limit: the sink fails the job once it has taken that many records slowly (no checkpoint completed by then).
// exit=1: at the first record after the marker, the sink's thread exits, once (marker.exited says it did).
import { existsSync, writeFileSync } from 'node:fs';
import { defineJob } from '../../../../core/index.js';
import { beforeEachWrite, blockFor, ledgerSink } from '../ledger.js';

const q = new URL(import.meta.url).searchParams;
const n = Number(q.get('n') ?? 20_000);
const slowMs = Number(q.get('slowMs') ?? 20);
const interval = Number(q.get('interval') ?? 300);
const timeout = Number(q.get('timeout') ?? 50);
const ledger = q.get('ledger') ?? '';
const marker = q.get('marker') ?? '';
const limit = Number(q.get('limit') ?? 400);
const exit = q.get('exit') === '1';

/** One event: the source it came from and its sequence number there. */
export interface Event { p: number; seq: number; pad: string }

export default defineJob((env) => {
  env.enableCheckpointing(interval, { mode: 'aligned', alignmentTimeoutMs: timeout });
  const [a, b] = [0, 1].map((p) => env.fromGenerator({ count: n, seed: p + 1 }, (seq): Event => ({ p, seq, pad: 'x'.repeat(seq % 7) }))
    .name(`src${p}`).uid(`src${p}`).setParallelism(1));
  a!.union(b!).rebalance()
    .map((e) => ({ ...e })).name('middle').uid('middle').setParallelism(1)
    .rebalance()
    .sink(beforeEachWrite(ledgerSink<Event>(ledger), 'test-alignment-timeout-ledger', () => {
      let slow = 0;
      return () => {
        if (!existsSync(marker)) {
          if (++slow > limit) throw new Error(`no checkpoint completed while ${limit} records were taken slowly: the barriers waited behind the rings`);
          blockFor(slowMs);
        } else if (exit && !existsSync(`${marker}.exited`)) {
          writeFileSync(`${marker}.exited`, '');
          process.exit(3);
        }
      };
    }))
    .name('slow').uid('slow').setParallelism(1);
});
