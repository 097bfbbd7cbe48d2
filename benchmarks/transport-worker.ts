// Runs on: a worker thread started by benchmarks/transport.ts. One end of a cross-thread transport run.

import { parentPort, workerData } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import { Ring, RingConsumer, RingProducer } from '../shm/ring.js';
import { ChannelReader, ChannelWriter, END, RECORD } from '../shm/channel.js';
import { typedCodec } from '../shm/codec/typed.js';
import { genericCodec } from '../shm/codec/generic.js';
import type { RecordCodec } from '../shm/codec/codec.js';
import { bidSchema, makeBids, type Bid } from './bid.js';
import { foldBid, foldPing } from './fold.js';

export type TransportEngine = 'ring-typed' | 'ring-generic' | 'postMessage' | 'postMessage-batched';
export type PingEngine = 'ring-spin' | 'ring-park' | 'postMessage';

export type TransportJob =
  | { kind: 'bid'; role: 'producer' | 'consumer'; engine: TransportEngine; count: number; ring?: SharedArrayBuffer; port?: MessagePort; go: SharedArrayBuffer }
  | { kind: 'ping'; role: 'pinger' | 'ponger'; engine: PingEngine; count: number; there?: SharedArrayBuffer; back?: SharedArrayBuffer; port?: MessagePort; go: SharedArrayBuffer };

const job = workerData as TransportJob;
const go = new Int32Array(job.go);
const BATCH = 1024;
/** Records per batch frame for ring-generic: the runtime's default recordBatch. */
const RECORD_BATCH = 32;

/** Parks until the main thread starts the clock, so thread start-up is not measured. */
function awaitGo(): void {
  parentPort!.postMessage({ ready: true });
  Atomics.wait(go, 0, 0);
}

function codecFor(engine: TransportEngine): RecordCodec<Bid> {
  return engine === 'ring-typed' ? typedCodec(bidSchema) : genericCodec<Bid>();
}

async function bid(j: Extract<TransportJob, { kind: 'bid' }>): Promise<unknown> {
  const bids = makeBids(BATCH, 7);
  if (j.role === 'producer') {
    awaitGo();
    let h = 0;
    if (j.engine === 'ring-typed') {
      const w = new ChannelWriter(new RingProducer(Ring.attach(j.ring!)), codecFor(j.engine).encoder());
      for (let i = 0; i < j.count; i++) {
        const b = bids[i & (BATCH - 1)]!;
        h = foldBid(h, b);
        w.write(b);
      }
      w.close();
    } else if (j.engine === 'ring-generic') {
      // As the runtime sends generic records: batch frames of RECORD_BATCH records, one msgpackr call each.
      const w = new ChannelWriter(new RingProducer(Ring.attach(j.ring!)), codecFor(j.engine).encoder(), { batches: true });
      let batch: Bid[] = [];
      for (let i = 0; i < j.count; i++) {
        const b = bids[i & (BATCH - 1)]!;
        h = foldBid(h, b);
        batch.push(b);
        if (batch.length === RECORD_BATCH) { w.writeBatch(batch); batch = []; }
      }
      if (batch.length > 0) w.writeBatch(batch);
      w.close();
    } else if (j.engine === 'postMessage') {
      for (let i = 0; i < j.count; i++) {
        const b = bids[i & (BATCH - 1)]!;
        h = foldBid(h, b);
        j.port!.postMessage(b);
      }
      j.port!.postMessage(null);
    } else {
      for (let i = 0; i < j.count; i += BATCH) {
        const n = Math.min(BATCH, j.count - i);
        for (let k = 0; k < n; k++) h = foldBid(h, bids[k]!);
        j.port!.postMessage(n === BATCH ? bids : bids.slice(0, n));
      }
      j.port!.postMessage(null);
    }
    return { expectedChecksum: h };
  }
  // Consumer: reads every field of every bid into the checksum.
  let h = 0;
  let n = 0;
  if (j.engine === 'ring-typed' || j.engine === 'ring-generic') {
    const r = new ChannelReader(new RingConsumer(Ring.attach(j.ring!)), codecFor(j.engine).decoder(), { batches: j.engine === 'ring-generic' });
    awaitGo();
    for (;;) {
      const res = r.take();
      if (res === END) break;
      if (res === RECORD) { h = foldBid(h, r.record!); n++; }
    }
    return { checksum: h, received: n };
  }
  const port = j.port!;
  awaitGo();
  return new Promise((resolve) => {
    port.on('message', (m: Bid | Bid[] | null) => {
      if (m === null) { port.close(); resolve({ checksum: h, received: n }); return; }
      if (Array.isArray(m)) { for (const b of m) { h = foldBid(h, b); n++; } } else { h = foldBid(h, m); n++; }
    });
  });
}

interface Ping { seq: number; sentAt: number }
const pingCodec = (): RecordCodec<Ping> => ({
  kind: 'typed', fingerprint: 'bench/ping',
  encoder: () => ({ size: () => 12, write: (v, _b, view, o) => { view.setUint32(o, v.seq, true); view.setFloat64(o + 4, v.sentAt, true); } }),
  decoder: () => ({ read: (_b, view, o) => ({ seq: view.getUint32(o, true), sentAt: view.getFloat64(o + 4, true) }) }),
});

async function ping(j: Extract<TransportJob, { kind: 'ping' }>): Promise<unknown> {
  if (j.engine === 'postMessage') {
    const port = j.port!;
    if (j.role === 'ponger') {
      awaitGo();
      return new Promise((resolve) => port.on('message', (m: Ping | null) => {
        if (m === null) { port.close(); resolve({}); } else port.postMessage(m);
      }));
    }
    awaitGo();
    const rtts = new Float64Array(j.count);
    // The pinger folds what it sent (expectedChecksum) and every field of what came back (checksum), each after
    // the round trip's clock is read.
    let checksum = 0;
    let expectedChecksum = 0;
    return new Promise((resolve) => {
      let i = 0;
      let sent: Ping = { seq: 0, sentAt: performance.now() };
      port.on('message', (m: Ping) => {
        rtts[i++] = performance.now() - m.sentAt;
        checksum = foldPing(checksum, m);
        expectedChecksum = foldPing(expectedChecksum, sent);
        if (i === j.count) { port.postMessage(null); port.close(); resolve({ rttsUs: Array.from(rtts, (x) => x * 1000), checksum, expectedChecksum, received: i }); }
        else { sent = { seq: i, sentAt: performance.now() }; port.postMessage(sent); }
      });
      port.postMessage(sent);
    });
  }
  // Ring ping-pong: no batching, so every record is published at once; spinning on or off.
  const wait = { spin: j.engine === 'ring-spin' ? 100_000 : 0 };
  const codec = pingCodec();
  const mine = j.role === 'pinger' ? j.there! : j.back!;
  const theirs = j.role === 'pinger' ? j.back! : j.there!;
  const out = new ChannelWriter(new RingProducer(Ring.attach(mine), undefined, { batching: false }), codec.encoder(), { wait });
  const inp = new ChannelReader(new RingConsumer(Ring.attach(theirs), undefined, { batching: false }), codec.decoder(), { wait });
  awaitGo();
  if (j.role === 'ponger') {
    for (;;) {
      if (inp.take() === END) break;
      out.write(inp.record!);
    }
    out.close();
    return {};
  }
  const rtts: number[] = [];
  let checksum = 0;
  let expectedChecksum = 0;
  let received = 0;
  for (let i = 0; i < j.count; i++) {
    const sent = { seq: i, sentAt: performance.now() };
    out.write(sent);
    if (inp.take() === END) break;
    const got = inp.record!;
    rtts.push((performance.now() - got.sentAt) * 1000);
    // Folded after the clock is read: what came back (every field) and what was sent.
    checksum = foldPing(checksum, got);
    expectedChecksum = foldPing(expectedChecksum, sent);
    received++;
  }
  out.close();
  return { rttsUs: rtts, checksum, expectedChecksum, received };
}

const result = await (job.kind === 'bid' ? bid(job) : ping(job));
parentPort!.postMessage({ done: result });
