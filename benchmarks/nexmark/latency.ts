// Runs on: the benchmark's main thread. End-to-end latency of a Nexmark query on sluice at a fixed offered rate
// (issue 6): runs latency-job.ts, then reads what its threads handed back and left in the run directory.
//
// - q1 (per event): each event's time from when it was due at the paced source to the sink, user code included,
//   measured against its due time, not its actual emission (a stalled source still counts every event it owed),
//   to the end of the batch it reached the sink in (SinkWriter.batchEnd: never before its arrival; one clock read
//   per batch), or to its own arrival with --clock-per-event.
// - q7 (per window): each result's time at the sink minus the wall time at which the sources had emitted the
//   watermark that closed its window (window-closing.ts), as issue 6 defines it; and beside it (`fromDue`), minus
//   when the events that let those watermarks close it were due, which also counts the wait for the periodic
//   watermark and any lag of the sources behind their schedule (what q1's figure counts).
// Events due, and windows closed, in the first `warmupMs` of a source's schedule are left out (thread start-up,
// JIT); results of windows only the end of input closed are left out too (no source emitted that watermark).
// A run is only a figure for the offered load if the sources achieved >= 95 % of it: `keptUp` says so.
// q1 also runs without the engine (latency-handwritten.ts, engine `handwritten`): the same schedule and
// measurement on plain worker threads, the floor the machine itself puts under these figures.
//
// Run directly, a small CLI printing one house JSON row:
//   node --import tsx benchmarks/nexmark/latency.ts --query q1|q7 --rate EVENTS_PER_SEC [--engine sluice|handwritten]
//     [--seconds 10] [--parallelism 2] [--warmup-ms 1000] [--seed N] [--json [PATH]]
//     [--clock-per-event] sluice only: [--watermark-interval-ms 10] [--fine-wait-ms MS]; handwritten: q1 only

import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { run } from '../../core/index.js';
import { addTotals, hex32 } from '../job-generator.js';
import { emitReport, parseJsonArg, withRssPeak, type BenchResult, type ExtraColumns } from '../report.js';
import { maxOutOfOrdernessMs, nexmarkConfig, type NexmarkConfig } from './config.js';
import { addEventLatencyParts, type EventLatencyPart } from './event-latencies.js';
import { nexmarkEnv, WATERMARK_INTERVAL_ENV } from './env.js';
import { readSourceEnds, readWatermarkLogs } from './latency-dir.js';
import { latencyHistogram, recordMs, summarize, type LatencySummary } from './latency-histogram.js';
import { runHandwrittenLatency } from './latency-handwritten.js';
import { LATENCY_SINK_NAME } from './latency-job.js';
import { LATENCY_QUERIES, latencyConfig, latencyEnv, scheduleEvents, timesNameEvents, type LatencyQuery } from './latency-params.js';
import type { WindowResultsPart } from './latency-sinks.js';
import { achievedPerSec, keptUp } from './offered-rate.js';
import { closingDueTime, windowLatencies } from './window-closing.js';

const JOB_URL = new URL('./latency-job.ts', import.meta.url);

/** What runs a latency run: sluice's job, or (q1 only) the hand-written loops of latency-handwritten.ts. */
export const LATENCY_ENGINES = ['sluice', 'handwritten'] as const;
export type LatencyEngine = (typeof LATENCY_ENGINES)[number];

/** Watermark interval of latency runs, ms (LatencyRunOptions.watermarkIntervalMs says why). */
export const LATENCY_WATERMARK_INTERVAL_MS = 10;

export interface LatencyRunOptions {
  parallelism: number;
  /** Events per second of wall time, over all source subtasks. */
  offeredPerSec: number;
  /** Length of the schedule: the run emits offeredPerSec x seconds events. */
  seconds: number;
  /** Events due and windows closed within this long of a source subtask's start are not measured. */
  warmupMs: number;
  /**
   * Watermark interval, ms of wall time (default LATENCY_WATERMARK_INTERVAL_MS). With event time 1 ms per event
   * at ~1 M events/s, a 10 s window closes every ~10 ms of wall time: sluice's default 200 ms would close ~20
   * windows per watermark, and the last of them would wait for the other 19 to fire (13.7 ms at p99 against
   * 4.6 ms at 5 ms, one run each, 2026-12-03). At Nexmark's nominal rate a window closes every 10 s, one per
   * watermark, as it does here at 10 ms.
   */
  watermarkIntervalMs?: number;
  /** RunOptions.fineWaitMs (default: the engine's); 0 wakes paced sources by a timer, as before it existed. */
  fineWaitMs?: number;
  /** q1: the sink reads the clock per event, not once per batch (event-latencies.ts); the same for `handwritten`. */
  clockPerEvent?: boolean;
}

export interface LatencyRun extends LatencySummary {
  engine: LatencyEngine;
  query: LatencyQuery;
  parallelism: number;
  events: number;
  offeredPerSec: number;
  achievedPerSec: number;
  /** achievedPerSec >= 0.95 x offeredPerSec. */
  keptUp: boolean;
  /** Results (q1: events) not measured: in the warm-up, or (q7) of windows closed by the end of input. */
  warmup: number;
  closedByEnd: number;
  /** q7: the same results' latency from when their window's closing events were due (null for q1, whose figure is). */
  fromDue: LatencySummary | null;
  rows: number;
  checksum: number;
  rssMB: number;
  ms: number;
}

/**
 * Runs latency query `q` on sluice. The stream is `base`'s seed and record sizes with event time 1 ms per event
 * (latency-params.ts says why), offeredPerSec x seconds events long.
 */
export async function runLatency(q: LatencyQuery, base: NexmarkConfig, o: LatencyRunOptions): Promise<LatencyRun> {
  const events = scheduleEvents(o.offeredPerSec, o.seconds);
  const config = latencyConfig(base, events);
  const dir = mkdtempSync(path.join(os.tmpdir(), `sluice-latency-${q}-`));
  const vars = {
    ...nexmarkEnv(config),
    ...latencyEnv({ query: q, dir, offeredPerSec: o.offeredPerSec, parallelism: o.parallelism, warmupMs: o.warmupMs, clockPerEvent: o.clockPerEvent === true }),
    [WATERMARK_INTERVAL_ENV]: String(o.watermarkIntervalMs ?? LATENCY_WATERMARK_INTERVAL_MS),
  };
  const saved = new Map(Object.keys(vars).map((k) => [k, process.env[k]]));
  // Before run(): worker threads copy process.env when they start.
  Object.assign(process.env, vars);
  try {
    const { value, peakMB } = await withRssPeak(async () => {
      const t0 = performance.now();
      const handle = await run(JOB_URL, { parallelism: o.parallelism, ...(o.fineWaitMs !== undefined ? { fineWaitMs: o.fineWaitMs } : {}) });
      const result = await handle.result;
      return { result, ms: performance.now() - t0 };
    });
    // Every thread has finished, so every file it wrote is complete.
    const ends = readSourceEnds(dir, o.parallelism);
    const achieved = achievedPerSec(ends);
    let summary: LatencySummary;
    let fromDue: LatencySummary | null = null;
    let warmup = 0;
    let closedByEnd = 0;
    let parts: (EventLatencyPart | WindowResultsPart)[];
    if (q === 'q1') {
      const ps = (value.result.collected[LATENCY_SINK_NAME] ?? []) as EventLatencyPart[];
      ({ summary, warmup } = addEventLatencyParts(ps));
      parts = ps;
    } else {
      const ps = (value.result.collected[LATENCY_SINK_NAME] ?? []) as WindowResultsPart[];
      const results = ps.flatMap((p) => p.windowEnds.map((windowEnd, i) => ({ windowEnd, atMs: p.atMs[i]! })));
      // A subtask whose watermark never advanced left no log: then only the end of input closed any window.
      const logs = readWatermarkLogs(dir);
      const notBefore = Math.max(...ends.map((e) => e.anchorMs)) + o.warmupMs;
      if (!timesNameEvents(config) || maxOutOfOrdernessMs(config) !== 0) throw new Error('nexmark latency: closingDueTime needs event times that name their events, with no out-of-orderness bound');
      const w = logs.length === o.parallelism
        ? windowLatencies(logs, results, notBefore, (end) => closingDueTime(ends, end, config.baseTime))
        : { latenciesMs: [], fromDueMs: [], warmup: 0, closedByEnd: results.length };
      const h = latencyHistogram();
      for (const ms of w.latenciesMs) recordMs(h, ms);
      summary = summarize(h);
      const hd = latencyHistogram();
      for (const ms of w.fromDueMs) recordMs(hd, ms);
      fromDue = summarize(hd);
      warmup = w.warmup;
      closedByEnd = w.closedByEnd;
      parts = ps;
    }
    const totals = addTotals(parts);
    return {
      engine: 'sluice', query: q, parallelism: o.parallelism, events, offeredPerSec: o.offeredPerSec, achievedPerSec: achieved, keptUp: keptUp(o.offeredPerSec, achieved),
      ...summary, warmup, closedByEnd, fromDue, rows: totals.rows, checksum: totals.checksum, rssMB: peakMB, ms: value.ms,
    };
  } finally {
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

/** What a latency row has beyond the common table columns: the rest of its percentiles and the load it was under. */
export const LATENCY_COLUMNS: ExtraColumns = {
  'p99.9 µs': (r) => r.p999Us,
  'max µs': (r) => r.maxUs,
  'offered/s': (r) => r.offeredPerSec,
  'achieved/s': (r) => r.achievedPerSec,
  kept: (r) => r.achievedOk,
};

/** The house JSON row of a latency run: `nexmark.<q>.latency`, engine `sluice` or `handwritten`. */
export function latencyRow(r: LatencyRun, repetitions = 1): BenchResult {
  return {
    benchmark: `nexmark.${r.query}.latency`,
    engine: r.engine,
    parallelism: r.parallelism,
    repetitions,
    eventsPerSec: null,
    p50Us: r.p50Us,
    p99Us: r.p99Us,
    p999Us: r.p999Us,
    maxUs: r.maxUs,
    rssMB: r.rssMB,
    // The latency run's stream differs from the throughput runs' (event time 1 ms per event): its own totals.
    outputRows: r.rows,
    outputChecksum: hex32(r.checksum),
    bytesPerRecord: null,
    offeredPerSec: Math.round(r.offeredPerSec),
    achievedPerSec: Math.round(r.achievedPerSec),
    achievedOk: r.keptUp,
    measured: r.count,
    unmeasuredWarmup: r.warmup,
    unmeasuredClosedByEnd: r.closedByEnd,
    // q7: from when the closing events were due (null for q1, whose p50Us.. already count from due times).
    p50FromDueUs: r.fromDue?.p50Us ?? null,
    p99FromDueUs: r.fromDue?.p99Us ?? null,
    p999FromDueUs: r.fromDue?.p999Us ?? null,
    maxFromDueUs: r.fromDue?.maxUs ?? null,
    events: r.events,
  };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const value = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const num = (flag: string, fallback?: number): number => {
    const v = value(flag);
    if (v === undefined && fallback === undefined) throw new Error(`${flag} is required`);
    const n = v === undefined ? fallback! : Number(v);
    if (!Number.isFinite(n)) throw new Error(`${flag} must be a number, got ${v}`);
    return n;
  };
  const q = value('--query') ?? 'q1';
  if (!(LATENCY_QUERIES as readonly string[]).includes(q)) throw new Error(`--query must be one of ${LATENCY_QUERIES.join(', ')}, got ${q}`);
  const engine = value('--engine') ?? 'sluice';
  if (!(LATENCY_ENGINES as readonly string[]).includes(engine)) throw new Error(`--engine must be one of ${LATENCY_ENGINES.join(', ')}, got ${engine}`);
  const base = nexmarkConfig({ seed: num('--seed', 1) });
  const o = {
    parallelism: num('--parallelism', 2), offeredPerSec: num('--rate'), seconds: num('--seconds', 10), warmupMs: num('--warmup-ms', 1000),
    clockPerEvent: argv.includes('--clock-per-event'),
  };
  let r: LatencyRun;
  if (engine === 'handwritten') {
    if (q !== 'q1') throw new Error(`--engine handwritten runs q1 only, got --query ${q}`);
    for (const flag of ['--watermark-interval-ms', '--fine-wait-ms']) if (value(flag) !== undefined) throw new Error(`${flag} is sluice's: not with --engine handwritten`);
    r = await runHandwrittenLatency(base, o);
  } else {
    r = await runLatency(q as LatencyQuery, base, {
      ...o, watermarkIntervalMs: num('--watermark-interval-ms', LATENCY_WATERMARK_INTERVAL_MS),
      ...(value('--fine-wait-ms') !== undefined ? { fineWaitMs: num('--fine-wait-ms') } : {}),
    });
  }
  if (!r.keptUp) process.stderr.write(`nexmark.${q}.latency (${engine}): achieved ${Math.round(r.achievedPerSec)} events/s < 95% of the offered ${Math.round(r.offeredPerSec)}\n`);
  emitReport([latencyRow(r)], parseJsonArg(argv), LATENCY_COLUMNS);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
    process.exitCode = 1;
  });
}
