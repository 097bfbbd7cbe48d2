// Every Nexmark query on every baseline engine (hand-written loop, RxJS, node streams) gives the oracle's rows,
// in order and out of order within the bound, on streams long enough for windows to close mid-stream. Plus the
// oracle's semantics on hand-made events, so the reference itself is pinned down.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { maxOutOfOrdernessMs, nexmarkConfig, type NexmarkConfig } from '../../../benchmarks/nexmark/config.js';
import { inOrderEvents, nexmarkEvents } from '../../../benchmarks/nexmark/generator.js';
import { handwrittenQuery } from '../../../benchmarks/nexmark/handwritten.js';
import type { AuctionEvent, BidEvent, NexmarkEvent, PersonEvent } from '../../../benchmarks/nexmark/model.js';
import { nodeStreamsQuery } from '../../../benchmarks/nexmark/node-streams.js';
import { Q3Join, Q4AveragePrice, Q5HotItems, Q7HighestBid, Q8NewUsers, type StreamOperator } from '../../../benchmarks/nexmark/operators.js';
import { ORACLE, oracleQ3, oracleQ4, oracleQ5, oracleQ7, oracleQ8 } from '../../../benchmarks/nexmark/oracle.js';
import { QUERY_NAMES, ROW_HASH, foldRows, type QueryName, type QueryRows } from '../../../benchmarks/nexmark/queries.js';
import { rxjsQuery } from '../../../benchmarks/nexmark/rxjs.js';
import { BASELINE_ENGINES } from '../../../benchmarks/nexmark/baselines.js';

/** 6000 events at 200 events/s: 30 s of event time, so three 10 s windows and fifteen 2 s hops close. */
const IN_ORDER = nexmarkConfig({ events: 6000, eventsPerSec: 200 });
/** The same events, every 500 emitted in a scrambled order: up to 2.5 s late. */
const OUT_OF_ORDER = nexmarkConfig({ events: 6000, eventsPerSec: 200, outOfOrderGroupSize: 500 });

function canonical(rows: readonly unknown[]): string[] {
  return rows.map((r) => JSON.stringify(r, (k, v: unknown) => (k === 'kind' ? undefined : v))).sort();
}

async function engineRows<Q extends QueryName>(engine: string, q: Q, config: NexmarkConfig, boundMs?: number): Promise<{ rows: unknown[]; totals: { rows: number; checksum: number } }> {
  const rows: unknown[] = [];
  const options = { onRow: (r: QueryRows[Q]) => rows.push(r), ...(boundMs === undefined ? {} : { boundMs }) };
  const totals = engine === 'handwritten' ? handwrittenQuery(q, config, options)
    : engine === 'rxjs' ? await rxjsQuery(q, config, options)
      : await nodeStreamsQuery(q, config, options);
  return { rows, totals };
}

for (const [label, config] of [['in order', IN_ORDER], ['out of order within the bound', OUT_OF_ORDER]] as const) {
  test(`every query on every engine equals the oracle, ${label}`, async () => {
    const events = inOrderEvents(config);
    for (const q of QUERY_NAMES) {
      const expected = ORACLE[q](events) as unknown[];
      assert.ok(expected.length > 0, `${q}: the oracle has no rows; the test would prove nothing`);
      const expectedTotals = foldRows(expected, ROW_HASH[q] as (r: unknown) => number);
      for (const engine of BASELINE_ENGINES) {
        const { rows, totals } = await engineRows(engine, q, config);
        assert.deepEqual(canonical(rows), canonical(expected), `${q} on ${engine}`);
        assert.deepEqual(totals, expectedTotals, `${q} on ${engine}: totals`);
      }
    }
  });
}

test('the test streams are long enough: windows close mid-stream, and the out-of-order one is really late', async () => {
  const events = inOrderEvents(IN_ORDER);
  assert.equal(new Set(oracleQ7(events).map((r) => r.windowEnd)).size, 3);
  assert.ok(new Set(oracleQ5(events).map((r) => r.windowEnd)).size >= 15);
  // The first 10 s window's highest bid comes out before the stream ends.
  const firstEnd = Math.min(...oracleQ7(events).map((r) => r.windowEnd));
  const emitted: number[] = [];
  const op = new Q7HighestBid(0, (r) => emitted.push(r.windowEnd));
  for (const e of events) if (e.kind === 'bid') op.push(e);
  assert.ok(emitted.includes(firstEnd), 'no window fired before end()');
  // Out of order: some events are seconds behind the latest, and a watermark ignoring that loses rows.
  let max = -Infinity;
  let worst = 0;
  for (const e of nexmarkEvents(OUT_OF_ORDER)) {
    worst = Math.max(worst, max - e.dateTime);
    max = Math.max(max, e.dateTime);
  }
  assert.ok(worst > 1000 && worst <= maxOutOfOrdernessMs(OUT_OF_ORDER), `worst lateness ${worst}`);
  const oracle4 = foldRows(oracleQ4(events), ROW_HASH.q4);
  const oracle5 = foldRows(oracleQ5(events), ROW_HASH.q5);
  const tooTight4 = (await engineRows('handwritten', 'q4', OUT_OF_ORDER, 0)).totals;
  const tooTight5 = (await engineRows('handwritten', 'q5', OUT_OF_ORDER, 0)).totals;
  assert.ok(tooTight4.checksum !== oracle4.checksum || tooTight5.checksum !== oracle5.checksum, 'a zero bound should drop late events');
});

// ---- the oracle's semantics on hand-made events (and the streaming operators agree) ----

const T0 = Date.UTC(2024, 0, 1);

function person(id: number, dateTime: number, state = 'OR'): PersonEvent {
  return { kind: 'person', id, name: `p${id}`, emailAddress: 'e@x.com', creditCard: '0000 0000 0000 0000', city: 'Bend', state, dateTime, extra: '' };
}
function auction(id: number, seller: number, dateTime: number, expires: number, category = 10): AuctionEvent {
  return { kind: 'auction', id, itemName: 'i', description: 'd', initialBid: 1, reserve: 2, dateTime, expires, seller, category, extra: '' };
}
function bid(auctionId: number, price: number, dateTime: number, bidder = 1): BidEvent {
  return { kind: 'bid', auction: auctionId, bidder, price, channel: 'Google', url: 'u', dateTime, extra: 'x' };
}

function streamed<I extends NexmarkEvent, R>(events: readonly NexmarkEvent[], accepts: (e: NexmarkEvent) => e is I, create: (emit: (r: R) => void) => StreamOperator<I>): R[] {
  const out: R[] = [];
  const op = create((r) => out.push(r));
  for (const e of events) if (accepts(e)) op.push(e);
  op.end();
  return out;
}
const notBid = (e: NexmarkEvent): e is PersonEvent | AuctionEvent => e.kind !== 'bid';
const notPerson = (e: NexmarkEvent): e is AuctionEvent | BidEvent => e.kind !== 'person';
const onlyBid = (e: NexmarkEvent): e is BidEvent => e.kind === 'bid';

test('q3 joins category-10 auctions to sellers in OR, ID, CA, whichever arrives first', () => {
  const events = [
    auction(1, 7, T0, T0 + 5), // seller arrives later
    person(7, T0 + 1, 'ID'),
    person(8, T0 + 2, 'WA'), // wrong state
    auction(2, 8, T0 + 3, T0 + 9),
    auction(3, 7, T0 + 4, T0 + 9, 11), // wrong category
    auction(4, 7, T0 + 5, T0 + 9),
    auction(5, 99, T0 + 6, T0 + 9), // seller never seen
  ];
  const expected = [{ name: 'p7', city: 'Bend', state: 'ID', id: 1 }, { name: 'p7', city: 'Bend', state: 'ID', id: 4 }];
  assert.deepEqual(canonical(oracleQ3(events)), canonical(expected));
  assert.deepEqual(canonical(streamed(events, notBid, (emit) => new Q3Join(emit))), canonical(expected));
});

test('q4 takes the highest bid inside [dateTime, expires] per auction, then averages per category', () => {
  const events = [
    bid(1, 999, T0 + 5), // before its auction exists, but inside its interval: counts
    auction(1, 7, T0 + 5, T0 + 100, 10),
    auction(2, 7, T0 + 10, T0 + 20, 10),
    auction(3, 7, T0 + 10, T0 + 20, 12),
    bid(1, 500, T0 + 50),
    bid(1, 5000, T0 + 101), // after expires
    bid(2, 300, T0 + 20), // at expires: inside
    bid(3, 10, T0 + 9), // before its auction's dateTime
    bid(4, 10, T0 + 30), // no such auction
  ];
  const expected = [{ category: 10, auctions: 2, total: 1299, avg: 649.5 }];
  assert.deepEqual(oracleQ4(events), expected);
  // The last bids are up to 92 ms behind the latest: within a 100 ms bound.
  assert.deepEqual(streamed(events, notPerson, (emit) => new Q4AveragePrice(100, emit)), expected);
  // With a 10 ms bound auction 2 closes before its bid at T0 + 20 arrives: the late bid is lost.
  assert.deepEqual(streamed(events, notPerson, (emit) => new Q4AveragePrice(10, emit)), [{ category: 10, auctions: 1, total: 999, avg: 999 }]);
});

test('q5 reports every auction tied for most bids in each 10 s window sliding by 2 s', () => {
  const events = [bid(1, 1, T0 + 500), bid(2, 1, T0 + 1500), bid(2, 1, T0 + 3000), bid(1, 1, T0 + 11_000)];
  const expected = [
    // [-8 s, 2 s) holds bids at 0.5 s and 1.5 s; then until [0, 10 s) auction 2 leads with 1.5 s and 3 s;
    // [2 s, 12 s) holds 3 s and 11 s (a tie); later windows only 11 s.
    { windowEnd: T0 + 2000, auction: 1, num: 1 }, { windowEnd: T0 + 2000, auction: 2, num: 1 },
    { windowEnd: T0 + 4000, auction: 2, num: 2 }, { windowEnd: T0 + 6000, auction: 2, num: 2 },
    { windowEnd: T0 + 8000, auction: 2, num: 2 }, { windowEnd: T0 + 10_000, auction: 2, num: 2 },
    { windowEnd: T0 + 12_000, auction: 1, num: 1 }, { windowEnd: T0 + 12_000, auction: 2, num: 1 },
    { windowEnd: T0 + 14_000, auction: 1, num: 1 },
    { windowEnd: T0 + 16_000, auction: 1, num: 1 }, { windowEnd: T0 + 18_000, auction: 1, num: 1 },
    { windowEnd: T0 + 20_000, auction: 1, num: 1 },
  ];
  assert.deepEqual(canonical(oracleQ5(events)), canonical(expected));
  assert.deepEqual(canonical(streamed(events, onlyBid, (emit) => new Q5HotItems(0, emit))), canonical(expected));
});

test('q7 reports the bids tied at the highest price of each tumbling 10 s window', () => {
  const events = [bid(1, 50, T0 + 1), bid(2, 70, T0 + 2, 5), bid(3, 70, T0 + 9999, 6), bid(4, 80, T0 + 10_000)];
  const row = (b: BidEvent, windowEnd: number): unknown => ({ windowEnd, auction: b.auction, bidder: b.bidder, price: b.price, dateTime: b.dateTime, extra: b.extra });
  const expected = [row(events[1] as BidEvent, T0 + 10_000), row(events[2] as BidEvent, T0 + 10_000), row(events[3] as BidEvent, T0 + 20_000)];
  assert.deepEqual(canonical(oracleQ7(events)), canonical(expected));
  assert.deepEqual(canonical(streamed(events, onlyBid, (emit) => new Q7HighestBid(0, emit))), canonical(expected));
});

test('q8 pairs new people with their auctions only inside the same 10 s window', () => {
  const events = [
    person(1, T0 + 100), auction(10, 1, T0 + 9000, T0 + 9999), // same window: joins
    person(2, T0 + 9999), auction(11, 2, T0 + 10_000, T0 + 10_500), // next window: does not
    auction(12, 1, T0 + 9500, T0 + 9999), // a second auction: still one row
  ];
  const expected = [{ id: 1, name: 'p1', starttime: T0 }];
  assert.deepEqual(oracleQ8(events), expected);
  assert.deepEqual(streamed(events, notBid, (emit) => new Q8NewUsers(0, emit)), expected);
});
