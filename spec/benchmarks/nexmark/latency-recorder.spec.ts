// The q1 latency sink's recorder: its fast path (a count per HdrHistogram bucket, found with clz32) must give the
// very histogram the HdrHistogram alone gives, for any latencies, across resets.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FAST_LIMIT_US, LatencyRecorder, slotOf, slotValue } from '../../../benchmarks/nexmark/latency-recorder.js';
import { encodeHistogram, mergeHistograms, summarize } from '../../../benchmarks/nexmark/latency-histogram.js';

const ms = fc.oneof(
  { weight: 6, arbitrary: fc.double({ min: 0, max: 5, noNaN: true }) },
  // Around the bucket edges: 2048 µs and each power of two above it, up to the histogram's first size (60 s: past
  // it, the histogram that took a value grows, and a grown one's encoding reads its maximum at the other end of the
  // bucket, a different figure within one bucket's width).
  { weight: 3, arbitrary: fc.integer({ min: 11, max: 25 }).chain((b) => fc.double({ min: 2 ** b / 1000 - 0.003, max: 2 ** b / 1000 + 0.003, noNaN: true })) },
  { weight: 2, arbitrary: fc.double({ min: 16, max: 59_000, noNaN: true }) },
  { weight: 1, arbitrary: fc.double({ min: -0.01, max: 0, noNaN: true }) },
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
    // What a sink hands back is the encoding: the same, and what the main thread reads from it. (In memory the fast
    // path's maximum is its bucket's lowest value, not the raw one: nothing reads it there.)
    assert.equal(encodeHistogram(f), encodeHistogram(s));
    const fd = mergeHistograms([encodeHistogram(f)]);
    const sd = mergeHistograms([encodeHistogram(s)]);
    assert.deepEqual(summarize(fd), summarize(sd));
    for (let p = 1; p <= 100; p += 3) assert.equal(fd.getValueAtPercentile(p), sd.getValueAtPercentile(p), `p${p}`);
  }), { numRuns: 150 });
});

test('values below the limit take the fast path; reading the histogram twice counts them once', () => {
  const r = new LatencyRecorder();
  r.recordMs(0.005);
  r.recordMs(0.005);
  r.recordMs(FAST_LIMIT_US / 1000 + 1);
  assert.equal(r.histogram().totalCount, 3);
  assert.equal(r.histogram().totalCount, 3);
  assert.equal(summarize(r.histogram()).p50Us, 5);
});

test('a slot holds exactly the values one HdrHistogram bucket holds: its lowest value maps back to it, the next slot starts after its range', () => {
  fc.assert(fc.property(fc.integer({ min: 0, max: FAST_LIMIT_US - 1 }), (us) => {
    const s = slotOf(us);
    assert.ok(slotValue(s) <= us, `slot ${s} starts at ${slotValue(s)}, above ${us}`);
    assert.equal(slotOf(slotValue(s)), s);
    if (slotValue(s + 1) < FAST_LIMIT_US) assert.ok(slotValue(s + 1) > us);
  }), { numRuns: 2000 });
  // One µs per slot below 2048, then 2 µs, 4 µs, ... per slot above each power of two.
  assert.deepEqual([2046, 2047, 2048, 2049, 2050, 4095, 4096, 4099, 4100].map(slotOf), [2046, 2047, 2048, 2048, 2049, 3071, 3072, 3072, 3073]);
});
