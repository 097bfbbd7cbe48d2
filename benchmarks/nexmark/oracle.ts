// Runs on: the test's or benchmark's main thread. The Nexmark queries' reference answers: plain batch code over
// a whole event array, written for obviousness, not speed. Every streaming engine (the baselines here, sluice's
// jobs) must produce the same rows as these for the same events, whatever their order within the engine's
// out-of-orderness bound. The functions do not depend on the array's order; inOrderEvents(config)
// (generator.ts) gives the sorted stream.

import type { Auction, Bid, NexmarkEvent, Person } from './model.js';
import {
  DOLLAR_TO_EURO, Q2_AUCTION_MODULUS, Q3_CATEGORY, Q3_STATES, Q5_SLIDE_MS, Q5_WINDOW_MS, Q7_WINDOW_MS, Q8_WINDOW_MS,
  windowStart, type Q0Row, type Q1Row, type Q2Row, type Q3Row, type Q4Row, type Q5Row, type Q7Row, type Q8Row,
  type QueryName, type QueryRows,
} from './queries.js';

function bids(events: readonly NexmarkEvent[]): Bid[] {
  return events.filter((e) => e.kind === 'bid');
}
function auctions(events: readonly NexmarkEvent[]): Auction[] {
  return events.filter((e) => e.kind === 'auction');
}
function persons(events: readonly NexmarkEvent[]): Person[] {
  return events.filter((e) => e.kind === 'person');
}

export function oracleQ0(events: readonly NexmarkEvent[]): Q0Row[] {
  return bids(events);
}

export function oracleQ1(events: readonly NexmarkEvent[]): Q1Row[] {
  return bids(events).map((b) => ({ auction: b.auction, bidder: b.bidder, price: b.price * DOLLAR_TO_EURO, dateTime: b.dateTime, extra: b.extra }));
}

export function oracleQ2(events: readonly NexmarkEvent[]): Q2Row[] {
  return bids(events).filter((b) => b.auction % Q2_AUCTION_MODULUS === 0).map((b) => ({ auction: b.auction, price: b.price }));
}

export function oracleQ3(events: readonly NexmarkEvent[]): Q3Row[] {
  const byId = new Map(persons(events).map((p) => [p.id, p]));
  const out: Q3Row[] = [];
  for (const a of auctions(events)) {
    const p = byId.get(a.seller);
    if (a.category === Q3_CATEGORY && p !== undefined && Q3_STATES.has(p.state)) out.push({ name: p.name, city: p.city, state: p.state, id: a.id });
  }
  return out;
}

export function oracleQ4(events: readonly NexmarkEvent[]): Q4Row[] {
  const byId = new Map(auctions(events).map((a) => [a.id, a]));
  // Winning price per auction: MAX(price) of the bids inside the auction's [dateTime, expires].
  const final = new Map<number, number>();
  for (const b of bids(events)) {
    const a = byId.get(b.auction);
    if (a === undefined || b.dateTime < a.dateTime || b.dateTime > a.expires) continue;
    final.set(a.id, Math.max(final.get(a.id) ?? -Infinity, b.price));
  }
  const perCategory = new Map<number, { auctions: number; total: number }>();
  for (const [id, price] of final) {
    const category = byId.get(id)!.category;
    const c = perCategory.get(category) ?? { auctions: 0, total: 0 };
    c.auctions++;
    c.total += price;
    perCategory.set(category, c);
  }
  return [...perCategory].map(([category, c]) => ({ category, auctions: c.auctions, total: c.total, avg: c.total / c.auctions }));
}

export function oracleQ5(events: readonly NexmarkEvent[]): Q5Row[] {
  // Every hop window a bid falls in, counted directly (no panes): windowEnd -> auction -> bids.
  const counts = new Map<number, Map<number, number>>();
  for (const b of bids(events)) {
    const lastStart = windowStart(b.dateTime, Q5_SLIDE_MS);
    for (let start = lastStart; start > b.dateTime - Q5_WINDOW_MS; start -= Q5_SLIDE_MS) {
      const end = start + Q5_WINDOW_MS;
      let w = counts.get(end);
      if (w === undefined) counts.set(end, (w = new Map()));
      w.set(b.auction, (w.get(b.auction) ?? 0) + 1);
    }
  }
  const out: Q5Row[] = [];
  for (const [windowEnd, w] of counts) {
    const max = Math.max(...w.values());
    for (const [auction, num] of w) if (num === max) out.push({ windowEnd, auction, num });
  }
  return out;
}

export function oracleQ7(events: readonly NexmarkEvent[]): Q7Row[] {
  const all = bids(events);
  const maxPrice = new Map<number, number>();
  for (const b of all) {
    const start = windowStart(b.dateTime, Q7_WINDOW_MS);
    maxPrice.set(start, Math.max(maxPrice.get(start) ?? -Infinity, b.price));
  }
  return all
    .filter((b) => b.price === maxPrice.get(windowStart(b.dateTime, Q7_WINDOW_MS)))
    .map((b) => ({ windowEnd: windowStart(b.dateTime, Q7_WINDOW_MS) + Q7_WINDOW_MS, auction: b.auction, bidder: b.bidder, price: b.price, dateTime: b.dateTime, extra: b.extra }));
}

export function oracleQ8(events: readonly NexmarkEvent[]): Q8Row[] {
  // (window start, seller) pairs that created an auction.
  const sellers = new Set(auctions(events).map((a) => `${windowStart(a.dateTime, Q8_WINDOW_MS)}/${a.seller}`));
  const out: Q8Row[] = [];
  for (const p of persons(events)) {
    const starttime = windowStart(p.dateTime, Q8_WINDOW_MS);
    if (sellers.has(`${starttime}/${p.id}`)) out.push({ id: p.id, name: p.name, starttime });
  }
  return out;
}

/** The oracle of each query. */
export const ORACLE: { readonly [Q in QueryName]: (events: readonly NexmarkEvent[]) => QueryRows[Q][] } = Object.freeze({
  q0: oracleQ0, q1: oracleQ1, q2: oracleQ2, q3: oracleQ3, q4: oracleQ4, q5: oracleQ5, q7: oracleQ7, q8: oracleQ8,
});
