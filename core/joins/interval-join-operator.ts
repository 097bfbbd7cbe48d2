// Runs on: the worker thread of the subtask. An interval join (`a.keyBy(k1).intervalJoin(b.keyBy(k2))
// .between(lower, upper).process(fn)`): joins each left record with every right record of its key whose event
// time lies in [left.ts + lower, left.ts + upper]; each pair is emitted once, when its later record arrives,
// stamped with the larger of the two timestamps.
//
// State per key and side: the records still able to match, sorted by time. A left record can still match
// right records with time >= the watermark (earlier ones are late and dropped), so it is kept until the
// watermark passes left.ts + upper; a right record until it passes right.ts - lower. Each record registers a
// cleanup timer at that point + 1 (timers are (key, time): records sharing one share it).

import { notAsync } from '../operators/sync-call.js';
import type { Key } from '../graph/key-groups.js';
import { canonicalKey, KeyDecoder, type UserKey } from '../graph/tuple-key.js';
import type { Collector } from '../api/functions.js';
import type { OutputTag } from '../api/output-tag.js';
import type { ProcessJoinContext, ProcessJoinFunction } from '../api/window-functions.js';
import type { StateTable } from '../state/state-table.js';
import type { TimeDomain } from '../state/timer-service.js';
import { KeyedOperator } from '../operators/keyed-operator.js';
import type { Downstream } from '../operators/operator.js';
import type { TaskContext } from '../operators/task-context.js';
import type { TwoInputOperator } from '../operators/create-operator.js';

export interface IntervalJoinSpec {
  readonly kind: 'intervalJoin';
  /** Bounds of right.ts - left.ts, each inclusive unless said exclusive. Compared as given, not moved by 1 ms: event
   * times may be fractional (moving them, between(0, 5).lowerBoundExclusive() would lose a pair 0.5 ms apart). */
  readonly lower: number;
  readonly upper: number;
  readonly lowerExclusive?: boolean;
  readonly upperExclusive?: boolean;
  readonly leftLateTag: OutputTag<unknown> | undefined;
  readonly rightLateTag: OutputTag<unknown> | undefined;
  readonly fn: ProcessJoinFunction<unknown, unknown, unknown>;
}

export function intervalJoinFingerprint(s: IntervalJoinSpec): string {
  // Inclusive bounds keep the form they always had (a savepoint's operators are matched by it).
  const bounds = s.lowerExclusive || s.upperExclusive ? `${s.lowerExclusive ? '(' : '['}${s.lower},${s.upper}${s.upperExclusive ? ')' : ']'}` : `${s.lower},${s.upper}`;
  return `intervalJoin(${bounds};late=${s.leftLateTag?.id ?? '-'},${s.rightLateTag?.id ?? '-'})`;
}

/** One side's buffered records of one key, sorted by time (parallel arrays: plain data for checkpoints). */
interface Buffer {
  ts: number[];
  v: unknown[];
}

/**
 * Records a cleanup drops from the front of a buffer one shift at a time (fast path): shift moves the array's start
 * without the array of removed elements splice makes, ~4x cheaper for one; a large drop splices once. Only from a
 * short buffer: each shift of a long one moves all of it (a hot key behind a lagging watermark ran 5.5x slower,
 * review r4), where one splice moves it once.
 */
const SHIFT_AT_MOST = 8;
/** The longest buffer records are shifted off (above). */
const SHIFT_BUFFER_AT_MOST = 16;

export const LEFT_STATE = '__join/left';
export const RIGHT_STATE = '__join/right';

/** First index with ts[i] >= t (`strict`: ts[i] > t). */
function lowerBound(ts: number[], t: number, strict = false): number {
  let lo = 0;
  let hi = ts.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ts[mid]! < t || (strict && ts[mid]! === t)) lo = mid + 1; else hi = mid;
  }
  return lo;
}

export class IntervalJoinOperator<A, B, O> extends KeyedOperator<A, O> implements TwoInputOperator, ProcessJoinContext, Collector<O> {
  readonly input2: Downstream<B>;
  private readonly left: StateTable<Buffer>;
  private readonly right: StateTable<Buffer>;
  private readonly lower: number;
  private readonly upper: number;
  leftTimestamp = 0;
  rightTimestamp = 0;
  timestamp = 0;
  private readonly keys = new KeyDecoder();
  /**
   * Fast paths (the run option stateFastPaths): a key's buffer is created without put's second lookup after the
   * miss that found none, one emptied by a cleanup timer is removed by the entry held, not looked up again, and a
   * few records a cleanup drops from a buffer's front are shifted off (SHIFT_AT_MOST).
   * With many keys and about one record a side each, most records create a buffer and most timers empty two.
   */
  private readonly fast: boolean;

  constructor(name: string, ctx: TaskContext, next: Downstream<O>, private readonly keyOf: readonly ((v: unknown) => UserKey)[], private readonly spec: IntervalJoinSpec, tracking: boolean) {
    super(name, ctx, next, tracking);
    this.left = this.backend.table<Buffer>(LEFT_STATE, 'internal', undefined);
    this.right = this.backend.table<Buffer>(RIGHT_STATE, 'internal', undefined);
    this.lower = spec.lower;
    this.upper = spec.upper;
    this.fast = ctx.stateFastPaths;
    this.input2 = {
      push: (value: B) => { this.recordsIn++; this.element(value, 1); },
      watermark() {}, idle() {}, finish() {},
    };
  }

  push(value: A): void {
    this.recordsIn++;
    this.element(value, 0);
  }

  /** The pair's key as the selectors returned it (decoded only when the function asks). */
  get key(): UserKey { return this.keys.decode(this.backend.currentKey); }

  /** Records held now, both sides (for tests and metrics). */
  get buffered(): number {
    let n = 0;
    for (const t of [this.left, this.right]) for (const e of t.entries.values()) n += e.value.ts.length;
    return n;
  }

  private element(value: unknown, side: number): void {
    const ctx = this.ctx;
    const ts = ctx.timestamp;
    if (ts !== ts) this.fail(new TypeError('an interval join got a record without a timestamp: call assignTimestampsAndWatermarks(...) upstream'));
    // Late: the other side's records it could match may already be gone.
    if (ts < ctx.watermark) {
      const tag = side === 0 ? this.spec.leftLateTag : this.spec.rightLateTag;
      if (tag !== undefined) this.emitSide(tag, value);
      else this.lateRecordsDropped++;
      return;
    }
    // The join function runs before the record is buffered: one it throws on (policy 'drop' or 'dead-letter') is
    // kept for no later pair, and the pairs it made before the throw are out.
    try {
      const key = canonicalKey(this.keyOf[side]!(value));
      this.backend.currentKey = key;
      const own = side === 0 ? this.left : this.right;
      const other = side === 0 ? this.right : this.left;
      // Matching range on the other side's time axis: right - left > lower bounds a left record from above.
      const from = side === 0 ? ts + this.lower : ts - this.upper;
      const to = side === 0 ? ts + this.upper : ts - this.lower;
      const fromOpen = side === 0 ? this.spec.lowerExclusive === true : this.spec.upperExclusive === true;
      const toOpen = side === 0 ? this.spec.upperExclusive === true : this.spec.lowerExclusive === true;
      const o = other.entry(key);
      if (o !== undefined) {
        const buf = o.value;
        for (let i = lowerBound(buf.ts, from, fromOpen); i < buf.ts.length && (toOpen ? buf.ts[i]! < to : buf.ts[i]! <= to); i++) {
          if (side === 0) this.pair(value, ts, buf.v[i], buf.ts[i]!);
          else this.pair(buf.v[i], buf.ts[i]!, value, ts);
        }
      }
      const e = own.entry(key);
      if (e === undefined) {
        if (this.fast) own.create(key, { ts: [ts], v: [value] });
        else own.put(key, { ts: [ts], v: [value] });
      } else {
        const buf = e.value;
        let i = buf.ts.length;
        while (i > 0 && buf.ts[i - 1]! > ts) i--;
        if (i === buf.ts.length) { buf.ts.push(ts); buf.v.push(value); } else { buf.ts.splice(i, 0, ts); buf.v.splice(i, 0, value); }
        own.touched(e);
      }
      this.timers.register('event', key, side === 0 ? ts + this.upper + 1 : ts - this.lower + 1);
    } catch (e) { this.rejected(e, value, side === 0 ? 1 : 2); }
  }

  private pair(l: unknown, lts: number, r: unknown, rts: number): void {
    this.leftTimestamp = lts;
    this.rightTimestamp = rts;
    this.timestamp = lts > rts ? lts : rts;
    const done: unknown = this.spec.fn(l, r, this, this);
    if (done !== undefined) notAsync(done, this.name, 'its join function', "the pair's timestamps are its only during the call");
  }

  collect(value: O): void {
    this.recordsOut++;
    this.ctx.timestamp = this.timestamp;
    this.next.push(value);
  }

  output<X>(tag: OutputTag<X>, value: X): void {
    this.ctx.timestamp = this.timestamp;
    this.emitSide(tag as OutputTag<unknown>, value);
  }

  protected override onTimer(domain: TimeDomain, t: number): void {
    if (domain !== 'event') return;
    const key = this.backend.currentKey;
    this.evict(this.left, key, t - 1 - this.upper);
    this.evict(this.right, key, t - 1 + this.lower);
  }

  /** Drops the key's records with time <= `upTo` (they cannot match anything that may still arrive). */
  private evict(table: StateTable<Buffer>, key: Key, upTo: number): void {
    const e = table.entry(key);
    if (e === undefined) return;
    const buf = e.value;
    const n = lowerBound(buf.ts, upTo + 1);
    if (n === 0) return;
    if (n === buf.ts.length) {
      if (this.fast) table.delete(e); else table.remove(key);
      return;
    }
    if (this.fast && n <= SHIFT_AT_MOST && buf.ts.length <= SHIFT_BUFFER_AT_MOST) {
      for (let k = 0; k < n; k++) { buf.ts.shift(); buf.v.shift(); }
    } else {
      buf.ts.splice(0, n);
      buf.v.splice(0, n);
    }
    table.touched(e);
  }
}
