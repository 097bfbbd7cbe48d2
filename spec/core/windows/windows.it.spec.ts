// Whole jobs on real threads: every window kind (tumbling, sliding, session) x every computation (reduce,
// aggregate, process, and reduce / aggregate with a window function), the window join and coGroup, the interval join,
// over random out-of-order inputs at random parallelism and watermark intervals, equal a plain oracle over the
// same input. Each fast-check run is one job (one thread start-up) computing all of them at once.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { run } from '../../../core/index.js';
import { allEvents, type EventParams } from './jobs/events.js';
import { canon, intervalJoin, windowCoGroup, windowJoin, windowResult, windowsOf, type Computation, type WindowKind } from './oracle.js';

const KINDS: WindowKind[] = ['tumbling', 'sliding', 'session'];
const COMPUTATIONS: Computation[] = ['reduce', 'aggregate', 'process', 'reduceFn', 'aggregateFn'];

// The second stream (joins) is sparser: a join emits every pair of a window, so dense inputs on both sides
// would make the job mostly about shipping pairs. Both pause every burstMs of event time (sessions end).
const events = (seed: number, density: number, burstMs: number): fc.Arbitrary<EventParams> => fc.record({
  seed: fc.constant(seed),
  n: fc.integer({ min: 200, max: 4000 }).map((n) => Math.ceil(n / density)),
  keys: fc.integer({ min: 1, max: 6 }),
  step: fc.constantFrom(0.25, 1, 3).map((s) => s * density),
  bound: fc.integer({ min: 1, max: 40 }),
  burstMs: fc.constant(burstMs),
});

const scenario = fc.tuple(fc.integer({ min: 1, max: 1_000_000 }), fc.integer({ min: 20, max: 200 })).chain(([seed, burstMs]) => fc.record({
  a: events(seed, 1, burstMs),
  b: events(seed + 7, 8, burstMs),
  parallelism: fc.integer({ min: 1, max: 4 }),
  wmi: fc.constantFrom(1, 5, 20),
  size: fc.integer({ min: 5, max: 120 }),
  slideDiv: fc.integer({ min: 1, max: 4 }),
  gap: fc.integer({ min: 1, max: 30 }),
  lo: fc.integer({ min: -20, max: 5 }),
  width: fc.integer({ min: 0, max: 25 }),
  fast: fc.boolean(),
  held: fc.constantFrom(1, 3, 100_000),
}));

test('windowed results and joins equal the single-threaded oracle (random inputs, parallelism, watermark intervals)', async () => {
  await fc.assert(fc.asyncProperty(scenario, async (s) => {
    const slide = Math.max(1, Math.floor(s.size / s.slideDiv));
    const hi = s.lo + s.width;
    const q = new URLSearchParams({ wmi: String(s.wmi), size: String(s.size), slide: String(slide), gap: String(s.gap), lo: String(s.lo), hi: String(hi), fast: s.fast ? '1' : '0', held: String(s.held) });
    for (const [k, v] of Object.entries(s.a)) q.set(k, String(v));
    for (const [k, v] of Object.entries(s.b)) q.set(`b.${k}`, String(v));
    const h = await run(new URL(`./jobs/windowed.ts?${q}`, import.meta.url), { parallelism: s.parallelism, ringBytes: 64 * 1024 });
    const { collected, metrics } = await h.result;
    const a = allEvents(s.a);
    const b = allEvents(s.b);
    const wp = { size: s.size, slide, gap: s.gap };
    for (const kind of KINDS) {
      const windows = windowsOf(kind, wp, a);
      for (const c of COMPUTATIONS) {
        assert.deepEqual(canon(collected[`${kind}.${c}`]), canon(windows.map((w) => windowResult(c, w))), `${kind} ${c}`);
      }
    }
    // Two-phase (combineLocally, holding at most `held` accumulators per subtask): the same tumbling results.
    const tumbling = windowsOf('tumbling', wp, a);
    for (const c of ['reduce', 'aggregate', 'reduceFn', 'aggregateFn'] as const) {
      assert.deepEqual(canon(collected[`combined.${c}`]), canon(tumbling.map((w) => windowResult(c, w))), `combined ${c} (held ${s.held})`);
    }
    for (const kind of ['tumbling', 'session'] as const) {
      assert.deepEqual(canon(collected[`join.${kind}`]), canon(windowJoin(kind, wp, a, b)), `window join, ${kind}`);
      assert.deepEqual(canon(collected[`coGroup.${kind}`]), canon(windowCoGroup(kind, wp, a, b)), `window coGroup, ${kind}`);
    }
    assert.deepEqual(canon(collected['join.interval']), canon(intervalJoin(s.lo, hi, a, b)), 'interval join');
    const dropped = metrics.operators.reduce((n, o) => n + o.lateRecordsDropped, 0);
    assert.equal(dropped, 0, 'no record is late within the bound');
  }), { numRuns: 3, endOnFailure: true, examples: [[{
    // Fast paths off, at the highest parallelism (the random runs may not draw it).
    a: { seed: 9, n: 3000, keys: 4, step: 1, bound: 20, burstMs: 80 }, b: { seed: 16, n: 400, keys: 4, step: 8, bound: 20, burstMs: 80 },
    parallelism: 4, wmi: 1, size: 40, slideDiv: 4, gap: 10, lo: -10, width: 20, fast: false, held: 3,
  }]] });
});
