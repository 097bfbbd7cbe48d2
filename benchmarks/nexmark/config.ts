// Runs on: any thread (the benchmark's main thread, sluice source subtasks, tests). The Nexmark generator's
// parameters and the arithmetic that follows from them alone: event kinds by event id, timestamps by event id,
// the deterministic out-of-order permutation and the lateness bound it implies.
//
// Numbers and ideas follow the reference nexmark-flink generator (nexmark/nexmark: GeneratorConfig,
// NexmarkConfiguration). Differences, on purpose:
// - One timeline, split by interleaving: subtask s of p emits stream positions s, s + p, ... so the union over
//   subtasks is exactly the single-thread stream (the reference gives each split its own id range and timeline).
// - Out-of-orderness is the reference's `outOfOrderGroupSize` permutation (position j of a group of n emits
//   event number base + (j * 953) mod n); a last group cut short by `events` is emitted in order, so the events
//   of a bounded stream are always exactly event ids 0 .. events - 1, only their order changes.

/** Ids start here so queries find matches even on small streams (reference FIRST_*_ID). */
export const FIRST_PERSON_ID = 1000;
export const FIRST_AUCTION_ID = 1000;
export const FIRST_CATEGORY_ID = 10;
/** Largest average record size the `extra` padding can reach (1.2x of it fits the 64 KiB string pool). */
export const MAX_AVG_BYTE_SIZE = 50_000;
/** Multiplier of the reference's in-group permutation; prime, so it permutes any group size it does not divide. */
const OUT_OF_ORDER_MULTIPLIER = 953;

export class NexmarkConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NexmarkConfigError';
  }
}

export interface NexmarkConfig {
  /** Seeds every record: a record is a pure function of (seed, event id). */
  readonly seed: number;
  /** Events in the stream (positions 0 .. events - 1); Infinity for an unbounded stream. */
  readonly events: number;
  /** Events per second of event time (reference firstEventRate): event n has time baseTime + n / rate. */
  readonly eventsPerSec: number;
  /** Event time of event 0, epoch ms. */
  readonly baseTime: number;
  readonly personProportion: number;
  readonly auctionProportion: number;
  readonly bidProportion: number;
  /** Average idealized record sizes the `extra` padding aims for, bytes. */
  readonly avgPersonByteSize: number;
  readonly avgAuctionByteSize: number;
  readonly avgBidByteSize: number;
  /** A bid is for the hot auction with probability 1 - 1/hotAuctionRatio. */
  readonly hotAuctionRatio: number;
  /** An auction is by the hot seller with probability 1 - 1/hotSellersRatio. */
  readonly hotSellersRatio: number;
  /** A bid is by the hot bidder with probability 1 - 1/hotBiddersRatio. */
  readonly hotBiddersRatio: number;
  /** Average auctions in flight: sets auction lengths and how far back random bids reach. */
  readonly numInFlightAuctions: number;
  /** People considered active for sellers and bidders. */
  readonly numActivePeople: number;
  /** 1 = in order; n = every n consecutive events are emitted in a fixed pseudo-random order. */
  readonly outOfOrderGroupSize: number;
}

/** The reference NexmarkConfiguration defaults, with a fixed base time so runs repeat exactly. */
export const DEFAULT_CONFIG: NexmarkConfig = Object.freeze({
  seed: 1,
  events: 1_000_000,
  eventsPerSec: 10_000,
  baseTime: Date.UTC(2024, 0, 1),
  personProportion: 1,
  auctionProportion: 3,
  bidProportion: 46,
  avgPersonByteSize: 200,
  avgAuctionByteSize: 500,
  avgBidByteSize: 100,
  hotAuctionRatio: 2,
  hotSellersRatio: 4,
  hotBiddersRatio: 4,
  numInFlightAuctions: 100,
  numActivePeople: 1000,
  outOfOrderGroupSize: 1,
});

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** The defaults with `overrides`, validated and frozen. Throws NexmarkConfigError naming the bad field. */
export function nexmarkConfig(overrides: Partial<NexmarkConfig> = {}): NexmarkConfig {
  const c = { ...DEFAULT_CONFIG, ...overrides };
  const int = (name: keyof NexmarkConfig, min: number): void => {
    const v = c[name];
    if (!Number.isSafeInteger(v) || v < min) throw new NexmarkConfigError(`nexmark: ${name} must be an integer >= ${min}, got ${v}`);
  };
  int('seed', Number.MIN_SAFE_INTEGER);
  if (c.events !== Infinity) int('events', 0);
  if (!(c.eventsPerSec > 0) || !Number.isFinite(c.eventsPerSec)) throw new NexmarkConfigError(`nexmark: eventsPerSec must be a finite number > 0, got ${c.eventsPerSec}`);
  int('baseTime', 0);
  int('personProportion', 1);
  int('auctionProportion', 1);
  int('bidProportion', 1);
  for (const f of ['avgPersonByteSize', 'avgAuctionByteSize', 'avgBidByteSize'] as const) {
    int(f, 0);
    // The padding is a slice of a 64 KiB pool of letters (strings.ts), up to 1.2x the average: longer ones would come
    // out short (a mean of 17 KB for 100 KB).
    if (c[f] > MAX_AVG_BYTE_SIZE) throw new NexmarkConfigError(`nexmark: ${f} must be at most ${MAX_AVG_BYTE_SIZE}, got ${c[f]}`);
  }
  int('hotAuctionRatio', 1);
  int('hotSellersRatio', 1);
  int('hotBiddersRatio', 1);
  int('numInFlightAuctions', 1);
  int('numActivePeople', 1);
  int('outOfOrderGroupSize', 1);
  if (gcd(c.outOfOrderGroupSize, OUT_OF_ORDER_MULTIPLIER) !== 1) {
    throw new NexmarkConfigError(`nexmark: outOfOrderGroupSize must not be a multiple of ${OUT_OF_ORDER_MULTIPLIER}, got ${c.outOfOrderGroupSize}`);
  }
  return Object.freeze(c);
}

export function totalProportion(c: NexmarkConfig): number {
  return c.personProportion + c.auctionProportion + c.bidProportion;
}

export type EventKind = 'person' | 'auction' | 'bid';

/** Which kind event id `id` is: the first personProportion ids of every totalProportion are people, and so on. */
export function kindOfEvent(c: NexmarkConfig, id: number): EventKind {
  const rem = id % totalProportion(c);
  if (rem < c.personProportion) return 'person';
  return rem < c.personProportion + c.auctionProportion ? 'auction' : 'bid';
}

/** Inter-event delay in microseconds of event time. */
export function interEventDelayUs(c: NexmarkConfig): number {
  return 1_000_000 / c.eventsPerSec;
}

/**
 * Event time of event id `id`, epoch ms: the reference's timestampForEvent (baseTime + id x inter-event delay,
 * truncated), computed as id x 1000 / rate so whole rates give exact times (the reference's id x (1e6 / rate)
 * loses one ms now and then to rounding).
 */
export function timestampForEvent(c: NexmarkConfig, id: number): number {
  return c.baseTime + Math.floor((id * 1000) / c.eventsPerSec);
}

/** The event id emitted at stream position `position`: the identity unless outOfOrderGroupSize > 1. */
export function eventIdAt(c: NexmarkConfig, position: number): number {
  const n = c.outOfOrderGroupSize;
  if (n === 1) return position;
  const base = position - (position % n);
  // A group cut short by the end of a bounded stream stays in order: the stream is still ids 0 .. events - 1.
  if (base + n > c.events) return position;
  // Position and multiplier stay far below 2^53 / 953 for any stream that fits in memory or time.
  return base + ((position % n) * OUT_OF_ORDER_MULTIPLIER) % n;
}

/**
 * Bound on lateness, ms: every event's time is >= (the largest event time emitted before it) - this. Within a
 * group the ids, and so the times, differ by at most n - 1 events; +1 covers the two truncations.
 * A watermark of (max event time seen - this) is therefore never passed by a later event. It holds for every
 * subtask's share of the stream too: a subsequence is never later than the whole.
 */
export function maxOutOfOrdernessMs(c: NexmarkConfig): number {
  if (c.outOfOrderGroupSize === 1) return 0;
  return Math.ceil(((c.outOfOrderGroupSize - 1) * interEventDelayUs(c)) / 1000) + 1;
}
