// q7's pruning before the exchange (HighestSeen): whatever the order of the bids, every bid at its window's
// highest price is passed on, and bids below a higher one already passed in the same window are not.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { HighestSeen } from '../../../benchmarks/nexmark/sluice-queries.js';
import { Q7_WINDOW_MS, windowStart } from '../../../benchmarks/nexmark/queries.js';

test('HighestSeen passes every bid at its window\'s highest price, in any order, and drops what a higher bid passed before beats', () => {
  const bid = fc.record({ ts: fc.integer({ min: 0, max: 6 * Q7_WINDOW_MS }), price: fc.integer({ min: 1, max: 20 }) });
  fc.assert(fc.property(fc.array(bid, { maxLength: 300 }), (bids) => {
    const seen = new HighestSeen();
    const passed = bids.map((b) => seen.mayWin(b.ts, b.price));
    const max = new Map<number, number>();
    for (const b of bids) max.set(windowStart(b.ts, Q7_WINDOW_MS), Math.max(max.get(windowStart(b.ts, Q7_WINDOW_MS)) ?? 0, b.price));
    bids.forEach((b, i) => {
      if (b.price === max.get(windowStart(b.ts, Q7_WINDOW_MS))) assert.ok(passed[i], `bid ${i} is its window's highest`);
    });
    // In time order (no window forgotten), a bid is dropped exactly when a higher one of its window came first.
    const sorted = [...bids].sort((a, b) => a.ts - b.ts);
    const inOrder = new HighestSeen();
    const best = new Map<number, number>();
    for (const b of sorted) {
      const w = windowStart(b.ts, Q7_WINDOW_MS);
      assert.equal(inOrder.mayWin(b.ts, b.price), !(b.price < (best.get(w) ?? -Infinity)));
      best.set(w, Math.max(best.get(w) ?? -Infinity, b.price));
    }
  }));
});
