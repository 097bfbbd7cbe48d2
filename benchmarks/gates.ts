// Runs on: the benchmark's main thread. Micro-benchmark of a task's exchange on ONE thread: records pushed into
// an OutputGate (partitioning, batching, the channel writers), through real rings, and out of an InputGate (the
// channel readers, the watermark valve, the pump loop) into a head that folds a checksum. As the specs build them
// (spec/workers/output-gate.spec.ts, input-gate.spec.ts): no workers, no waiting, so the figures are the gates'
// own per-record cost.
//
//   npm run bench:gates -- [--json [PATH]] [--quick]
//
// - gates.forward: one channel (a forward exchange); gates.hash2: two channels, keyed by the bid's auction.
// - Engines: `sluice.typed` (typed codec, a frame per record: typed channels never batch), `sluice.generic-batch32`
//   (generic codec, batch frames of 32 records: the engine's default recordBatch) and `sluice.generic-batch-off`
//   (generic codec, recordBatch 1: the batching switch off).
// - gates.hash2.checkpointing: hash2, generic batch32, with a checkpoint under way whose barriers never come (as
//   behind a long backpressured alignment): aligned, `sluice.no-alignment-timeout` (the default) against
//   `sluice.alignment-timeout-50ms`, whose gate, past the timeout, looks ahead in the rings every few records for
//   barriers that switched to unaligned (input-gate.ts timedOut); and unaligned, `sluice.unaligned`, whose gate
//   looks ahead the same way (the cost unaligned checkpoints already had).
// Each round pushes ROUND bids with their timestamps and a watermark, flushes the output gate and pumps the input
// gate until every record is through. Each sample runs N / ROUND rounds; events/s = N x median samples/s.
// The engines of a benchmark run interleaved, in rounds with their order rotated (micro.ts measure): each figure is
// the median over rounds of a round's median (or p99) sample.
// outputRows / outputChecksum: one verification pass of N records per engine before timing (order-independent
// checksum over every field the head received, and its timestamp).

import { Ring, RingConsumer, RingProducer } from '../shm/ring.js';
import { ChannelReader, ChannelWriter } from '../shm/channel.js';
import { typedCodec } from '../shm/codec/typed.js';
import { genericCodec } from '../shm/codec/generic.js';
import type { RecordCodec } from '../shm/codec/codec.js';
import { OutputGate } from '../workers/output-gate.js';
import { InputGate, type BarrierHandler } from '../workers/input-gate.js';
import { JOB_CHECKPOINT_UNALIGNED } from '../shm/layout.js';
import { TaskContext } from '../core/operators/task-context.js';
import type { Downstream } from '../core/operators/operator.js';
import { bidSchema, makeBids, type Bid } from './bid.js';
import { emitReport, parseJsonArg, type BenchResult } from './report.js';
import { benchTimes, Checksum, measure, printRatios, taskRow } from './micro.js';

const N = 8192;
const ROUND = 512;
const RING_BYTES = 256 * 1024; // the engine's default ringBytes
const MAX_PARALLELISM = 128;

const NO_BARRIERS: BarrierHandler = {
  snapshot() { throw new Error('no barriers here'); },
  complete() {},
  abandon() {},
};

/** The head behind the input gate: counts records, folds their sum (and a checksum while verifying). */
class Head implements Downstream<Bid> {
  n = 0;
  sum = 0;
  wm = 0;
  check: Checksum | undefined;
  constructor(private readonly ctx: TaskContext) {}
  push(v: Bid): void {
    this.n++;
    this.sum += v.price;
    this.check?.add(v.auction, v.bidder, v.price, v.dateTime, this.ctx.timestamp, v.channel.length, v.url.length, v.extra.length);
  }
  watermark(wm: number): void { this.wm = wm; }
  idle(): void {}
  finish(): void {}
}

/** An exchange of `channels` rings; returns a function running one sample of `records` records. */
function exchange(codec: RecordCodec<Bid>, batch: number, channels: number, bids: readonly Bid[], checkpoint?: { alignmentTimeoutMs: number; unaligned: boolean }): { run(records: number): void; head: Head } {
  const outCtx = new TaskContext('bench-out', 0, 1, MAX_PARALLELISM);
  const inCtx = new TaskContext('bench-in', 0, 1, MAX_PARALLELISM);
  const writers: ChannelWriter<Bid>[] = [];
  const readers: ChannelReader<unknown>[] = [];
  for (let i = 0; i < channels; i++) {
    const ring = Ring.create(RING_BYTES);
    writers.push(new ChannelWriter(new RingProducer(ring), codec.encoder(), { batches: batch > 1 }));
    readers.push(new ChannelReader(new RingConsumer(ring), codec.decoder(), { batches: batch > 1 }) as ChannelReader<unknown>);
  }
  const out = new OutputGate<Bid>(outCtx, writers, channels === 1 ? 'forward' : 'hash', (b) => b.auction, MAX_PARALLELISM, 0, batch);
  // Checkpoint 1 triggered (JOB_CHECKPOINT_TRIGGER's word), with no barrier in the rings.
  const trigger = checkpoint === undefined ? undefined : { control: new Int32Array([(1 << 2) | (checkpoint.unaligned ? JOB_CHECKPOINT_UNALIGNED : 0)]), index: 0 };
  const gate = new InputGate(readers, readers.map(() => 0), inCtx, NO_BARRIERS, checkpoint?.alignmentTimeoutMs ?? Infinity, 0, trigger);
  const head = new Head(inCtx);
  const heads: Downstream<unknown>[] = [head as Downstream<unknown>];
  const never = (): boolean => false;
  let next = 0;
  return {
    head,
    run(records) {
      for (let done = 0; done < records; done += ROUND) {
        const target = head.n + ROUND;
        let last = 0;
        for (let i = 0; i < ROUND; i++) {
          const bid = bids[next]!;
          next = next + 1 === bids.length ? 0 : next + 1;
          outCtx.timestamp = bid.dateTime;
          out.push(bid);
          last = bid.dateTime;
        }
        out.watermark(last);
        out.flush();
        if (out.blocked) throw new Error('output gate blocked: ring too small for a round');
        while (head.n < target) gate.pump(heads, 1 << 20, never);
      }
    },
  };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const target = parseJsonArg(argv);
  const times = benchTimes(argv);
  // Bids in time order (bid.ts makes them so): a watermark per round never makes a later record late.
  const bids = makeBids(4096, 11);
  const engines = [
    ['sluice.typed', () => typedCodec(bidSchema) as RecordCodec<Bid>, 1],
    ['sluice.generic-batch32', () => genericCodec<Bid>(), 32],
    ['sluice.generic-batch-off', () => genericCodec<Bid>(), 1],
  ] as const;
  const results: BenchResult[] = [];
  let sink = 0;
  for (const [benchmark, channels] of [['gates.forward', 1], ['gates.hash2', 2]] as const) {
    const checks = engines.map(([, codec, batch]) => {
      const x = exchange(codec(), batch, channels, bids);
      x.head.check = new Checksum();
      x.run(N);
      if (x.head.check.rows !== N) throw new Error(`${benchmark}: ${x.head.check.rows} of ${N} records arrived`);
      return x.head.check;
    });
    const runs = engines.map(([, codec, batch]) => {
      const x = exchange(codec(), batch, channels, bids);
      return x;
    });
    const m = await measure(benchmark, engines.map(([name], i) => [name, () => { runs[i]!.run(N); }] as const), times);
    for (const x of runs) sink += x.head.sum;
    engines.forEach(([name, , batch], i) => results.push(taskRow(m.get(name)!, benchmark, name, N, checks[i]!, { channels, recordBatch: batch })));
  }
  const checkpointing = [
    ['sluice.no-alignment-timeout', { alignmentTimeoutMs: Infinity, unaligned: false }],
    ['sluice.alignment-timeout-50ms', { alignmentTimeoutMs: 50, unaligned: false }],
    ['sluice.unaligned', { alignmentTimeoutMs: Infinity, unaligned: true }],
  ] as const;
  const checks = checkpointing.map(([, checkpoint]) => {
    const x = exchange(genericCodec<Bid>(), 32, 2, bids, checkpoint);
    x.head.check = new Checksum();
    x.run(N);
    if (x.head.check.rows !== N) throw new Error(`gates.hash2.checkpointing: ${x.head.check.rows} of ${N} records arrived`);
    return x.head.check;
  });
  const runs = checkpointing.map(([, checkpoint]) => exchange(genericCodec<Bid>(), 32, 2, bids, checkpoint));
  const m = await measure('gates.hash2.checkpointing', checkpointing.map(([name], i) => [name, () => { runs[i]!.run(N); }] as const), times);
  for (const x of runs) sink += x.head.sum;
  checkpointing.forEach(([name, checkpoint], i) => results.push(taskRow(m.get(name)!, 'gates.hash2.checkpointing', name, N, checks[i]!, {
    channels: 2, recordBatch: 32, alignmentTimeoutMs: String(checkpoint.alignmentTimeoutMs), unaligned: checkpoint.unaligned,
  })));
  if (Number.isNaN(sink)) process.stderr.write('unreachable\n');
  emitReport(results, target);
  printRatios(results, (e) => e === 'sluice.generic-batch-off' || e === 'sluice.no-alignment-timeout');
}

await main();
