// Runs on: the worker thread of the fraud-alerts job's source (and, to rebuild the same stream, a test or the
// sample writer on the main thread).
//
// A deterministic stream of card transactions for the fraud-alerts tutorial, as raw records (what a JSON Lines
// file would hold): record i depends only on (seed, i), so a test can rebuild exactly what the job read. Normal
// traffic is random; every block of BLOCK records (two minutes of event time, minute-aligned) plants the same
// scenarios at fixed offsets, each on an account of its own so that no other transaction comes between its steps:
// frauds the job must report, near misses it must not, a late transaction and two invalid records.

import { SplitRandom, type Random } from '../../core/index.js';

/** 2025-01-01T00:00:00Z: a whole minute, so blocks and one-minute windows line up. */
export const T0 = Date.UTC(2025, 0, 1);
/** One transaction every 20 ms of event time (50 a second). */
export const STEP_MS = 20;
/** Records per block: two minutes of event time. */
export const BLOCK = 6000;
/** Normal transactions come up to this much later than their place in the stream (out of order). */
export const JITTER_MS = 1000;
/** The planted late transaction is this far behind its place in the stream. */
export const LATE_BY_MS = 10 * 60_000;
/** Accounts of the normal traffic: acct-00000 .. acct-00999; planted scenarios use accounts above. */
const ACCOUNTS = 1000;

const MERCHANTS = ['grocer', 'fuel', 'coffee', 'pharmacy', 'books', 'transit', 'restaurant', 'hardware', 'clothing', 'streaming'];

export type Scenario =
  | 'small-then-large' // a tiny "test" charge, then a large one 30 s later: an alert
  | 'large-too-late' // the large one 61 s after the small one: no alert
  | 'not-next' // small, medium, large within 20 s: the large one does not follow the small one; no alert
  | 'spending-spree' // 5 × 450-600 within 16 s of one minute: an alert (> 2000 in a minute)
  | 'spree-across-minutes' // the same spree across a minute boundary: 2 + 3, no alert
  | 'late' // a transaction LATE_BY_MS behind: late, or (if the watermark has not got there yet) harmless
  | 'invalid'; // records that are not transactions: dead letters

export const SCENARIOS: readonly Scenario[] = ['small-then-large', 'large-too-late', 'not-next', 'spending-spree', 'spree-across-minutes', 'late', 'invalid'];

type Kind = 'small' | 'medium' | 'large' | 'spree' | 'late' | 'amount-as-text' | 'no-account';

/** Where each scenario's records sit in a block: [offset, scenario, what the record is]. */
const PLANTED: readonly [offset: number, scenario: Scenario, kind: Kind][] = [
  [100, 'small-then-large', 'small'], [1600, 'small-then-large', 'large'],
  [200, 'large-too-late', 'small'], [3250, 'large-too-late', 'large'],
  [300, 'not-next', 'small'], [800, 'not-next', 'medium'], [1300, 'not-next', 'large'],
  [3100, 'spending-spree', 'spree'], [3300, 'spending-spree', 'spree'], [3500, 'spending-spree', 'spree'],
  [3700, 'spending-spree', 'spree'], [3900, 'spending-spree', 'spree'],
  [2600, 'spree-across-minutes', 'spree'], [2800, 'spree-across-minutes', 'spree'], [3000, 'spree-across-minutes', 'spree'],
  [3200, 'spree-across-minutes', 'spree'], [3400, 'spree-across-minutes', 'spree'],
  [4500, 'late', 'late'],
  [5000, 'invalid', 'amount-as-text'], [5500, 'invalid', 'no-account'],
];
const PLANTS = new Map(PLANTED.map(([offset, scenario, kind]) => [offset, { scenario, kind }]));

function account(n: number): string {
  return `acct-${String(n).padStart(5, '0')}`;
}

/** The account a scenario of a block runs on: no normal transaction ever uses it. */
export function plantedAccount(block: number, scenario: Scenario): string {
  return account(ACCOUNTS + block * SCENARIOS.length + SCENARIOS.indexOf(scenario));
}

/** Cents: amounts carry two decimals, like money. */
function money(x: number): number {
  return Math.round(x * 100) / 100;
}

function between(r: Random, lo: number, hi: number): number {
  return money(lo + r.next() * (hi - lo));
}

/**
 * Transaction `i` as raw data: `{ id, account, amount, merchant, ts }`, or (planted) something that is not one.
 * About 1% of normal transactions are small (< 1.00) and 1% large (> 500), so some frauds happen by chance too.
 */
export function cardTransaction(i: number, r: Random): unknown {
  const at = T0 + i * STEP_MS;
  const merchant = MERCHANTS[r.int(MERCHANTS.length)]!;
  const planted = PLANTS.get(i % BLOCK);
  if (planted === undefined) {
    const p = r.next();
    const amount = p < 0.01 ? between(r, 0.01, 0.99) : p < 0.02 ? between(r, 500.01, 1500) : money(2 * 150 ** r.next());
    return { id: i, account: account(r.int(ACCOUNTS)), amount, merchant, ts: at + r.int(JITTER_MS) };
  }
  const acct = plantedAccount(Math.floor(i / BLOCK), planted.scenario);
  switch (planted.kind) {
    case 'small': return { id: i, account: acct, amount: between(r, 0.01, 0.99), merchant: 'online', ts: at };
    case 'medium': return { id: i, account: acct, amount: between(r, 20, 100), merchant, ts: at };
    case 'large': return { id: i, account: acct, amount: between(r, 500.01, 1500), merchant: 'electronics', ts: at };
    case 'spree': return { id: i, account: acct, amount: between(r, 450, 600), merchant: 'jewellery', ts: at };
    case 'late': return { id: i, account: acct, amount: between(r, 500.01, 1500), merchant, ts: at - LATE_BY_MS };
    case 'amount-as-text': return { id: i, account: acct, amount: '12,50', merchant, ts: at };
    case 'no-account': return { id: i, amount: 30, merchant, ts: at };
  }
}

/** Every record of a generator of `count` transactions with `seed`, in order: exactly what the job's source emits. */
export function cardTransactions(count: number, seed: number): unknown[] {
  const r = new SplitRandom();
  return Array.from({ length: count }, (_, i) => cardTransaction(i, r.reset(seed, i)));
}

export interface PlantedScenario {
  scenario: Scenario;
  block: number;
  account: string;
  /** Ids of its records, in order. */
  ids: number[];
}

/** The scenarios planted whole in the first `count` records. */
export function plantedScenarios(count: number): PlantedScenario[] {
  const out: PlantedScenario[] = [];
  for (let block = 0; (block + 1) * BLOCK <= count; block++) {
    for (const scenario of SCENARIOS) {
      const ids = PLANTED.filter(([, s]) => s === scenario).map(([offset]) => block * BLOCK + offset).sort((a, b) => a - b);
      out.push({ scenario, block, account: plantedAccount(block, scenario), ids });
    }
  }
  return out;
}
