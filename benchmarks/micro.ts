// Runs on: the benchmark's main thread. Helpers shared by the hot-path micro-benchmarks (ring, gates,
// state-handles, window-steady): the `--quick` flag, a tinybench task as a report row, and an order-independent
// output checksum so rows that did the same work (fast path on and off, one codec or another) can be compared.

import type { Task } from 'tinybench';
import { rssMB, type BenchResult } from './report.js';

/**
 * tinybench options: the house default (1500 ms per task after 300 ms of warm-up, at least 64 samples), or with
 * `--quick` the smallest mode (what spec/benchmarks runs): 100 ms per task after 20 ms, at least 8 samples, so a
 * file takes a few seconds and its medians are rough.
 */
export function benchTimes(argv: readonly string[]): { time: number; warmupTime: number; iterations: number; warmupIterations: number } {
  return argv.includes('--quick')
    ? { time: 100, warmupTime: 20, iterations: 8, warmupIterations: 2 }
    : { time: 1500, warmupTime: 300, iterations: 64, warmupIterations: 16 };
}

/** An order-independent checksum: the sum (mod 2^32) of a mixed hash of each output's fields. */
export class Checksum {
  rows = 0;
  private sum = 0;
  add(...fields: number[]): void {
    let h = 0x811c9dc5;
    for (const f of fields) {
      // Fields are integers up to 2^53: fold both halves.
      h = Math.imul(h ^ (f | 0), 0x01000193);
      h = Math.imul(h ^ Math.floor(f / 4294967296), 0x01000193);
    }
    h ^= h >>> 15;
    h = Math.imul(h, 0x2c1b3c6d);
    h ^= h >>> 12;
    this.sum = (this.sum + h) | 0;
    this.rows++;
  }
  get hex(): string {
    return (this.sum >>> 0).toString(16).padStart(8, '0');
  }
}

/**
 * A report row from a completed tinybench task whose every sample handled `perSample` events: events/s is
 * perSample x the median samples/s, p50/p99 are sample latencies divided by perSample.
 */
export function taskRow(task: Task, benchmark: string, engine: string, perSample: number, check: Checksum | null, extra: Record<string, unknown> = {}): BenchResult {
  const r = task.result;
  if (r.state !== 'completed') throw new Error(`${task.name}: ${r.state}${'error' in r ? `: ${r.error.message}` : ''}`);
  return {
    benchmark, engine, parallelism: 1, repetitions: r.latency.samplesCount,
    eventsPerSec: (1000 / r.latency.p50) * perSample, p50Us: (r.latency.p50 * 1000) / perSample, p99Us: (r.latency.p99 * 1000) / perSample,
    rssMB: rssMB(), outputRows: check?.rows ?? null, outputChecksum: check?.hex ?? null, bytesPerRecord: null, ...extra,
  };
}

/**
 * Prints, on stderr, each row's median events/s over that of its benchmark's baseline row (the engine `baseline`
 * picks, e.g. the fast path off), as "name: engine / base = ratio".
 */
export function printRatios(results: readonly BenchResult[], baseline: (engine: string) => boolean): void {
  const base = new Map<string, BenchResult>();
  for (const r of results) if (baseline(r.engine)) base.set(r.benchmark, r);
  for (const r of results) {
    const b = base.get(r.benchmark);
    if (b === undefined || b === r || r.eventsPerSec === null || b.eventsPerSec === null) continue;
    process.stderr.write(`${r.benchmark}: ${r.engine} / ${b.engine} = ${(r.eventsPerSec / b.eventsPerSec).toFixed(2)}\n`);
  }
}
