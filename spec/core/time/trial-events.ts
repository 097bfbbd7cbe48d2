// Random out-of-order streams for the event-time trial (fast-check): late records, records at the watermark and on
// window boundaries, duplicated timestamps, huge gaps, negative and zero times, watermarks carried by records.

import fc from 'fast-check';
import type { TrialEv } from './jobs/trial.js';
import type { TrialParams } from './trial-oracle.js';

interface Step { frac: number; kind: 'normal' | 'late' | 'at-wm' | 'boundary' | 'dup' | 'gap'; dt: number; jitter: number; key: number; side: 0 | 1; wm: boolean; wmBack: number }

const step: fc.Arbitrary<Step> = fc.record({
  frac: fc.constantFrom(0, 0, 0, 0, 0.5, 0.25),
  kind: fc.constantFrom('normal', 'normal', 'normal', 'late', 'at-wm', 'boundary', 'dup', 'gap'),
  dt: fc.integer({ min: 0, max: 4 }),
  jitter: fc.integer({ min: 0, max: 30 }),
  key: fc.integer({ min: 0, max: 2 }),
  side: fc.constantFrom<0 | 1>(0, 0, 1),
  wm: fc.boolean(),
  wmBack: fc.integer({ min: 0, max: 6 }),
});

export const trialParams: fc.Arbitrary<TrialParams> = fc.record({
  size: fc.integer({ min: 1, max: 20 }),
  slide: fc.integer({ min: 1, max: 20 }),
  gap: fc.integer({ min: 1, max: 15 }),
  lateness: fc.constantFrom(0, 0, 1, 5, 20),
  delay: fc.integer({ min: 0, max: 10 }),
  follow: fc.constantFrom(0, 1, 5),
  lo: fc.integer({ min: -10, max: 0 }),
  hi: fc.integer({ min: 0, max: 10 }),
});

/** The top of event time: records there must behave as any others. */
const TOP = Number.MAX_SAFE_INTEGER;

export interface TrialCase { params: TrialParams; events: TrialEv[] }

/** Folds steps into records: a clock that moves on, each record near it or behind the watermark. */
export function buildEvents(base: number, steps: readonly Step[], size: number): TrialEv[] {
  let clock = base;
  let wm = -Infinity;
  let prev = base;
  return steps.map((s, id) => {
    clock += s.dt;
    let ts: number;
    switch (s.kind) {
      case 'normal': ts = clock - (s.jitter % 7); break;
      case 'late': ts = (wm === -Infinity ? clock : wm) - s.jitter; break;
      case 'at-wm': ts = wm === -Infinity ? clock : wm; break;
      case 'boundary': ts = Math.floor(clock / size) * size - (s.jitter % 2); break;
      case 'dup': ts = prev; break;
      case 'gap': clock += 1_000_000; ts = clock; break;
    }
    if (s.kind !== 'dup' && s.kind !== 'at-wm') ts += s.frac;
    ts = Math.min(ts, TOP);
    prev = ts;
    const e: TrialEv = { id, key: `k${s.key}`, ts, side: s.side };
    if (s.wm) {
      // Below the top: a watermark there is the end of event time, which a restore does not carry (as Flink, which
      // restores no watermark), so records after it are late only in a run without a failure.
      e.wm = Math.min(clock - s.wmBack - 1, TOP - 1);
      if (e.wm > wm) wm = e.wm;
    }
    return e;
  });
}

export const trialCase: fc.Arbitrary<TrialCase> = fc.record({
  params: trialParams,
  base: fc.constantFrom(0, -500, -7, 1_700_000_000_000, TOP - 300),
  steps: fc.array(step, { minLength: 1, maxLength: 160 }),
}).map(({ params, base, steps }) => ({ params, events: buildEvents(base, steps, params.size) }));
