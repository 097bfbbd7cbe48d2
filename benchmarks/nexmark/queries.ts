// Runs on: any thread. What each Nexmark query outputs, and the order-independent checksum every engine (the
// oracle, the baselines, sluice's jobs) folds its output into, so engines can be checked to agree.
//
// Queries follow nexmark-flink's SQL (src/main/resources/queries/q*.sql). Rows of windowed queries carry their
// window, so a row means the same thing whichever engine emitted it and in whatever order. Simplifications are
// noted at each row type; benchmarks/nexmark/oracle.ts holds the executable definitions.

import { fmix32 } from '../../core/graph/key-groups.js';
import { hex32, type SinkTotals } from '../job-generator.js';
import type { Bid } from './model.js';

export const QUERY_NAMES = ['q0', 'q1', 'q2', 'q3', 'q4', 'q5', 'q7', 'q8'] as const;
export type QueryName = (typeof QUERY_NAMES)[number];

export function isQueryName(s: string): s is QueryName {
  return (QUERY_NAMES as readonly string[]).includes(s);
}

/** q1: dollars to euros, as the reference's `0.908 * price`. */
export const DOLLAR_TO_EURO = 0.908;
/** q2: bids on every 123rd auction. */
export const Q2_AUCTION_MODULUS = 123;
/** q3: sellers in these states, auctions in this category. */
export const Q3_STATES: ReadonlySet<string> = new Set(['OR', 'ID', 'CA']);
export const Q3_CATEGORY = 10;
/** q5: hop windows of 10 s every 2 s; q7 and q8: tumbling 10 s windows. Aligned to epoch 0, as Flink's. */
export const Q5_WINDOW_MS = 10_000;
export const Q5_SLIDE_MS = 2_000;
export const Q7_WINDOW_MS = 10_000;
export const Q8_WINDOW_MS = 10_000;

/** q0, pass-through: every bid, unchanged. */
export type Q0Row = Bid;

/** q1, currency conversion: bids with price in euros (a float; the checksum reads it to 1/1000, DECIMAL(23,3)). */
export interface Q1Row {
  auction: number;
  bidder: number;
  price: number;
  dateTime: number;
  extra: string;
}

/** q1's projection of a bid. */
export function q1Row(b: Bid): Q1Row {
  return { auction: b.auction, bidder: b.bidder, price: b.price * DOLLAR_TO_EURO, dateTime: b.dateTime, extra: b.extra };
}

/** q2, selection: auction and price of bids whose auction id is a multiple of 123. */
export interface Q2Row {
  auction: number;
  price: number;
}

/**
 * q3, local item suggestion: auctions in category 10 whose seller lives in OR, ID or CA (an unwindowed inner
 * join: a row whichever side arrives first). `id` is the auction's. One row per matching auction.
 */
export interface Q3Row {
  name: string;
  city: string;
  state: string;
  id: number;
}

/**
 * q4, average price per category: an auction's final price is its highest bid with dateTime in
 * [auction.dateTime, auction.expires]; auctions without such a bid have none. Simplification: the SQL's result
 * is a changelog whose intermediate rows depend on arrival order; here the output is its final state, one row per
 * category once the input ends (auctions close when the watermark passes `expires`; the end closes the rest).
 * `auctions` and `total` (integers) make the average exact to check; `avg` is their float quotient (Flink's
 * AVG over BIGINT would truncate it to an integer).
 */
export interface Q4Row {
  category: number;
  auctions: number;
  total: number;
  avg: number;
}

/** q5, hot items: per hop window, the auction(s) with the most bids (ties all reported), with the count. */
export interface Q5Row {
  windowEnd: number;
  auction: number;
  num: number;
}

/**
 * q7, highest bid: per tumbling window, the bids whose price is the window's maximum (ties all reported).
 * Simplification: a window is [start, end); the SQL's BETWEEN end - 10 s AND end would also pair a bid at exactly
 * `end` (the next window's) with this window when its price equals this window's maximum.
 */
export interface Q7Row {
  windowEnd: number;
  auction: number;
  bidder: number;
  price: number;
  dateTime: number;
  extra: string;
}

/** q8, new users: people who created an account and an auction in the same tumbling window. */
export interface Q8Row {
  id: number;
  name: string;
  /** The window's start (the SQL's `starttime`). */
  starttime: number;
}

export interface QueryRows {
  q0: Q0Row;
  q1: Q1Row;
  q2: Q2Row;
  q3: Q3Row;
  q4: Q4Row;
  q5: Q5Row;
  q7: Q7Row;
  q8: Q8Row;
}
export type AnyRow = QueryRows[QueryName];

/** Start of the window of `size` ms (aligned to epoch 0) that contains time `ts`. */
export function windowStart(ts: number, size: number): number {
  return ts - (((ts % size) + size) % size);
}

// ---- hashing: fields mixed FNV-style into 32 bits, finished by murmur3's finaliser ----

const PRIME = 0x01000193;
const SEED = 0x811c9dc5;

/** Mixes a safe integer, both 32-bit halves. */
function mixInt(h: number, x: number): number {
  h = Math.imul(h ^ (x | 0), PRIME);
  return Math.imul(h ^ Math.floor(x / 0x1_0000_0000), PRIME);
}

/** Mixes a whole (short) string. */
function mixString(h: number, s: string): number {
  h = Math.imul(h ^ s.length, PRIME);
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), PRIME);
  return h;
}

/** Mixes a long string (padding, urls) by its length and three characters: touches it without costing a loop. */
function mixPadding(h: number, s: string): number {
  h = Math.imul(h ^ s.length, PRIME);
  if (s.length > 0) h = Math.imul(h ^ s.charCodeAt(0) ^ (s.charCodeAt(s.length >> 1) << 8) ^ (s.charCodeAt(s.length - 1) << 16), PRIME);
  return h;
}

export function q0Hash(r: Q0Row): number {
  let h = mixInt(SEED, r.auction);
  h = mixInt(h, r.bidder);
  h = mixInt(h, r.price);
  h = mixString(h, r.channel);
  h = mixPadding(h, r.url);
  h = mixInt(h, r.dateTime);
  return fmix32(mixPadding(h, r.extra));
}

export function q1Hash(r: Q1Row): number {
  let h = mixInt(SEED ^ 1, r.auction);
  h = mixInt(h, r.bidder);
  h = mixInt(h, Math.round(r.price * 1000));
  h = mixInt(h, r.dateTime);
  return fmix32(mixPadding(h, r.extra));
}

export function q2Hash(r: Q2Row): number {
  return fmix32(mixInt(mixInt(SEED ^ 2, r.auction), r.price));
}

export function q3Hash(r: Q3Row): number {
  let h = mixInt(SEED ^ 3, r.id);
  h = mixString(h, r.name);
  h = mixString(h, r.city);
  return fmix32(mixString(h, r.state));
}

export function q4Hash(r: Q4Row): number {
  // avg is total / auctions: hashing the integers keeps the checksum exact.
  return fmix32(mixInt(mixInt(mixInt(SEED ^ 4, r.category), r.auctions), r.total));
}

export function q5Hash(r: Q5Row): number {
  return fmix32(mixInt(mixInt(mixInt(SEED ^ 5, r.windowEnd), r.auction), r.num));
}

export function q7Hash(r: Q7Row): number {
  let h = mixInt(SEED ^ 7, r.windowEnd);
  h = mixInt(h, r.auction);
  h = mixInt(h, r.bidder);
  h = mixInt(h, r.price);
  h = mixInt(h, r.dateTime);
  return fmix32(mixPadding(h, r.extra));
}

export function q8Hash(r: Q8Row): number {
  return fmix32(mixString(mixInt(mixInt(SEED ^ 8, r.id), r.starttime), r.name));
}

/** Row hash of each query, for checksum sinks: `checksumSink(ROW_HASH.q5, 'q5')` (benchmarks/job-generator.ts). */
export const ROW_HASH: { readonly [Q in QueryName]: (row: QueryRows[Q]) => number } = Object.freeze({
  q0: q0Hash, q1: q1Hash, q2: q2Hash, q3: q3Hash, q4: q4Hash, q5: q5Hash, q7: q7Hash, q8: q8Hash,
});

/**
 * Folds rows into (row count, checksum): the checksum is the sum of row hashes mod 2^32, so it ignores order and
 * per-subtask sums add up (addTotals in job-generator.ts). `onRow`, if given, also sees every row (tests).
 */
export class RowFold<T> {
  rows = 0;
  checksum = 0;
  constructor(private readonly hash: (row: T) => number, private readonly onRow?: (row: T) => void) {}

  add(row: T): void {
    this.rows++;
    this.checksum = (this.checksum + this.hash(row)) | 0;
    if (this.onRow !== undefined) this.onRow(row);
  }

  totals(): SinkTotals {
    return { rows: this.rows, checksum: this.checksum >>> 0 };
  }
}

/** Totals of a whole row array. */
export function foldRows<T>(rows: Iterable<T>, hash: (row: T) => number): SinkTotals {
  const f = new RowFold(hash);
  for (const r of rows) f.add(r);
  return f.totals();
}

/** A checksum as reports print it. */
export function checksumHex(t: SinkTotals): string {
  return hex32(t.checksum);
}
