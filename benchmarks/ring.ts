// Runs on: the benchmark's main thread. Micro-benchmarks of the shared-memory ring and the channel over it on ONE
// thread (benchmarks/transport.ts measures them across threads): each round writes B framed records, then reads
// them all back, so the figures are the producer's and the consumer's own work without any waiting or waking.
//
//   npm run bench:ring -- [--json [PATH]] [--quick]
//
// - ring.block.b<B>: raw ring blocks of 20 bytes (an i32 key, an f64 price, an f64 time) through
//   RingProducer.tryReserve/commit and RingConsumer.tryPeek/release; publication batched (the default, engine
//   `sluice`) and per block (the switch off: `batching: false` at both ends, engine `sluice.batching-off`).
// - channel.bid.b<B>: Nexmark bids (~100 bytes) with their timestamps through ChannelWriter/ChannelReader:
//   the typed codec (`ring-typed`), the generic msgpackr codec one frame per record (`ring-generic`) and the
//   generic codec with batch frames of 32 records (`sluice.generic-batch-frames`, what a job does for a generic
//   channel: recordBatch 32).
// B (records per round) is 1, 64 and 1024. Each sample moves N records; events/s = N x median samples/s.
// The engines of a benchmark run interleaved, in rounds with their order rotated (micro.ts measure): each figure is
// the median over rounds of a round's median (or p99) sample.
// outputRows / outputChecksum come from one verification round trip of N records per engine before timing
// (an order-independent checksum over every field read back), so rows of one benchmark can be compared.

import { Ring, RingConsumer, RingProducer } from '../shm/ring.js';
import { ChannelReader, ChannelWriter, RECORD } from '../shm/channel.js';
import { typedCodec } from '../shm/codec/typed.js';
import { genericCodec } from '../shm/codec/generic.js';
import type { RecordCodec } from '../shm/codec/codec.js';
import { bidSchema, makeBids, type Bid } from './bid.js';
import { emitReport, parseJsonArg, type BenchResult } from './report.js';
import { benchTimes, Checksum, measure, printRatios, taskRow } from './micro.js';

const N = 8192;
const BATCHES = [1, 64, 1024] as const;
const RING_BYTES = 256 * 1024; // the engine's default ringBytes
const FRAME_RECORDS = 32;      // the engine's default recordBatch for generic channels

/** A raw ring end pair; `round(b, check?)` writes b blocks, publishes, reads them back; returns a sum of what it read. */
function rawRing(batching: boolean): (b: number, check?: Checksum) => number {
  const ring = Ring.create(RING_BYTES);
  const p = new RingProducer(ring, undefined, { batching });
  const c = new RingConsumer(ring, undefined, { batching });
  const view = ring.view;
  let seq = 0;
  return (b, check) => {
    for (let i = 0; i < b; i++) {
      const at = p.tryReserve(20);
      if (at < 0) throw new Error('ring full');
      const k = seq++;
      view.setInt32(at, k & 0xffff, true);
      view.setFloat64(at + 4, (k * 31) % 10_000_000, true);
      view.setFloat64(at + 12, 1_700_000_000_000 + k, true);
      p.commit();
    }
    p.publish();
    let sum = 0;
    for (let i = 0; i < b; i++) {
      const at = c.tryPeek();
      if (at < 0) throw new Error('ring empty');
      const key = view.getInt32(at, true);
      const price = view.getFloat64(at + 4, true);
      const ts = view.getFloat64(at + 12, true);
      sum += key + price;
      check?.add(key, price, ts);
      c.release();
    }
    return sum;
  };
}

/** A channel pair over one ring; `round(b, check?)` writes b bids (from `bids`, cycling), flushes, reads them back. */
function channel(codec: RecordCodec<Bid>, frames: boolean, bids: readonly Bid[]): (b: number, check?: Checksum) => number {
  const ring = Ring.create(RING_BYTES);
  const w = new ChannelWriter(new RingProducer(ring), codec.encoder(), { batches: frames });
  const r = new ChannelReader(new RingConsumer(ring), codec.decoder(), { batches: frames });
  let next = 0;
  const frame: Bid[] = [];
  const frameTs: number[] = [];
  return (b, check) => {
    for (let i = 0; i < b; i++) {
      const bid = bids[next]!;
      next = next + 1 === bids.length ? 0 : next + 1;
      if (!frames) { if (!w.tryWrite(bid, bid.dateTime)) throw new Error('ring full'); continue; }
      frame.push(bid);
      frameTs.push(bid.dateTime);
      if (frame.length === FRAME_RECORDS || i === b - 1) {
        if (!w.tryWriteBatch(frame.splice(0), frameTs.splice(0))) throw new Error('ring full');
      }
    }
    w.flush();
    let sum = 0;
    for (let i = 0; i < b; i++) {
      if (r.poll() !== RECORD) throw new Error(`expected record ${i} of ${b}`);
      const v = r.record!;
      sum += v.price;
      check?.add(v.auction, v.bidder, v.price, v.dateTime, r.timestamp, v.channel.length, v.url.length, v.extra.length);
    }
    return sum;
  };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const target = parseJsonArg(argv);
  const times = benchTimes(argv);
  const bids = makeBids(1024, 7);
  const results: BenchResult[] = [];
  let sink = 0;

  for (const b of BATCHES) {
    const rounds = N / b;
    // Raw ring blocks.
    const ringEngines = [['sluice', true], ['sluice.batching-off', false]] as const;
    const ringChecks = ringEngines.map(([, batching]) => { const c = new Checksum(); const f = rawRing(batching); for (let i = 0; i < rounds; i++) f(b, c); return c; });
    const tasks: [string, () => void][] = [];
    for (const [name, batching] of ringEngines) {
      const f = rawRing(batching);
      tasks.push([name, () => { for (let i = 0; i < rounds; i++) sink += f(b); }]);
    }
    // Channels of bids.
    const chanEngines = [
      ['ring-typed', typedCodec(bidSchema), false],
      ['ring-generic', genericCodec<Bid>(), false],
      ['sluice.generic-batch-frames', genericCodec<Bid>(), true],
    ] as const;
    const chanChecks = chanEngines.map(([, codec, frames]) => { const c = new Checksum(); const f = channel(codec as RecordCodec<Bid>, frames, bids); for (let i = 0; i < rounds; i++) f(b, c); return c; });
    for (const [name, codec, frames] of chanEngines) {
      const f = channel(codec as RecordCodec<Bid>, frames, bids);
      tasks.push([name, () => { for (let i = 0; i < rounds; i++) sink += f(b); }]);
    }
    const m = await measure(`ring.b${b}`, tasks, times);
    ringEngines.forEach(([name], i) => results.push(taskRow(m.get(name)!, `ring.block.b${b}`, name, N, ringChecks[i]!, { batch: b, recordBytes: 20 })));
    chanEngines.forEach(([name], i) => results.push(taskRow(m.get(name)!, `channel.bid.b${b}`, name, N, chanChecks[i]!, { batch: b })));
  }
  if (Number.isNaN(sink)) process.stderr.write('unreachable\n');
  emitReport(results, target);
  printRatios(results, (e) => e === 'sluice.batching-off' || e === 'ring-generic');
}

await main();
