// Runs on: the baseline's main thread. Each Nexmark query as a Node.js stream.pipeline in object mode:
// Readable.from over the generator, one Transform doing the query's filter and map (or holding its stateful
// operator, operators.ts, flushed at the end), and a Writable folding the checksum. Fusing a query's stateless
// steps into one Transform is what a capable user does: each stream stage costs a buffer and callbacks per chunk.

import { Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { SinkTotals } from '../job-generator.js';
import { maxOutOfOrdernessMs, type NexmarkConfig } from './config.js';
import { nexmarkEvents } from './generator.js';
import type { EngineOptions } from './handwritten.js';
import type { NexmarkEvent } from './model.js';
import {
  Q3Join, Q4AveragePrice, Q5HotItems, Q7HighestBid, Q8NewUsers, isAuctionOrBid, isPersonOrAuction, type StreamOperator,
} from './operators.js';
import { DOLLAR_TO_EURO, Q2_AUCTION_MODULUS, ROW_HASH, RowFold, type QueryName, type QueryRows } from './queries.js';

/** A Transform applying `step` to each event; `step` pushes zero or more outputs. */
function statelessStage(step: (e: NexmarkEvent, push: (row: unknown) => void) => void): Transform {
  return new Transform({
    objectMode: true,
    transform(e: NexmarkEvent, _enc, done) {
      step(e, (row) => this.push(row));
      done();
    },
  });
}

/** A Transform holding a stateful operator: events matching `accepts` go in, its rows come out, `end` on flush. */
function statefulStage<I extends NexmarkEvent>(
  accepts: (e: NexmarkEvent) => e is I,
  create: (emit: (row: unknown) => void) => StreamOperator<I>,
): Transform {
  let op: StreamOperator<I>;
  const stage = new Transform({
    objectMode: true,
    transform(e: NexmarkEvent, _enc, done) {
      if (accepts(e)) op.push(e);
      done();
    },
    flush(done) {
      op.end();
      done();
    },
  });
  op = create((row) => stage.push(row));
  return stage;
}

function stageFor(q: QueryName, bound: number): Transform {
  switch (q) {
    case 'q0':
      return statelessStage((e, push) => {
        if (e.kind === 'bid') push(e);
      });
    case 'q1':
      return statelessStage((e, push) => {
        if (e.kind === 'bid') push({ auction: e.auction, bidder: e.bidder, price: e.price * DOLLAR_TO_EURO, dateTime: e.dateTime, extra: e.extra });
      });
    case 'q2':
      return statelessStage((e, push) => {
        if (e.kind === 'bid' && e.auction % Q2_AUCTION_MODULUS === 0) push({ auction: e.auction, price: e.price });
      });
    case 'q3':
      return statefulStage(isPersonOrAuction, (emit) => new Q3Join(emit));
    case 'q4':
      return statefulStage(isAuctionOrBid, (emit) => new Q4AveragePrice(bound, emit));
    case 'q5':
      return statefulStage((e) => e.kind === 'bid', (emit) => new Q5HotItems(bound, emit));
    case 'q7':
      return statefulStage((e) => e.kind === 'bid', (emit) => new Q7HighestBid(bound, emit));
    case 'q8':
      return statefulStage(isPersonOrAuction, (emit) => new Q8NewUsers(bound, emit));
  }
}

/** Runs query `q` over `config.events` events as a stream pipeline; resolves to its row count and checksum. */
export async function nodeStreamsQuery<Q extends QueryName>(q: Q, config: NexmarkConfig, options: EngineOptions<Q> = {}): Promise<SinkTotals> {
  const bound = options.boundMs ?? maxOutOfOrdernessMs(config);
  const fold = new RowFold<QueryRows[Q]>(ROW_HASH[q] as (row: QueryRows[Q]) => number, options.onRow);
  await pipeline(
    Readable.from(nexmarkEvents(config), { objectMode: true }),
    stageFor(q, bound),
    new Writable({
      objectMode: true,
      write(row: QueryRows[Q], _enc, done) {
        fold.add(row);
        done();
      },
    }),
  );
  return fold.totals();
}
