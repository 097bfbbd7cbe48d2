// Runs on: the benchmark's main thread, and (the same module, started through workers/ts-entry.mjs) each worker
// thread of a hand-written run. Whole jobs on sluice against hand-written loops doing the same work:
//
//   job.chained       generator → map → filter → sink          (stateless; one chained task per subtask)
//   job.keyed         generator → keyBy → reduce (sum) → sink   (a hash exchange through the rings)
//   window.tumbling   Bid generator → timestamps → keyBy(auction) → 10 s tumbling max price → sink
//   window.sliding    Bid generator → timestamps → keyBy(auction) → 10 s / 2 s sliding count → sink
//
// Engines: sluice at parallelism 1 and 2; `handwritten`, one plain loop on one thread; `handwritten-x2` (job.*
// only), the same loop on two threads over the two halves of the input (i even / i odd) with no communication:
// what two cores can give at all. The window baselines (benchmarks/window-loops.ts) keep window state in Maps
// and close windows as a watermark passes. Every engine builds record i with the same function and PRNG (benchmarks/job-generator.ts),
// and every engine folds the same order-independent checksum over its outputs, so rows can be checked to agree.
// Engines are interleaved within each repetition (order rotated per repetition); figures are medians.
//
//   npm run bench:jobs -- [--json [PATH]] [--quick] [--reps N] [--only chained,keyed,tumbling,sliding]

import { Console } from 'node:console';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { run } from '../core/index.js';
import { SplitRandom } from '../core/connectors/generator.js';
import { emitReport, median, parseJsonArg, withRssPeak, type BenchResult } from './report.js';
import {
  addTotals, benchParams, buildEvent, chainedFilter, chainedHash, chainedMap, COUNT_ENV, epochMs, eventKey, hex32,
  keyedHash, SEED_ENV, sumReduce, type ChecksumSinkResult, type Event, type SinkTotals,
} from './job-generator.js';
import { slidingLoop, tumblingLoop } from './window-loops.js';

type JobName = 'chained' | 'keyed' | 'tumbling' | 'sliding';
type Engine = 'sluice-1' | 'sluice-2' | 'handwritten' | 'handwritten-x2';

interface HandJob { job: JobName; start: number; step: number; go: SharedArrayBuffer }

// ---------------------------------------------------------------- hand-written loops (any thread)

/** job.chained by hand: records i = start, start + step, ... < count. */
function chainedLoop(count: number, seed: number, start: number, step: number): SinkTotals {
  const r = new SplitRandom();
  let rows = 0;
  let checksum = 0;
  for (let i = start; i < count; i += step) {
    const m = chainedMap(buildEvent(i, r.reset(seed, i)));
    if (chainedFilter(m)) {
      rows++;
      checksum = (checksum + chainedHash(m)) | 0;
    }
  }
  return { rows, checksum };
}

/** job.keyed by hand: state in a Map, one update emitted (folded) per record, as the reduce operator does. */
function keyedLoop(count: number, seed: number, start: number, step: number): SinkTotals {
  const r = new SplitRandom();
  const state = new Map<string, Event>();
  let rows = 0;
  let checksum = 0;
  for (let i = start; i < count; i += step) {
    const e = buildEvent(i, r.reset(seed, i));
    const k = eventKey(e);
    const prev = state.get(k);
    const acc = prev === undefined ? e : sumReduce(prev, e);
    state.set(k, acc);
    rows++;
    checksum = (checksum + keyedHash(acc)) | 0;
  }
  return { rows, checksum };
}

/** Worker side of a hand-written run: load, report ready, park until the clock starts, run the loop. */
function handWorker(): void {
  const j = workerData as HandJob;
  // Count and seed from the inherited environment, exactly as the sluice job modules read them.
  const { count, seed } = benchParams();
  const go = new Int32Array(j.go);
  parentPort!.postMessage({ ready: true });
  Atomics.wait(go, 0, 0);
  const loops: Record<JobName, typeof chainedLoop> = { chained: chainedLoop, keyed: keyedLoop, tumbling: tumblingLoop, sliding: slidingLoop };
  const totals = loops[j.job](count, seed, j.start, j.step);
  parentPort!.postMessage({ done: totals });
}

// ---------------------------------------------------------------- main thread

interface RunSample {
  ms: number;
  /** Thread start-up: sluice, run() call → first record at a sink; hand-written, new Worker → loaded. */
  startupMs: number;
  rssPeakMB: number;
  totals: SinkTotals;
  threads: number;
}

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const repsArg = argv.indexOf('--reps');
const reps = repsArg >= 0 ? Number(argv[repsArg + 1]) : 5;
const entry = new URL('../workers/ts-entry.mjs', import.meta.url);
const selfUrl = import.meta.url;
const SEED = 42;
/**
 * Events per run: ~1.3-1.8 s at the fastest engine (handwritten-x2: ~15 M events/s chained, ~1.1 M events/s
 * keyed, a 100 000-key Map) on the 2-core EPYC VM this was written on. --quick is a smoke run: its runs are
 * so short that sluice's thread start-up dominates them.
 */
const COUNTS: Record<JobName, number> = quick
  ? { chained: 2_000_000, keyed: 300_000, tumbling: 300_000, sliding: 300_000 }
  : { chained: 20_000_000, keyed: 2_000_000, tumbling: 2_000_000, sliding: 2_000_000 };
const JOB_URL: Record<JobName, URL> = {
  chained: new URL('./jobs/chained.ts', import.meta.url),
  keyed: new URL('./jobs/keyed.ts', import.meta.url),
  tumbling: new URL('./jobs/window-tumbling.ts', import.meta.url),
  sliding: new URL('./jobs/window-sliding.ts', import.meta.url),
};
const BENCHMARK: Record<JobName, string> = { chained: 'job.chained', keyed: 'job.keyed', tumbling: 'window.tumbling', sliding: 'window.sliding' };

function setParams(count: number): void {
  // Before run(): piscina creates its workers in run(), and a worker copies process.env when it is created.
  process.env[COUNT_ENV] = String(count);
  process.env[SEED_ENV] = String(SEED);
}

/** Jobs whose first output comes only when a window closes: their start-up is measured by a 1-record probe run. */
const WINDOWED: ReadonlySet<JobName> = new Set(['tumbling', 'sliding']);

async function sluiceOnce(job: JobName, parallelism: number, count: number): Promise<Omit<RunSample, 'rssPeakMB'>> {
  setParams(count);
  const calledAt = epochMs();
  const t0 = performance.now();
  const handle = await run(JOB_URL[job], { parallelism });
  const result = await handle.result;
  const ms = performance.now() - t0;
  const parts = (result.collected.out ?? []) as ChecksumSinkResult[];
  // No record at any sink (count 0): no start-up figure.
  const firstAt = Math.min(...parts.map((p) => p.firstAt).filter((x) => Number.isFinite(x)));
  return { ms, startupMs: Number.isFinite(firstAt) ? firstAt - calledAt : Number.NaN, totals: addTotals(parts), threads: handle.plan.threads };
}

async function sluiceRun(job: JobName, parallelism: number): Promise<RunSample> {
  // A windowed job's first result leaves when its first window closes, well into the run: its start-up (thread
  // start, module loading, graph build) is taken from a run of the same job over one record, just before.
  const probe = WINDOWED.has(job) ? await sluiceOnce(job, parallelism, 1) : undefined;
  const { value, peakMB } = await withRssPeak(() => sluiceOnce(job, parallelism, COUNTS[job]));
  return { ...value, startupMs: probe?.startupMs ?? value.startupMs, rssPeakMB: peakMB };
}

async function handRun(job: JobName, threads: number): Promise<RunSample> {
  setParams(COUNTS[job]);
  const go = new SharedArrayBuffer(4);
  const { value, peakMB } = await withRssPeak(async () => {
    const created = performance.now();
    const workers = Array.from({ length: threads }, (_, t) => {
      const data: HandJob & { __entry: string } = { job, start: t, step: threads, go, __entry: selfUrl };
      const worker = new Worker(entry, { workerData: data });
      let onReady!: () => void;
      const ready = new Promise<void>((r) => { onReady = r; });
      const done = new Promise<SinkTotals>((resolve, reject) => {
        worker.on('message', (m: { ready: true } | { done: SinkTotals }) => { if ('ready' in m) onReady(); else resolve(m.done); });
        worker.once('error', reject);
        worker.once('exit', (code) => reject(new Error(`hand-written worker exited with ${code}`)));
      });
      return { worker, ready, done };
    });
    await Promise.all(workers.map((w) => w.ready));
    const startupMs = performance.now() - created;
    // The clock starts when every worker is loaded and parked: this is the ceiling, start-up excluded.
    const t0 = performance.now();
    Atomics.store(new Int32Array(go), 0, 1);
    Atomics.notify(new Int32Array(go), 0);
    const parts = await Promise.all(workers.map((w) => w.done));
    const ms = performance.now() - t0;
    await Promise.all(workers.map((w) => w.worker.terminate()));
    return { ms, startupMs, totals: addTotals(parts), threads };
  });
  return { ...value, rssPeakMB: peakMB };
}

function runEngine(job: JobName, engine: Engine): Promise<RunSample> {
  switch (engine) {
    case 'sluice-1': return sluiceRun(job, 1);
    case 'sluice-2': return sluiceRun(job, 2);
    case 'handwritten': return handRun(job, 1);
    case 'handwritten-x2': return handRun(job, 2);
  }
}

const ALL_ENGINES: Engine[] = ['handwritten', 'handwritten-x2', 'sluice-1', 'sluice-2'];
/** A window's hand-written loop cannot be split by record index over two threads (a key's bids would be too). */
const ENGINES: Record<JobName, Engine[]> = {
  chained: ALL_ENGINES, keyed: ALL_ENGINES, tumbling: ['handwritten', 'sluice-1', 'sluice-2'], sliding: ['handwritten', 'sluice-1', 'sluice-2'],
};
const onlyArg = argv.indexOf('--only');
const JOBS: JobName[] = onlyArg >= 0
  ? argv[onlyArg + 1]!.split(',').map((j) => { if (!(j in JOB_URL)) throw new Error(`--only: unknown job '${j}' (chained, keyed, tumbling, sliding)`); return j as JobName; })
  : ['chained', 'keyed', 'tumbling', 'sliding'];

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

async function main(): Promise<void> {
  if (!Number.isInteger(reps) || reps < 1) throw new Error(`--reps must be a positive integer, got ${argv[repsArg + 1]}`);
  const samples = new Map<string, RunSample[]>();
  for (let rep = 0; rep < reps; rep++) {
    for (const job of JOBS) {
      // Rotate the engine order each repetition so no engine always runs first (cold caches) or last.
      const engines = ENGINES[job];
      const order = engines.map((_, k) => engines[(k + rep) % engines.length]!);
      for (const engine of order) {
        const s = await runEngine(job, engine);
        const key = `${job}/${engine}`;
        if (!samples.has(key)) samples.set(key, []);
        samples.get(key)!.push(s);
        process.stderr.write(`rep ${rep + 1}/${reps} ${BENCHMARK[job]} ${engine}: ${fmt(COUNTS[job] / (s.ms / 1000))} events/s, `
          + `${s.ms.toFixed(0)} ms, start-up ${s.startupMs.toFixed(0)} ms, ${s.totals.rows} rows, checksum ${hex32(s.totals.checksum)}\n`);
      }
    }
  }

  const results: BenchResult[] = [];
  const rate = new Map<string, number>();
  let mismatch = false;
  for (const job of JOBS) {
    const ref = samples.get(`${job}/handwritten`)![0]!.totals;
    for (const engine of ENGINES[job]) {
      const ss = samples.get(`${job}/${engine}`)!;
      const sluice = engine.startsWith('sluice');
      // Every engine's clock runs from its threads being up to the end: the hand-written loops start timing
      // once their workers are loaded, and sluice's rate excludes its start-up (run() to the first record at a
      // sink: thread start, module loading, graph build) the same way. With start-up: eventsPerSecWithStartup.
      const perSec = COUNTS[job] / (median(ss.map((s) => (sluice ? s.ms - s.startupMs : s.ms))) / 1000);
      rate.set(`${job}/${engine}`, perSec);
      // Every repetition must agree with the reference: keep the first disagreeing one, to show it.
      const bad = ss.find((s) => s.totals.rows !== ref.rows || s.totals.checksum !== ref.checksum);
      if (bad) mismatch = true;
      const out = bad?.totals ?? ss[0]!.totals;
      results.push({
        benchmark: BENCHMARK[job],
        engine: sluice ? 'sluice' : engine,
        parallelism: sluice ? Number(engine.slice('sluice-'.length)) : engine === 'handwritten' ? 1 : 2,
        repetitions: ss.length,
        eventsPerSec: Math.round(perSec),
        p50Us: null,
        p99Us: null,
        rssMB: Math.round(median(ss.map((s) => s.rssPeakMB)) * 10) / 10,
        outputRows: out.rows,
        outputChecksum: hex32(out.checksum),
        bytesPerRecord: null,
        // eventsPerSec / handwritten eventsPerSec of the same job (handwritten itself: 1).
        ratio: Math.round((perSec / rate.get(`${job}/handwritten`)!) * 1000) / 1000,
        events: COUNTS[job],
        medianMs: Math.round(median(ss.map((s) => s.ms))),
        // sluice: run() call → first record at a sink, inside medianMs (windowed jobs: in a 1-record run of the
        // same job just before); hand-written: worker load, outside it.
        startupMs: Math.round(median(ss.map((s) => s.startupMs))),
        // sluice: events / whole run time, start-up included.
        eventsPerSecWithStartup: sluice ? Math.round(COUNTS[job] / (median(ss.map((s) => s.ms)) / 1000)) : null,
        threads: ss[0]!.threads,
      });
    }
  }
  emitReport(results, parseJsonArg(argv));
  // The shared table has no parallelism, ratio or output columns: a second one with them.
  // stdout is reserved for the JSON report.
  const err = new Console({ stdout: process.stderr, stderr: process.stderr });
  err.log(`${reps} repetitions, medians; ratio = events/s over handwritten's; rates exclude thread start-up for every engine (sluice's median ms includes it)`);
  err.table(results.map((x) => ({
    benchmark: x.benchmark, engine: x.engine, p: x.parallelism, 'events/s': fmt(x.eventsPerSec!), ratio: x.ratio,
    'median ms': x.medianMs, 'start-up ms': x.startupMs, rows: x.outputRows, checksum: x.outputChecksum,
  })));

  const r = (job: JobName, e: Engine): number => rate.get(`${job}/${e}`)!;
  const bar = (ok: boolean, text: string): void => { process.stderr.write(`${ok ? 'PASS' : 'FAIL'} ${text}\n`); };
  if (JOBS.includes('chained')) {
    const scaleHand = r('chained', 'handwritten-x2') / r('chained', 'handwritten');
    const scaleSluice = r('chained', 'sluice-2') / r('chained', 'sluice-1');
    bar(scaleSluice >= 0.85 * scaleHand, `job.chained sluice p2/p1 = ${scaleSluice.toFixed(2)} >= 0.85 x (handwritten-x2/handwritten = ${scaleHand.toFixed(2)}) = ${(0.85 * scaleHand).toFixed(2)}`);
    const c2 = r('chained', 'sluice-2') / r('chained', 'handwritten');
    bar(c2 >= 1.1, `job.chained sluice p2 / handwritten = ${c2.toFixed(2)} >= 1.10`);
    const c1 = r('chained', 'sluice-1') / r('chained', 'handwritten');
    bar(c1 >= 0.5, `job.chained sluice p1 / handwritten = ${c1.toFixed(2)} >= 0.50`);
  }
  if (JOBS.includes('keyed')) {
    const k2 = r('keyed', 'sluice-2') / r('keyed', 'handwritten');
    bar(k2 >= 0.6, `job.keyed sluice p2 / handwritten = ${k2.toFixed(2)} >= 0.60`);
  }
  for (const job of (['tumbling', 'sliding'] as const).filter((j) => JOBS.includes(j))) {
    const w2 = r(job, 'sluice-2') / r(job, 'handwritten');
    bar(w2 >= 0.5, `${BENCHMARK[job]} sluice p2 / handwritten = ${w2.toFixed(2)} >= 0.50`);
  }
  if (quick) process.stderr.write('(--quick: short runs, sluice start-up dominates; the verdicts above are not meaningful)\n');
  if (mismatch) {
    process.stderr.write('output mismatch: some engine disagrees with handwritten on outputRows/outputChecksum\n');
    process.exitCode = 1;
  }
}

if (isMainThread) await main();
else handWorker();
