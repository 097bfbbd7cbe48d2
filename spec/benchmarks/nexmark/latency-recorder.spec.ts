// The q1 latency sink's recorder: its fast path (plain counts below DENSE_LIMIT_US) must give the very histogram
// the HdrHistogram alone gives, for any latencies, across resets.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DENSE_LIMIT_US, LatencyRecorder } from '../../../benchmarks/nexmark/latency-recorder.js';
import { encodeHistogram, summarize } from '../../../benchmarks/nexmark/latency-histogram.js';

const ms = fc.oneof(
  { weight: 6, arbitrary: fc.double({ min: 0, max: DENSE_LIMIT_US / 1000, noNaN: true }) },
  { weight: 2, arbitrary: fc.double({ min: DENSE_LIMIT_US / 1000 - 0.002, max: DENSE_LIMIT_US / 1000 + 0.002, noNaN: true }) },
  { weight: 1, arbitrary: fc.double({ min: -0.01, max: 0, noNaN: true }) },
  { weight: 1, arbitrary: fc.double({ min: 16, max: 70_000, noNaN: true }) },
);

test('the fast path and the HdrHistogram alone record the same histogram, also after a reset', () => {
  fc.assert(fc.property(fc.array(ms, { maxLength: 400 }), fc.array(ms, { maxLength: 400 }), (before, after) => {
    const fast = new LatencyRecorder(true);
    const slow = new LatencyRecorder(false);
    for (const x of before) { fast.recordMs(x); slow.recordMs(x); }
    fast.reset();
    slow.reset();
    for (const x of after) { fast.recordMs(x); slow.recordMs(x); }
    const f = fast.histogram();
    const s = slow.histogram();
    assert.equal(f.totalCount, after.length);
    assert.deepEqual(summarize(f), summarize(s));
    assert.equal(encodeHistogram(f), encodeHistogram(s));
  }), { numRuns: 150 });
});

test('values below the limit take the fast path; reading the histogram twice counts them once', () => {
  const r = new LatencyRecorder();
  r.recordMs(0.005);
  r.recordMs(0.005);
  r.recordMs(DENSE_LIMIT_US / 1000 + 1);
  assert.equal(r.histogram().totalCount, 3);
  assert.equal(r.histogram().totalCount, 3);
  assert.equal(summarize(r.histogram()).p50Us, 5);
});
