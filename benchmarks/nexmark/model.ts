// Runs on: any thread. The three Nexmark record kinds as typed schemas (shm/codec/schema.ts), and the tagged
// union a mixed event stream carries.
//
// Fields follow the reference model (nexmark-flink model/Person, Auction, Bid; Bid with channel and url).
// Timestamps are epoch ms. The Bid schema is benchmarks/bid.ts's, so transport and codec benchmarks and
// Nexmark share one Bid layout.

import { optional, recordSchema, type Infer, type RecordSchema } from '../../shm/codec/schema.js';
import { bidSchema, type Bid } from '../bid.js';

export { bidSchema, type Bid };

export const personSchema = recordSchema({
  id: 'i64',
  name: 'string',
  emailAddress: 'string',
  creditCard: 'string',
  city: 'string',
  state: 'string',
  dateTime: 'timestamp',
  extra: 'string',
});
export type Person = Infer<typeof personSchema>;

export const auctionSchema = recordSchema({
  id: 'i64',
  itemName: 'string',
  description: 'string',
  initialBid: 'i64',
  reserve: 'i64',
  dateTime: 'timestamp',
  expires: 'timestamp',
  seller: 'i64',
  category: 'i64',
  extra: 'string',
});
export type Auction = Infer<typeof auctionSchema>;

/** One event of the mixed stream: the record's own fields plus `kind`. */
export type PersonEvent = { kind: 'person' } & Person;
export type AuctionEvent = { kind: 'auction' } & Auction;
export type BidEvent = { kind: 'bid' } & Bid;
export type NexmarkEvent = PersonEvent | AuctionEvent | BidEvent;

export function isPerson(e: NexmarkEvent): e is PersonEvent {
  return e.kind === 'person';
}
export function isAuction(e: NexmarkEvent): e is AuctionEvent {
  return e.kind === 'auction';
}
export function isBid(e: NexmarkEvent): e is BidEvent {
  return e.kind === 'bid';
}

/**
 * A flat schema that encodes any NexmarkEvent with the typed codec: `kind`, the shared fields, and every other
 * field optional (absent ones cost one bitmap bit). Fields two kinds share (id, dateTime, extra) have one slot.
 * A decoded event has every field of the schema as a property, the absent ones undefined.
 */
const eventFields = recordSchema({
  kind: 'string',
  dateTime: 'timestamp',
  extra: 'string',
  id: optional('i64'),
  name: optional('string'),
  emailAddress: optional('string'),
  creditCard: optional('string'),
  city: optional('string'),
  state: optional('string'),
  itemName: optional('string'),
  description: optional('string'),
  initialBid: optional('i64'),
  reserve: optional('i64'),
  expires: optional('timestamp'),
  seller: optional('i64'),
  category: optional('i64'),
  auction: optional('i64'),
  bidder: optional('i64'),
  price: optional('i64'),
  channel: optional('string'),
  url: optional('string'),
});
// The field set is the union of the three kinds' fields, so every NexmarkEvent encodes; the type says so.
export const nexmarkEventSchema = eventFields as unknown as RecordSchema<NexmarkEvent>;
