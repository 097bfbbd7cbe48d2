// Runs on: any thread: the baselines' main thread, each sluice source subtask, tests. The Nexmark event
// generator: event id -> Person, Auction or Bid, after the reference nexmark-flink generator
// (NexmarkGenerator, PersonGenerator, AuctionGenerator, BidGenerator, PriceGenerator).
//
// A record is a pure function of (config, event id): its PRNG is reset to (seed, event id) before it is built,
// as the reference's per-event Random(eventId) did. Stream position -> event id is config.ts's eventIdAt, so
// any split of positions over subtasks yields exactly the single-thread events.

import { SplitRandom, type GeneratorFunction, type Random } from '../../core/connectors/generator.js';
import {
  FIRST_AUCTION_ID, FIRST_CATEGORY_ID, FIRST_PERSON_ID, NexmarkConfigError, eventIdAt, timestampForEvent, totalProportion,
  type NexmarkConfig,
} from './config.js';
import type { AuctionEvent, BidEvent, NexmarkEvent, PersonEvent } from './model.js';
import { NexmarkStrings } from './strings.js';

/** Hot sellers, bidders and auctions are the first (bidders: second) of each batch of this many. */
const HOT_RATIO_BATCH = 100;
/** Ids of people and auctions not yet created that a random pick may still choose (reference *_ID_LEAD). */
const PERSON_ID_LEAD = 10;
const AUCTION_ID_LEAD = 10;
const NUM_CATEGORIES = 5;
const US_STATES = ['AZ', 'CA', 'ID', 'OR', 'WA', 'WY'] as const;
const US_CITIES = ['Phoenix', 'Los Angeles', 'San Francisco', 'Boise', 'Portland', 'Bend', 'Redmond', 'Seattle', 'Kent', 'Cheyenne'] as const;
const FIRST_NAMES = ['Peter', 'Paul', 'Luke', 'John', 'Saul', 'Vicky', 'Kate', 'Julie', 'Sarah', 'Deiter', 'Walter'] as const;
const LAST_NAMES = ['Shultz', 'Abrams', 'Spencer', 'White', 'Bartels', 'Walton', 'Smith', 'Jones', 'Noris'] as const;
/** Idealized sizes of the fixed fields (reference currentSize): the `extra` padding makes up the rest. */
const BID_FIXED_BYTES = 8 + 8 + 8 + 8;
const AUCTION_FIXED_BYTES = 8 + 8 + 8 + 8 + 8 + 8;
const PERSON_FIXED_BYTES = 8;

const LN_10_POW_6 = Math.log(10) * 6;

/** Reference PriceGenerator: log-uniform from 1 to 10^6 dollars, in cents (exp is much faster than pow here). */
export function nextPrice(r: Random): number {
  return Math.round(Math.exp(r.next() * LN_10_POW_6) * 100);
}

/** The reference's idealized size of a record: the byte count its `extra` padding is computed against. */
export function idealizedSize(e: NexmarkEvent): number {
  switch (e.kind) {
    case 'person':
      return PERSON_FIXED_BYTES + e.name.length + e.emailAddress.length + e.creditCard.length + e.city.length + e.state.length + e.extra.length;
    case 'auction':
      return AUCTION_FIXED_BYTES + e.itemName.length + e.description.length + e.extra.length;
    case 'bid':
      return BID_FIXED_BYTES + e.extra.length;
  }
}

export class NexmarkGenerator {
  private readonly r = new SplitRandom();
  private readonly strings: NexmarkStrings;
  private readonly total: number;
  /** Events between now and when the auction numInFlightAuctions ahead is created (reference nextAuctionLengthMs). */
  private readonly eventsForAuctions: number;

  constructor(readonly config: NexmarkConfig) {
    this.strings = new NexmarkStrings(config.seed);
    this.total = totalProportion(config);
    this.eventsForAuctions = Math.floor((config.numInFlightAuctions * this.total) / config.auctionProportion);
  }

  /** The event at stream position `position` (emission order). */
  event(position: number): NexmarkEvent {
    if (!(position >= 0 && position < this.config.events)) {
      throw new NexmarkConfigError(`nexmark: position ${position} is outside the stream of ${this.config.events} events`);
    }
    return this.eventById(eventIdAt(this.config, position));
  }

  /** The event with event id `id`: the kind, ids, times and contents depend on (seed, id) alone. */
  eventById(id: number): NexmarkEvent {
    const c = this.config;
    const r = this.r.reset(c.seed, id);
    const ts = timestampForEvent(c, id);
    const rem = id % this.total;
    if (rem < c.personProportion) return this.person(id, r, ts);
    if (rem < c.personProportion + c.auctionProportion) return this.auction(id, r, ts);
    return this.bid(id, r, ts);
  }

  /** Base-0 id of the last person created at or before event `id` (the current one if `id` is a person). */
  lastBase0PersonId(id: number): number {
    const p = this.config.personProportion;
    const epoch = Math.floor(id / this.total);
    const offset = Math.min(id % this.total, p - 1);
    return epoch * p + offset;
  }

  /** Base-0 id of the last auction created at or before event `id` (the current one if `id` is an auction). */
  lastBase0AuctionId(id: number): number {
    const { personProportion: p, auctionProportion: a } = this.config;
    let epoch = Math.floor(id / this.total);
    let offset = id % this.total;
    if (offset < p) {
      epoch--;
      offset = a - 1;
    } else if (offset >= p + a) {
      offset = a - 1;
    } else {
      offset -= p;
    }
    return epoch * a + offset;
  }

  /** A random active person, possibly one of the next few not yet created. */
  private nextBase0PersonId(id: number, r: Random): number {
    const numPeople = this.lastBase0PersonId(id) + 1;
    const active = Math.min(numPeople, this.config.numActivePeople);
    return numPeople - active + r.int(active + PERSON_ID_LEAD);
  }

  /** A random auction likely still in flight, possibly one of the next few not yet created. */
  private nextBase0AuctionId(id: number, r: Random): number {
    const max = this.lastBase0AuctionId(id);
    const min = Math.max(max - this.config.numInFlightAuctions, 0);
    return min + r.int(max - min + 1 + AUCTION_ID_LEAD);
  }

  private person(id: number, r: Random, ts: number): PersonEvent {
    const s = this.strings;
    const name = `${FIRST_NAMES[r.int(FIRST_NAMES.length)]!} ${LAST_NAMES[r.int(LAST_NAMES.length)]!}`;
    const emailAddress = `${s.nextString(r, 7)}@${s.nextString(r, 5)}.com`;
    let creditCard = '';
    for (let i = 0; i < 4; i++) creditCard += (i > 0 ? ' ' : '') + String(r.int(10_000)).padStart(4, '0');
    const city = US_CITIES[r.int(US_CITIES.length)]!;
    const state = US_STATES[r.int(US_STATES.length)]!;
    const size = PERSON_FIXED_BYTES + name.length + emailAddress.length + creditCard.length + city.length + state.length;
    const extra = s.nextExtra(r, size, this.config.avgPersonByteSize);
    return {
      kind: 'person', id: this.lastBase0PersonId(id) + FIRST_PERSON_ID, name, emailAddress, creditCard, city, state, dateTime: ts, extra,
    };
  }

  private auction(id: number, r: Random, ts: number): AuctionEvent {
    const c = this.config;
    const s = this.strings;
    const auctionId = this.lastBase0AuctionId(id) + FIRST_AUCTION_ID;
    const seller = (r.int(c.hotSellersRatio) > 0
      ? Math.floor(this.lastBase0PersonId(id) / HOT_RATIO_BATCH) * HOT_RATIO_BATCH
      : this.nextBase0PersonId(id, r)) + FIRST_PERSON_ID;
    const category = FIRST_CATEGORY_ID + r.int(NUM_CATEGORIES);
    const initialBid = nextPrice(r);
    // Length averages the time until numInFlightAuctions more auctions exist, so about that many are open.
    const horizonMs = timestampForEvent(c, id + this.eventsForAuctions) - ts;
    const expires = ts + 1 + r.int(Math.max(horizonMs * 2, 1));
    const itemName = s.nextString(r, 20);
    const description = s.nextString(r, 100);
    const reserve = initialBid + nextPrice(r);
    const extra = s.nextExtra(r, AUCTION_FIXED_BYTES + itemName.length + description.length, c.avgAuctionByteSize);
    return {
      kind: 'auction', id: auctionId, itemName, description, initialBid, reserve, dateTime: ts, expires, seller, category, extra,
    };
  }

  private bid(id: number, r: Random, ts: number): BidEvent {
    const c = this.config;
    const s = this.strings;
    const auction = (r.int(c.hotAuctionRatio) > 0
      ? Math.floor(this.lastBase0AuctionId(id) / HOT_RATIO_BATCH) * HOT_RATIO_BATCH
      : this.nextBase0AuctionId(id, r)) + FIRST_AUCTION_ID;
    // The second person of the batch, so hot bidders and hot sellers differ.
    const bidder = (r.int(c.hotBiddersRatio) > 0
      ? Math.floor(this.lastBase0PersonId(id) / HOT_RATIO_BATCH) * HOT_RATIO_BATCH + 1
      : this.nextBase0PersonId(id, r)) + FIRST_PERSON_ID;
    const price = nextPrice(r);
    const ch = s.nextChannel(r);
    const extra = s.nextExtra(r, BID_FIXED_BYTES, c.avgBidByteSize);
    return { kind: 'bid', auction, bidder, price, channel: s.channelName(ch), url: s.channelUrl(ch), dateTime: ts, extra };
  }
}

/** Events of subtask `subtask` of `parallelism`: stream positions subtask, subtask + parallelism, ... < events. */
export function* nexmarkEvents(config: NexmarkConfig, subtask = 0, parallelism = 1): Generator<NexmarkEvent, void, undefined> {
  if (!Number.isSafeInteger(parallelism) || parallelism < 1 || !Number.isSafeInteger(subtask) || subtask < 0 || subtask >= parallelism) {
    throw new NexmarkConfigError(`nexmark: subtask must be in [0, parallelism), got subtask ${subtask} of ${parallelism}`);
  }
  const gen = new NexmarkGenerator(config);
  for (let p = subtask; p < config.events; p += parallelism) yield gen.event(p);
}

/** The whole stream in event-id (event-time) order: the oracle's input. Bounded streams only. */
export function inOrderEvents(config: NexmarkConfig): NexmarkEvent[] {
  if (config.events === Infinity) throw new NexmarkConfigError('nexmark: inOrderEvents needs a bounded stream (events < Infinity)');
  const gen = new NexmarkGenerator(config);
  const out = new Array<NexmarkEvent>(config.events);
  for (let id = 0; id < config.events; id++) out[id] = gen.eventById(id);
  return out;
}

/**
 * The record function for sluice's generator source: position -> event. Use it as
 * `env.fromGenerator({ count: config.events, seed: config.seed }, nexmarkGeneratorFunction(config))`; the source's
 * subtask s of p then emits positions s, s + p, ... like `nexmarkEvents(config, s, p)`. The function keeps its
 * own PRNG seeded from `config` (it reseeds per event id, not per position), so the `random` argument is unused.
 */
export function nexmarkGeneratorFunction(config: NexmarkConfig): GeneratorFunction<NexmarkEvent> {
  const gen = new NexmarkGenerator(config);
  return (position) => gen.event(position);
}
