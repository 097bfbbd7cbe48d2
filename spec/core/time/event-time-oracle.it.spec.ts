// Event time against a plain oracle (trial-oracle.ts), on random out-of-order streams (trial-events.ts: late
// records, records at the watermark and on window boundaries, duplicated and fractional timestamps, huge gaps,
// negative times, the top of event time): keyed and non-keyed tumbling, sliding and session windows with allowed
// lateness and late outputs, event-time timers (follow-ups registered in onTimer), an interval join. Compared
// exactly at parallelism 1 and 2, through a failure and restart from a checkpoint (aligned and unaligned), and
// through a savepoint resumed at another parallelism: every window fires when and as often as the oracle says,
// with its contents, every timer once, every late record on its late output once.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { trialCase } from './trial-events.js';
import { compareTrial } from './trial-compare.js';
import { runTrial, runTrialRescaled, runTrialWithCrash } from './trial-run.js';

const check = (what: string, problems: string | undefined): void => assert.equal(problems, undefined, `${what}: ${problems}`);

test('event time equals the oracle at parallelism 1 and 2', { timeout: 120_000 }, async () => {
  await fc.assert(fc.asyncProperty(trialCase, fc.integer({ min: 1, max: 2 }), async (c, p) => {
    check(`p${p}`, compareTrial(c, await runTrial(c, { p })));
  }), { numRuns: 4, endOnFailure: true });
});

test('event time equals the oracle through a failure and a restart from a checkpoint (aligned and unaligned)', { timeout: 120_000 }, async () => {
  await fc.assert(fc.asyncProperty(trialCase, fc.integer({ min: 1, max: 2 }), fc.boolean(), async (c, p, unaligned) => {
    const r = await runTrialWithCrash(c, p, Math.floor(c.events.length * 0.6), unaligned ? { checkpointMode: 'unaligned', ringBytes: 16 * 1024 } : {});
    assert.equal(r.restarts, 1, 'the failure was injected once');
    check(`p${p}${unaligned ? ' unaligned' : ''}`, compareTrial(c, r.out));
  }), { numRuns: 4, endOnFailure: true });
});

test('event time equals the oracle through a savepoint resumed at another parallelism', { timeout: 120_000 }, async () => {
  await fc.assert(fc.asyncProperty(trialCase, fc.constantFrom([1, 2], [2, 1]), async (c, [p1, p2]) => {
    check(`p${p1} -> p${p2}`, compareTrial(c, await runTrialRescaled(c, p1!, p2!, Math.floor(c.events.length * 0.6))));
  }), { numRuns: 4, endOnFailure: true });
});
