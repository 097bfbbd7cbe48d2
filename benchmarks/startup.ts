// Runs on: the benchmark's main thread. What a job costs before and after its records: run() to result of the
// job.keyed job (generator → keyBy → reduce → sink, benchmarks/jobs/keyed.ts) over 1,000 events, at parallelism
// 2 (two worker threads), with worker threads loading the job as one bundle (the default) and through tsx file by
// file (bundleWorkers: false), interleaved.
//
//   npm run bench:startup -- [--json [PATH]] [--reps 7]
//
// Rows: job.startup, engines sluice (bundle) and sluice.tsx-workers: p50Us / p99Us are the median and the slowest
// run's ms × 1000 (µs, the house shape), eventsPerSec null; ratio = tsx / bundle medians on the bundle row.

import { run } from '../core/index.js';
import { COUNT_ENV } from './job-generator.js';
import { emitReport, median, parseJsonArg, rssMB, type BenchResult } from './report.js';

const argv = process.argv.slice(2);
const i = argv.indexOf('--reps');
const reps = i >= 0 ? Number(argv[i + 1]) : 7;
const JOB = new URL('./jobs/keyed.ts', import.meta.url);
process.env[COUNT_ENV] = '1000';

const ms: Record<'bundle' | 'tsx', number[]> = { bundle: [], tsx: [] };
// One run of each first, unmeasured: the main thread's own module loading and JIT are not what is compared.
for (const bundleWorkers of [true, false]) await (await run(JOB, { parallelism: 2, bundleWorkers })).result;
for (let r = 0; r < reps; r++) {
  for (const which of (r % 2 === 0 ? ['bundle', 'tsx'] : ['tsx', 'bundle']) as ('bundle' | 'tsx')[]) {
    const t0 = performance.now();
    const h = await run(JOB, { parallelism: 2, bundleWorkers: which === 'bundle' });
    await h.result;
    ms[which].push(performance.now() - t0);
    process.stderr.write(`rep ${r + 1}/${reps} ${which}: ${ms[which].at(-1)!.toFixed(0)} ms\n`);
  }
}
const row = (engine: string, xs: number[], extra: Record<string, unknown>): BenchResult => ({
  benchmark: 'job.startup', engine, parallelism: 2, repetitions: xs.length, eventsPerSec: null,
  p50Us: median(xs) * 1000, p99Us: Math.max(...xs) * 1000, rssMB: rssMB(), outputRows: null, outputChecksum: null, bytesPerRecord: null, events: 1000, ...extra,
});
emitReport([
  row('sluice', ms.bundle, { tsxOverBundle: median(ms.tsx) / median(ms.bundle) }),
  row('sluice.tsx-workers', ms.tsx, {}),
], parseJsonArg(argv));
process.stderr.write(`run() to result, median of ${reps}: bundle ${median(ms.bundle).toFixed(0)} ms, tsx workers ${median(ms.tsx).toFixed(0)} ms (${(median(ms.tsx) / median(ms.bundle)).toFixed(2)}x)\n`);
