// Runs on: the worker thread of a source subtask whose reader says which split its records come from.
//
// A timestamps operator chained behind its source that runs its watermark strategy per split (split-watermarks.ts):
// the source's tracker switches its current split before each run of records; records pass exactly as through
// TimestampsOperator (its push), whose generator is the per-split one here. Idleness is per split, and the subtask
// is idle when no split is active. Snapshot and restore are TimestampsOperator's: the subtask's watermark, the
// lowest of the old subtasks' on restore, below which the combined watermark never goes.

import type { Downstream } from '../operators/operator.js';
import type { TaskContext } from '../operators/task-context.js';
import type { SplitTracker } from '../connectors/source.js';
import { TimestampsOperator } from './timestamps-operator.js';
import { SplitWatermarks } from './split-watermarks.js';
import type { WatermarkStrategy } from './watermark-strategy.js';

export class SplitTimestampsOperator<T> extends TimestampsOperator<T> implements SplitTracker {
  private readonly splits: SplitWatermarks<T>;
  /** The idleness clock (ms): it stands still over an interval in which the source was held back. */
  private clock = 0;
  private clockAt = this.wallClock();
  private clockReads = 0;

  constructor(name: string, ctx: TaskContext, next: Downstream<T>, strategy: WatermarkStrategy<T>, intervalMs: number) {
    const splits = new SplitWatermarks<T>(strategy);
    super(name, ctx, next, strategy, intervalMs, splits);
    this.splits = splits;
  }

  add(id: string): void {
    this.splits.add(id);
  }

  switchTo(id: string): void {
    this.splits.switchTo(id);
  }

  end(id: string): void {
    this.splits.end(id);
  }

  /** The splits and their watermarks (tests). */
  describeSplits(): { id: string; watermark: number; idle: boolean }[] {
    return this.splits.describe();
  }

  override onProcessingTime(now: number): void {
    if (!this.intervalDue(now)) return;
    this.splits.checkIdleness(this.tick());
    if (!this.splits.active) {
      // No split holds event time back: idle, and no watermark (as TimestampsOperator when idle).
      this.goIdle();
      return;
    }
    // A split added while idle (a next file) is active: so is the subtask, before any watermark of it goes out.
    if (this.isIdle) {
      this.isIdle = false;
      this.idleDown(false);
    }
    try { this.generator.onPeriodicEmit(this); } catch (e) { this.fail(e); }
  }

  /**
   * The idleness clock now: it moves on over an interval in which the source's reader was called (records read,
   * or none to read), and stands still over one in which it was held back throughout (a full output: records
   * held from a read drain into the chain, but no split is read; alignment), where its splits could not be read.
   */
  private tick(): number {
    const t = this.wallClock();
    const ctx = this.ctx;
    if (ctx.sourceReads !== this.clockReads || ctx.sourceIdleSince === ctx.sourceIdleSince) this.clock += t - this.clockAt;
    this.clockAt = t;
    this.clockReads = ctx.sourceReads;
    return this.clock;
  }

  /** performance.now(); a test's own clock in specs. */
  protected wallClock(): number {
    return performance.now();
  }

  override progressWatermark(): number {
    if (this.isIdle) return this.current;
    let low: number;
    try { low = this.splits.probeLow(); } catch (e) { this.fail(e); }
    return low > this.current ? low : this.current;
  }
}
