// Lateness across an unaligned checkpoint's channel state: a source whose watermarks come at fixed places in its
// stream (one after every 10th record), some records behind them (every i % 10 === 5 is 30 ms older than its place:
// late by then), one channel into a process function that tells, per record, whether it was late, chained to a
// sink that is slow until a checkpoint has completed (the test writes `marker` from onCheckpoint). The full ring
// in front of the process function holds many watermarks among its records when a barrier overtakes it.
//   ?n=20000&slowMs=20&interval=300&ledger=/dir&marker=/path&limit=400&exit=1&pad=24
// limit: the sink fails the job once it has taken that many records slowly. exit=1: the first record after the
// marker exists, the sink's thread exits, once (the job restarts from its last checkpoint).
import { existsSync, writeFileSync } from 'node:fs';
import { defineJob, WatermarkStrategy } from '../../../../core/index.js';
import { beforeEachWrite, blockFor, ledgerSink } from '../ledger.js';

const q = new URL(import.meta.url).searchParams;
const n = Number(q.get('n') ?? 20_000);
const slowMs = Number(q.get('slowMs') ?? 20);
const interval = Number(q.get('interval') ?? 300);
const ledger = q.get('ledger') ?? '';
const marker = q.get('marker') ?? '';
const limit = Number(q.get('limit') ?? 400);
const exit = q.get('exit') === '1';
const pad = 'x'.repeat(Number(q.get('pad') ?? 24));

export interface Judged { i: number; late: boolean }

/** The event time of record i: its place, or 30 ms before it for every i % 10 === 5. */
export const eventTime = (i: number): number => (i % 10 === 5 ? i - 30 : i);

export default defineJob((env) => {
  // One split: the source's records in their order (a generator has a split per subtask of the default parallelism).
  env.setParallelism(1);
  env.enableCheckpointing(interval, { mode: 'unaligned' });
  env.fromGenerator({ count: n, seed: 1 }, (i) => ({ i, pad })).name('numbers').uid('numbers').setParallelism(1)
    // Punctuated: the watermark i - 1 right after record i, for every 10th i. Where watermarks fall in the stream
    // is then the same in every run, and so is which records are late.
    .assignTimestampsAndWatermarks(WatermarkStrategy.forGenerator<{ i: number; pad: string }>('every-10th', () => ({
      onEvent(e, _ts, out) { if (e.i % 10 === 0) out.emitWatermark(e.i - 1); },
      onPeriodicEmit() {},
    })).withTimestampAssigner((e) => eventTime(e.i))).name('times').uid('times')
    .rebalance()
    .process<Judged>((e, ctx, out) => { out.collect({ i: e.i, late: ctx.timestamp! <= ctx.currentWatermark() }); }).name('judge').uid('judge').setParallelism(1)
    .sink(beforeEachWrite(ledgerSink<Judged>(ledger), 'test-late-ledger', () => {
      let slow = 0;
      return () => {
        if (!existsSync(marker)) {
          if (++slow > limit) throw new Error(`no checkpoint completed while ${limit} records were taken slowly`);
          blockFor(slowMs);
        } else if (exit && !existsSync(`${marker}.exited`)) {
          writeFileSync(`${marker}.exited`, '');
          process.exit(3);
        }
      };
    }))
    .name('slow').uid('slow').setParallelism(1);
});
