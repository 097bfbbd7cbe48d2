// Runs on: the benchmark's main thread. Micro-benchmark of record codecs on Nexmark bids:
// the typed codec, the engine's generic codec (shm/codec/generic.ts, the default for records without a schema),
// msgpackr (plain and with records), and JSON.
//
//   node --import tsx benchmarks/codecs.ts [--json [PATH]] [--quick]
//
// Each sample encodes or decodes a batch of BATCH bids (one pass over a deterministic array), because a
// single ~100-byte record takes less time than the timer resolves. Figures are per record: events/s is
// BATCH x the median batches/s, p50/p99 are batch latencies divided by BATCH.
// Engines by the shared names, `sluice.<codec>`, what each is in the `codec` field (msgpackr plain and JSON are
// not sluice's codecs: the alternatives, measured the same way). Every row carries outputRows and outputChecksum
// of the batch its engine's encoding decodes back to (every field of every bid), the same for all.
// The typed codec writes into a preallocated shared buffer, as it does into a ring: 'sluice.typed' as a channel
// does (bounded path: reserve an upper bound, write strings unmeasured), 'sluice.typed-exact' measuring each
// record first.
// Both decode the same bytes. msgpackr's `pack`
// returns a view of its own reused buffer and JSON goes through `Buffer.from`; neither includes the copy
// into a ring that a generic codec would then make. 'sluice.generic-codec' is the engine's own genericCodec()
// (msgpackr with sequential records underneath) through its RecordEncoder/RecordDecoder, as a channel calls it:
// size then write into the same shared buffer the typed rows write into, and read from it (which copies each
// record out of shared memory, as the codec does for the ring); it includes that copy.

import { Bench, type Task } from 'tinybench';
import { Packr } from 'msgpackr';
import { typedCodec } from '../shm/codec/typed.js';
import { genericCodec } from '../shm/codec/generic.js';
import { bidSchema, makeBids, type Bid } from './bid.js';
import { foldBid } from './fold.js';
import { hex32 } from './job-generator.js';
import { benchTiming, emitReport, parseJsonArg, rssMB, type BenchResult } from './report.js';

const BATCH = 1024;
const SEED = 7;

interface Engine {
  /** The `engine` field (shared names: sluice.<codec>). */
  readonly name: string;
  /** What the codec is (the `codec` field). */
  readonly codec: string;
  /** Encodes every bid once; returns the bytes written (also keeps the work observable). */
  encodeBatch(bids: readonly Bid[]): number;
  /** Decodes every pre-encoded bid once; returns a checksum over the decoded prices. */
  decodeBatch(): number;
  /** Average encoded bytes per bid. */
  readonly bytesPerRecord: number;
  /** The decoded records of one batch, for the correctness check before timing. */
  decodeAll(): Bid[];
}

/**
 * `bounded`: encode as a channel does by default, reserving an upper bound and writing strings without measuring
 * them (RecordEncoder.bound / writeBounded); else measure each record exactly first (size / write).
 */
function typedEngine(bids: readonly Bid[], bounded: boolean): Engine {
  const codec = typedCodec(bidSchema, { bounded });
  const enc = codec.encoder();
  const dec = codec.decoder();
  // Shared memory like the ring's; room for a whole batch.
  const out = new Uint8Array(new SharedArrayBuffer(BATCH * 256));
  const outView = new DataView(out.buffer);
  const encodeBatch = bounded
    ? (batch: readonly Bid[]): number => {
      let pos = 0;
      for (let i = 0; i < batch.length; i++) {
        const bid = batch[i]!;
        enc.bound!(bid);
        pos += enc.writeBounded!(bid, out, outView, pos);
      }
      return pos;
    }
    : (batch: readonly Bid[]): number => {
      let pos = 0;
      for (let i = 0; i < batch.length; i++) {
        const bid = batch[i]!;
        const n = enc.size(bid);
        enc.write(bid, out, outView, pos);
        pos += n;
      }
      return pos;
    };
  const encoded = new Uint8Array(new SharedArrayBuffer(BATCH * 256));
  const view = new DataView(encoded.buffer);
  const offsets = new Int32Array(bids.length);
  const lengths = new Int32Array(bids.length);
  const encoder = codec.encoder();
  let pos = 0;
  bids.forEach((bid, i) => {
    const n = encoder.size(bid);
    encoder.write(bid, encoded, view, pos);
    offsets[i] = pos;
    lengths[i] = n;
    pos += n;
  });
  return {
    name: bounded ? 'sluice.typed' : 'sluice.typed-exact',
    codec: bounded ? "sluice's typed codec, bounded (as a channel writes)" : "sluice's typed codec, each record measured first",
    encodeBatch,
    decodeBatch() {
      let sum = 0;
      for (let i = 0; i < offsets.length; i++) sum += dec.read(encoded, view, offsets[i]!, lengths[i]!).price;
      return sum;
    },
    bytesPerRecord: pos / bids.length,
    decodeAll: () => bids.map((_, i) => codec.decoder().read(encoded, view, offsets[i]!, lengths[i]!)),
  };
}

/** The engine's generic codec (genericCodec()), through the RecordEncoder/RecordDecoder contract a channel uses. */
function genericEngine(bids: readonly Bid[]): Engine {
  const codec = genericCodec<Bid>();
  const enc = codec.encoder();
  const dec = codec.decoder();
  const out = new Uint8Array(new SharedArrayBuffer(BATCH * 256));
  const outView = new DataView(out.buffer);
  // Pre-encoded by a fresh encoder, in order: the first record defines the shape in-band, as on a new channel.
  const encoded = new Uint8Array(new SharedArrayBuffer(BATCH * 256));
  const view = new DataView(encoded.buffer);
  const offsets = new Int32Array(bids.length);
  const lengths = new Int32Array(bids.length);
  const encoder = codec.encoder();
  let pos = 0;
  bids.forEach((bid, i) => {
    const n = encoder.size(bid);
    encoder.write(bid, encoded, view, pos);
    offsets[i] = pos;
    lengths[i] = n;
    pos += n;
  });
  return {
    name: 'sluice.generic-codec',
    codec: "sluice's generic codec (genericCodec(): msgpackr, sequential records), through the channel's encoder/decoder",
    encodeBatch(batch) {
      let at = 0;
      for (let i = 0; i < batch.length; i++) {
        const bid = batch[i]!;
        const n = enc.size(bid);
        enc.write(bid, out, outView, at);
        at += n;
      }
      return at;
    },
    decodeBatch() {
      let sum = 0;
      for (let i = 0; i < offsets.length; i++) sum += dec.read(encoded, view, offsets[i]!, lengths[i]!).price;
      return sum;
    },
    bytesPerRecord: pos / bids.length,
    decodeAll: () => {
      const fresh = codec.decoder();
      return bids.map((_, i) => fresh.read(encoded, view, offsets[i]!, lengths[i]!));
    },
  };
}

type PackrOptions = NonNullable<ConstructorParameters<typeof Packr>[0]>;

function msgpackrEngine(name: string, codecText: string, bids: readonly Bid[], options: PackrOptions): Engine {
  // Packr keeps its record structures in the options object it is given: one copy per instance.
  const make = (): Packr => new Packr({ ...options });
  const packr = make();
  // Records with `sequential` carry their structure in-band: the first message defines it, so the
  // decoder is a separate instance that reads the messages in order, as a channel's consumer would.
  const unpackr = make();
  const encoder = make();
  const encoded = bids.map((bid) => Buffer.from(encoder.pack(bid))); // copies: pack reuses its buffer
  const total = encoded.reduce((n, b) => n + b.length, 0);
  return {
    name,
    codec: codecText,
    encodeBatch(batch) {
      let n = 0;
      for (let i = 0; i < batch.length; i++) n += packr.pack(batch[i]).length;
      return n;
    },
    decodeBatch() {
      let sum = 0;
      for (let i = 0; i < encoded.length; i++) sum += (unpackr.unpack(encoded[i]!) as Bid).price;
      return sum;
    },
    bytesPerRecord: total / bids.length,
    decodeAll: () => {
      const fresh = make();
      return encoded.map((b) => fresh.unpack(b) as Bid);
    },
  };
}

function jsonEngine(bids: readonly Bid[]): Engine {
  const encoded = bids.map((bid) => Buffer.from(JSON.stringify(bid)));
  const total = encoded.reduce((n, b) => n + b.length, 0);
  return {
    name: 'sluice.json',
    codec: 'JSON.stringify + Buffer.from / JSON.parse (not a sluice codec: the baseline a hand-rolled channel would use)',
    encodeBatch(batch) {
      let n = 0;
      for (let i = 0; i < batch.length; i++) n += Buffer.from(JSON.stringify(batch[i])).length;
      return n;
    },
    decodeBatch() {
      let sum = 0;
      for (let i = 0; i < encoded.length; i++) sum += (JSON.parse(encoded[i]!.toString('utf8')) as Bid).price;
      return sum;
    },
    bytesPerRecord: total / bids.length,
    decodeAll: () => encoded.map((b) => JSON.parse(b.toString('utf8')) as Bid),
  };
}

function sameBids(a: readonly Bid[], b: readonly Bid[]): boolean {
  return a.length === b.length && a.every((x, i) => JSON.stringify(x) === JSON.stringify(b[i]));
}

/** Every field of every bid, folded in order: the same for every codec that round-trips the batch. */
function checksumOf(decoded: readonly Bid[]): string {
  let h = 0x811c9dc5;
  for (const b of decoded) h = foldBid(h, b);
  return hex32(h);
}

function row(task: Task, benchmark: string, engine: Engine): BenchResult {
  const r = task.result;
  if (r.state !== 'completed') throw new Error(`${task.name}: ${r.state}${'error' in r ? `: ${r.error.message}` : ''}`);
  return {
    benchmark,
    engine: engine.name,
    parallelism: 1,
    repetitions: r.latency.samplesCount,
    eventsPerSec: (1000 / r.latency.p50) * BATCH,
    p50Us: (r.latency.p50 * 1000) / BATCH,
    p99Us: (r.latency.p99 * 1000) / BATCH,
    rssMB: rssMB(),
    // Of the records this codec's encoding of the batch decodes back to (encode and decode rows alike).
    outputRows: engine.decodeAll().length,
    outputChecksum: checksumOf(engine.decodeAll()),
    bytesPerRecord: engine.bytesPerRecord,
    codec: engine.codec,
  };
}

async function main(): Promise<void> {
  const target = parseJsonArg(process.argv.slice(2));
  const timing = benchTiming(process.argv.slice(2));
  const bids = makeBids(BATCH, SEED);
  const engines = [
    typedEngine(bids, true),
    typedEngine(bids, false),
    genericEngine(bids),
    msgpackrEngine('sluice.msgpackr', 'msgpackr, plain maps (not a sluice codec)', bids, {}),
    msgpackrEngine('sluice.msgpackr-records', "msgpackr with sequential records (sluice's generic codec's settings, without moreTypes)", bids, { useRecords: true, sequential: true }),
    jsonEngine(bids),
  ];
  for (const e of engines) {
    if (!sameBids(e.decodeAll(), bids)) throw new Error(`${e.name}: decoded bids differ from the input`);
  }

  const results: BenchResult[] = [];
  let sink = 0; // keeps the measured work observable
  for (const [benchmark, op] of [['codec.bid.encode', 'encode'], ['codec.bid.decode', 'decode']] as const) {
    const bench = new Bench({ name: benchmark, ...timing, throws: true });
    for (const e of engines) {
      bench.add(e.name, op === 'encode' ? () => { sink += e.encodeBatch(bids); } : () => { sink += e.decodeBatch(); });
    }
    await bench.run();
    bench.tasks.forEach((task, i) => results.push(row(task, benchmark, engines[i]!)));
  }
  if (Number.isNaN(sink)) process.stderr.write('unreachable\n');
  emitReport(results, target);
}

await main();
