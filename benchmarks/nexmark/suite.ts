// Runs on: the benchmark's main thread. The Nexmark suite (issue 6): every query on sluice (parallelism 1 and 2,
// and 2 with a checkpoint every second) and on the three same-run baselines (hand-written loop, RxJS, Node
// streams), then end-to-end latency of q1 and q7 on sluice at half of this run's parallelism-2 throughput, and
// q1's on plain worker threads with no engine at the same load (latency-handwritten.ts): the machine's floor.
//
//   npm run bench -- [--json [PATH]] [--queries q0,q1,...|all] [--events N] [--reps N] [--latency-seconds S]
//     [--latency-rate EVENTS_PER_SEC] [--no-latency] [--cold-threads|--warm-threads]
//   npm run bench:full -- (the same options)
//
// Throughput: each query runs its repetitions in a row, each on every engine, the engine order rotated per
// repetition; a figure is the median over repetitions. Every engine row of a query is measured under the same
// conditions, one of two (the rows' `threadStart` and `warmupRuns` fields say which):
// - warm (the full mode's default, --warm-threads): before its measured repetitions, every engine runs the query
//   once unmeasured (sluice's one-event run too, where it has one), and sluice's runs keep their threads
//   (RunOptions.threadCache) so every measured sluice run takes threads that already ran the job (no thread
//   start-up, code compiled), as the baselines run on warm in this process. `threadStart: 'kept'`, `warmupRuns: 1`.
// - cold (the quick mode's default, --cold-threads): no warm-up, and every sluice run starts its own threads.
//   `threadStart: 'fresh'`, `warmupRuns: 0`. Cheaper than warm-ups where one repetition is all there is.
// (Kept threads without a warm-up would let `sluice.checkpoint-1s` p2, with one repetition, take the threads the
// plain `sluice` p2 run had just started, ThreadCache keys being equal, and look 2x faster than it.)
// Every run of a query must report the same outputRows and outputChecksum on every engine, or the suite says so
// loudly and exits 1.
// rssMB is the whole process's peak during a run (`rssScope: 'process'`), not the engine's own footprint: every
// engine runs in this process (the baselines on its main thread, sluice on worker threads beside it), so it holds
// what earlier runs left on the heap too, and a baseline's grows as the suite goes on (157 -> 213 MB seen). With
// --warm-threads it also holds the idle sluice threads the query keeps (`rssWithKeptThreads`). Compare it between
// rows of one run with care; the tables say so.
// A sluice run's time is runSluiceQuery's: from the run() call to the result, thread start-up included when it
// starts threads. The full mode also runs each sluice job over a single event just before the measured run: that
// time is the fixed cost of a job (threads, module loading, graph, teardown), and `eventsPerSecWithoutStartup` is
// the rate with it taken out, the steady-state figure (the quick mode does so only for the parallelism-2 runs of
// q1 and q7, whose steady-state rate the latency runs need).
// Latency (latency.ts) is offered half of sluice's parallelism-2 rate of the same query in this run (the
// steady-state one where measured): the maximum it showed it can take; --latency-rate offers a fixed rate
// instead. Right after sluice's q1 latency run, the hand-written one runs at the same rate, parallelism and length
// (engine `handwritten`): its p99 is what this machine gives two busy threads at that load without sluice, so a
// reader can tell the VM's stalls from the engine's. The bar stays on sluice's row; the floor is printed beside it.

import { Console } from 'node:console';
import os from 'node:os';
import { pathToFileURL } from 'node:url';
import { ThreadCache } from '../../core/index.js';
import { hex32 } from '../job-generator.js';
import { emitReport, median, parseJsonArg, withRssPeak, type BenchResult } from '../report.js';
import { BASELINE_ENGINES, runBaseline, type BaselineEngine } from './baselines.js';
import { nexmarkConfig, type NexmarkConfig } from './config.js';
import { runHandwrittenLatency } from './latency-handwritten.js';
import { latencyRow, runLatency, type LatencyRun } from './latency.js';
import { LATENCY_QUERIES } from './latency-params.js';
import { isQueryName, QUERY_NAMES, type QueryName } from './queries.js';
import { runSluiceQuery, type SluiceRunOptions } from './sluice.js';

/** What the tables' rss column is, said under them. */
const RSS_NOTE = 'process rss MB: the whole process\'s peak RSS during the run (every engine runs in this process: what earlier runs left on the heap is in it, so a baseline\'s grows run to run), not the engine\'s own footprint';

interface Mode {
  name: 'quick' | 'full';
  /** Events per throughput run. */
  events: number;
  reps: number;
  /** Length of each latency run's schedule, s. */
  latencySeconds: number;
  warmupMs: number;
  /** Whether warm-ups and kept threads are the default (see the header); --cold-threads / --warm-threads override. */
  warmThreads: boolean;
  /**
   * Whether every sluice run is preceded by a one-event run of the same job (its fixed cost). Without, only the
   * parallelism-2 runs of the latency queries are: their steady-state rate sets the latency runs' offered rate.
   */
  probeStartup: boolean;
}

/**
 * quick: a smoke run within 3 minutes on a 2-core machine; sluice's runs are short enough that thread start-up
 * weighs heavily on them. full: the figures for benchmarks/RESULTS.md.
 */
const MODES: Record<Mode['name'], Mode> = {
  quick: { name: 'quick', events: 200_000, reps: 1, latencySeconds: 5, warmupMs: 1_000, warmThreads: false, probeStartup: false },
  // 10 M events: a parallelism-2 run lasts seconds, so its figure is the engine's rate rather than its threads'
  // start-up and JIT warm-up (at 2 M events these were a third of a run: q3 0.70x RxJS then, 1.18x at 10 M).
  full: { name: 'full', events: 10_000_000, reps: 5, latencySeconds: 20, warmupMs: 2_000, warmThreads: true, probeStartup: true },
};

interface EngineSpec {
  /** Key of the engine's samples. */
  readonly key: string;
  /** The `engine` field of its rows. */
  readonly engine: string;
  readonly parallelism: number;
  readonly sluice?: SluiceRunOptions;
  readonly baseline?: BaselineEngine;
}

const ENGINES: readonly EngineSpec[] = [
  { key: 'sluice/1', engine: 'sluice', parallelism: 1, sluice: { parallelism: 1 } },
  { key: 'sluice/2', engine: 'sluice', parallelism: 2, sluice: { parallelism: 2 } },
  { key: 'sluice.checkpoint-1s/2', engine: 'sluice.checkpoint-1s', parallelism: 2, sluice: { parallelism: 2, checkpointIntervalMs: 1_000 } },
  ...BASELINE_ENGINES.map((b): EngineSpec => ({ key: b, engine: b, parallelism: 1, baseline: b })),
];

interface Sample {
  ms: number;
  rows: number;
  checksum: number;
  /** Peak RSS of the process during the run, MiB. */
  rssMB: number;
  /** Checkpoints completed (sluice runs). */
  checkpoints: number | null;
  /** Time of the same job over one event (sluice, full mode), ms. */
  fixedMs: number | null;
  /** Threads the engine ran on (sluice: its worker threads; at parallelism 1, two-input queries use two). */
  threads: number;
}

async function runEngine(e: EngineSpec, q: QueryName, config: NexmarkConfig, probe: boolean): Promise<Sample> {
  if (e.sluice !== undefined) {
    const fixed = probe ? await runSluiceQuery(q, nexmarkConfig({ ...config, events: 1 }), e.sluice) : undefined;
    const r = await runSluiceQuery(q, config, e.sluice);
    return { ms: r.ms, rows: r.rows, checksum: r.checksum, rssMB: r.rssMB, checkpoints: r.checkpoints, fixedMs: fixed?.ms ?? null, threads: r.threads };
  }
  const { value, peakMB } = await withRssPeak(() => runBaseline(q, e.baseline!, config));
  return { ms: value.ms, rows: value.rows, checksum: value.checksum, rssMB: peakMB, checkpoints: null, fixedMs: null, threads: 1 };
}

interface Options {
  mode: Mode;
  queries: QueryName[];
  events: number;
  reps: number;
  latencySeconds: number;
  /** Offered rate of every latency run, events/s; undefined: half of sluice p2's rate of the query in this run. */
  latencyRate: number | undefined;
  latency: boolean;
  /**
   * true: every engine runs each query once unmeasured first, and sluice runs keep their threads (--warm-threads,
   * the full mode's default); false: no warm-up, fresh threads for every sluice run (--cold-threads, quick's).
   */
  warmThreads: boolean;
}

function parseArgs(argv: readonly string[]): Options {
  const value = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    if (i < 0) return undefined;
    const v = argv[i + 1];
    if (v === undefined || v.startsWith('--')) throw new Error(`${flag} needs a value`);
    return v;
  };
  const positiveInt = (flag: string, fallback: number): number => {
    const v = value(flag);
    const n = v === undefined ? fallback : Number(v);
    if (!Number.isSafeInteger(n) || n < 1) throw new Error(`${flag} must be a positive integer, got ${v}`);
    return n;
  };
  if (argv.includes('--quick') && argv.includes('--full')) throw new Error('--quick and --full exclude each other');
  if (argv.includes('--cold-threads') && argv.includes('--warm-threads')) throw new Error('--cold-threads and --warm-threads exclude each other');
  const mode = MODES[argv.includes('--full') ? 'full' : 'quick'];
  const q = value('--queries') ?? 'all';
  const queries = q === 'all' ? [...QUERY_NAMES] : q.split(',');
  for (const name of queries) if (!isQueryName(name)) throw new Error(`--queries: unknown query '${name}' (one of ${QUERY_NAMES.join(', ')}, or all)`);
  const latencySeconds = Number(value('--latency-seconds') ?? mode.latencySeconds);
  if (!(latencySeconds > 0 && Number.isFinite(latencySeconds))) throw new Error(`--latency-seconds must be a number > 0, got ${value('--latency-seconds')}`);
  const latencyRate = value('--latency-rate') === undefined ? undefined : Number(value('--latency-rate'));
  if (latencyRate !== undefined && !(latencyRate > 0 && Number.isFinite(latencyRate))) throw new Error(`--latency-rate must be a number > 0, got ${value('--latency-rate')}`);
  return {
    mode,
    queries: queries as QueryName[],
    events: positiveInt('--events', mode.events),
    reps: positiveInt('--reps', mode.reps),
    latencySeconds,
    latencyRate,
    latency: !argv.includes('--no-latency'),
    warmThreads: argv.includes('--warm-threads') || (mode.warmThreads && !argv.includes('--cold-threads')),
  };
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;
const fmt = (x: number | null): string => (x === null ? '-' : Math.round(x).toLocaleString('en-US'));

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const o = parseArgs(argv);
  const err = new Console({ stdout: process.stderr, stderr: process.stderr });
  const startedAt = performance.now();
  const config = nexmarkConfig({ events: o.events });
  err.log(`nexmark suite (${o.mode.name}): ${o.queries.join(', ')}; ${fmt(o.events)} events per run, ${o.reps} repetitions`);

  // ---- throughput, interleaved
  const samples = new Map<string, Sample[]>();
  const refs = new Map<QueryName, { sample: Sample; by: string }>();
  const mismatches: string[] = [];
  for (const q of o.queries) {
    // Warm: a query's sluice runs keep their threads (p1, p2 with or without checkpoints, and the one-event runs
    // of each), ended before the next query so idle threads of earlier queries hold no memory; and every engine
    // runs the query once unmeasured first, so that no measured run is an engine's first (sluice p2 and
    // sluice.checkpoint-1s p2 share a thread pool: without the warm-up, whichever ran second took warm threads).
    const threadCache = o.warmThreads ? new ThreadCache({ maxIdlePools: 4 }) : undefined;
    const withCache = (ee: EngineSpec): EngineSpec => (ee.sluice !== undefined && threadCache !== undefined ? { ...ee, sluice: { ...ee.sluice, threadCache } } : ee);
    const probes = (e: EngineSpec): boolean => e.sluice !== undefined && (o.mode.probeStartup || (e.key === 'sluice/2' && (LATENCY_QUERIES as readonly string[]).includes(q)));
    if (o.warmThreads) {
      for (const ee of ENGINES) {
        const s = await runEngine(withCache(ee), q, config, probes(ee));
        err.log(`warm-up nexmark.${q} ${ee.engine} p${ee.parallelism}: ${Math.round(s.ms)} ms (not measured)`);
      }
    }
    for (let rep = 0; rep < o.reps; rep++) {
      // Rotate the engine order each repetition so no engine always runs first (cold) or last.
      const order = ENGINES.map((_, k) => ENGINES[(k + rep) % ENGINES.length]!);
      for (const ee of order) {
        const e = withCache(ee);
        const s = await runEngine(e, q, config, probes(e));
        const key = `${q}/${e.key}`;
        if (!samples.has(key)) samples.set(key, []);
        samples.get(key)!.push(s);
        err.log(`rep ${rep + 1}/${o.reps} nexmark.${q} ${e.engine} p${e.parallelism}: ${fmt(o.events / (s.ms / 1000))} events/s, ${Math.round(s.ms)} ms`
          + `${s.fixedMs === null ? '' : ` (one-event run ${Math.round(s.fixedMs)} ms)`}, ${s.rows} rows, checksum ${hex32(s.checksum)}`
          + `${e.sluice?.checkpointIntervalMs !== undefined ? `, ${s.checkpoints} periodic checkpoints` : ''}`);
        // Every run of a query, on every engine, must produce the same output as its first run.
        if (!refs.has(q)) refs.set(q, { sample: s, by: `${e.engine} p${e.parallelism}` });
        const ref = refs.get(q)!;
        if (s.rows !== ref.sample.rows || s.checksum !== ref.sample.checksum) {
          const m = `nexmark.${q}: ${e.engine} p${e.parallelism} (rep ${rep + 1}) output ${s.rows} rows / ${hex32(s.checksum)} != ${ref.by}'s ${ref.sample.rows} rows / ${hex32(ref.sample.checksum)}`;
          mismatches.push(m);
          err.error(`OUTPUT MISMATCH ${m}`);
        }
      }
    }
    await threadCache?.close();
  }

  const results: BenchResult[] = [];
  const rate = new Map<string, number>();
  const steady = new Map<string, number | null>();
  for (const q of o.queries) {
    for (const e of ENGINES) {
      const ss = samples.get(`${q}/${e.key}`)!;
      const ms = median(ss.map((s) => s.ms));
      const fixed = ss.every((s) => s.fixedMs !== null) ? median(ss.map((s) => s.fixedMs!)) : null;
      rate.set(`${q}/${e.key}`, o.events / (ms / 1000));
      steady.set(`${q}/${e.key}`, fixed !== null && ms > fixed ? o.events / ((ms - fixed) / 1000) : null);
    }
    for (const e of ENGINES) {
      const ss = samples.get(`${q}/${e.key}`)!;
      const perSec = rate.get(`${q}/${e.key}`)!;
      const steadyPerSec = steady.get(`${q}/${e.key}`)!;
      // Baselines have no start-up: their plain rate is the comparison for both of sluice's.
      const ratio = (base: string, x: number | null = perSec): number | null => (e.sluice === undefined || x === null ? null : round3(x / rate.get(`${q}/${base}`)!));
      results.push({
        benchmark: `nexmark.${q}`,
        engine: e.engine,
        parallelism: e.parallelism,
        repetitions: ss.length,
        eventsPerSec: Math.round(perSec),
        p50Us: null,
        p99Us: null,
        rssMB: Math.max(...ss.map((s) => s.rssMB)),
        outputRows: ss[0]!.rows,
        outputChecksum: hex32(ss[0]!.checksum),
        bytesPerRecord: null,
        // Per core the job could use: its threads, up to the machine's (it used to divide by the parallelism, and
        // sluice runs q3-q8 at parallelism 1 on two threads).
        eventsPerSecPerCore: Math.round(perSec / Math.min(Math.max(...ss.map((s) => s.threads)), os.availableParallelism())),
        threads: Math.max(...ss.map((s) => s.threads)),
        rssWithKeptThreads: e.sluice === undefined && o.warmThreads,
        rssScope: 'process',
        // The conditions every row of the run was measured under (see the header): the same for every engine.
        threadStart: e.sluice === undefined ? null : o.warmThreads ? 'kept' : 'fresh',
        warmupRuns: o.warmThreads ? 1 : 0,
        // Sluice rows: eventsPerSec over each baseline's in this run.
        vsHandwritten: ratio('handwritten'),
        vsRxjs: ratio('rxjs'),
        vsNodeStreams: ratio('node-streams'),
        checkpointsCompleted: e.sluice?.checkpointIntervalMs !== undefined ? median(ss.map((s) => s.checkpoints!)) : null,
        medianMs: Math.round(median(ss.map((s) => s.ms))),
        startupMs: ss.every((s) => s.fixedMs !== null) ? Math.round(median(ss.map((s) => s.fixedMs!))) : null,
        eventsPerSecWithoutStartup: steadyPerSec === null ? null : Math.round(steadyPerSec),
        vsHandwrittenWithoutStartup: ratio('handwritten', steadyPerSec),
        vsRxjsWithoutStartup: ratio('rxjs', steadyPerSec),
        vsNodeStreamsWithoutStartup: ratio('node-streams', steadyPerSec),
        events: o.events,
        mode: o.mode.name,
      });
    }
  }

  // ---- latency at half of this run's parallelism-2 rate (or --latency-rate); q1 also without the engine
  const latencies: LatencyRun[] = [];
  /** The hand-written q1 run beside sluice's, by query. */
  const floors = new Map<string, LatencyRun>();
  if (o.latency) {
    for (const q of LATENCY_QUERIES.filter((l) => o.queries.includes(l))) {
      const key = `${q}/sluice/2`;
      const basis = steady.get(key) ?? rate.get(key)!;
      const offered = o.latencyRate ?? Math.max(1, Math.round(basis / 2));
      const offeredBasis = o.latencyRate !== undefined ? '--latency-rate' : steady.get(key) != null ? 'eventsPerSecWithoutStartup' : 'eventsPerSec';
      err.log(`nexmark.${q}.latency: offering ${fmt(offered)} events/s for ${o.latencySeconds} s `
        + `(${o.latencyRate !== undefined ? '--latency-rate' : `half of sluice p2's ${fmt(basis)}`})`);
      const options = { parallelism: 2, offeredPerSec: offered, seconds: o.latencySeconds, warmupMs: o.mode.warmupMs };
      const runs = [await runLatency(q, config, options)];
      if (q === 'q1') runs.push(await runHandwrittenLatency(config, options));
      for (const r of runs) {
        latencies.push(r);
        if (r.engine === 'handwritten') floors.set(q, r);
        results.push({ ...latencyRow(r), offeredBasis, mode: o.mode.name, rssScope: 'process' });
        err.log(`nexmark.${q}.latency ${r.engine}: p50 ${fmt(r.p50Us)} µs, p99 ${fmt(r.p99Us)} µs, p99.9 ${fmt(r.p999Us)} µs, max ${fmt(r.maxUs)} µs over ${fmt(r.count)} `
          + `${q === 'q1' ? 'events' : 'results'}; achieved ${fmt(r.achievedPerSec)} of ${fmt(r.offeredPerSec)} events/s`
          + (r.fromDue ? `; from the closing events' due times: p50 ${fmt(r.fromDue.p50Us)} µs, p99 ${fmt(r.fromDue.p99Us)} µs` : ''));
      }
      // The same stream on both engines: the same output.
      const ref = runs[0]!;
      for (const r of runs.slice(1)) {
        if (r.rows !== ref.rows || r.checksum !== ref.checksum) {
          const m = `nexmark.${q}.latency: ${r.engine} output ${r.rows} rows / ${hex32(r.checksum)} != ${ref.engine}'s ${ref.rows} rows / ${hex32(ref.checksum)}`;
          mismatches.push(m);
          err.error(`OUTPUT MISMATCH ${m}`);
        }
      }
    }
  }

  emitReport(results, parseJsonArg(argv));
  err.log(`${o.reps} repetitions (${o.mode.name}), medians; vs* = sluice events/s over the baseline's; ckpts = periodic checkpoints (not the final one at the end of input); ${o.warmThreads ? 'every engine ran each query once unmeasured first; sluice runs took threads kept from it (no thread start-up)' : 'no warm-up runs; every sluice run started its own threads (start-up included)'}`
    + ' (w/o start-up: minus a one-event run of the same job, where run)');
  err.table(results.filter((r) => r.eventsPerSec !== null).map((r) => ({
    benchmark: r.benchmark, engine: r.engine, p: r.parallelism, 'events/s': fmt(r.eventsPerSec), 'w/o start-up': fmt(r.eventsPerSecWithoutStartup as number | null),
    'vs hand': r.vsHandwritten, 'vs rxjs': r.vsRxjs, 'vs node': r.vsNodeStreams, ckpts: r.checkpointsCompleted, 'process rss MB': r.rssMB, rows: r.outputRows, checksum: r.outputChecksum,
  })));
  err.log(RSS_NOTE);
  if (latencies.length > 0) {
    err.table(latencies.map((r) => ({
      benchmark: `nexmark.${r.query}.latency`, engine: r.engine, p: r.parallelism, 'offered/s': fmt(r.offeredPerSec), 'achieved/s': fmt(r.achievedPerSec), kept: r.keptUp,
      'p50 µs': r.p50Us, 'p99 µs': r.p99Us, 'p99.9 µs': r.p999Us, 'max µs': r.maxUs, 'p99 from due µs': r.fromDue?.p99Us ?? '(same)', measured: r.count, 'process rss MB': r.rssMB,
    })));
  }

  // ---- the issue's bars (verdicts only: a noisy machine or a quick run says little)
  // A quick run's start-up dominates its short runs: no verdict there (FAIL lines would read as broken).
  const quick = o.mode.name === 'quick';
  const bar = (ok: boolean, text: string): void => { process.stderr.write(`${quick ? 'n/a ' : ok ? 'PASS' : 'FAIL'} ${text}\n`); };
  for (const [label, figures] of [['events/s', rate], ['w/o start-up', steady]] as const) {
    const at = (q: QueryName, k: string): number | null | undefined => figures.get(`${q}/${k}`);
    for (const q of o.queries) {
      const p2 = at(q, 'sluice/2');
      if (p2 == null) continue;
      const bases: [string, string][] = [['rxjs', 'rxjs'], ['node-streams', 'node streams'], ...(['q0', 'q1', 'q2'].includes(q) ? [['handwritten', 'hand-written'] as [string, string]] : [])];
      for (const [k, name] of bases) {
        const x = p2 / rate.get(`${q}/${k}`)!;
        bar(x >= 1.2, `nexmark.${q} sluice p2 / ${name} = ${x.toFixed(2)} >= 1.20 (${label})`);
      }
    }
  }
  for (const r of latencies.filter((l) => l.engine === 'sluice')) {
    bar(r.p99Us !== null && r.p99Us <= 5_000, `nexmark.${r.query}.latency p99 = ${fmt(r.p99Us)} µs <= 5,000 µs at ${fmt(r.offeredPerSec)} events/s`);
    const floor = floors.get(r.query);
    // Not a bar: the same load on plain worker threads, no engine. What the machine alone gives at this load.
    if (floor) {
      process.stderr.write(`info nexmark.${r.query}.latency handwritten p99 = ${fmt(floor.p99Us)} µs: the machine's floor at ${fmt(floor.offeredPerSec)} events/s `
        + `(plain worker threads, no engine; p50 ${fmt(floor.p50Us)} µs, max ${fmt(floor.maxUs)} µs${floor.keptUp ? '' : `; achieved only ${fmt(floor.achievedPerSec)} events/s`})\n`);
    }
    // Not the issue's bar for q7 (from the watermark's emission), shown beside it: also counts the wait for it.
    if (r.fromDue) process.stderr.write(`info nexmark.${r.query}.latency p99 from the closing events' due times = ${fmt(r.fromDue.p99Us)} µs\n`);
    bar(r.keptUp, `nexmark.${r.query}.latency achieved ${fmt(r.achievedPerSec)} >= 0.95 x offered ${fmt(r.offeredPerSec)} events/s`);
  }
  if (quick) process.stderr.write('(quick: short runs, where sluice\'s start-up dominates: no verdicts (n/a); `npm run bench:full` gives them)\n');
  process.stderr.write(`suite took ${((performance.now() - startedAt) / 1000).toFixed(1)} s\n`);
  if (mismatches.length > 0) {
    process.stderr.write(`OUTPUT MISMATCH: engines disagree on ${mismatches.length} run(s):\n${mismatches.map((m) => `  ${m}\n`).join('')}`);
    process.exitCode = 1;
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
    process.exitCode = 1;
  });
}
