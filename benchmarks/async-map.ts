// Runs on: the benchmark's main thread. asyncMap's own cost: a job whose async function returns an already
// resolved promise (a cache hit), at capacities 1, 16 and 256, ordered and unordered, against the same job with a
// plain map in the same run (the ratio is what asyncMap costs over a synchronous call). At parallelism 1: one
// chained task, so what is measured is the operator and the task loop's handling of settled promises.
//
//   npm run bench:async -- [--json [PATH]] [--reps N] [--count N] [--quick]
//
// Before the measured repetitions every variant runs once unmeasured (`warmupRuns: 1`): with a small --count the
// first run of the process paid the cold start (module loading, the main thread's JIT) in its figure alone.
// --quick: one repetition of 20,000 records (a smoke run: the report's shape, figures that say little).

import { run } from '../core/index.js';
import { emitReport, median, parseJsonArg, withRssPeak, type BenchResult } from './report.js';
import { addTotals, COUNT_ENV, SEED_ENV, type ChecksumSinkResult } from './job-generator.js';
import { CAPACITY_ENV, MODE_ENV, ORDERED_ENV } from './jobs/async-map.js';

const JOB = new URL('./jobs/async-map.ts', import.meta.url);
const argv = process.argv.slice(2);
const num = (flag: string, dflt: number): number => { const i = argv.indexOf(flag); return i >= 0 ? Number(argv[i + 1]) : dflt; };
const quick = argv.includes('--quick');
const reps = num('--reps', quick ? 1 : 5);
const count = num('--count', quick ? 20_000 : 200_000);
/** Unmeasured runs of every variant before the measured ones. */
const WARMUP_RUNS = 1;

interface Variant { name: string; mode: 'map' | 'async'; capacity: number; ordered: boolean; settleHops?: number }
const VARIANTS: Variant[] = [
  { name: 'map', mode: 'map', capacity: 1, ordered: true },
  ...[1, 16, 256].flatMap((capacity) => [true, false].map((ordered): Variant => ({ name: `capacity-${capacity}${ordered ? '' : '.unordered'}`, mode: 'async', capacity, ordered }))),
  // The loop's settle hops off (RunOptions.settleHops 0): every result waits for a park.
  { name: 'capacity-1.settle-hops-0', mode: 'async', capacity: 1, ordered: true, settleHops: 0 },
];

async function once(v: Variant): Promise<{ perSec: number; rows: number; checksum: number; rssMB: number }> {
  Object.assign(process.env, { [COUNT_ENV]: String(count), [SEED_ENV]: '1', [MODE_ENV]: v.mode, [CAPACITY_ENV]: String(v.capacity), [ORDERED_ENV]: String(v.ordered) });
  const { value, peakMB } = await withRssPeak(async () => {
    const t0 = performance.now();
    const r = await (await run(JOB, { parallelism: 1, ...(v.settleHops !== undefined ? { settleHops: v.settleHops } : {}) })).result;
    return { ms: performance.now() - t0, parts: (r.collected.out ?? []) as ChecksumSinkResult[] };
  });
  const totals = addTotals(value.parts);
  return { perSec: count / (value.ms / 1000), rows: totals.rows, checksum: totals.checksum, rssMB: peakMB };
}

async function main(): Promise<void> {
  const target = parseJsonArg(argv);
  const runs = new Map<string, { perSec: number[]; rows: number; checksum: number; rssMB: number }>();
  for (let w = 0; w < WARMUP_RUNS; w++) for (const v of VARIANTS) await once(v);
  for (let r = 0; r < reps; r++) {
    // Interleaved, the order rotated per repetition.
    for (let k = 0; k < VARIANTS.length; k++) {
      const v = VARIANTS[(k + r) % VARIANTS.length]!;
      const x = await once(v);
      const acc = runs.get(v.name) ?? { perSec: [], rows: x.rows, checksum: x.checksum, rssMB: x.rssMB };
      acc.perSec.push(x.perSec);
      acc.rssMB = Math.max(acc.rssMB, x.rssMB);
      runs.set(v.name, acc);
    }
  }
  const base = median(runs.get('map')!.perSec);
  const results: BenchResult[] = VARIANTS.map((v) => {
    const x = runs.get(v.name)!;
    const perSec = median(x.perSec);
    return {
      benchmark: `async-map.${v.name === 'map' ? 'baseline' : v.name.replace('.settle-hops-0', '')}`,
      engine: v.mode === 'map' ? 'sluice.map' : v.settleHops === 0 ? 'sluice.settle-hops-0' : 'sluice', parallelism: 1, repetitions: reps,
      eventsPerSec: perSec, p50Us: null, p99Us: null, rssMB: x.rssMB, outputRows: x.rows, outputChecksum: x.checksum, bytesPerRecord: null,
      capacity: v.mode === 'map' ? null : v.capacity, ordered: v.mode === 'map' ? null : v.ordered, vsMap: perSec / base,
      count, warmupRuns: WARMUP_RUNS,
    };
  });
  emitReport(results, target, { 'vs map': (r) => Math.round((r.vsMap as number) * 1000) / 1000 });
  if (quick) process.stderr.write('(--quick: one short repetition; the figures are not meaningful)\n');
}

await main();
