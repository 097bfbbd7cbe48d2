// Runs on: the benchmark's main thread. Helpers shared by the hot-path micro-benchmarks (ring, gates,
// state-handles, window-steady): the `--quick` flag, interleaved measuring, a report row, and an order-independent
// output checksum so rows that did the same work (fast path on and off, one codec or another) can be compared.

import { Bench } from 'tinybench';
import { median, rssMB, type BenchResult } from './report.js';

/**
 * How long to measure: the house default (5 rounds of 300 ms per task after 60 ms of warm-up, at least 16 samples
 * per round), or with `--quick` the smallest mode (what spec/benchmarks runs): 3 rounds of 40 ms after 10 ms, at
 * least 4 samples per round, so a file takes a few seconds and its medians are rough.
 */
export interface Times { rounds: number; time: number; warmupTime: number; iterations: number; warmupIterations: number }

export function benchTimes(argv: readonly string[]): Times {
  const t = argv.includes('--quick')
    ? { rounds: 3, time: 40, warmupTime: 10, iterations: 4, warmupIterations: 1 }
    : { rounds: 5, time: 300, warmupTime: 60, iterations: 16, warmupIterations: 4 };
  // --rounds N: more rounds where the machine is noisy (shared).
  const r = argv.indexOf('--rounds');
  if (r >= 0) t.rounds = Math.max(1, Number(argv[r + 1]) || t.rounds);
  return t;
}

/** What `measure` found for one task: the median over rounds of each round's median and p99 sample, in ms. */
export interface Measured { p50Ms: number; p99Ms: number; samples: number }

/**
 * Runs `tasks` interleaved: `times.rounds` tinybench runs, each task in turn, the order rotated every round, so
 * a machine whose load drifts (this one is shared) slows every task alike rather than the ones that ran last.
 */
export async function measure(name: string, tasks: readonly (readonly [string, () => void])[], times: Times): Promise<Map<string, Measured>> {
  const p50s = new Map<string, number[]>(tasks.map(([n]) => [n, []]));
  const p99s = new Map<string, number[]>(tasks.map(([n]) => [n, []]));
  const samples = new Map<string, number>(tasks.map(([n]) => [n, 0]));
  for (let round = 0; round < times.rounds; round++) {
    const bench = new Bench({ name, time: times.time, warmupTime: times.warmupTime, iterations: times.iterations, warmupIterations: times.warmupIterations, throws: true });
    for (let i = 0; i < tasks.length; i++) {
      const [n, f] = tasks[(i + round) % tasks.length]!;
      bench.add(n, f);
    }
    await bench.run();
    for (const task of bench.tasks) {
      const r = task.result;
      if (r.state !== 'completed') throw new Error(`${name}/${task.name}: ${r.state}${'error' in r ? `: ${r.error.message}` : ''}`);
      p50s.get(task.name)!.push(r.latency.p50);
      p99s.get(task.name)!.push(r.latency.p99);
      samples.set(task.name, samples.get(task.name)! + r.latency.samplesCount);
    }
  }
  return new Map(tasks.map(([n]) => [n, { p50Ms: median(p50s.get(n)!), p99Ms: median(p99s.get(n)!), samples: samples.get(n)! }]));
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
 * A report row from what `measure` found for a task whose every sample handled `perSample` events: events/s is
 * perSample x the median samples/s, p50/p99 are sample latencies divided by perSample; `repetitions` counts the
 * samples of every round.
 */
export function taskRow(m: Measured, benchmark: string, engine: string, perSample: number, check: Checksum | null, extra: Record<string, unknown> = {}): BenchResult {
  return {
    benchmark, engine, parallelism: 1, repetitions: m.samples,
    eventsPerSec: (1000 / m.p50Ms) * perSample, p50Us: (m.p50Ms * 1000) / perSample, p99Us: (m.p99Ms * 1000) / perSample,
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
