// --quick is a smoke run of a few hundred ms per task: tinybench runs a task until both its time and its
// iterations are done, so quick caps the iterations too. Regression: `npm run bench:formats -- --quick` ran every
// task at least 64 + 16 times (its 10,000-record batches: ~8.5 CPU-s).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Bench } from 'tinybench';
import { benchTiming } from '../../benchmarks/report.js';

/** A task of at least `ms` per call (a busy loop: a sample tinybench times, like a batch of records). */
const busy = (ms: number) => (): void => {
  const until = performance.now() + ms;
  while (performance.now() < until) { /* spin */ }
};

test('benchTiming --quick: a 5 ms task is sampled for ~100 ms, not tinybench\'s default 64 (+16 warm-up) times', async () => {
  const bench = new Bench({ name: 'quick', ...benchTiming(['--quick']), throws: true });
  bench.add('busy', busy(5));
  await bench.run();
  const r = bench.getTask('busy')!.result;
  assert.equal(r.state, 'completed');
  const samples = r.state === 'completed' ? r.latency.samplesCount : 0;
  // ~20 in 100 ms; at least the 4 iterations; far below 64.
  assert.ok(samples >= 4 && samples <= 25, `samples ${samples}`);
});

test('benchTiming without --quick keeps tinybench\'s iteration minimum (the full mode is unchanged)', () => {
  const t = benchTiming([]);
  assert.deepEqual(t, { time: 1500, warmupTime: 300 });
});
