// Runs on: the benchmark's main thread. Cross-thread transport: Bid records/s from one worker to another through
// the ring (typed and generic codecs) and through postMessage (one per message, and batched), plus ping-pong
// round-trip latency. Engines are interleaved within each repetition; figures are medians.
//
//   npm run bench:transport -- [--reps 5] [--quick] [--json [PATH]]

import os from 'node:os';
import { Worker, MessageChannel } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import * as hdr from 'hdr-histogram-js';
import { Ring } from '../shm/ring.js';
import { emitReport, median, parseJsonArg, rssMB, type BenchResult } from './report.js';
import type { PingEngine, TransportEngine, TransportJob } from './transport-worker.js';

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const repsArg = argv.indexOf('--reps');
const reps = repsArg >= 0 ? Number(argv[repsArg + 1]) : quick ? 3 : 5;
const entry = new URL('../workers/ts-entry.mjs', import.meta.url);
const workerUrl = new URL('./transport-worker.ts', import.meta.url).href;
const scale = quick ? 0.2 : 1;

/** Records per run: about half a second of work each on this machine. */
const COUNTS: Record<TransportEngine, number> = {
  'ring-typed': Math.round(4_000_000 * scale),
  'ring-generic': Math.round(1_500_000 * scale),
  postMessage: Math.round(300_000 * scale),
  'postMessage-batched': Math.round(1_000_000 * scale),
};
const PINGS = Math.round(20_000 * scale);
const RING_BYTES = 1 << 20;

interface Ready { ready: true }
interface Done<R> { done: R }

function start<R>(data: TransportJob, transfer: MessagePort[] = []): { ready: Promise<void>; done: Promise<R>; worker: Worker } {
  const worker = new Worker(entry, { workerData: { ...data, __entry: workerUrl }, transferList: transfer });
  let readyResolve!: () => void;
  const ready = new Promise<void>((r) => { readyResolve = r; });
  const done = new Promise<R>((resolve, reject) => {
    worker.on('message', (m: Ready | Done<R>) => { if ('ready' in m) readyResolve(); else resolve(m.done); });
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`transport worker exited with ${code}`)));
  });
  return { ready, done, worker };
}

/** Starts both ends, waits until both are parked on the start flag, then times from the start to the end. */
async function timed<A, B>(a: ReturnType<typeof start<A>>, b: ReturnType<typeof start<B>>, go: Int32Array): Promise<{ ms: number; a: A; b: B }> {
  await Promise.all([a.ready, b.ready]);
  const t0 = performance.now();
  Atomics.store(go, 0, 1);
  Atomics.notify(go, 0);
  const [ra, rb] = await Promise.all([a.done, b.done]);
  const ms = performance.now() - t0;
  await Promise.all([a.worker.terminate(), b.worker.terminate()]);
  return { ms, a: ra, b: rb };
}

async function bidRun(engine: TransportEngine): Promise<{ perSec: number; checksum: number; expected: number; received: number }> {
  const go = new SharedArrayBuffer(4);
  const count = COUNTS[engine];
  let p: ReturnType<typeof start<{ expectedChecksum: number }>>;
  let c: ReturnType<typeof start<{ checksum: number; received: number }>>;
  if (engine.startsWith('ring')) {
    const ring = Ring.create(RING_BYTES).buffer;
    c = start({ kind: 'bid', role: 'consumer', engine, count, ring, go });
    p = start({ kind: 'bid', role: 'producer', engine, count, ring, go });
  } else {
    const { port1, port2 } = new MessageChannel();
    c = start({ kind: 'bid', role: 'consumer', engine, count, port: port2, go }, [port2]);
    p = start({ kind: 'bid', role: 'producer', engine, count, port: port1, go }, [port1]);
  }
  const r = await timed(p, c, new Int32Array(go));
  return { perSec: count / (r.ms / 1000), checksum: r.b.checksum, expected: r.a.expectedChecksum, received: r.b.received };
}

interface PingResult { rttsUs: number[]; checksum: number; expectedChecksum: number; received: number }

async function pingRun(engine: PingEngine): Promise<PingResult> {
  const go = new SharedArrayBuffer(4);
  let a: ReturnType<typeof start<PingResult>>;
  let b: ReturnType<typeof start<object>>;
  if (engine === 'postMessage') {
    const { port1, port2 } = new MessageChannel();
    b = start({ kind: 'ping', role: 'ponger', engine, count: PINGS, port: port2, go }, [port2]);
    a = start({ kind: 'ping', role: 'pinger', engine, count: PINGS, port: port1, go }, [port1]);
  } else {
    const there = Ring.create(4096).buffer;
    const back = Ring.create(4096).buffer;
    b = start({ kind: 'ping', role: 'ponger', engine, count: PINGS, there, back, go });
    a = start({ kind: 'ping', role: 'pinger', engine, count: PINGS, there, back, go });
  }
  return (await timed(a, b, new Int32Array(go))).a;
}

function percentile(samplesUs: number[], p: number): number {
  const h = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
  // Nanosecond resolution: round trips are a few microseconds.
  for (const us of samplesUs) h.recordValue(Math.max(1, Math.round(us * 1000)));
  const v = h.getValueAtPercentile(p) / 1000;
  h.destroy();
  return v;
}

async function main(): Promise<void> {
  const bidEngines: TransportEngine[] = ['ring-typed', 'ring-generic', 'postMessage', 'postMessage-batched'];
  const pingEngines: PingEngine[] = ['ring-spin', 'ring-park', 'postMessage'];
  const rates = new Map<TransportEngine, number[]>(bidEngines.map((e) => [e, []]));
  const sums = new Map<TransportEngine, { checksum: number; expected: number; received: number }>();
  const p50 = new Map<PingEngine, number[]>(pingEngines.map((e) => [e, []]));
  const p99 = new Map<PingEngine, number[]>(pingEngines.map((e) => [e, []]));
  const pingSums = new Map<PingEngine, { checksum: number; expected: number; received: number }>();
  const rss: number[] = [];
  // The machine is shared: the 1-minute load average before and after says how noisy the run was.
  const loadBefore = os.loadavg()[0]!;
  for (let rep = 0; rep < reps; rep++) {
    for (const e of bidEngines) {
      const r = await bidRun(e);
      rates.get(e)!.push(r.perSec);
      // A mismatch in any repetition must show: keep the first bad one, else the last.
      const prev = sums.get(e);
      if (!prev || prev.checksum === prev.expected) sums.set(e, r);
      process.stderr.write(`rep ${rep + 1}/${reps} transport.bid ${e}: ${Math.round(r.perSec).toLocaleString('en-US')}/s\n`);
    }
    for (const e of pingEngines) {
      const ping = await pingRun(e);
      const rtts = ping.rttsUs;
      const prev = pingSums.get(e);
      if (!prev || prev.checksum === prev.expected) pingSums.set(e, { checksum: ping.checksum, expected: ping.expectedChecksum, received: ping.received });
      p50.get(e)!.push(percentile(rtts, 50));
      p99.get(e)!.push(percentile(rtts, 99));
      process.stderr.write(`rep ${rep + 1}/${reps} transport.pingpong ${e}: p50 ${percentile(rtts, 50).toFixed(1)} µs\n`);
    }
    rss.push(rssMB());
  }
  const batched = median(rates.get('postMessage-batched')!);
  const loadAvg1 = [loadBefore, os.loadavg()[0]!].map((x) => Math.round(x * 100) / 100);
  const results: BenchResult[] = [];
  for (const e of bidEngines) {
    const s = sums.get(e)!;
    const perSec = median(rates.get(e)!);
    results.push({
      benchmark: 'transport.bid', engine: e, parallelism: 2, repetitions: reps, eventsPerSec: Math.round(perSec),
      p50Us: null, p99Us: null, rssMB: Math.max(...rss), outputRows: null, outputChecksum: null, bytesPerRecord: null,
      // Each engine sends its own count (about half a second of work): not the same job, so no outputRows; the
      // receiver's checksum against the producer's is the check.
      recordsReceived: s.received, checksum: s.checksum, expectedChecksum: s.expected, vsPostMessageBatched: Math.round((perSec / batched) * 100) / 100,
      eventsPerSecByRep: rates.get(e)!.map(Math.round), loadAvg1,
    } as BenchResult);
  }
  for (const e of pingEngines) {
    const s = pingSums.get(e)!;
    results.push({
      benchmark: 'transport.pingpong', engine: e, parallelism: 2, repetitions: reps, eventsPerSec: null as unknown as number,
      p50Us: Math.round(median(p50.get(e)!) * 10) / 10, p99Us: Math.round(median(p99.get(e)!) * 10) / 10,
      rssMB: Math.max(...rss), outputRows: null, outputChecksum: null, bytesPerRecord: null, roundTrip: true, pingsReceived: s.received,
      // Folded by the pinger over every field of every ping that came back, and over what it sent.
      checksum: s.checksum, expectedChecksum: s.expected,
    } as BenchResult);
  }
  emitReport(results, parseJsonArg(argv));
  const bad = [
    ...bidEngines.filter((e) => sums.get(e)!.checksum !== sums.get(e)!.expected).map((e) => `transport.bid ${e}`),
    ...pingEngines.filter((e) => pingSums.get(e)!.checksum !== pingSums.get(e)!.expected).map((e) => `transport.pingpong ${e}`),
  ];
  if (bad.length > 0) {
    process.stderr.write(`checksum mismatch: ${bad.join(', ')}\n`);
    process.exitCode = 1;
  }
}

await main();
