// Runs on: the thread running a baseline engine (benchmarks/nexmark/handwritten.ts, rxjs.ts, node-streams.ts).
// The stateful Nexmark queries as single-threaded streaming operators: events in arrival order, state in Maps,
// windows closed by the watermark (largest event time seen minus the out-of-orderness bound), output through
// `emit`. The three baseline engines share these, so they differ only in their plumbing, which is what the
// baselines compare; the oracle (oracle.ts) is separate batch code they are tested against.
//
// The bound must cover the input's lateness (config.ts maxOutOfOrdernessMs): then every result equals the
// oracle's. An event later than that is dropped from the windows already closed, as Flink drops late events.

import type { AuctionEvent, BidEvent, NexmarkEvent, PersonEvent } from './model.js';
import {
  Q3_CATEGORY, Q3_STATES, Q5_SLIDE_MS, Q5_WINDOW_MS, Q7_WINDOW_MS, Q8_WINDOW_MS, windowStart,
  type Q3Row, type Q4Row, type Q5Row, type Q7Row, type Q8Row,
} from './queries.js';

/** A streaming operator: `push` each input in arrival order, then `end` once (it flushes what is left). */
export interface StreamOperator<I> {
  push(input: I): void;
  end(): void;
}

/** q3: an unwindowed inner join, auctions (category 10) with their sellers (in OR, ID, CA), on seller = id. */
export class Q3Join implements StreamOperator<PersonEvent | AuctionEvent> {
  /** Qualifying people by id. */
  private readonly persons = new Map<number, PersonEvent>();
  /** Qualifying auctions whose seller has not (yet) been seen, by seller. */
  private readonly waiting = new Map<number, number[]>();

  constructor(private readonly emit: (row: Q3Row) => void) {}

  push(e: PersonEvent | AuctionEvent): void {
    if (e.kind === 'person') {
      if (!Q3_STATES.has(e.state)) return;
      this.persons.set(e.id, e);
      const auctions = this.waiting.get(e.id);
      if (auctions === undefined) return;
      this.waiting.delete(e.id);
      for (const id of auctions) this.emit({ name: e.name, city: e.city, state: e.state, id });
    } else {
      if (e.category !== Q3_CATEGORY) return;
      const p = this.persons.get(e.seller);
      if (p !== undefined) {
        this.emit({ name: p.name, city: p.city, state: p.state, id: e.id });
        return;
      }
      const list = this.waiting.get(e.seller);
      if (list === undefined) this.waiting.set(e.seller, [e.id]);
      else list.push(e.id);
    }
  }

  end(): void {}
}

interface OpenAuction {
  readonly category: number;
  readonly dateTime: number;
  readonly expires: number;
  /** Highest bid inside [dateTime, expires] so far; -1 for none. */
  final: number;
}

interface WaitingBids {
  /** Largest dateTime among `bids`: the entry can go once the watermark passes it. */
  maxTs: number;
  readonly bids: BidEvent[];
}

/** Pending bids added between sweeps of the ones no auction can claim any more. */
const Q4_SWEEP_EVERY = 4096;

/**
 * q4: winning bid per auction (highest bid inside [dateTime, expires]), closed when the watermark passes
 * `expires`, summed per category; `end` emits each category's count, total and average.
 * A bid whose auction is not open waits until the watermark passes its time: its auction may still arrive
 * (out of order, or an id the generator hands out a little ahead). Bids for closed auctions end there too.
 */
export class Q4AveragePrice implements StreamOperator<AuctionEvent | BidEvent> {
  private readonly open = new Map<number, OpenAuction>();
  /** Open auctions by expiry time, to close them in time order. */
  private readonly byExpiry = new Map<number, number[]>();
  private readonly waiting = new Map<number, WaitingBids>();
  private waitingAdds = 0;
  private readonly categories = new Map<number, { auctions: number; total: number }>();
  private maxTs = -Infinity;
  /** Every auction with expires < closedBelow is closed. */
  private closedBelow = -Infinity;

  constructor(private readonly boundMs: number, private readonly emit: (row: Q4Row) => void) {}

  push(e: AuctionEvent | BidEvent): void {
    if (e.kind === 'auction') this.onAuction(e);
    else this.onBid(e);
    if (e.dateTime > this.maxTs) {
      this.maxTs = e.dateTime;
      this.advance(e.dateTime - this.boundMs);
    }
  }

  private onAuction(a: AuctionEvent): void {
    if (a.expires < this.closedBelow) return; // too late: would already have closed
    const open: OpenAuction = { category: a.category, dateTime: a.dateTime, expires: a.expires, final: -1 };
    this.open.set(a.id, open);
    const expiring = this.byExpiry.get(a.expires);
    if (expiring === undefined) this.byExpiry.set(a.expires, [a.id]);
    else expiring.push(a.id);
    const early = this.waiting.get(a.id);
    if (early !== undefined) {
      this.waiting.delete(a.id);
      for (const b of early.bids) this.bidOn(open, b);
    }
  }

  private onBid(b: BidEvent): void {
    const open = this.open.get(b.auction);
    if (open !== undefined) {
      this.bidOn(open, b);
      return;
    }
    if (b.dateTime < this.closedBelow) return; // no auction open at its time can still arrive
    const w = this.waiting.get(b.auction);
    if (w === undefined) this.waiting.set(b.auction, { maxTs: b.dateTime, bids: [b] });
    else {
      w.bids.push(b);
      if (b.dateTime > w.maxTs) w.maxTs = b.dateTime;
    }
    if (++this.waitingAdds >= Q4_SWEEP_EVERY) this.sweep();
  }

  private bidOn(a: OpenAuction, b: BidEvent): void {
    if (b.dateTime >= a.dateTime && b.dateTime <= a.expires && b.price > a.final) a.final = b.price;
  }

  /** Drops waiting bids older than the watermark: every auction open at their time has arrived. */
  private sweep(): void {
    this.waitingAdds = 0;
    for (const [id, w] of this.waiting) if (w.maxTs < this.closedBelow) this.waiting.delete(id);
  }

  /** Closes the auctions with expires < watermark: no bid inside their interval can still arrive. */
  private advance(watermark: number): void {
    if (watermark <= this.closedBelow) return;
    if (this.closedBelow === -Infinity || watermark - this.closedBelow > this.byExpiry.size) {
      // A long jump (start, a gap, the end): visit the expiry buckets instead of every millisecond.
      for (const [expires, ids] of this.byExpiry) if (expires < watermark) this.close(expires, ids);
    } else {
      for (let t = this.closedBelow; t < watermark; t++) {
        const ids = this.byExpiry.get(t);
        if (ids !== undefined) this.close(t, ids);
      }
    }
    this.closedBelow = watermark;
  }

  private close(expires: number, ids: number[]): void {
    this.byExpiry.delete(expires);
    for (const id of ids) {
      const a = this.open.get(id)!;
      this.open.delete(id);
      if (a.final < 0) continue;
      const c = this.categories.get(a.category);
      if (c === undefined) this.categories.set(a.category, { auctions: 1, total: a.final });
      else {
        c.auctions++;
        c.total += a.final;
      }
    }
  }

  end(): void {
    this.advance(Infinity);
    this.waiting.clear();
    for (const [category, c] of this.categories) this.emit({ category, auctions: c.auctions, total: c.total, avg: c.total / c.auctions });
  }
}

/**
 * q5: bids counted per auction in 2 s panes; a 10 s window, when the watermark passes its end, adds up its five
 * panes and emits the auction(s) with the most bids. Panes make a bid one Map update instead of five.
 */
export class Q5HotItems implements StreamOperator<BidEvent> {
  private readonly panes = new Map<number, Map<number, number>>();
  /** The next window to fire ends here; every window ending earlier has fired. */
  private nextEnd = NaN;
  private maxTs = -Infinity;
  private readonly merged = new Map<number, number>();

  constructor(private readonly boundMs: number, private readonly emit: (row: Q5Row) => void) {}

  push(b: BidEvent): void {
    const ts = b.dateTime;
    const pane = windowStart(ts, Q5_SLIDE_MS);
    if (Number.isNaN(this.nextEnd)) this.nextEnd = windowStart(ts - this.boundMs, Q5_SLIDE_MS) + Q5_SLIDE_MS;
    // Too late for every window it belongs to (the last ends at pane + window size).
    if (pane + Q5_WINDOW_MS < this.nextEnd) return;
    let counts = this.panes.get(pane);
    if (counts === undefined) this.panes.set(pane, (counts = new Map()));
    counts.set(b.auction, (counts.get(b.auction) ?? 0) + 1);
    if (ts > this.maxTs) {
      this.maxTs = ts;
      const watermark = ts - this.boundMs;
      while (this.nextEnd <= watermark) this.fire();
    }
  }

  private fire(): void {
    const end = this.nextEnd;
    this.nextEnd += Q5_SLIDE_MS;
    const merged = this.merged;
    for (let pane = end - Q5_WINDOW_MS; pane < end; pane += Q5_SLIDE_MS) {
      const counts = this.panes.get(pane);
      if (counts === undefined) continue;
      for (const [auction, n] of counts) merged.set(auction, (merged.get(auction) ?? 0) + n);
    }
    // The window's oldest pane is in no later window.
    this.panes.delete(end - Q5_WINDOW_MS);
    if (merged.size === 0) return;
    let max = 0;
    for (const n of merged.values()) if (n > max) max = n;
    for (const [auction, num] of merged) if (num === max) this.emit({ windowEnd: end, auction, num });
    merged.clear();
  }

  end(): void {
    while (this.panes.size > 0) this.fire();
  }
}

interface HighestBids {
  price: number;
  bids: BidEvent[];
}

/** q7: per tumbling 10 s window, the highest price and the bids that bid it; emitted when the window closes. */
export class Q7HighestBid implements StreamOperator<BidEvent> {
  private readonly windows = new Map<number, HighestBids>();
  private nextEnd = NaN;
  private maxTs = -Infinity;

  constructor(private readonly boundMs: number, private readonly emit: (row: Q7Row) => void) {}

  push(b: BidEvent): void {
    const ts = b.dateTime;
    const start = windowStart(ts, Q7_WINDOW_MS);
    if (Number.isNaN(this.nextEnd)) this.nextEnd = windowStart(ts - this.boundMs, Q7_WINDOW_MS) + Q7_WINDOW_MS;
    if (start + Q7_WINDOW_MS < this.nextEnd) return; // its window has fired
    const w = this.windows.get(start);
    if (w === undefined) this.windows.set(start, { price: b.price, bids: [b] });
    else if (b.price > w.price) {
      w.price = b.price;
      w.bids = [b];
    } else if (b.price === w.price) w.bids.push(b);
    if (ts > this.maxTs) {
      this.maxTs = ts;
      const watermark = ts - this.boundMs;
      while (this.nextEnd <= watermark) this.fire();
    }
  }

  private fire(): void {
    const end = this.nextEnd;
    this.nextEnd += Q7_WINDOW_MS;
    const w = this.windows.get(end - Q7_WINDOW_MS);
    if (w === undefined) return;
    this.windows.delete(end - Q7_WINDOW_MS);
    for (const b of w.bids) this.emit({ windowEnd: end, auction: b.auction, bidder: b.bidder, price: b.price, dateTime: b.dateTime, extra: b.extra });
  }

  end(): void {
    while (this.windows.size > 0) this.fire();
  }
}

interface NewUsersWindow {
  readonly persons: Map<number, string>;
  readonly sellers: Set<number>;
}

/** q8: per tumbling 10 s window, the people who joined and the sellers of new auctions; joined at window close. */
export class Q8NewUsers implements StreamOperator<PersonEvent | AuctionEvent> {
  private readonly windows = new Map<number, NewUsersWindow>();
  private nextEnd = NaN;
  private maxTs = -Infinity;

  constructor(private readonly boundMs: number, private readonly emit: (row: Q8Row) => void) {}

  push(e: PersonEvent | AuctionEvent): void {
    const ts = e.dateTime;
    const start = windowStart(ts, Q8_WINDOW_MS);
    if (Number.isNaN(this.nextEnd)) this.nextEnd = windowStart(ts - this.boundMs, Q8_WINDOW_MS) + Q8_WINDOW_MS;
    if (start + Q8_WINDOW_MS >= this.nextEnd) {
      let w = this.windows.get(start);
      if (w === undefined) this.windows.set(start, (w = { persons: new Map(), sellers: new Set() }));
      if (e.kind === 'person') w.persons.set(e.id, e.name);
      else w.sellers.add(e.seller);
    }
    if (ts > this.maxTs) {
      this.maxTs = ts;
      const watermark = ts - this.boundMs;
      while (this.nextEnd <= watermark) this.fire();
    }
  }

  private fire(): void {
    const end = this.nextEnd;
    this.nextEnd += Q8_WINDOW_MS;
    const start = end - Q8_WINDOW_MS;
    const w = this.windows.get(start);
    if (w === undefined) return;
    this.windows.delete(start);
    for (const [id, name] of w.persons) if (w.sellers.has(id)) this.emit({ id, name, starttime: start });
  }

  end(): void {
    while (this.windows.size > 0) this.fire();
  }
}

/** Narrows a mixed stream to what a query's operator reads. */
export function isPersonOrAuction(e: NexmarkEvent): e is PersonEvent | AuctionEvent {
  return e.kind !== 'bid';
}
export function isAuctionOrBid(e: NexmarkEvent): e is AuctionEvent | BidEvent {
  return e.kind !== 'person';
}
