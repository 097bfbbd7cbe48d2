// The Nexmark generator: proportions and id ranges as the reference makes them, padding sizes, timestamps,
// determinism for a seed, splitting across subtasks, and the bounded out-of-order permutation.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { generatorSource } from '../../../core/connectors/generator.js';
import { SOURCE_END, assignSplits, type SourceSplit } from '../../../core/connectors/source.js';
import {
  FIRST_AUCTION_ID, FIRST_PERSON_ID, MAX_AVG_BYTE_SIZE, NexmarkConfigError, eventIdAt, kindOfEvent, maxOutOfOrdernessMs, nexmarkConfig,
  timestampForEvent,
} from '../../../benchmarks/nexmark/config.js';
import {
  NexmarkGenerator, idealizedSize, inOrderEvents, nexmarkEvents, nexmarkGeneratorFunction,
} from '../../../benchmarks/nexmark/generator.js';
import type { AuctionEvent, BidEvent, NexmarkEvent, PersonEvent } from '../../../benchmarks/nexmark/model.js';

const small = nexmarkConfig({ events: 10_000, eventsPerSec: 1000 });

function byKind(events: readonly NexmarkEvent[]): { persons: PersonEvent[]; auctions: AuctionEvent[]; bids: BidEvent[] } {
  return {
    persons: events.filter((e) => e.kind === 'person'),
    auctions: events.filter((e) => e.kind === 'auction'),
    bids: events.filter((e) => e.kind === 'bid'),
  };
}

test('persons, auctions and bids come 1 : 3 : 46 by event id', () => {
  const events = inOrderEvents(small);
  const { persons, auctions, bids } = byKind(events);
  assert.deepEqual([persons.length, auctions.length, bids.length], [200, 600, 9200]);
  for (let id = 0; id < 50; id++) assert.equal(events[id]!.kind, id < 1 ? 'person' : id < 4 ? 'auction' : 'bid');
  events.forEach((e, id) => assert.equal(e.kind, kindOfEvent(small, id)));
});

test('person and auction ids count up from 1000; bids and auctions refer to ids that exist or are just ahead', () => {
  const events = inOrderEvents(small);
  const { persons, auctions } = byKind(events);
  assert.deepEqual(persons.map((p) => p.id), persons.map((_, i) => FIRST_PERSON_ID + i));
  assert.deepEqual(auctions.map((a) => a.id), auctions.map((_, i) => FIRST_AUCTION_ID + i));
  let lastPerson = FIRST_PERSON_ID - 1;
  let lastAuction = FIRST_AUCTION_ID - 1;
  for (const e of events) {
    if (e.kind === 'person') lastPerson = e.id;
    else if (e.kind === 'auction') {
      lastAuction = e.id;
      assert.ok(e.seller >= FIRST_PERSON_ID && e.seller <= lastPerson + 10, `seller ${e.seller}`);
      assert.ok(e.category >= 10 && e.category < 15);
      assert.ok(e.expires > e.dateTime);
      assert.ok(e.reserve > e.initialBid);
    } else {
      assert.ok(e.auction >= FIRST_AUCTION_ID && e.auction <= lastAuction + 10, `auction ${e.auction}`);
      assert.ok(e.bidder >= FIRST_PERSON_ID && e.bidder <= lastPerson + 10, `bidder ${e.bidder}`);
      assert.ok(Number.isSafeInteger(e.price) && e.price >= 100 && e.price <= 100_000_000, `price ${e.price}`);
    }
  }
});

test('hot auctions, bidders, sellers and channels get the reference shares', () => {
  const { auctions, bids } = byKind(inOrderEvents(nexmarkConfig({ events: 50_000 })));
  const share = <T>(xs: readonly T[], p: (x: T) => boolean): number => xs.filter(p).length / xs.length;
  // Hot auction: the first of its batch of 100, for 1 - 1/2 of the bids (plus random picks that hit one).
  const hotAuction = share(bids, (b) => (b.auction - FIRST_AUCTION_ID) % 100 === 0);
  assert.ok(hotAuction > 0.48 && hotAuction < 0.53, `hot auction share ${hotAuction}`);
  // Hot bidder: the second person of the batch, for 1 - 1/4 of the bids.
  const hotBidder = share(bids, (b) => (b.bidder - FIRST_PERSON_ID) % 100 === 1);
  assert.ok(hotBidder > 0.73 && hotBidder < 0.78, `hot bidder share ${hotBidder}`);
  const hotSeller = share(auctions, (a) => (a.seller - FIRST_PERSON_ID) % 100 === 0);
  assert.ok(hotSeller > 0.72 && hotSeller < 0.79, `hot seller share ${hotSeller}`);
  const hotChannel = share(bids, (b) => ['Google', 'Facebook', 'Baidu', 'Apple'].includes(b.channel));
  assert.ok(hotChannel > 0.48 && hotChannel < 0.52, `hot channel share ${hotChannel}`);
  for (const b of bids) {
    assert.match(b.url, /^https:\/\/www\.nexmark\.com\/[a-z_]{3,4}\/[a-z_]{3,4}\/[a-z_]{3,4}\/item\.htm\?query=1(&channel_id=\d+)?$/);
    assert.match(b.channel, /^(Google|Facebook|Baidu|Apple|channel-\d{1,4})$/);
  }
  // A channel has one url for the whole stream.
  const urls = new Map<string, string>();
  for (const b of bids) {
    assert.equal(urls.get(b.channel) ?? b.url, b.url, b.channel);
    urls.set(b.channel, b.url);
  }
  const withId = share([...new Set(bids.filter((b) => b.channel.startsWith('channel-')).map((b) => b.url))], (u) => u.includes('&channel_id='));
  assert.ok(withId > 0.85 && withId < 0.95, `channel urls with an id ${withId}`);
  // Prices are log-uniform over 10^0 .. 10^6 dollars: about a sixth in each decade.
  const decade = share(bids, (b) => b.price >= 100_000 && b.price < 1_000_000);
  assert.ok(decade > 0.15 && decade < 0.18, `prices in [1000, 10000) dollars ${decade}`);
});

test('extra pads records to the reference average sizes: Person 200, Auction 500, Bid 100 bytes', () => {
  const { persons, auctions, bids } = byKind(inOrderEvents(nexmarkConfig({ events: 50_000 })));
  const avg = (xs: readonly NexmarkEvent[]): number => xs.reduce((s, e) => s + idealizedSize(e), 0) / xs.length;
  assert.ok(Math.abs(avg(persons) - 200) < 4, `person ${avg(persons)}`);
  assert.ok(Math.abs(avg(auctions) - 500) < 6, `auction ${avg(auctions)}`);
  assert.ok(Math.abs(avg(bids) - 100) < 1, `bid ${avg(bids)}`);
  // A bid's extra is 68 +- 20%: uniform in [54, 82).
  const lengths = bids.map((b) => b.extra.length);
  assert.equal(Math.min(...lengths), 54);
  assert.equal(Math.max(...lengths), 81);
  for (const b of bids.slice(0, 100)) assert.match(b.extra, /^[a-z]+$/);
  // The largest average sizes the config takes are met too (regression: a padding longer than the
  // generator's 64 KiB string pool came out short; larger averages are refused).
  const big = byKind(inOrderEvents(nexmarkConfig({ events: 2_000, avgBidByteSize: MAX_AVG_BYTE_SIZE }))).bids;
  assert.ok(Math.abs(avg(big) - MAX_AVG_BYTE_SIZE) < 0.02 * MAX_AVG_BYTE_SIZE, `bid at ${MAX_AVG_BYTE_SIZE}: ${avg(big)}`);
  assert.ok(Math.max(...big.map((b) => b.extra.length)) > 1.15 * MAX_AVG_BYTE_SIZE, 'up to +20%');
  assert.throws(() => nexmarkConfig({ avgBidByteSize: MAX_AVG_BYTE_SIZE + 1 }), /avgBidByteSize must be at most 50000/);
  for (const p of persons) {
    assert.match(p.creditCard, /^\d{4} \d{4} \d{4} \d{4}$/);
    assert.match(p.state, /^(AZ|CA|ID|OR|WA|WY)$/);
    assert.match(p.emailAddress, /@.*\.com$/);
  }
});

test('event time follows the event id at the configured rate; auctions last about numInFlightAuctions auctions', () => {
  const c = nexmarkConfig({ events: 5000, eventsPerSec: 3000 });
  const events = inOrderEvents(c);
  events.forEach((e, id) => assert.equal(e.dateTime, c.baseTime + Math.floor((id * 1000) / 3000)));
  assert.equal(timestampForEvent(c, 3000), c.baseTime + 1000);
  // At 3000 events/s, 100 auctions in flight take 1666 events = 555 ms: lengths are uniform in [1, 2 x that].
  const lengths = byKind(events).auctions.map((a) => a.expires - a.dateTime);
  const mean = lengths.reduce((a, b) => a + b, 0) / lengths.length;
  assert.ok(Math.max(...lengths) <= 1111 && mean > 480 && mean < 630, `auction length mean ${mean}`);
});

test('a record is a pure function of (seed, event id): same seed same events, any access order; another seed differs', () => {
  const a = new NexmarkGenerator(small);
  const b = new NexmarkGenerator(small);
  const forward = Array.from({ length: 500 }, (_, i) => a.event(i));
  const backward = Array.from({ length: 500 }, (_, i) => b.event(499 - i)).reverse();
  assert.deepEqual(backward, forward);
  assert.deepEqual(new NexmarkGenerator(small).event(4321), a.event(4321));
  const other = new NexmarkGenerator(nexmarkConfig({ ...small, seed: 2 }));
  const differ = forward.filter((e, i) => JSON.stringify(e) !== JSON.stringify(other.event(i))).length;
  assert.ok(differ > 450, `only ${differ} of 500 events differ across seeds`);
  // Structure (kinds, ids, times) does not depend on the seed, only contents do.
  assert.deepEqual(forward.map((e) => [e.kind, e.dateTime]), forward.map((_, i) => [other.event(i).kind, other.event(i).dateTime]));
});

function interleave<T>(parts: readonly T[][]): T[] {
  const out: T[] = [];
  for (let i = 0; out.length < parts.reduce((n, p) => n + p.length, 0); i++) for (const p of parts) if (i < p.length) out.push(p[i]!);
  return out;
}

test('subtask s of p generates positions s, s + p, ...: the union over p = 1, 2, 3 is exactly the single-thread stream', () => {
  for (const c of [nexmarkConfig({ events: 3001, eventsPerSec: 500 }), nexmarkConfig({ events: 3001, eventsPerSec: 500, outOfOrderGroupSize: 64 })]) {
    const single = [...nexmarkEvents(c)];
    assert.equal(single.length, 3001);
    for (const p of [1, 2, 3]) {
      const parts = Array.from({ length: p }, (_, s) => [...nexmarkEvents(c, s, p)]);
      assert.deepEqual(interleave(parts), single, `p = ${p}`);
    }
    // Through sluice's own generator source, as a sluice job reads it.
    for (const p of [1, 3]) {
      const parts = Array.from({ length: p }, (_, s) => {
        const out: NexmarkEvent[] = [];
        const spec = generatorSource({ count: c.events, seed: c.seed }, nexmarkGeneratorFunction(c));
        const reader = spec.createReader(s, p, assignSplits(spec.enumerateSplits(p) as SourceSplit[], p)[s]!);
        while (reader.read((e) => out.push(e), Infinity, (bad) => { throw bad.error; }) !== SOURCE_END);
        return out;
      });
      assert.deepEqual(interleave(parts), single, `generator source, p = ${p}`);
    }
  }
  assert.throws(() => nexmarkEvents(small, 2, 2).next(), NexmarkConfigError);
});

test('out-of-order groups permute event ids (a short last group stays in order) and respect the lateness bound', () => {
  const c = nexmarkConfig({ events: 1050, eventsPerSec: 2000, outOfOrderGroupSize: 100 });
  const ids = Array.from({ length: c.events }, (_, p) => eventIdAt(c, p));
  assert.deepEqual([...ids].sort((a, b) => a - b), ids.map((_, i) => i));
  assert.notDeepEqual(ids.slice(0, 100), ids.slice(0, 100).sort((a, b) => a - b));
  assert.deepEqual(ids.slice(1000), [1000, 1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 1015, 1016, 1017, 1018, 1019, 1020, 1021, 1022, 1023, 1024, 1025, 1026, 1027, 1028, 1029, 1030, 1031, 1032, 1033, 1034, 1035, 1036, 1037, 1038, 1039, 1040, 1041, 1042, 1043, 1044, 1045, 1046, 1047, 1048, 1049]);
  // The streamed events are the in-order events, reordered.
  const streamed = [...nexmarkEvents(c)];
  const inOrder = inOrderEvents(c);
  streamed.forEach((e, p) => assert.deepEqual(e, inOrder[ids[p]!]));
  assert.throws(() => nexmarkConfig({ outOfOrderGroupSize: 953 * 2 }), NexmarkConfigError);

  fc.assert(fc.property(
    fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 50_000 }), fc.integer({ min: 0, max: 2000 }),
    (group, rate, events) => {
      const cfg = nexmarkConfig({ events, eventsPerSec: rate, outOfOrderGroupSize: group });
      const bound = maxOutOfOrdernessMs(cfg);
      let max = -Infinity;
      for (let p = 0; p < events; p++) {
        const ts = timestampForEvent(cfg, eventIdAt(cfg, p));
        assert.ok(ts >= max - bound, `group ${group} rate ${rate}: position ${p} is ${max - ts} ms late, bound ${bound}`);
        max = Math.max(max, ts);
      }
    }), { numRuns: 60 });
});

test('bad configuration is a NexmarkConfigError naming the field', () => {
  assert.throws(() => nexmarkConfig({ events: -1 }), /events/);
  assert.throws(() => nexmarkConfig({ eventsPerSec: 0 }), /eventsPerSec/);
  assert.throws(() => nexmarkConfig({ bidProportion: 1.5 }), /bidProportion/);
  assert.throws(() => nexmarkConfig({ outOfOrderGroupSize: 0 }), NexmarkConfigError);
  assert.throws(() => new NexmarkGenerator(small).event(small.events), NexmarkConfigError);
  assert.throws(() => inOrderEvents(nexmarkConfig({ events: Infinity })), NexmarkConfigError);
  assert.equal(nexmarkConfig({ events: Infinity }).events, Infinity);
});
