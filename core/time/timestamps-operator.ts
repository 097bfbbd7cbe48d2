// Runs on: the worker thread of the subtask. Assigns each record's event time and generates watermarks.
//
// Usually chained right behind its source, where it also sees the source's reads: when the source has found
// nothing for the strategy's idle timeout (TaskContext.sourceIdleSince), or holds no split at all
// (TaskContext.sourceHoldsNoSplit, whatever the strategy), the stream is marked idle so it stops holding back
// downstream watermarks; the next record marks it active again. Anywhere else (behind an exchange,
// or behind a filter in the source's chain) the stream is idle when no record has reached this operator for the
// timeout, as Flink's WatermarksWithIdleness decides. Watermarks from upstream are not passed on (this operator's generator decides
// event time from here), except the final one at end of input.

import { Operator, type Downstream } from '../operators/operator.js';
import type { TaskContext } from '../operators/task-context.js';
import type { OperatorRestore, OperatorSnapshot } from '../checkpoint/snapshot.js';
import { EVENT_TIME_RANGE, MAX_WATERMARK, MIN_WATERMARK, describeTime, inEventTimeRange } from './watermark.js';
import type { WatermarkGenerator, WatermarkOutput, WatermarkStrategy } from './watermark-strategy.js';

export class TimestampsOperator<T> extends Operator<T, T> implements WatermarkOutput {
  protected readonly generator: WatermarkGenerator<T>;
  private readonly assign: ((event: T, recordTimestamp: number | undefined) => number) | undefined;
  private readonly idleTimeoutMs: number | undefined;
  protected current = MIN_WATERMARK;
  /** Restored: `current` came from the checkpoint and has not been sent on yet (the first interval sends it). */
  protected restoredUnsent = false;
  protected nextEmit: number;
  protected isIdle = false;
  /** Idle because its source held no split (TaskContext.sourceHoldsNoSplit), not by the strategy's idleness. */
  private idleNoSplit = false;
  /**
   * Idleness behind an exchange: recordsIn at the last periodic check, and when it last moved (performance.now()).
   * Checked at the watermark interval, as Flink's WatermarksWithIdleness does: nothing per record.
   */
  private recordsSeen = 0;
  private lastRecordAt = performance.now();
  /**
   * Chained right behind its source (set by the task host): idleness goes by the source's reads. Anywhere else
   * (behind an exchange, or behind a filter that may drop everything) by the records that reach it.
   */
  behindSource = false;
  /** Takes what the generator would emit, for progressWatermark(). */
  private readonly probe = { value: MIN_WATERMARK, emitWatermark(w: number): void { if (w > this.value) this.value = Math.min(Math.floor(w), MAX_WATERMARK); } };

  /** `generator`: the strategy's own, or one over the source's splits (SplitTimestampsOperator). */
  constructor(name: string, ctx: TaskContext, next: Downstream<T>, strategy: WatermarkStrategy<T>, protected readonly intervalMs: number, generator: WatermarkGenerator<T> = strategy.createGenerator()) {
    super(name, ctx, next);
    this.generator = generator;
    this.assign = strategy.assigner;
    this.idleTimeoutMs = strategy.idleTimeoutMs;
    this.nextEmit = Date.now() + intervalMs;
  }

  push(value: T): void {
    this.recordsIn++;
    const ctx = this.ctx;
    let ts = ctx.timestamp;
    try {
      if (this.assign !== undefined) {
        ts = this.assign(value, ts === ts ? ts : undefined);
        if (!inEventTimeRange(ts)) throw new TypeError(`the timestamp assigner returned ${describeTime(ts)}, not ${EVENT_TIME_RANGE}`);
      } else if (ts !== ts) {
        throw new TypeError('the record has no timestamp: give the watermark strategy a timestamp assigner (withTimestampAssigner)');
      } else if (!inEventTimeRange(ts)) {
        throw new TypeError(`the record's timestamp from its source is ${ts}, not ${EVENT_TIME_RANGE}: give the watermark strategy a timestamp assigner (withTimestampAssigner)`);
      }
    } catch (e) { this.fail(e); }
    if (this.isIdle) {
      this.isIdle = false;
      this.idleDown(false);
    }
    ctx.timestamp = ts;
    this.recordsOut++;
    // Below this operator event time is its own (TaskContext.watermark); above it, the input's.
    const above = ctx.watermark;
    ctx.watermark = this.current;
    this.next.push(value);
    ctx.watermark = above;
    // After the record, as Flink does: a watermark this record triggers must not overtake it (it would be late).
    try { this.generator.onEvent(value, ts, this); } catch (e) { this.fail(e); }
  }

  /** Whether it has marked its stream idle. */
  get isIdleNow(): boolean {
    return this.isIdle;
  }

  emitWatermark(watermark: number): void {
    if (!(watermark > this.current)) return;
    this.current = Math.min(Math.floor(watermark), MAX_WATERMARK);
    this.restoredUnsent = false;
    this.send();
  }

  protected send(): void {
    const ctx = this.ctx;
    ctx.emittedWatermark = this.current;
    const above = ctx.watermark;
    ctx.watermark = this.current;
    this.next.watermark(this.current);
    ctx.watermark = above;
  }

  protected idleDown(idle: boolean): void {
    const ctx = this.ctx;
    const above = ctx.watermark;
    ctx.watermark = this.current;
    this.next.idle(idle);
    ctx.watermark = above;
  }

  override watermark(watermark: number): void {
    if (watermark >= MAX_WATERMARK) this.emitWatermark(MAX_WATERMARK);
  }

  // Upstream idleness is not passed on either: this operator decides it from its own source's reads.
  override idle(_idle: boolean): void {}

  override nextProcessingTime(): number {
    return this.nextEmit;
  }

  /** Whether a watermark interval is due at `now` (then the next one is set, and a restored watermark sent). */
  protected intervalDue(now: number): boolean {
    if (now < this.nextEmit) return false;
    this.nextEmit = now + this.intervalMs;
    if (this.restoredUnsent) {
      this.restoredUnsent = false;
      this.send();
    }
    return true;
  }

  /** Says idle downstream, once. */
  protected goIdle(): void {
    if (this.isIdle) return;
    this.isIdle = true;
    this.idleDown(true);
  }

  override onProcessingTime(now: number): void {
    if (!this.intervalDue(now)) return;
    if (this.behindSource) {
      // A source with no split has nothing to hold event time back for (a discovering file source with no file of
      // its own): idle whatever the strategy, until a record or a split (then active before any watermark of it).
      if (this.ctx.sourceHoldsNoSplit) {
        this.idleNoSplit = true;
        this.goIdle();
        return;
      }
      if (this.idleNoSplit) {
        this.idleNoSplit = false;
        if (this.isIdle) {
          this.isIdle = false;
          this.idleDown(false);
        }
      }
    }
    if (this.idleTimeoutMs !== undefined && this.idleFor() >= this.idleTimeoutMs) {
      // Idle: no periodic watermark (as Flink's WatermarksWithIdleness). A generator that moves on without
      // records would otherwise wake the stream downstream (any watermark marks an input active again) while
      // this operator still counts it idle, and never says so again: the input would hold the others back.
      this.goIdle();
      return;
    }
    try { this.generator.onPeriodicEmit(this); } catch (e) { this.fail(e); }
  }

  /** How long the stream has had nothing (NaN: it has): by the source's reads right behind it, else by its records. */
  private idleFor(): number {
    if (this.behindSource) {
      // A source waiting on a promise has nothing only as far as the thread's last event-loop turn in which the
      // promise could settle (EventLoopTurns.turnAt): heavy user code or a starved thread is not its silence.
      // Settled, its record waits.
      if (this.ctx.sourceSettled) return NaN;
      return Math.min(performance.now(), this.ctx.eventLoop.turnAt) - this.ctx.sourceIdleSince;
    }
    if (this.recordsIn !== this.recordsSeen) {
      this.recordsSeen = this.recordsIn;
      this.lastRecordAt = performance.now();
    }
    return performance.now() - this.lastRecordAt;
  }

  /**
   * How far the stream has got: the watermark the generator would emit now (it is not emitted: downstream gets
   * watermarks at the interval). An aligned source asks before each read step, so its hold sees its reads up to
   * the last step, not up to the last interval. While idle, the last emitted one (see onProcessingTime).
   */
  progressWatermark(): number {
    if (this.isIdle) return this.current;
    this.probe.value = this.current;
    try { this.generator.onPeriodicEmit(this.probe); } catch (e) { this.fail(e); }
    return this.probe.value;
  }

  /**
   * The watermark it had sent on, for a restore: its generator starts over (user code, no state of its own), and a
   * stream whose source has nothing left after a restore would never move event time again (windows a
   * failure-free run fires would wait for new input). Every old subtask's, since a source's splits may move.
   */
  override snapshotState(): OperatorSnapshot | undefined {
    // The minimum too (a subtask with no watermark yet holds the rest back); none once ended, nor while its source
    // holds no split (it holds nothing back: its minimum would restore every subtask at none).
    if (this.current >= MAX_WATERMARK || (this.behindSource && this.ctx.sourceHoldsNoSplit)) return undefined;
    return { operator: [this.current], redistribute: 'union' };
  }

  /** Starts at the lowest of the old subtasks' watermarks, and sends it on at the first interval. */
  override restoreState(state: OperatorRestore): void {
    const old = state.operator.filter((w): w is number => typeof w === 'number');
    const lowest = Math.min(...old);
    if (old.length === 0 || lowest <= MIN_WATERMARK) return;
    this.current = lowest;
    this.restoredUnsent = true;
  }

  override finish(): void {
    this.emitWatermark(MAX_WATERMARK);
    this.ctx.watermark = MAX_WATERMARK;
    this.next.finish();
  }
}
