// Runs on: every thread of the windowed job benchmarks (benchmarks/jobs.ts): its main thread and hand-written
// workers, and the sluice worker threads that load benchmarks/jobs/window-*.ts. The Nexmark-style Bid stream of
// the window benchmarks and what every engine computes over it.
//
// Bid i is a function of (seed, i) through the generator's own PRNG (core/connectors/generator.ts SplitRandom),
// like job-generator.ts's events: identical in every engine. Its event time follows i (EVENTS_PER_SEC bids per
// second of event time) minus up to OUT_OF_ORDER_MS, so with a watermark bound of OUT_OF_ORDER_MS no bid is late
// and every engine closes exactly the same windows with exactly the same contents.

import type { Random } from '../core/connectors/generator.js';
import type { Bid } from './bid.js';
import { fmix32 } from '../core/graph/key-groups.js';

export type { Bid } from './bid.js';

export const AUCTIONS = 1000;
/** Bids per second of event time: a 10 s window holds 100,000 bids (~100 per auction). */
export const EVENTS_PER_SEC = 10_000;
export const OUT_OF_ORDER_MS = 50;
export const BASE_TIME = Date.UTC(2024, 0, 1);
export const TUMBLING_MS = 10_000;
export const SLIDING_SIZE_MS = 10_000;
export const SLIDING_SLIDE_MS = 2_000;

const CHANNELS = ['Google', 'Facebook', 'Baidu', 'Apple'];
// A fixed pool of strings: building a bid costs no string work, while its encoded size stays Nexmark-like (~100 B).
const URLS = Array.from({ length: 64 }, (_, k) => `https://nexmark.io/item/${(k * 7919) % 10_000}?ref=${k}`);
const EXTRAS = Array.from({ length: 16 }, (_, k) => 'x'.repeat(20 + k));

export function buildBid(i: number, r: Random): Bid {
  return {
    auction: 1000 + r.int(AUCTIONS),
    bidder: 1000 + r.int(100_000),
    price: 100 + r.int(10_000_000),
    channel: CHANNELS[r.int(CHANNELS.length)]!,
    url: URLS[r.int(URLS.length)]!,
    dateTime: BASE_TIME + Math.floor((i * 1000) / EVENTS_PER_SEC) - r.int(OUT_OF_ORDER_MS + 1),
    extra: EXTRAS[r.int(EXTRAS.length)]!,
  };
}

export function bidTime(b: Bid): number {
  return b.dateTime;
}

export function auctionOf(b: Bid): number {
  return b.auction;
}

/** window.tumbling: the highest bid of the window (ties: the first one seen, by a total order on the bid). */
export function maxBid(a: Bid, b: Bid): Bid {
  return b.price > a.price || (b.price === a.price && b.bidder < a.bidder) ? b : a;
}

/** One result row: auction, window end, and the figure (max price, or count of bids). */
export interface WindowRow {
  auction: number;
  end: number;
  value: number;
}

export function rowHashOf(auction: number, end: number, value: number): number {
  return fmix32(Math.imul(auction, 0x9e37_79b1) ^ Math.imul((end - BASE_TIME) / 1000, 0x85eb_ca6b) ^ Math.imul(value | 0, 0x27d4_eb2f) ^ Math.floor(value / 0x1_0000_0000));
}

export function rowHash(r: WindowRow): number {
  return rowHashOf(r.auction, r.end, r.value);
}

/** window.sliding: bids per window, incrementally (one number per auction and window). */
export const countBids = {
  createAccumulator: (): number => 0,
  add: (_b: Bid, n: number): number => n + 1,
  getResult: (n: number): number => n,
  merge: (a: number, b: number): number => a + b,
};
