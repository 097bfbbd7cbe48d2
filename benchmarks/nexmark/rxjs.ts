// Runs on: the baseline's main thread. Each Nexmark query as an RxJS pipeline over the generator: `from` over
// the event iterator, RxJS's filter and map for the stateless parts, and the stateful operators (operators.ts)
// wrapped as custom RxJS operators, the way RxJS documents writing one. Synchronous end to end.

import { Observable, filter, from, map, type OperatorFunction } from 'rxjs';
import type { SinkTotals } from '../job-generator.js';
import { maxOutOfOrdernessMs, type NexmarkConfig } from './config.js';
import { nexmarkEvents } from './generator.js';
import type { EngineOptions } from './handwritten.js';
import { isBid, type NexmarkEvent } from './model.js';
import {
  Q3Join, Q4AveragePrice, Q5HotItems, Q7HighestBid, Q8NewUsers, isAuctionOrBid, isPersonOrAuction, type StreamOperator,
} from './operators.js';
import { DOLLAR_TO_EURO, Q2_AUCTION_MODULUS, ROW_HASH, RowFold, type QueryName, type QueryRows } from './queries.js';

/** A stateful operator as an RxJS operator: inputs to `push`, completion to `end`, its output downstream. */
function stateful<I, O>(create: (emit: (row: O) => void) => StreamOperator<I>): OperatorFunction<I, O> {
  return (source) => new Observable<O>((subscriber) => {
    const op = create((row) => subscriber.next(row));
    return source.subscribe({
      next: (e) => op.push(e),
      error: (err: unknown) => subscriber.error(err),
      complete: () => {
        op.end();
        subscriber.complete();
      },
    });
  });
}

function pipelineFor(q: QueryName, events: Observable<NexmarkEvent>, bound: number): Observable<unknown> {
  switch (q) {
    case 'q0':
      return events.pipe(filter(isBid));
    case 'q1':
      return events.pipe(
        filter(isBid),
        map((b) => ({ auction: b.auction, bidder: b.bidder, price: b.price * DOLLAR_TO_EURO, dateTime: b.dateTime, extra: b.extra })),
      );
    case 'q2':
      return events.pipe(
        filter(isBid),
        filter((b) => b.auction % Q2_AUCTION_MODULUS === 0),
        map((b) => ({ auction: b.auction, price: b.price })),
      );
    case 'q3':
      return events.pipe(filter(isPersonOrAuction), stateful((emit) => new Q3Join(emit)));
    case 'q4':
      return events.pipe(filter(isAuctionOrBid), stateful((emit) => new Q4AveragePrice(bound, emit)));
    case 'q5':
      return events.pipe(filter(isBid), stateful((emit) => new Q5HotItems(bound, emit)));
    case 'q7':
      return events.pipe(filter(isBid), stateful((emit) => new Q7HighestBid(bound, emit)));
    case 'q8':
      return events.pipe(filter(isPersonOrAuction), stateful((emit) => new Q8NewUsers(bound, emit)));
  }
}

/** Runs query `q` over `config.events` events as an RxJS pipeline; resolves to its row count and checksum. */
export function rxjsQuery<Q extends QueryName>(q: Q, config: NexmarkConfig, options: EngineOptions<Q> = {}): Promise<SinkTotals> {
  const bound = options.boundMs ?? maxOutOfOrdernessMs(config);
  const fold = new RowFold<QueryRows[Q]>(ROW_HASH[q] as (row: QueryRows[Q]) => number, options.onRow);
  return new Promise((resolve, reject) => {
    pipelineFor(q, from(nexmarkEvents(config)), bound).subscribe({
      next: (row) => fold.add(row as QueryRows[Q]),
      error: reject,
      complete: () => resolve(fold.totals()),
    });
  });
}
