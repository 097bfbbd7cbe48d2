// Runs on: the worker thread of the window operator. Early results of a window by the wall clock: fires every
// `interval` ms of processing time (at multiples of the interval) while the window holds elements, and at the
// window's end, as Flink's ContinuousProcessingTimeTrigger does. Contents are kept (wrap it in PurgingTrigger for
// deltas). A firing late by more than an interval (a busy thread) is followed by the next multiple still ahead,
// not by one firing per interval missed.

import { JobDefinitionError } from '../api/errors.js';
import { Trigger, TriggerResult, type OnMergeContext, type TriggerContext } from './trigger.js';
import { nextMultiple, type Window } from './window.js';
import { shownValue } from '../api/shown-value.js';

export class ContinuousProcessingTimeTrigger extends Trigger<Window> {
  readonly fingerprint: string;

  private constructor(readonly interval: number) {
    super();
    this.fingerprint = `continuous-processing-time(${interval})`;
  }

  static of(interval: number): ContinuousProcessingTimeTrigger {
    if (!Number.isSafeInteger(interval) || interval < 1) throw new JobDefinitionError(`ContinuousProcessingTimeTrigger.of: the interval must be an integer number of ms >= 1, got ${shownValue(interval)}`);
    return new ContinuousProcessingTimeTrigger(interval);
  }

  onElement(_e: unknown, _ts: number, window: Window, ctx: TriggerContext): TriggerResult {
    if (ctx.getState<number>() === undefined) this.schedule(ctx.currentProcessingTime(), window, ctx);
    return TriggerResult.CONTINUE;
  }

  onEventTime(): TriggerResult {
    return TriggerResult.CONTINUE;
  }

  onProcessingTime(time: number, window: Window, ctx: TriggerContext): TriggerResult {
    if (ctx.getState<number>() !== time) return TriggerResult.CONTINUE;
    if (time === window.maxTimestamp()) { ctx.setState(undefined); return TriggerResult.FIRE; }
    this.schedule(Math.max(time, ctx.currentProcessingTime()), window, ctx);
    return TriggerResult.FIRE;
  }

  /** The next firing: the first multiple of the interval after `after`, at most the window's end. */
  private schedule(after: number, window: Window, ctx: TriggerContext): void {
    const next = Math.min(nextMultiple(after, this.interval), window.maxTimestamp());
    ctx.setState(next);
    ctx.registerProcessingTimeTimer(next);
  }

  override canMerge(): boolean {
    return true;
  }

  override onMerge(window: Window, ctx: OnMergeContext): void {
    let next = Infinity;
    for (const s of ctx.mergedStates) if (typeof s === 'number' && s < next) next = s;
    if (next === Infinity) return;
    next = Math.min(next, window.maxTimestamp());
    ctx.setState(next);
    ctx.registerProcessingTimeTimer(next);
  }

  override clear(_window: Window, ctx: TriggerContext): void {
    const next = ctx.getState<number>();
    if (next !== undefined) ctx.deleteProcessingTimeTimer(next);
    ctx.setState(undefined);
  }
}
