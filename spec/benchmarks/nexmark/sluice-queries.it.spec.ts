// The Nexmark queries as sluice jobs (benchmarks/nexmark/sluice-queries.ts, run through sluice-job.ts by
// runSluiceQuery): every query, at parallelism 1 and 2, over an out-of-order stream with watermarks every
// millisecond (so windows, auctions and early bids close mid-stream, not only at the end), outputs exactly the
// oracle's rows; and so does a run that checkpoints while it goes (its sink's totals are then committed ones).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nexmarkConfig } from '../../../benchmarks/nexmark/config.js';
import { inOrderEvents } from '../../../benchmarks/nexmark/generator.js';
import { ORACLE } from '../../../benchmarks/nexmark/oracle.js';
import { QUERY_NAMES, ROW_HASH, foldRows, type QueryName } from '../../../benchmarks/nexmark/queries.js';
import { runSluiceQuery } from '../../../benchmarks/nexmark/sluice.js';
import type { SinkTotals } from '../../../benchmarks/job-generator.js';

// 100 s of event time: ten q7 / q8 windows, fifty q5 windows. Groups of 300 events are shuffled: a bound of ~1.5 s.
const config = nexmarkConfig({ events: 20_000, eventsPerSec: 200, outOfOrderGroupSize: 300 });
const events = inOrderEvents(config);

function oracle(q: QueryName, evs = events): SinkTotals {
  return foldRows(ORACLE[q](evs) as unknown[], ROW_HASH[q] as (row: unknown) => number);
}

/** Each query's output must be more than a handful of rows, or agreeing with the oracle says little. */
const MIN_ROWS: Record<QueryName, number> = { q0: 10_000, q1: 10_000, q2: 50, q3: 50, q4: 5, q5: 50, q7: 10, q8: 50 };

for (const q of QUERY_NAMES) {
  test(`${q} on sluice outputs the oracle's rows at parallelism 1 and 2`, async () => {
    const expected = oracle(q);
    assert.ok(expected.rows >= MIN_ROWS[q], `${q}: the oracle gives ${expected.rows} rows`);
    for (const parallelism of [1, 2]) {
      const r = await runSluiceQuery(q, config, { parallelism, watermarkIntervalMs: 1 });
      assert.deepEqual({ rows: r.rows, checksum: r.checksum }, expected, `${q} at parallelism ${parallelism}`);
      assert.ok(r.ms > 0 && r.rssMB > 0);
    }
  });
}

for (const q of ['q4', 'q5', 'q7', 'q8'] as const) {
  test(`${q} without its pruning or combining before the exchange outputs the same rows (every bid through the exchange)`, async () => {
    const r = await runSluiceQuery(q, config, { parallelism: 2, watermarkIntervalMs: 1, prefilter: false });
    assert.deepEqual({ rows: r.rows, checksum: r.checksum }, oracle(q));
  });
}

test('q5 (combined locally before its exchange) outputs the oracle\'s rows while checkpointing', async () => {
  const r = await runSluiceQuery('q5', config, { parallelism: 2, checkpointIntervalMs: 10, watermarkIntervalMs: 1 });
  assert.deepEqual({ rows: r.rows, checksum: r.checksum }, oracle('q5'));
  assert.ok(r.checkpoints >= 1, `${r.checkpoints} checkpoints completed during the run`);
});

for (const prefilter of [true, false]) {
  const plan = prefilter ? 'over topics: each instance\'s highest bids in its own state, partials per category' : 'keyed: keyed state and timers';
  test(`q4 on sluice outputs the oracle's rows while checkpointing (${plan}, snapshotted mid-stream)`, async () => {
    const big = nexmarkConfig({ ...config, events: 50_000 });
    const r = await runSluiceQuery('q4', big, { parallelism: 2, checkpointIntervalMs: 10, watermarkIntervalMs: 1, prefilter });
    assert.deepEqual({ rows: r.rows, checksum: r.checksum }, oracle('q4', inOrderEvents(big)));
    assert.ok(r.checkpoints >= 1, `${r.checkpoints} checkpoints completed during the run`);
  });
}

// Regression: the quick suite's sluice.checkpoint-1s rows said "1 checkpoints" for runs under a second: the final
// checkpoint at the end of input was counted, and the rows looked checkpointed when no periodic one had run.
test('a run shorter than its checkpoint interval counts no checkpoints: the final one at the end of input is not one', async () => {
  const r = await runSluiceQuery('q0', config, { parallelism: 1, checkpointIntervalMs: 600_000 });
  assert.equal(r.checkpoints, 0);
  assert.deepEqual({ rows: r.rows, checksum: r.checksum }, oracle('q0'));
});
