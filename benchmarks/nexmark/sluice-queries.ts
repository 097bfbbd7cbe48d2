// Runs on: every thread of a sluice Nexmark job (benchmarks/nexmark/sluice-job.ts builds its graph on the main
// thread and on each worker). The Nexmark queries as ordinary sluice jobs, written with the public API the way a
// capable user writes them for speed: one projecting flatMap per query right behind the source (chained: a
// stream with two readers would cross a ring to each), typed codecs on every exchange, incremental window
// aggregates, keyed process functions where a window does not fit (q3's join, q4's auctions, q5's combining).
// Keyed state is per (key, window) and costs far more than a Map entry, so keys are chosen to keep it few: q5
// counts bids in slide-long panes, q8 groups a whole window under one key, and q7 drops bids that cannot win
// before they cross the exchange.
//
// Every query must output exactly the oracle's rows (oracle.ts) for any input within the watermark bound, so its
// checksum matches the baselines'. Two-input queries (q3, q8, and q4 without pruning) key one projected stream of
// both kinds, since splitting the event stream in two would make it cross a ring twice. q4 with pruning reads the
// stream as two topics (topics.ts) so that its bids are judged where they are read (q4Topics).

import {
  TumblingEventTimeWindows, MAX_WATERMARK, optional, recordSchema, typedCodec,
  type AggregateFunction, type BroadcastProcessFunction, type Collector, type DataStream, type KeyedProcessHandler,
} from '../../core/index.js';
import type { NexmarkConfig } from './config.js';
import type { NexmarkEvent } from './model.js';
import {
  DOLLAR_TO_EURO, Q2_AUCTION_MODULUS, Q3_CATEGORY, Q3_STATES, Q5_SLIDE_MS, Q5_WINDOW_MS, Q7_WINDOW_MS, Q8_WINDOW_MS, windowStart,
  type Q0Row, type Q1Row, type Q2Row, type Q3Row, type Q4Row, type Q5Row, type Q7Row, type Q8Row, type QueryName, type QueryRows,
} from './queries.js';

/** The row type query Q outputs. */
export type RowOf<Q extends QueryName> = QueryRows[Q];

// ---------------------------------------------------------------- q0, q1, q2: stateless, one chained flatMap

function q0(events: DataStream<NexmarkEvent>): DataStream<Q0Row> {
  return events.flatMap<Q0Row>((e, out) => {
    if (e.kind === 'bid') out.collect(e);
  }).name('q0.bids');
}

function q1(events: DataStream<NexmarkEvent>): DataStream<Q1Row> {
  return events.flatMap<Q1Row>((e, out) => {
    if (e.kind === 'bid') out.collect({ auction: e.auction, bidder: e.bidder, price: e.price * DOLLAR_TO_EURO, dateTime: e.dateTime, extra: e.extra });
  }).name('q1.euros');
}

function q2(events: DataStream<NexmarkEvent>): DataStream<Q2Row> {
  return events.flatMap<Q2Row>((e, out) => {
    if (e.kind === 'bid' && e.auction % Q2_AUCTION_MODULUS === 0) out.collect({ auction: e.auction, price: e.price });
  }).name('q2.selection');
}

// ---------------------------------------------------------------- q3: unwindowed join of sellers and auctions

/** A qualifying person (name, city, state) or a qualifying auction (auction), keyed by person id / seller. */
const q3InputSchema = recordSchema({
  seller: 'i64', auction: optional('i64'), name: optional('string'), city: optional('string'), state: optional('string'),
});
type Q3Input = { seller: number; auction?: number | undefined; name?: string | undefined; city?: string | undefined; state?: string | undefined };
interface Q3Seller { name: string; city: string; state: string }

/** Per seller: the person once seen ('seller'), else the auctions waiting for them ('waiting'). */
const q3Join: KeyedProcessHandler<number, Q3Input, Q3Row> = {
  processElement(x, ctx, out) {
    if (x.auction === undefined) {
      const seller: Q3Seller = { name: x.name!, city: x.city!, state: x.state! };
      ctx.state<Q3Seller>('seller').update(seller);
      const waiting = ctx.listState<number>('waiting');
      const ids = waiting.get();
      if (ids.length === 0) return;
      for (const id of ids) out.collect({ name: seller.name, city: seller.city, state: seller.state, id });
      waiting.clear();
      return;
    }
    const seller = ctx.state<Q3Seller>('seller').value();
    if (seller !== undefined) out.collect({ name: seller.name, city: seller.city, state: seller.state, id: x.auction });
    else ctx.listState<number>('waiting').add(x.auction);
  },
};

function q3(events: DataStream<NexmarkEvent>): DataStream<Q3Row> {
  return events.flatMap<Q3Input>((e, out) => {
    if (e.kind === 'person') {
      if (Q3_STATES.has(e.state)) out.collect({ seller: e.id, auction: undefined, name: e.name, city: e.city, state: e.state });
    } else if (e.kind === 'auction' && e.category === Q3_CATEGORY) {
      out.collect({ seller: e.seller, auction: e.id, name: undefined, city: undefined, state: undefined });
    }
  }).name('q3.project').withCodec(typedCodec(q3InputSchema))
    .keyBy((x) => x.seller)
    .process(q3Join).name('q3.join');
}

// ---------------------------------------------------------------- q4: winning bids, averaged per category

/** An auction (category, expires; its dateTime is the record's event time) or a bid (price), keyed by auction id. */
const q4InputSchema = recordSchema({ auction: 'i64', price: optional('i64'), category: optional('i64'), expires: optional('timestamp') });
export type Q4Input = { auction: number; price?: number | undefined; category?: number | undefined; expires?: number | undefined };
interface Auction4 { category: number; dateTime: number; expires: number; final: number; closed: boolean }
/** Bids that came before their auction: [dateTime, price, dateTime, price, ...] and the latest dateTime. */
interface EarlyBids { maxTs: number; bids: number[] }
const q4ClosedSchema = recordSchema({ category: 'i64', price: 'i64' });
export interface ClosedAuction { category: number; price: number }
interface CategorySum { auctions: number; total: number }

function bidOn(a: Auction4, ts: number, price: number): boolean {
  if (ts < a.dateTime || ts > a.expires || price <= a.final) return false;
  a.final = price;
  return true;
}

/**
 * Per auction: its winning price so far, closed by an event-time timer at `expires` (no bid inside its interval
 * can come once the watermark has passed it). A closed auction stays as a marker for `retainMs` more, so the bids
 * that keep coming for it (a quarter of all bids: auctions stay hot past their end) are dropped at once. Bids with
 * no auction wait for it ('early') until the watermark passes their time (their auction, if it comes, starts
 * after the watermark), swept by one timer per key, rounded up to `sweepMs`, that moves on to the key's latest
 * early bid while there is one (not a timer per `sweepMs` of the key's bids: most early bids then register none).
 */
export function q4Winners(sweepMs: number, retainMs: number): KeyedProcessHandler<number, Q4Input, ClosedAuction> {
  return {
    processElement(x, ctx) {
      const ts = ctx.timestamp!;
      const auctionState = ctx.state<Auction4>('auction');
      if (x.price === undefined) {
        const a: Auction4 = { category: x.category!, dateTime: ts, expires: x.expires!, final: -1, closed: false };
        const earlyState = ctx.state<EarlyBids>('early');
        const early = earlyState.value();
        if (early !== undefined) {
          for (let i = 0; i < early.bids.length; i += 2) bidOn(a, early.bids[i]!, early.bids[i + 1]!);
          earlyState.clear();
        }
        auctionState.update(a);
        ctx.timerService.registerEventTimeTimer(a.expires);
        return;
      }
      const a = auctionState.value();
      if (a !== undefined) {
        if (!a.closed && bidOn(a, ts, x.price)) auctionState.update(a);
        return;
      }
      const earlyState = ctx.state<EarlyBids>('early');
      const early = earlyState.value();
      if (early === undefined) {
        earlyState.update({ maxTs: ts, bids: [ts, x.price] });
        // One sweep timer per key at a time: the sweep moves itself on to the latest bid (onTimer).
        ctx.timerService.registerEventTimeTimer(Math.ceil(ts / sweepMs) * sweepMs);
      } else {
        early.bids.push(ts, x.price);
        if (ts > early.maxTs) early.maxTs = ts;
        earlyState.update(early);
      }
    },
    onTimer(t, ctx, out) {
      const auctionState = ctx.state<Auction4>('auction');
      const a = auctionState.value();
      if (a !== undefined && !a.closed && t === a.expires) {
        if (a.final >= 0) out.collect({ category: a.category, price: a.final });
        a.closed = true;
        auctionState.update(a);
        ctx.timerService.registerEventTimeTimer(a.expires + retainMs);
      } else if (a !== undefined && a.closed && t >= a.expires + retainMs) {
        auctionState.clear();
      }
      const earlyState = ctx.state<EarlyBids>('early');
      const early = earlyState.value();
      if (early === undefined) return;
      if (early.maxTs <= ctx.timerService.currentWatermark()) earlyState.clear();
      else ctx.timerService.registerEventTimeTimer(Math.max(t + sweepMs, Math.ceil(early.maxTs / sweepMs) * sweepMs));
    },
  };
}

/** Per category: auctions and their total, emitted once at the end of input (a timer at the final watermark). */
const q4Average: KeyedProcessHandler<number, ClosedAuction, Q4Row> = {
  processElement(c, ctx) {
    const state = ctx.state<CategorySum>('sum');
    const sum = state.value();
    if (sum === undefined) {
      state.update({ auctions: 1, total: c.price });
      ctx.timerService.registerEventTimeTimer(MAX_WATERMARK);
    } else {
      sum.auctions++;
      sum.total += c.price;
      state.update(sum);
    }
  },
  onTimer(_t, ctx, out) {
    const sum = ctx.state<CategorySum>('sum').value();
    if (sum !== undefined) out.collect({ category: ctx.key, auctions: sum.auctions, total: sum.total, avg: sum.total / sum.auctions });
  },
};

function q4(events: DataStream<NexmarkEvent>, config: NexmarkConfig): DataStream<Q4Row> {
  // About one sweep per thousand events of event time: a key with early bids holds a timer or two at most. A
  // closed auction's marker stays for ten thousand events (any time would be correct: it only saves work).
  const sweepMs = Math.max(1, Math.round(1_000_000 / config.eventsPerSec));
  const retainMs = 10 * sweepMs;
  return events.flatMap<Q4Input>((e, out) => {
    if (e.kind === 'bid') out.collect({ auction: e.auction, price: e.price, category: undefined, expires: undefined });
    else if (e.kind === 'auction') out.collect({ auction: e.id, price: undefined, category: e.category, expires: e.expires });
  }).name('q4.project').withCodec(typedCodec(q4InputSchema))
    .keyBy((x) => x.auction)
    .process(q4Winners(sweepMs, retainMs)).name('q4.winners').withCodec(typedCodec(q4ClosedSchema))
    .keyBy((c) => c.category)
    .process(q4Average).name('q4.average');
}

// ---------------------------------------------------------------- q4 over topics: bids judged where they are read

/** An auction's interval and category, as broadcast to every instance that reads bids. */
const q4WindowSchema = recordSchema({ id: 'i64', category: 'i64', dateTime: 'timestamp', expires: 'timestamp' });
export interface AuctionWindow { id: number; category: number; dateTime: number; expires: number }
/**
 * One instance's highest bid inside each of some auctions' intervals (-1: none), sent once its watermark passes
 * their end: [auction, price, auction, price, ...] of one category. A watermark closes thousands of auctions at
 * once; sent a record each, every one would pay an exchange's per-record cost (msgpack codec: typed schemas have no
 * arrays).
 */
export interface PartialWinners { category: number; pairs: number[] }
/** Auctions per PartialWinners record at most: records stay far below a ring's size. */
const Q4_BATCH = 512;

/** The auctions and the rest of the stream as two sources (topics.ts), timestamped and aligned in event time. */
export interface NexmarkTopics {
  auctions: DataStream<NexmarkEvent>;
  peopleAndBids: DataStream<NexmarkEvent>;
}

/** Whether query `q` reads the stream as topics: q4 with pruning on (SluiceQueryOptions.prefilter). */
export function readsTopics(q: QueryName, options: SluiceQueryOptions = {}): boolean {
  return q === 'q4' && options.prefilter !== false;
}

/**
 * Per instance, beside the broadcast auctions: the highest bid it read inside each auction's interval, kept in
 * Maps (its own state: snapshotState) and swept when event time moves (onWatermark). Every instance sends one
 * partial per auction, so the category operator after it completes an auction on the parallelism-th partial,
 * with no timers. A bid whose auction has not come yet waits ('early') until the watermark passes it: an auction
 * that comes later starts after that. A closed auction stays `retainMs` more, so the bids that keep coming for it
 * are dropped at once. Fields are set in open() or restoreState(): each instance's own (own-instance.ts).
 */
export class Q4LocalWinners implements BroadcastProcessFunction<NexmarkEvent, AuctionWindow, PartialWinners> {
  private auctions!: Map<number, Auction4>;
  private early!: Map<number, EarlyBids>;

  constructor(private readonly retainMs: number) {}

  open(): void {
    if (!Object.hasOwn(this, 'auctions')) this.reset();
  }

  private reset(): void {
    this.auctions = new Map();
    this.early = new Map();
  }

  processElement(e: NexmarkEvent): void {
    if (e.kind !== 'bid') return;
    const a = this.auctions.get(e.auction);
    if (a !== undefined) {
      if (!a.closed) bidOn(a, e.dateTime, e.price);
      return;
    }
    const early = this.early.get(e.auction);
    if (early === undefined) this.early.set(e.auction, { maxTs: e.dateTime, bids: [e.dateTime, e.price] });
    else {
      early.bids.push(e.dateTime, e.price);
      if (e.dateTime > early.maxTs) early.maxTs = e.dateTime;
    }
  }

  processBroadcastElement(w: AuctionWindow): void {
    const a: Auction4 = { category: w.category, dateTime: w.dateTime, expires: w.expires, final: -1, closed: false };
    const early = this.early.get(w.id);
    if (early !== undefined) {
      for (let i = 0; i < early.bids.length; i += 2) bidOn(a, early.bids[i]!, early.bids[i + 1]!);
      this.early.delete(w.id);
    }
    this.auctions.set(w.id, a);
  }

  onWatermark(wm: number, _ctx: unknown, out: Collector<PartialWinners>): void {
    const batches = new Map<number, number[]>();
    const retainMs = this.retainMs;
    const auctions = this.auctions;
    // forEach, not for-of: no [key, value] array per entry, and tens of thousands are open at each watermark.
    auctions.forEach((a, id) => {
      if (!a.closed && a.expires <= wm) {
        let pairs = batches.get(a.category);
        if (pairs === undefined) batches.set(a.category, pairs = []);
        pairs.push(id, a.final);
        if (pairs.length >= 2 * Q4_BATCH) {
          out.collect({ category: a.category, pairs });
          batches.set(a.category, []);
        }
        a.closed = true;
      }
      if (a.closed && a.expires + retainMs <= wm) auctions.delete(id);
    });
    batches.forEach((pairs, category) => { if (pairs.length > 0) out.collect({ category, pairs }); });
    const early = this.early;
    if (early.size > 0) early.forEach((e, id) => { if (e.maxTs <= wm) early.delete(id); });
  }

  snapshotState(): unknown {
    const auctions: number[] = [];
    for (const [id, a] of this.auctions) auctions.push(id, a.category, a.dateTime, a.expires, a.final, a.closed ? 1 : 0);
    return { auctions, early: [...this.early].map(([id, e]) => [id, e.maxTs, e.bids]) };
  }

  restoreState(states: readonly unknown[], ctx: { subtask: number; parallelism: number }): void {
    // Each instance's partials count towards the winners' total: at another parallelism an auction would get
    // partials from instances of two sizes.
    if (states.length !== ctx.parallelism) {
      throw new Error(`q4.local keeps each instance's highest bids: restore it at parallelism ${states.length}, not ${ctx.parallelism}`);
    }
    this.reset();
    const own = states[ctx.subtask] as { auctions: number[]; early: [number, number, number[]][] } | undefined;
    if (own === undefined) return;
    const r = own.auctions;
    for (let i = 0; i < r.length; i += 6) {
      this.auctions.set(r[i]!, { category: r[i + 1]!, dateTime: r[i + 2]!, expires: r[i + 3]!, final: r[i + 4]!, closed: r[i + 5] === 1 });
    }
    for (const [id, maxTs, bids] of own.early) this.early.set(id, { maxTs, bids });
  }
}

/** A category's settled auctions, and its auctions still waiting for partials: auction -> [partials, highest]. */
interface CategoryWinners { auctions: number; total: number; open: Map<number, number[]> }

/**
 * Per category: each auction's partials until all `of` have come (its highest then settles into the category's
 * total), with no timers; the average goes out at the end of input.
 */
function q4CategoryWinners(of: number): KeyedProcessHandler<number, PartialWinners, Q4Row> {
  return {
    processElement(batch, ctx) {
      const state = ctx.state<CategoryWinners>('winners');
      let c = state.value();
      if (c === undefined) {
        c = { auctions: 0, total: 0, open: new Map() };
        ctx.timerService.registerEventTimeTimer(MAX_WATERMARK);
      }
      const pairs = batch.pairs;
      for (let i = 0; i < pairs.length; i += 2) {
        const auction = pairs[i]!;
        const had = c.open.get(auction);
        const n = (had?.[0] ?? 0) + 1;
        const price = had === undefined || pairs[i + 1]! > had[1]! ? pairs[i + 1]! : had[1]!;
        if (n < of) {
          if (had === undefined) c.open.set(auction, [n, price]);
          else { had[0] = n; had[1] = price; }
        } else {
          if (had !== undefined) c.open.delete(auction);
          if (price >= 0) {
            c.auctions++;
            c.total += price;
          }
        }
      }
      state.update(c);
    },
    onTimer(_t, ctx, out) {
      const c = ctx.state<CategoryWinners>('winners').value();
      if (c !== undefined && c.auctions > 0) out.collect({ category: ctx.key, auctions: c.auctions, total: c.total, avg: c.total / c.auctions });
    },
  };
}

/**
 * q4 over topics: the auctions are broadcast to every instance that reads bids, and each bid is judged there,
 * chained to its source: no bid crosses a thread. Only one partial per auction and instance crosses, keyed by
 * category: the category's operator completes an auction on its parallelism-th partial (no per-auction keyed
 * state, no timers, no second exchange). The job (sluice-job.ts) reads both topics at its parallelism, so each
 * thread generates its share of the auctions too (read by one subtask, they left the other thread idle ~15% of
 * the time), and holds the sources within q4MaxDriftMs of event time of each other (watermark alignment): the
 * auction topic, with far less work per event of time, would otherwise run ahead for the whole run and fill every
 * instance's Map.
 */
export function q4Topics(topics: NexmarkTopics, config: NexmarkConfig, parallelism: number): DataStream<Q4Row> {
  const retainMs = 10 * Math.max(1, Math.round(1_000_000 / config.eventsPerSec));
  const windows = topics.auctions.flatMap<AuctionWindow>((e, out) => {
    if (e.kind === 'auction') out.collect({ id: e.id, category: e.category, dateTime: e.dateTime, expires: e.expires });
  }).name('q4.auctions').withCodec(typedCodec(q4WindowSchema))
    .broadcast();
  return topics.peopleAndBids.connect(windows).process<PartialWinners>(new Q4LocalWinners(retainMs)).name('q4.local')
    .keyBy((p) => p.category)
    .process(q4CategoryWinners(parallelism)).name('q4.categories');
}

/** The event time the topics' sources may drift apart: about 50,000 events' worth, 1 s at least. */
export function q4MaxDriftMs(config: NexmarkConfig): number {
  return Math.max(1000, Math.round((50_000 * 1000) / config.eventsPerSec));
}

// ---------------------------------------------------------------- q5: hot items over hop windows

const q5BidSchema = recordSchema({ auction: 'i64' });

/** Bids per auction in one 2 s pane, or in the part of it one subtask saw. */
type PaneCounts = Map<number, number>;
/** A pane's counts over every subtask, stamped with the pane's end. */
interface Pane { end: number; counts: PaneCounts }

const countPerAuction: AggregateFunction<{ auction: number }, PaneCounts, PaneCounts> = {
  createAccumulator: () => new Map(),
  add: (b, counts) => counts.set(b.auction, (counts.get(b.auction) ?? 0) + 1),
  getResult: (counts) => counts,
  merge: addCounts,
};

function addCounts(into: PaneCounts, counts: PaneCounts): PaneCounts {
  for (const [auction, n] of counts) into.set(auction, (into.get(auction) ?? 0) + n);
  return into;
}

/**
 * The panes of the last window, by end. Each pane registers a timer at the end of each of the five windows that
 * hold it, so a window fires even if its newest panes saw no bid; when it fires, the auctions with the most bids
 * over its panes go out, and its oldest pane (in no later window) is dropped.
 */
const hotItems: KeyedProcessHandler<number, Pane, Q5Row> = {
  processElement(p, ctx) {
    ctx.mapState<number, PaneCounts>('panes').put(p.end, p.counts);
    for (let windowEnd = p.end; windowEnd < p.end + Q5_WINDOW_MS; windowEnd += Q5_SLIDE_MS) ctx.timerService.registerEventTimeTimer(windowEnd - 1);
  },
  onTimer(t, ctx, out) {
    const panes = ctx.mapState<number, PaneCounts>('panes');
    const windowEnd = t + 1;
    const merged = new Map<number, number>();
    for (let end = windowEnd - Q5_WINDOW_MS + Q5_SLIDE_MS; end <= windowEnd; end += Q5_SLIDE_MS) {
      const counts = panes.get(end);
      if (counts !== undefined) addCounts(merged, counts);
    }
    panes.remove(windowEnd - Q5_WINDOW_MS + Q5_SLIDE_MS);
    let max = 0;
    for (const n of merged.values()) if (n > max) max = n;
    for (const [auction, num] of merged) if (num === max) out.collect({ windowEnd, auction, num });
  },
};

function q5(events: DataStream<NexmarkEvent>, combine: boolean): DataStream<Q5Row> {
  // Window slicing, as Flink's SQL planner does for hop windows, and local-global aggregation: each subtask
  // counts its bids per auction in 2 s panes (combineLocally), so one map of counts per pane and subtask crosses
  // the exchange instead of every bid; the pane's maps are merged, and one operator adds up each window's five
  // panes and picks its hottest auctions, as the baselines do. The per-bid work (a Map update) stays parallel;
  // what crosses to the single key is a few maps of (auctions active in a pane) entries per 2 s of event time.
  const panes = events.flatMap<{ auction: number }>((e, out) => {
    if (e.kind === 'bid') out.collect({ auction: e.auction });
  }).name('q5.project').withCodec(typedCodec(q5BidSchema))
    .keyBy(() => 0)
    .window(TumblingEventTimeWindows.of(Q5_SLIDE_MS));
  return (combine ? panes.combineLocally() : panes)
    .aggregate<PaneCounts, PaneCounts, Pane>(countPerAuction, (_key, ctx, [counts], out) => out.collect({ end: ctx.window.end, counts: counts! }))
    .name('q5.panes')
    .keyBy(() => 0)
    .process(hotItems).name('q5.hottest');
}

// ---------------------------------------------------------------- q7: highest bid per tumbling window

const q7BidSchema = recordSchema({ auction: 'i64', bidder: 'i64', price: 'i64', dateTime: 'timestamp', extra: 'string' });
type Q7Bid = Omit<Q7Row, 'windowEnd'>;
const q7RowSchema = recordSchema({ windowEnd: 'timestamp', auction: 'i64', bidder: 'i64', price: 'i64', dateTime: 'timestamp', extra: 'string' });

/** The records with the highest price, ties all kept. */
interface Highest<T> { price: number; rows: T[] }
function highest<T extends { price: number }>(): AggregateFunction<T, Highest<T>, Highest<T>> {
  return {
    createAccumulator: () => ({ price: -Infinity, rows: [] }),
    add(r, acc) {
      if (r.price > acc.price) {
        acc.price = r.price;
        acc.rows = [r];
      } else if (r.price === acc.price) acc.rows.push(r);
      return acc;
    },
    getResult: (acc) => acc,
  };
}

/**
 * q7's pruning before the exchange (SluiceQueryOptions.prefilter): per window, the highest price passed on so
 * far; a bid below it cannot be its window's highest (that one is at least as high), so it need not cross. A
 * cache, not state: it may be shared by the subtasks one thread runs (the function is built once per thread;
 * a higher bid from any of them proves the same), it starts empty after a restore, and it forgets windows well
 * behind the newest, so a bid it has no entry for is passed on: the pruning only ever passes more than needed.
 */
export class HighestSeen {
  private readonly highest = new Map<number, number>();
  private newest = -Infinity;

  /** Whether a bid at `ts` for `price` may be its window's highest; remembers it if it is the highest so far. */
  mayWin(ts: number, price: number): boolean {
    const start = windowStart(ts, Q7_WINDOW_MS);
    const seen = this.highest.get(start);
    if (seen !== undefined) {
      if (price < seen) return false;
      if (price > seen) this.highest.set(start, price);
      return true;
    }
    this.highest.set(start, price);
    if (start > this.newest) {
      this.newest = start;
      for (const w of this.highest.keys()) if (w < start - 2 * Q7_WINDOW_MS) this.highest.delete(w);
    }
    return true;
  }
}

function q7(events: DataStream<NexmarkEvent>, prefilter: boolean): DataStream<Q7Row> {
  // Two phases, as Flink's local-global aggregation: the highest bids per auction and window in parallel, then
  // the window's highest among those (a few rows per auction) on the subtask of its window.
  const seen = prefilter ? new HighestSeen() : undefined;
  return events.flatMap<Q7Bid>((e, out) => {
    if (e.kind !== 'bid' || (seen !== undefined && !seen.mayWin(e.dateTime, e.price))) return;
    out.collect({ auction: e.auction, bidder: e.bidder, price: e.price, dateTime: e.dateTime, extra: e.extra });
  }).name('q7.project').withCodec(typedCodec(q7BidSchema))
    .keyBy((b) => b.auction)
    .window(TumblingEventTimeWindows.of(Q7_WINDOW_MS))
    .aggregate<Highest<Q7Bid>, Highest<Q7Bid>, Q7Row>(highest<Q7Bid>(), (_auction, ctx, [h], out) => {
      const windowEnd = ctx.window.end;
      for (const b of h!.rows) out.collect({ windowEnd, auction: b.auction, bidder: b.bidder, price: b.price, dateTime: b.dateTime, extra: b.extra });
    }).name('q7.per-auction').withCodec(typedCodec(q7RowSchema))
    .keyBy((r) => r.windowEnd)
    .window(TumblingEventTimeWindows.of(Q7_WINDOW_MS))
    .aggregate<Highest<Q7Row>, Highest<Q7Row>, Q7Row>(highest<Q7Row>(), (_windowEnd, _ctx, [h], out) => {
      for (const r of h!.rows) out.collect(r);
    }).name('q7.highest');
}

// ---------------------------------------------------------------- q8: new users, a tumbling window join

/** A new person (name) or a new auction by seller `id` (no name), with the start of its window. */
const q8InputSchema = recordSchema({ start: 'timestamp', id: 'i64', name: optional('string') });
type Q8Input = { start: number; id: number; name?: string | undefined };
/** A window's new persons (id -> name) and the sellers of its new auctions. */
interface NewUsers { persons: Map<number, string>; sellers: Set<number> }
const newUsers: AggregateFunction<Q8Input, NewUsers, NewUsers> = {
  createAccumulator: () => ({ persons: new Map(), sellers: new Set() }),
  add(x, acc) {
    if (x.name === undefined) acc.sellers.add(x.id);
    else acc.persons.set(x.id, x.name);
    return acc;
  },
  getResult: (acc) => acc,
  merge(a, b) {
    for (const [id, name] of b.persons) a.persons.set(id, name);
    for (const id of b.sellers) a.sellers.add(id);
    return a;
  },
};

function q8(events: DataStream<NexmarkEvent>, combine: boolean): DataStream<Q8Row> {
  // The SQL joins a window's persons with its (distinct) sellers on id = seller. Keyed by the window, one
  // incremental aggregate per window holds both sides and joins them when the window fires; keyed by person id,
  // every person would open a window state of its own (create, time, fire, drop) for one or two records. Each
  // subtask collects its part of a window first (combineLocally): one record per window and subtask crosses the
  // exchange, and a seller with several auctions in the window crosses once.
  const windows = events.flatMap<Q8Input>((e, out) => {
    if (e.kind === 'person') out.collect({ start: windowStart(e.dateTime, Q8_WINDOW_MS), id: e.id, name: e.name });
    else if (e.kind === 'auction') out.collect({ start: windowStart(e.dateTime, Q8_WINDOW_MS), id: e.seller, name: undefined });
  }).name('q8.project').withCodec(typedCodec(q8InputSchema))
    .keyBy((x) => x.start)
    .window(TumblingEventTimeWindows.of(Q8_WINDOW_MS));
  return (combine ? windows.combineLocally() : windows)
    .aggregate<NewUsers, NewUsers, Q8Row>(newUsers, (starttime, _ctx, [u], out) => {
      for (const [id, name] of u!.persons) if (u!.sellers.has(id)) out.collect({ id, name, starttime });
    }).name('q8.join');
}

// ----------------------------------------------------------------

export interface SluiceQueryOptions {
  /**
   * Less before the exchanges (default true): q7 drops bids that cannot be their window's highest; q5 counts
   * each subtask's bids per auction and pane, and q8 collects each window's persons and sellers, before the
   * exchange (combineLocally); q4 reads auctions and bids as two topics and judges each bid where it is read
   * (q4Topics; the job builds it, see readsTopics). false sends every record.
   * Flink's planner pre-aggregates before a shuffle the same way.
   */
  prefilter?: boolean;
}

type QueryBuilder<Q extends QueryName> = (events: DataStream<NexmarkEvent>, config: NexmarkConfig, options: SluiceQueryOptions) => DataStream<QueryRows[Q]>;

const QUERIES: { readonly [Q in QueryName]: QueryBuilder<Q> } = {
  q0, q1, q2, q3, q4: (events, config) => q4(events, config), q5: (events, _config, options) => q5(events, options.prefilter ?? true), q7: (events, _config, options) => q7(events, options.prefilter ?? true),
  q8: (events, _config, options) => q8(events, options.prefilter ?? true),
};

/**
 * Query `q` over `events`, which already carry timestamps and watermarks (bounded out-of-orderness of
 * maxOutOfOrdernessMs(config)). `config` sizes what depends on the stream's rate (q4's sweep of early bids).
 * Operator names start with the query's name, so the job's sink and source may take any other name.
 */
export function sluiceQuery<Q extends QueryName>(q: Q, events: DataStream<NexmarkEvent>, config: NexmarkConfig, options: SluiceQueryOptions = {}): DataStream<RowOf<Q>> {
  const build = QUERIES[q] as QueryBuilder<Q>;
  return build(events, config, options);
}
