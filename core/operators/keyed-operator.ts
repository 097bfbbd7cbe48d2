// Runs on: the worker thread of the subtask. The base of every keyed operator (reduce, keyed process, windows,
// joins): its keyed state backend and timers, their snapshots and restores, and how timers fire. State lives in
// memory on this thread (core/state/), scoped to the record's key.

import type { Key } from '../graph/key-groups.js';
import { decodeKey } from '../graph/tuple-key.js';
import type { OutputTag } from '../api/output-tag.js';
import { KeyedStateBackend } from '../state/keyed-state-backend.js';
import { TimerService, type TimeDomain } from '../state/timer-service.js';
import type { OperatorRestore, OperatorSnapshot } from '../checkpoint/snapshot.js';
import { MAX_WATERMARK } from '../time/watermark.js';
import { Operator, type Downstream } from './operator.js';
import { SideOutputs } from './side-outputs.js';
import type { TaskContext } from './task-context.js';

/**
 * At the final watermark, how many timers registered while the pending ones fire may fire too, at least, before
 * onTimer is taken to re-arm itself for good (END_TIMER_CASCADE per timer pending then, if more): a day of
 * one-second re-arms is 86,400, and an endless re-arm reaches this in seconds where it would otherwise spin until
 * its timestamps reach MAX_WATERMARK.
 */
export const END_TIMER_CASCADE_MIN = 10_000_000;
const END_TIMER_CASCADE = 100;

function endCascadeError(cascade: number, pending: number): Error {
  return new Error(`at the end of input, onTimer kept registering event-time timers (${cascade.toLocaleString('en-US')} fired after the ${pending.toLocaleString('en-US')} pending when the final watermark came): once the watermark is MAX_WATERMARK every timer is due at once, so a timer re-armed in onTimer fires again until its time reaches MAX_WATERMARK; stop re-arming once ctx.timerService.currentWatermark() is MAX_WATERMARK`);
}

const never = (): boolean => false;

/** What every keyed operator shares: its state backend and timers, their snapshots and restores. */
export abstract class KeyedOperator<I, O> extends Operator<I, O> {
  /** END_TIMER_CASCADE_MIN (tests lower it: an endless re-arm takes seconds to reach it). */
  endTimerCascadeMin = END_TIMER_CASCADE_MIN;
  readonly backend: KeyedStateBackend;
  readonly timers: TimerService;
  readonly sideOutputs = new SideOutputs(this);

  constructor(name: string, ctx: TaskContext, next: Downstream<O>, tracking: boolean) {
    super(name, ctx, next);
    this.backend = new KeyedStateBackend(name, ctx.maxParallelism, tracking, {
      processing: () => Date.now(),
      // The record's own time (NaN > x is false: no timestamp), never behind the watermark; in an event-time timer,
      // the timer's time (the watermark that fired it may be far ahead: at end of input, MAX_WATERMARK would expire
      // every entry a timer read).
      event: () => (this.eventTimerTs === this.eventTimerTs ? this.eventTimerTs : ctx.timestamp > ctx.watermark ? ctx.timestamp : ctx.watermark),
      watermark: () => ctx.watermark,
    }, ctx.columnarState, ctx.stateFastPaths);
    this.timers = new TimerService(this.backend, { inlineSingle: ctx.stateFastPaths, groupTimes: ctx.stateFastPaths });
  }

  override watermark(watermark: number): void {
    if (watermark >= MAX_WATERMARK && this.sliced) {
      // The final watermark: its timers (every one held) fire in slices from the subtask's steps, which take
      // checkpoints between them; it goes on once they have (fireDueTimers).
      if (!this.endDue) this.startEnd();
      return;
    }
    this.fireEventTimers(watermark);
    this.sideOutputs.watermark(watermark);
    this.next.watermark(watermark);
  }

  /**
   * Set by the subtask that runs it (Subtask.sliceDueTimers): the final watermark's timers are left to
   * fireDueTimers. Unset (an operator driven alone), they fire at once, as every other watermark's do.
   */
  private sliced = false;
  /** The final watermark came and some of its timers have not fired yet (sliced only). */
  private endDue = false;
  /** Of the end's cascade budget (see fireEventTimers), how many timers may still fire; its size and the pending count. */
  private endLeft = 0;
  private endCascade = 0;
  private endPending = 0;

  override sliceDueTimers(): boolean {
    this.sliced = true;
    return true;
  }

  override hasDueTimers(): boolean {
    return this.endDue;
  }

  private startEnd(): void {
    this.endDue = true;
    this.endPending = this.timers.eventCount;
    this.endCascade = Math.max(this.endTimerCascadeMin, END_TIMER_CASCADE * this.endPending);
    this.endLeft = this.endPending + this.endCascade;
  }

  private readonly fireEnd = (key: Key, ts: number): void => {
    if (--this.endLeft < 0) this.fail(endCascadeError(this.endCascade, this.endPending));
    this.fireTimer('event', key, ts);
  };

  /**
   * Fires up to `max` of the final watermark's timers (stopping early when `stop()` says so); once none is left,
   * passes the watermark on. Returns how many fired.
   */
  override fireDueTimers(max: number, stop: () => boolean): number {
    if (!this.endDue) return 0;
    const n = this.timers.fireSome('event', MAX_WATERMARK, max, stop, this.fireEnd);
    if (n >= 0) return n;
    this.endDue = false;
    this.sideOutputs.watermark(MAX_WATERMARK);
    this.next.watermark(MAX_WATERMARK);
    return 0;
  }

  /** End of input reached the operator: what is left of the final watermark's timers fires now. */
  protected fireEndNow(): void {
    while (this.endDue) this.fireDueTimers(Infinity, never);
  }

  override idle(idle: boolean): void {
    this.sideOutputs.idle(idle);
    this.next.idle(idle);
  }

  override finish(): void {
    this.fireEndNow();
    this.finishSideOutputs();
    this.next.finish();
  }

  /** End of input on every side output (an operator overriding finish calls it once it can emit no more). */
  protected finishSideOutputs(): void {
    this.sideOutputs.finish();
  }

  // A processing-time timer for T fires once the clock has passed T (now >= T + 1), as Flink's timer service does:
  // the millisecond T itself may still bring records for a window whose maxTimestamp is T, and a timer fired within
  // it would leave them to fire the window again, as a second, partial result.
  override nextProcessingTime(): number {
    return this.timers.nextProcessingTime() + 1;
  }

  override onProcessingTime(now: number): void {
    this.timers.fire('processing', now - 1, (key, ts) => this.fireTimer('processing', key, ts));
  }

  /** Fires the event-time timers due at `upTo`, those registered while they fire too. */
  protected fireEventTimers(upTo: number): void {
    if (upTo < MAX_WATERMARK) {
      this.timers.fire('event', upTo, (key, ts) => this.fireTimer('event', key, ts));
      return;
    }
    // The final watermark makes every timer due, those onTimer registers too: one re-armed from onTimer fires again
    // at once, for good (the job never ends). Past any plausible cascade of timers registering timers, it fails.
    const pending = this.timers.eventCount;
    const cascade = Math.max(this.endTimerCascadeMin, END_TIMER_CASCADE * pending);
    let left = pending + cascade;
    this.timers.fire('event', upTo, (key, ts) => {
      if (--left < 0) this.fail(endCascadeError(cascade, pending));
      this.fireTimer('event', key, ts);
    });
  }

  /** A timer of the current key fired; the record timestamp is the timer's (event) or none (processing). */
  protected onTimer(_domain: TimeDomain, _ts: number): void {}

  protected fireTimer(domain: TimeDomain, key: Key, ts: number): void {
    this.backend.currentKey = key;
    this.ctx.timestamp = domain === 'event' ? ts : NaN;
    if (domain === 'event') this.eventTimerTs = ts;
    try { this.onTimer(domain, ts); } catch (e) { this.rejected(e, { timer: ts, domain, key: decodeKey(key) }); } finally { this.eventTimerTs = NaN; }
  }

  /** The event-time timer firing now (NaN: none), the TTL event clock while it runs. */
  private eventTimerTs = NaN;

  protected emitSide(tag: OutputTag<unknown>, value: unknown): void {
    this.sideOutputs.emit(tag.id, value);
  }

  override snapshotState(_checkpointId: number, savepoint: boolean): OperatorSnapshot {
    const { chunks, entries } = this.backend.snapshot(savepoint);
    return { keyed: chunks, keyedEntries: entries };
  }

  override restoreState(state: OperatorRestore): void {
    this.backend.restore(state.keyed);
    this.timers.rebuild();
  }
}
