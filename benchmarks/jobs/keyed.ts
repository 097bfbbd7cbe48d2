// Runs on: the benchmark's main thread and every sluice worker thread (each loads the job module and builds the
// same graph). job.keyed: generator → keyBy(key) → reduce (running sum per key) → checksum sink.
// Count and seed come from the environment (benchmarks/job-generator.ts), identical on every thread.

import { defineJob } from '../../core/index.js';
import { benchParams, buildEvent, checksumSink, eventKey, keyedHash, sumReduce } from '../job-generator.js';

export default defineJob((env) => {
  const { count, seed } = benchParams();
  env.fromGenerator({ count, seed }, buildEvent)
    .name('events')
    .keyBy(eventKey)
    .reduce(sumReduce)
    .name('sum')
    .sink(checksumSink(keyedHash, 'keyed'))
    .name('out');
});
