// Runs on: the benchmark's main thread. The JSON report every benchmark emits, and helpers to build it.
//
// A benchmark prints a human-readable table to stderr. With `--json` it also prints exactly one JSON
// object to stdout (and nothing else there); with `--json PATH` (or `--json=PATH`) it writes it to PATH.

import { Console } from 'node:console';
import { writeFileSync } from 'node:fs';
import os from 'node:os';

export interface MachineInfo {
  cpus: number;
  node: string;
  model: string;
}

export interface BenchResult {
  /** Dotted name of what was measured, e.g. 'codec.bid.encode'. */
  benchmark: string;
  /**
   * What ran it, by the shared names (/work/shared/benchmark-json.md): 'sluice' or 'sluice.<variant>',
   * 'handwritten', 'rxjs', 'node-streams', ...; a longer description goes in an extra field (`variant`, `note`).
   */
  engine: string;
  parallelism: number;
  /** Number of samples (or runs) the figures are computed from. */
  repetitions: number;
  /** Median events (records, operations) per second; null for a latency-only benchmark. */
  eventsPerSec: number | null;
  /** Median / 99th percentile latency per event in microseconds, when measured. */
  p50Us: number | null;
  p99Us: number | null;
  /** Resident set size of the process when the row was taken, in MiB; null where the work ran in other processes. */
  rssMB: number | null;
  /** For pipelines: rows produced and a checksum over them, to check engines agree. */
  outputRows: number | null;
  outputChecksum: string | number | null;
  /** Average encoded size of one record, when the benchmark encodes records. */
  bytesPerRecord: number | null;
  /** Benchmark-specific extras (checksums, ratios, ...) go into the JSON as they are. */
  [extra: string]: unknown;
}

export interface Report {
  machine: MachineInfo;
  results: BenchResult[];
}

/** Where the JSON report goes: nowhere, stdout, or a file. */
export type JsonTarget = { readonly to: 'none' } | { readonly to: 'stdout' } | { readonly to: 'file'; readonly path: string };

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return { cpus: cpus.length, node: process.version, model: cpus[0]?.model.trim() ?? 'unknown' };
}

/**
 * Reads `--json`, `--json PATH` or `--json=PATH` from the command-line arguments (pass
 * `process.argv.slice(2)`). A following argument that starts with '-' is not taken as the path.
 */
export function parseJsonArg(argv: readonly string[]): JsonTarget {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg.startsWith('--json=')) {
      const path = arg.slice('--json='.length);
      return path === '' || path === '-' ? { to: 'stdout' } : { to: 'file', path };
    }
    if (arg === '--json') {
      const next = argv[i + 1];
      return next === undefined || next.startsWith('-') ? { to: 'stdout' } : { to: 'file', path: next };
    }
  }
  return { to: 'none' };
}

/**
 * tinybench's time per task: 1.5 s after 0.3 s of warm-up, or with `--quick` 100 ms after 20 ms (a smoke run
 * that checks the report's shape; its figures say little). tinybench runs a task until both its time and its
 * iterations are done (64 and 16 of warm-up by default): quick caps those at 4 and 1, as micro.ts's quick mode does,
 * else a task of a few ms per sample (formats' 10,000-record batches) ran 80 samples whatever the time.
 */
export function benchTiming(argv: readonly string[]): { time: number; warmupTime: number; iterations?: number; warmupIterations?: number } {
  return argv.includes('--quick') ? { time: 100, warmupTime: 20, iterations: 4, warmupIterations: 1 } : { time: 1500, warmupTime: 300 };
}

export function median(numbers: readonly number[]): number {
  if (numbers.length === 0) return Number.NaN;
  const sorted = [...numbers].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Resident set size now, in MiB, rounded to 0.1. */
export function rssMB(): number {
  return Math.round(process.memoryUsage.rss() / (1 << 20) * 10) / 10;
}

/**
 * Samples the process's RSS (every thread's heap included) every 50 ms while `f` runs; returns `f`'s value and
 * the peak in MiB, rounded to 0.1.
 */
export async function withRssPeak<R>(f: () => Promise<R>): Promise<{ value: R; peakMB: number }> {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage.rss()); }, 50);
  try {
    const value = await f();
    peak = Math.max(peak, process.memoryUsage.rss());
    return { value, peakMB: Math.round(peak / (1 << 20) * 10) / 10 };
  } finally {
    clearInterval(timer);
  }
}

function round(x: number | null, digits: number): number | null {
  if (x === null || !Number.isFinite(x)) return x;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Columns a benchmark adds to the table after the common ones: header -> the cell of a row (its JSON extras). */
export type ExtraColumns = Readonly<Record<string, (r: BenchResult) => unknown>>;

/**
 * Prints the results as a table on stderr (the common columns, then `columns`: what the benchmark's JSON has beyond
 * them, so the table does not hide it), then writes the JSON report where `target` says.
 */
export function emitReport(results: readonly BenchResult[], target: JsonTarget, columns: ExtraColumns = {}): Report {
  const report: Report = { machine: machineInfo(), results: [...results] };
  // stdout is reserved for the JSON report.
  const err = new Console({ stdout: process.stderr, stderr: process.stderr });
  err.log(`${report.machine.model} x${report.machine.cpus}, node ${report.machine.node}`);
  err.table(results.map((r) => ({
    benchmark: r.benchmark,
    engine: r.engine,
    // Sluice's p1 and p2 rows have one engine name: without it they look like the same row twice.
    p: r.parallelism,
    'events/s': r.eventsPerSec === null ? null : Math.round(r.eventsPerSec).toLocaleString('en-US'),
    'p50 µs': round(r.p50Us, 3),
    'p99 µs': round(r.p99Us, 3),
    'bytes/rec': round(r.bytesPerRecord, 1),
    'rss MB': r.rssMB,
    samples: r.repetitions,
    ...Object.fromEntries(Object.entries(columns).map(([h, cell]) => [h, cell(r)])),
  })));
  const json = JSON.stringify(report, null, 2);
  if (target.to === 'stdout') process.stdout.write(`${json}\n`);
  else if (target.to === 'file') writeFileSync(target.path, `${json}\n`);
  return report;
}
