// q1's per-event latencies: what a thread tallies (events due in the warm-up counted apart, the rest recorded
// from their due times, every row in the checksum) and the parts of several threads added up. Latencies below are
// under 2048 µs, which the histogram (3 significant digits) holds exactly.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as hdr from 'hdr-histogram-js';
import { addEventLatencyParts, EventLatencyTally } from '../../../benchmarks/nexmark/event-latencies.js';
import { foldRows, q1Hash, type Q1Row } from '../../../benchmarks/nexmark/queries.js';

const row = (i: number): Q1Row => ({ auction: 1000 + i, bidder: 2000 + i, price: i * 0.908, dateTime: 1_700_000_000_000 + i, extra: 'x'.repeat(i % 7) });

test('a tally counts events due within the warm-up apart and records the others\' arrival minus due time', () => {
  const anchor = 1_000_000;
  const t = new EventLatencyTally(100);
  // Due at anchor + 0, 50, 99.9: warm-up (recorded 10 ms late each, then dropped); 100 and 150: measured.
  const dues = [0, 50, 99.9, 100, 150];
  const late = [10, 10, 10, 0.2, 0.3];
  const rows = dues.map((_, i) => row(i));
  dues.forEach((d, i) => t.add(rows[i]!, anchor + d + late[i]!, anchor + d, anchor));
  const part = t.part();
  assert.equal(part.warmup, 3);
  assert.deepEqual({ rows: part.rows, checksum: part.checksum }, foldRows(rows, q1Hash));
  const h = hdr.decodeFromCompressedBase64(part.histogram);
  assert.equal(h.totalCount, 2);
  assert.equal(h.minNonZeroValue, 200);
  assert.equal(h.maxValue, 300);
});

test('a tally with no warm-up records every event; an arrival before its due time (clock jitter) counts as 0', () => {
  const t = new EventLatencyTally(0);
  t.add(row(0), 5, 5.5, 0);
  t.add(row(1), 7, 6, 0);
  const h = hdr.decodeFromCompressedBase64(t.part().histogram);
  assert.equal(h.totalCount, 2);
  assert.equal(h.maxValue, 1_000);
  assert.equal(h.getValueAtPercentile(50), 0);
});

test('parts added up: percentiles over every part\'s events, warm-ups and checksums summed', () => {
  const a = new EventLatencyTally(10);
  const b = new EventLatencyTally(10);
  const rows = Array.from({ length: 6 }, (_, i) => row(i));
  // a: one warm-up event, two measured 0.1 and 0.2 ms late; b: three measured 0.3, 0.4 and 1.5 ms late.
  a.add(rows[0]!, 6, 5, 0);
  a.add(rows[1]!, 20.1, 20, 0);
  a.add(rows[2]!, 20.2, 20, 0);
  b.add(rows[3]!, 20.3, 20, 0);
  b.add(rows[4]!, 20.4, 20, 0);
  b.add(rows[5]!, 21.5, 20, 0);
  const sum = addEventLatencyParts([a.part(), b.part()]);
  assert.equal(sum.warmup, 1);
  assert.deepEqual(sum.totals, foldRows(rows, q1Hash));
  assert.equal(sum.summary.count, 5);
  assert.equal(sum.summary.p50Us, 300);
  assert.equal(sum.summary.maxUs, 1_500);
  assert.deepEqual(addEventLatencyParts([]), { summary: { count: 0, p50Us: null, p99Us: null, p999Us: null, maxUs: null }, warmup: 0, totals: { rows: 0, checksum: 0 } });
});

test('rows held for a batch are recorded at its end, each from its own due time; the warm-up\'s rows are dropped when measuring starts', () => {
  const anchor = 1_000_000;
  const t = new EventLatencyTally(100);
  const rows = Array.from({ length: 5 }, (_, i) => row(i));
  // A batch across the warm-up's end: due at +60 and +99 (warm-up), +100 and +100.5 (measured); ends at +101.
  t.hold(rows[0]!, anchor + 60, anchor);
  t.hold(rows[1]!, anchor + 99, anchor);
  t.hold(rows[2]!, anchor + 100, anchor);
  t.hold(rows[3]!, anchor + 100.5, anchor);
  // The first measured row dropped the two warm-up rows held before it.
  assert.equal(t.holding, 2);
  assert.throws(() => t.part(), /2 rows held/);
  t.end(anchor + 101);
  // A second batch of one, ended at +103.
  t.hold(rows[4]!, anchor + 102.8, anchor);
  t.end(anchor + 103);
  const part = t.part();
  assert.equal(part.warmup, 2);
  assert.deepEqual({ rows: part.rows, checksum: part.checksum }, foldRows(rows, q1Hash));
  const h = hdr.decodeFromCompressedBase64(part.histogram);
  // Measured: 1 ms, 0.5 ms and 0.2 ms (the warm-up's 41 and 2 ms are gone).
  assert.equal(h.totalCount, 3);
  assert.equal(h.minNonZeroValue, 200);
  assert.equal(h.maxValue, 1_000);
  assert.equal(h.getValueAtPercentile(50), 500);
});
