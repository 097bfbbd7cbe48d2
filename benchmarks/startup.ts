// Runs on: the benchmark's main thread. What a job costs before and after its records: run() to result of the
// job.keyed job (generator → keyBy → reduce → sink, benchmarks/jobs/keyed.ts) over 1,000 events, at parallelism
// 2 (two worker threads), with worker threads loading the job as one bundle (the default), through tsx file by
// file (bundleWorkers: false), and on threads an earlier run of the job left in a ThreadCache (RunOptions.
// threadCache: no threads to start), interleaved.
//
//   npm run bench:startup -- [--json [PATH]] [--reps 7]
//
// Rows: job.startup, engines sluice (bundle), sluice.tsx-workers and sluice.kept-threads: p50Us / p99Us are the
// median and the slowest run's ms × 1000 (µs, the house shape), eventsPerSec null; on the bundle row, ratios
// tsxOverBundle and bundleOverKept of the medians.

import { run, ThreadCache } from '../core/index.js';
import { COUNT_ENV } from './job-generator.js';
import { emitReport, median, parseJsonArg, rssMB, type BenchResult } from './report.js';

const argv = process.argv.slice(2);
const i = argv.indexOf('--reps');
const reps = i >= 0 ? Number(argv[i + 1]) : 7;
const JOB = new URL('./jobs/keyed.ts', import.meta.url);
process.env[COUNT_ENV] = '1000';

type Way = 'bundle' | 'tsx' | 'kept';
const ways: Way[] = ['bundle', 'tsx', 'kept'];
const ms: Record<Way, number[]> = { bundle: [], tsx: [], kept: [] };
const threadCache = new ThreadCache();
const options = (which: Way) => ({ parallelism: 2, bundleWorkers: which !== 'tsx', ...(which === 'kept' ? { threadCache } : {}) });
// One run of each first, unmeasured: the main thread's own module loading and JIT are not what is compared (and
// the kept threads' first run starts them).
for (const which of ways) await (await run(JOB, options(which))).result;
for (let r = 0; r < reps; r++) {
  for (let k = 0; k < ways.length; k++) {
    const which = ways[(k + r) % ways.length]!;
    const t0 = performance.now();
    const h = await run(JOB, options(which));
    await h.result;
    ms[which].push(performance.now() - t0);
    process.stderr.write(`rep ${r + 1}/${reps} ${which}: ${ms[which].at(-1)!.toFixed(0)} ms\n`);
  }
}
await threadCache.close();
const row = (engine: string, xs: number[], extra: Record<string, unknown>): BenchResult => ({
  benchmark: 'job.startup', engine, parallelism: 2, repetitions: xs.length, eventsPerSec: null,
  p50Us: median(xs) * 1000, p99Us: Math.max(...xs) * 1000, rssMB: rssMB(), outputRows: null, outputChecksum: null, bytesPerRecord: null, events: 1000, ...extra,
});
emitReport([
  row('sluice', ms.bundle, { tsxOverBundle: median(ms.tsx) / median(ms.bundle), bundleOverKept: median(ms.bundle) / median(ms.kept) }),
  row('sluice.tsx-workers', ms.tsx, {}),
  row('sluice.kept-threads', ms.kept, {}),
], parseJsonArg(argv));
process.stderr.write(`run() to result, median of ${reps}: bundle ${median(ms.bundle).toFixed(0)} ms, tsx workers ${median(ms.tsx).toFixed(0)} ms `
  + `(${(median(ms.tsx) / median(ms.bundle)).toFixed(2)}x), kept threads ${median(ms.kept).toFixed(0)} ms (bundle ${(median(ms.bundle) / median(ms.kept)).toFixed(2)}x)\n`);
