// Runs on: the worker thread of the window operator. Early results of a long event-time window: fires every
// `interval` of event time while the window is open (at multiples of the interval), and at the window's end, as
// Flink's ContinuousEventTimeTrigger does. Contents are kept (wrap it in PurgingTrigger for deltas).
//
// One difference from Flink, on purpose: where the watermark jumps over several intervals at once (a backlog, or
// the final watermark), the window fires once for the jump, not once per interval passed with the same contents;
// and not at all where its end is also passed (the end's own firing follows).

import { JobDefinitionError } from '../api/errors.js';
import { Trigger, TriggerResult, type OnMergeContext, type TriggerContext } from './trigger.js';
import { nextMultiple, type Window } from './window.js';
import { shownValue } from '../api/shown-value.js';

export class ContinuousEventTimeTrigger extends Trigger<Window> {
  readonly fingerprint: string;

  private constructor(readonly interval: number) {
    super();
    this.fingerprint = `continuous-event-time(${interval})`;
  }

  static of(interval: number): ContinuousEventTimeTrigger {
    if (!Number.isSafeInteger(interval) || interval < 1) throw new JobDefinitionError(`ContinuousEventTimeTrigger.of: the interval must be an integer number of ms >= 1, got ${shownValue(interval)}`);
    return new ContinuousEventTimeTrigger(interval);
  }

  onElement(_e: unknown, timestamp: number, window: Window, ctx: TriggerContext): TriggerResult {
    const max = window.maxTimestamp();
    // Late within the allowed lateness: fires at once, as the default trigger does.
    if (max <= ctx.currentWatermark()) return TriggerResult.FIRE;
    if (timestamp !== timestamp) throw new TypeError('ContinuousEventTimeTrigger got a record without a timestamp: call assignTimestampsAndWatermarks(...) upstream');
    ctx.registerEventTimeTimer(max);
    // From the record's own time, as Flink: a first record behind the watermark (late for its interval, not for
    // the window) fires at the next watermark, not an interval later.
    if (ctx.getState<number>() === undefined) this.schedule(timestamp, max, ctx);
    return TriggerResult.CONTINUE;
  }

  onEventTime(time: number, window: Window, ctx: TriggerContext): TriggerResult {
    const max = window.maxTimestamp();
    if (time === max) return TriggerResult.FIRE;
    if (ctx.getState<number>() !== time) return TriggerResult.CONTINUE;
    const wm = ctx.currentWatermark();
    if (wm >= max) { ctx.setState(undefined); return TriggerResult.CONTINUE; }
    this.schedule(Math.max(time, wm), max, ctx);
    return TriggerResult.FIRE;
  }

  onProcessingTime(): TriggerResult {
    return TriggerResult.CONTINUE;
  }

  /** The next early firing: the first multiple of the interval after `after`, at most the window's end. */
  private schedule(after: number, max: number, ctx: TriggerContext): void {
    const next = Math.min(nextMultiple(after, this.interval), max);
    ctx.setState(next);
    ctx.registerEventTimeTimer(next);
  }

  override canMerge(): boolean {
    return true;
  }

  override onMerge(window: Window, ctx: OnMergeContext): void {
    const max = window.maxTimestamp();
    if (max <= ctx.currentWatermark()) return;
    ctx.registerEventTimeTimer(max);
    let next = Infinity;
    for (const s of ctx.mergedStates) if (typeof s === 'number' && s < next) next = s;
    if (next === Infinity) return;
    next = Math.min(next, max);
    ctx.setState(next);
    ctx.registerEventTimeTimer(next);
  }

  override clear(window: Window, ctx: TriggerContext): void {
    ctx.deleteEventTimeTimer(window.maxTimestamp());
    const next = ctx.getState<number>();
    if (next !== undefined) ctx.deleteEventTimeTimer(next);
    ctx.setState(undefined);
  }
}
