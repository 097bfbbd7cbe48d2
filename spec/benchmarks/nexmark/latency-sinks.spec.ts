// The latency sinks: q1's finds each row's event and its due time at the source (from the schedule the source
// wrote), leaves out the warm-up and records the rest; q7's keeps (window end, arrival) per row. Both fold the
// query's checksum. No timing is asserted: the schedules below lie far in the past.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as hdr from 'hdr-histogram-js';
import { epochMs } from '../../../benchmarks/job-generator.js';
import { NexmarkConfigError, nexmarkConfig } from '../../../benchmarks/nexmark/config.js';
import { handwrittenQuery } from '../../../benchmarks/nexmark/handwritten.js';
import { writeSourceStart } from '../../../benchmarks/nexmark/latency-dir.js';
import { latencyConfig } from '../../../benchmarks/nexmark/latency-params.js';
import type { EventLatencyPart } from '../../../benchmarks/nexmark/event-latencies.js';
import { eventLatencySink, windowResultSink, type WindowResultsPart } from '../../../benchmarks/nexmark/latency-sinks.js';
import { foldRows, q7Hash, type Q1Row, type Q7Row } from '../../../benchmarks/nexmark/queries.js';

for (const clockPerEvent of [false, true]) test(`q1 sink (clock per ${clockPerEvent ? 'event' : 'batch'}): events due within the warm-up are counted apart, every other one is recorded from its due time`, () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'latency-sinks-'));
  try {
    const config = latencyConfig(nexmarkConfig(), 6_000);
    // Two source subtasks at 1000 events/s each, started 60 s ago: event k of a subtask was due at anchor + k + 1 ms.
    const anchorMs = epochMs() - 60_000;
    for (const s of [0, 1]) writeSourceStart(dir, { subtask: s, parallelism: 2, anchorMs, ratePerSec: 1_000 });
    const sink = eventLatencySink(config, { query: 'q1', dir, offeredPerSec: 2_000, parallelism: 2, warmupMs: 1_000, clockPerEvent });
    const writer = sink.createWriter(0, 1);
    const rows: Q1Row[] = [];
    // Batches of 100 rows (per event: batchEnd is the per-batch writer's only).
    const totals = handwrittenQuery('q1', config, { onRow: (r) => { rows.push(r); writer.write(r); if (rows.length % 100 === 0) writer.batchEnd?.(); } });
    assert.equal(writer.batchEnd === undefined, clockPerEvent);
    const [part] = writer.finish() as EventLatencyPart[];
    // Event id i is event (i - s) / 2 of subtask s = i % 2: in the warm-up when its due time, (k + 1) ms after the
    // anchor, is under 1000 ms, i.e. when i < 1998.
    const warmup = rows.filter((r) => r.dateTime - config.baseTime < 1_998).length;
    assert.ok(warmup > 0 && warmup < rows.length);
    assert.equal(part!.warmup, warmup);
    assert.deepEqual({ rows: part!.rows, checksum: part!.checksum }, totals);
    const h = hdr.decodeFromCompressedBase64(part!.histogram);
    assert.equal(h.totalCount, rows.length - warmup);
    // Every event was due at most 3 s after the anchor, 60 s ago: at least 57 s late.
    assert.ok(h.minNonZeroValue >= 57_000_000, `min ${h.minNonZeroValue} µs`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('q1 sink refuses a stream whose event times do not name their events', () => {
  assert.throws(
    () => eventLatencySink(nexmarkConfig({ events: 10 }), { query: 'q1', dir: os.tmpdir(), offeredPerSec: 10, parallelism: 1, warmupMs: 0 }),
    NexmarkConfigError,
  );
});

test('q7 sink: every row with its window end and arrival time, in arrival order, and the checksum', () => {
  const writer = windowResultSink().createWriter(0, 1);
  const rows: Q7Row[] = [
    { windowEnd: 10_000, auction: 1, bidder: 2, price: 3, dateTime: 9_000, extra: 'x' },
    { windowEnd: 20_000, auction: 4, bidder: 5, price: 6, dateTime: 19_000, extra: '' },
  ];
  const before = epochMs();
  for (const r of rows) writer.write(r);
  const [part] = writer.finish() as WindowResultsPart[];
  assert.deepEqual(part!.windowEnds, [10_000, 20_000]);
  assert.ok(part!.atMs[0]! >= before && part!.atMs[1]! >= part!.atMs[0]!);
  assert.deepEqual({ rows: part!.rows, checksum: part!.checksum }, foldRows(rows, q7Hash));
});
