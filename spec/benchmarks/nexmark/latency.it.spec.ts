// A whole latency run on sluice, q1 and q7 at parallelism 2 over a short schedule: the paced source delivers
// exactly the stream (the rows and checksum are the hand-written loop's over the same config), and every result
// is accounted for: measured, in the warm-up, or (q7) of a window only the end of input closed. No timing is
// asserted: the figures depend on the machine.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nexmarkConfig } from '../../../benchmarks/nexmark/config.js';
import { handwrittenQuery } from '../../../benchmarks/nexmark/handwritten.js';
import { runLatency } from '../../../benchmarks/nexmark/latency.js';
import { latencyConfig } from '../../../benchmarks/nexmark/latency-params.js';

const base = nexmarkConfig({ seed: 3 });

test('q1 latency run: every event of the stream reaches the sink, measured or in the warm-up', async () => {
  const r = await runLatency('q1', base, { parallelism: 2, offeredPerSec: 20_000, seconds: 1, warmupMs: 200 });
  assert.equal(r.events, 20_000);
  assert.deepEqual({ rows: r.rows, checksum: r.checksum }, handwrittenQuery('q1', latencyConfig(base, 20_000)));
  assert.equal(r.count + r.warmup, r.rows);
  assert.equal(r.closedByEnd, 0);
  assert.ok(r.achievedPerSec > 0);
  if (r.count > 0) assert.ok(r.p50Us! <= r.p99Us! && r.p99Us! <= r.p999Us! && r.p999Us! <= r.maxUs!);
});

test('q7 latency run: the windows\' rows are the hand-written loop\'s, each measured or set apart', async () => {
  // 30,000 events at 1 ms of event time each: three 10 s windows, the last closed by the end of input.
  const r = await runLatency('q7', base, { parallelism: 2, offeredPerSec: 15_000, seconds: 2, warmupMs: 0 });
  assert.deepEqual({ rows: r.rows, checksum: r.checksum }, handwrittenQuery('q7', latencyConfig(base, 30_000)));
  assert.equal(r.count + r.warmup + r.closedByEnd, r.rows);
  assert.equal(r.warmup, 0);
  assert.ok(r.closedByEnd >= 1, 'the last window is closed by the end of input, which no source logs');
  // The same results from their closing events' due times: never earlier than from the watermark's emission (the
  // pacer sends no event before it is due), give or take the threads' clocks.
  assert.equal(r.fromDue?.count, r.count);
  if (r.count > 0) assert.ok(r.fromDue!.maxUs! >= r.maxUs! - 1_000, `${r.fromDue!.maxUs} from due, ${r.maxUs} from the watermark`);
});
