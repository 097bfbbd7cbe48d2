// Barriers that must overtake full rings: a fast source, a map, and a sink that takes `slowMs` per record until
// a checkpoint has completed (the test writes `marker` from onCheckpoint). Every stage is one subtask behind a
// rebalance: one channel per exchange, so only a barrier taken ahead of its ring's records brings channel state.
//   ?n=20000&slowMs=20&interval=1000&ledger=/dir&marker=/path&limit=400&exit=1&mode=unaligned&sinkP=1&schema=1|2
// schema: the middle's output crosses its exchange with a typed codec, { i, pad } (1) or { i, padding } (2).
// limit: the sink fails the job once it has taken that many records slowly (no checkpoint completed by then: the
// barrier waited behind the ring). exit=1: the first record after the marker exists, the sink's thread exits, once.
import { existsSync, writeFileSync } from 'node:fs';
import { defineJob, genericCodec, recordSchema, typedCodec } from '../../../../core/index.js';
import { beforeEachWrite, blockFor, ledgerSink } from '../ledger.js';

const q = new URL(import.meta.url).searchParams;
const n = Number(q.get('n') ?? 20_000);
const slowMs = Number(q.get('slowMs') ?? 20);
const interval = Number(q.get('interval') ?? 1000);
const ledger = q.get('ledger') ?? '';
const marker = q.get('marker') ?? '';
const limit = Number(q.get('limit') ?? 400);
const exit = q.get('exit') === '1';
const mode = (q.get('mode') ?? 'unaligned') as 'aligned' | 'unaligned';
const sinkP = Number(q.get('sinkP') ?? 1);
const schema = q.get('schema');

export interface Numbered { i: number; pad: string }

export default defineJob((env) => {
  env.enableCheckpointing(interval, { mode });
  env.fromGenerator({ count: n, seed: 1 }, (i) => ({ i, pad: 'x'.repeat(i % 7) })).name('fast').uid('fast').setParallelism(1)
    .rebalance()
    .map((r) => (schema === '2' ? { i: r.i, padding: r.pad } as unknown as Numbered : { i: r.i, pad: r.pad })).name('middle').uid('middle').setParallelism(1)
    .withCodec(schema === '1' ? typedCodec<Numbered>(recordSchema({ i: 'f64', pad: 'string' }))
      : schema === '2' ? typedCodec<Numbered>(recordSchema({ i: 'f64', padding: 'string' }) as never) : genericCodec<Numbered>())
    .rebalance()
    .sink(beforeEachWrite(ledgerSink<Numbered>(ledger), 'test-overtaken-ledger', () => {
      let slow = 0;
      return () => {
        if (!existsSync(marker)) {
          if (++slow > limit) throw new Error(`no checkpoint completed while ${limit} records were taken slowly: the barrier did not overtake the ring`);
          blockFor(slowMs);
        } else if (exit && !existsSync(`${marker}.exited`)) {
          writeFileSync(`${marker}.exited`, '');
          process.exit(3);
        }
      };
    }))
    .name('slow').uid('slow').setParallelism(sinkP);
});
