// Runs on: the hand-written worker threads of benchmarks/jobs.ts. The windowed jobs written by hand, the
// baseline sluice's window operator is measured against: one loop over the same bids, window state in Maps
// (window end → auction → state), windows closed as a watermark (max time seen - bound - 1) passes their end,
// checked every WATERMARK_EVERY bids the way a periodic watermark would.

import { SplitRandom } from '../core/connectors/generator.js';
import type { SinkTotals } from './job-generator.js';
import {
  buildBid, maxBid, OUT_OF_ORDER_MS, rowHashOf, SLIDING_SIZE_MS, SLIDING_SLIDE_MS, TUMBLING_MS, type Bid,
} from './bid-stream.js';

const WATERMARK_EVERY = 4096;

function floorTo(ts: number, size: number): number {
  return ts - (((ts % size) + size) % size);
}

/** Emits (folds) and drops every window whose end - 1 the watermark has reached. */
function closeWindows<S>(windows: Map<number, Map<number, S>>, wm: number, value: (s: S) => number, totals: SinkTotals): void {
  for (const [end, byAuction] of windows) {
    if (end - 1 > wm) continue;
    for (const [auction, s] of byAuction) {
      totals.rows++;
      totals.checksum = (totals.checksum + rowHashOf(auction, end, value(s))) | 0;
    }
    windows.delete(end);
  }
}

/** window.tumbling by hand: highest bid per auction per 10 s window. */
export function tumblingLoop(count: number, seed: number, start: number, step: number): SinkTotals {
  const r = new SplitRandom();
  const windows = new Map<number, Map<number, Bid>>();
  const totals: SinkTotals = { rows: 0, checksum: 0 };
  let maxTs = -Infinity;
  let n = 0;
  for (let i = start; i < count; i += step) {
    const b = buildBid(i, r.reset(seed, i));
    const ts = b.dateTime;
    if (ts > maxTs) maxTs = ts;
    const end = floorTo(ts, TUMBLING_MS) + TUMBLING_MS;
    let byAuction = windows.get(end);
    if (byAuction === undefined) windows.set(end, (byAuction = new Map()));
    const prev = byAuction.get(b.auction);
    byAuction.set(b.auction, prev === undefined ? b : maxBid(prev, b));
    if ((++n & (WATERMARK_EVERY - 1)) === 0) closeWindows(windows, maxTs - OUT_OF_ORDER_MS - 1, (x) => x.price, totals);
  }
  closeWindows(windows, Infinity, (x) => x.price, totals);
  return totals;
}

/** window.sliding by hand: bids per auction per 10 s window, one starting every 2 s. */
export function slidingLoop(count: number, seed: number, start: number, step: number): SinkTotals {
  const r = new SplitRandom();
  const windows = new Map<number, Map<number, number>>();
  const totals: SinkTotals = { rows: 0, checksum: 0 };
  let maxTs = -Infinity;
  let n = 0;
  for (let i = start; i < count; i += step) {
    const b = buildBid(i, r.reset(seed, i));
    const ts = b.dateTime;
    if (ts > maxTs) maxTs = ts;
    for (let s = floorTo(ts, SLIDING_SLIDE_MS); s > ts - SLIDING_SIZE_MS; s -= SLIDING_SLIDE_MS) {
      const end = s + SLIDING_SIZE_MS;
      let byAuction = windows.get(end);
      if (byAuction === undefined) windows.set(end, (byAuction = new Map()));
      byAuction.set(b.auction, (byAuction.get(b.auction) ?? 0) + 1);
    }
    if ((++n & (WATERMARK_EVERY - 1)) === 0) closeWindows(windows, maxTs - OUT_OF_ORDER_MS - 1, (x) => x, totals);
  }
  closeWindows(windows, Infinity, (x) => x, totals);
  return totals;
}
