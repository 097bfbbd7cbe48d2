// Runs on: the benchmark's main thread. The same-run baselines of the Nexmark suite: a query on one of the three
// single-threaded engines over N generated events, timed. `runBaseline` is what a suite driver calls to
// interleave baselines with sluice runs; run directly, this file is a small CLI printing the house JSON rows:
//
//   node --import tsx benchmarks/nexmark/baselines.ts --query q5 --events 1000000 [--reps 5] [--json [PATH]]
//     [--engines handwritten,rxjs,node-streams] [--rate EVENTS_PER_EVENT_SEC] [--ooo GROUP] [--seed N]
//
// --query takes a name or `all`. Engines are interleaved within each repetition, the order rotated per
// repetition; figures are medians. Every engine must report the same rows and checksum, or the CLI fails.

import { Console } from 'node:console';
import { pathToFileURL } from 'node:url';
import { hex32, type SinkTotals } from '../job-generator.js';
import { emitReport, median, parseJsonArg, rssMB, type BenchResult } from '../report.js';
import { nexmarkConfig, type NexmarkConfig } from './config.js';
import { handwrittenQuery, type EngineOptions } from './handwritten.js';
import { nodeStreamsQuery } from './node-streams.js';
import { isQueryName, QUERY_NAMES, type QueryName } from './queries.js';
import { rxjsQuery } from './rxjs.js';

export const BASELINE_ENGINES = ['handwritten', 'rxjs', 'node-streams'] as const;
export type BaselineEngine = (typeof BASELINE_ENGINES)[number];

export interface BaselineRun extends SinkTotals {
  /** Wall-clock time of the whole run, generation included, ms. */
  ms: number;
}

/** Runs query `q` on `engine` over `config.events` events (generated on the fly), timed. */
export async function runBaseline<Q extends QueryName>(
  q: Q, engine: BaselineEngine, config: NexmarkConfig, options: EngineOptions<Q> = {},
): Promise<BaselineRun> {
  const t0 = performance.now();
  let totals: SinkTotals;
  switch (engine) {
    case 'handwritten':
      totals = handwrittenQuery(q, config, options);
      break;
    case 'rxjs':
      totals = await rxjsQuery(q, config, options);
      break;
    case 'node-streams':
      totals = await nodeStreamsQuery(q, config, options);
      break;
  }
  return { ...totals, ms: performance.now() - t0 };
}

function isEngine(s: string): s is BaselineEngine {
  return (BASELINE_ENGINES as readonly string[]).includes(s);
}

interface CliArgs {
  queries: QueryName[];
  engines: BaselineEngine[];
  reps: number;
  config: NexmarkConfig;
}

function parseArgs(argv: readonly string[]): CliArgs {
  const value = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const num = (flag: string, fallback: number): number => {
    const v = value(flag);
    const n = v === undefined ? fallback : Number(v);
    if (!Number.isFinite(n)) throw new Error(`${flag} must be a number, got ${v}`);
    return n;
  };
  const q = value('--query') ?? 'all';
  const queries = q === 'all' ? [...QUERY_NAMES] : q.split(',');
  for (const name of queries) if (!isQueryName(name)) throw new Error(`--query: unknown query '${name}' (one of ${QUERY_NAMES.join(', ')}, or all)`);
  const engines = (value('--engines') ?? BASELINE_ENGINES.join(',')).split(',');
  for (const e of engines) if (!isEngine(e)) throw new Error(`--engines: unknown engine '${e}' (one of ${BASELINE_ENGINES.join(', ')})`);
  const reps = num('--reps', 5);
  if (!Number.isInteger(reps) || reps < 1) throw new Error(`--reps must be a positive integer, got ${reps}`);
  const config = nexmarkConfig({
    events: num('--events', 1_000_000),
    seed: num('--seed', 1),
    eventsPerSec: num('--rate', 10_000),
    outOfOrderGroupSize: num('--ooo', 1),
  });
  return { queries: queries as QueryName[], engines: engines as BaselineEngine[], reps, config };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const { queries, engines, reps, config } = parseArgs(argv);
  const err = new Console({ stdout: process.stderr, stderr: process.stderr });
  const fmt = (x: number): string => Math.round(x).toLocaleString('en-US');
  const results: BenchResult[] = [];
  let disagree = false;
  for (const q of queries) {
    const samples = new Map<BaselineEngine, { rates: number[]; rss: number[]; totals: SinkTotals[] }>();
    for (const e of engines) samples.set(e, { rates: [], rss: [], totals: [] });
    for (let rep = 0; rep < reps; rep++) {
      for (let k = 0; k < engines.length; k++) {
        const engine = engines[(k + rep) % engines.length]!;
        const run = await runBaseline(q, engine, config);
        const s = samples.get(engine)!;
        s.rates.push(config.events / (run.ms / 1000));
        s.rss.push(rssMB());
        s.totals.push(run);
        err.log(`rep ${rep + 1}/${reps} nexmark.${q} ${engine}: ${fmt(config.events / (run.ms / 1000))} events/s, ${run.rows} rows, checksum ${hex32(run.checksum)}`);
      }
    }
    const all = [...samples.values()].flatMap((s) => s.totals);
    if (all.some((t) => t.rows !== all[0]!.rows || t.checksum !== all[0]!.checksum)) {
      disagree = true;
      err.error(`nexmark.${q}: engines disagree on the output: ${all.map((t) => `${t.rows}/${hex32(t.checksum)}`).join(' ')}`);
    }
    for (const [engine, s] of samples) {
      results.push({
        benchmark: `nexmark.${q}`, engine, parallelism: 1, repetitions: reps, eventsPerSec: Math.round(median(s.rates)),
        p50Us: null, p99Us: null, rssMB: Math.max(...s.rss), outputRows: s.totals[0]!.rows, outputChecksum: hex32(s.totals[0]!.checksum),
        bytesPerRecord: null, events: config.events, eventRate: config.eventsPerSec, seed: config.seed, outOfOrderGroupSize: config.outOfOrderGroupSize,
      });
    }
  }
  emitReport(results, parseJsonArg(argv));
  if (disagree) process.exitCode = 1;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
    process.exitCode = 1;
  });
}
