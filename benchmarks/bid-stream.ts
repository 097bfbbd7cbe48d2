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
import { recordSchema } from '../shm/codec/schema.js';

export type { Bid } from './bid.js';

export const AUCTIONS = 1000;
/** Bids per second of event time: a 10 s window holds 100,000 bids (~100 per auction). */
export const EVENTS_PER_SEC = 10_000;
export const OUT_OF_ORDER_MS = 50;
export const BASE_TIME = Date.UTC(2024, 0, 1);
export const TUMBLING_MS = 10_000;
export const SLIDING_SIZE_MS = 10_000;
export const SLIDING_SLIDE_MS = 2_000;

// As Nexmark's generator does: a few hot channels and many generated ones, a generated URL, and random `extra`
// letters padding each bid to ~100 bytes; so building a bid costs string work, as reading real input would.
const CHANNELS = ['Google', 'Facebook', 'Baidu', 'Apple'];
const LETTERS = 'abcdefghijklmnopqrstuvwxyz';
const TARGET_BYTES = 100;
/** Bytes of a Bid's fixed fields in the typed layout (benchmarks/bid.ts): 3 x i64 + timestamp + 3 offsets. */
const FIXED_BYTES = 8 * 4 + 4 * 3;

function word(r: Random, len: number): string {
  let s = '';
  for (let k = 0; k < len; k++) s += LETTERS[r.int(26)];
  return s;
}

export function buildBid(i: number, r: Random): Bid {
  const auction = 1000 + r.int(AUCTIONS);
  const bidder = 1000 + r.int(100_000);
  const price = 100 + r.int(10_000_000);
  const channel = r.int(10) < 9 ? CHANNELS[r.int(CHANNELS.length)]! : `channel-${r.int(10_000)}`;
  const url = `https://nexmark.io/${word(r, 5)}/item?q=${r.int(10_000)}`;
  const dateTime = BASE_TIME + Math.floor((i * 1000) / EVENTS_PER_SEC) - r.int(OUT_OF_ORDER_MS + 1);
  const extra = word(r, Math.max(0, TARGET_BYTES - FIXED_BYTES - channel.length - url.length));
  return { auction, bidder, price, channel, url, dateTime, extra };
}

export function bidTime(b: Bid): number {
  return b.dateTime;
}

export function auctionOf(b: BidPrice): number {
  return b.auction;
}

/**
 * What the window queries read of a bid, projected before the exchange (as a query planner would): the event
 * time travels beside the record, so only these cross the rings, in a fixed layout (typed codec).
 */
export const bidPriceSchema = recordSchema({ auction: 'i64', bidder: 'i64', price: 'i64' });

export interface BidPrice {
  auction: number;
  bidder: number;
  price: number;
}

export function projectBid(b: Bid): BidPrice {
  return { auction: b.auction, bidder: b.bidder, price: b.price };
}

/** window.tumbling: the highest bid of the window (ties: the first one seen, by a total order on the bid). */
export function maxBid<B extends BidPrice>(a: B, b: B): B {
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
  add: (_b: BidPrice, n: number): number => n + 1,
  getResult: (n: number): number => n,
  merge: (a: number, b: number): number => a + b,
};
