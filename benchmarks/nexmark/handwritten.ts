// Runs on: the baseline's main thread. The COST baseline: each Nexmark query as one plain loop over the
// generator, single-threaded, streaming (one event at a time, nothing materialised), state in Maps
// (operators.ts), output folded straight into the checksum. What one core does with no engine at all.

import type { SinkTotals } from '../job-generator.js';
import { maxOutOfOrdernessMs, type NexmarkConfig } from './config.js';
import { NexmarkGenerator } from './generator.js';
import { Q3Join, Q4AveragePrice, Q5HotItems, Q7HighestBid, Q8NewUsers } from './operators.js';
import { Q2_AUCTION_MODULUS, q1Row, ROW_HASH, RowFold, type QueryName, type QueryRows } from './queries.js';

export interface EngineOptions<Q extends QueryName> {
  /** Watermark lag, ms; default maxOutOfOrdernessMs(config), the least that loses nothing. */
  boundMs?: number;
  /** Sees every output row (tests); leave out when timing. */
  onRow?: (row: QueryRows[Q]) => void;
}

/** Runs query `q` over `config.events` events on this thread; returns its row count and checksum. */
export function handwrittenQuery<Q extends QueryName>(q: Q, config: NexmarkConfig, options: EngineOptions<Q> = {}): SinkTotals {
  const gen = new NexmarkGenerator(config);
  const n = config.events;
  const bound = options.boundMs ?? maxOutOfOrdernessMs(config);
  const fold = new RowFold<QueryRows[Q]>(ROW_HASH[q] as (row: QueryRows[Q]) => number, options.onRow);
  const emit = (row: unknown): void => fold.add(row as QueryRows[Q]);
  switch (q) {
    case 'q0':
      for (let i = 0; i < n; i++) {
        const e = gen.event(i);
        if (e.kind === 'bid') emit(e);
      }
      break;
    case 'q1':
      for (let i = 0; i < n; i++) {
        const e = gen.event(i);
        if (e.kind === 'bid') emit(q1Row(e));
      }
      break;
    case 'q2':
      for (let i = 0; i < n; i++) {
        const e = gen.event(i);
        if (e.kind === 'bid' && e.auction % Q2_AUCTION_MODULUS === 0) emit({ auction: e.auction, price: e.price });
      }
      break;
    case 'q3': {
      const op = new Q3Join(emit);
      for (let i = 0; i < n; i++) {
        const e = gen.event(i);
        if (e.kind !== 'bid') op.push(e);
      }
      op.end();
      break;
    }
    case 'q4': {
      const op = new Q4AveragePrice(bound, emit);
      for (let i = 0; i < n; i++) {
        const e = gen.event(i);
        if (e.kind !== 'person') op.push(e);
      }
      op.end();
      break;
    }
    case 'q5': {
      const op = new Q5HotItems(bound, emit);
      for (let i = 0; i < n; i++) {
        const e = gen.event(i);
        if (e.kind === 'bid') op.push(e);
      }
      op.end();
      break;
    }
    case 'q7': {
      const op = new Q7HighestBid(bound, emit);
      for (let i = 0; i < n; i++) {
        const e = gen.event(i);
        if (e.kind === 'bid') op.push(e);
      }
      op.end();
      break;
    }
    case 'q8': {
      const op = new Q8NewUsers(bound, emit);
      for (let i = 0; i < n; i++) {
        const e = gen.event(i);
        if (e.kind !== 'bid') op.push(e);
      }
      op.end();
      break;
    }
  }
  return fold.totals();
}
