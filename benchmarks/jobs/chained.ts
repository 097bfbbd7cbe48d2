// Runs on: the benchmark's main thread and every sluice worker thread (each loads the job module and builds the
// same graph). job.chained: generator → map → filter → checksum sink, all stateless, chained into one task.
// Count and seed come from the environment (benchmarks/job-generator.ts), identical on every thread.

import { defineJob } from '../../core/index.js';
import { benchParams, buildEvent, chainedFilter, chainedHash, chainedMap, checksumSink } from '../job-generator.js';

export default defineJob((env) => {
  const { count, seed } = benchParams();
  env.fromGenerator({ count, seed }, buildEvent)
    .name('events')
    .map(chainedMap)
    .name('map')
    .filter(chainedFilter)
    .name('filter')
    .sink(checksumSink(chainedHash, 'chained'))
    .name('out');
});
