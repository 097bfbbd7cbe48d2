// Sink subtasks record latencies into their own histograms and hand them back encoded; the merge must hold every
// value of every part, so the percentiles are over all events.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeHistogram, latencyHistogram, mergeHistograms, recordMs, summarize } from '../../../benchmarks/nexmark/latency-histogram.js';

test('merging encoded parts gives the histogram of all their values', () => {
  const all = latencyHistogram();
  const parts = [latencyHistogram(), latencyHistogram(), latencyHistogram()];
  // Part k holds its own range, so a merge that dropped a part would move the percentiles.
  for (let i = 0; i < 30_000; i++) {
    const ms = (i % 3) * 10 + (i % 1000) / 100;
    recordMs(parts[i % 3]!, ms);
    recordMs(all, ms);
  }
  const merged = summarize(mergeHistograms(parts.map(encodeHistogram)));
  const direct = summarize(all);
  assert.equal(merged.count, 30_000);
  assert.deepEqual([merged.p50Us, merged.p99Us, merged.p999Us], [direct.p50Us, direct.p99Us, direct.p999Us]);
  // Largest value 29.99 ms: after a merge, the top of its bucket (3 significant digits).
  assert.ok(merged.maxUs! >= 29_990 && merged.maxUs! <= 29_990 * 1.001, `max ${merged.maxUs}`);
  assert.ok(merged.p50Us! < merged.p99Us! && merged.p99Us! <= merged.p999Us! && merged.p999Us! <= merged.maxUs!);
});

test('latencies are whole microseconds; a negative one (clock jitter) counts as 0', () => {
  const h = latencyHistogram();
  recordMs(h, -0.004);
  recordMs(h, 1.2344);
  const s = summarize(h);
  assert.equal(s.count, 2);
  assert.equal(h.minNonZeroValue, 1234);
  assert.equal(s.maxUs, 1234);
});

test('an empty histogram summarises to nulls, and merging nothing is empty', () => {
  assert.deepEqual(summarize(mergeHistograms([])), { count: 0, p50Us: null, p99Us: null, p999Us: null, maxUs: null });
  assert.deepEqual(summarize(mergeHistograms([encodeHistogram(latencyHistogram())])).count, 0);
});

test('a percentile never exceeds the maximum (the top of its bucket can)', () => {
  const h = latencyHistogram();
  for (let i = 0; i < 100; i++) recordMs(h, 5);
  recordMs(h, 100.703);
  // 100,703 µs sits in a bucket whose top is higher: p99.9 is that value, not the bucket's top.
  assert.ok(h.getValueAtPercentile(99.9) > 100_703);
  const s = summarize(h);
  assert.equal(s.maxUs, 100_703);
  assert.equal(s.p999Us, 100_703);
  assert.ok(s.p50Us! >= 5_000 && s.p50Us! <= 5_005, `p50 ${s.p50Us}`); // 5 ms, to 3 significant digits
});
