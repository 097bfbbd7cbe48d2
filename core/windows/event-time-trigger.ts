// Runs on: the worker thread of the window operator. The default trigger of event-time windows: fires once the
// watermark passes the window's end, and again for every late element within the allowed lateness.

import { Trigger, TriggerResult, type OnMergeContext, type TriggerContext } from './trigger.js';
import type { Window } from './window.js';

export class EventTimeTrigger extends Trigger<Window> {
  readonly fingerprint = 'event-time';

  static create(): EventTimeTrigger {
    return new EventTimeTrigger();
  }

  onElement(_e: unknown, _ts: number, window: Window, ctx: TriggerContext): TriggerResult {
    const max = window.maxTimestamp();
    // The watermark is already past the window: a late element within the allowed lateness fires it again.
    if (max <= ctx.currentWatermark()) return TriggerResult.FIRE;
    ctx.registerEventTimeTimer(max);
    return TriggerResult.CONTINUE;
  }

  onEventTime(time: number, window: Window): TriggerResult {
    return time === window.maxTimestamp() ? TriggerResult.FIRE : TriggerResult.CONTINUE;
  }

  onProcessingTime(): TriggerResult {
    return TriggerResult.CONTINUE;
  }

  override canMerge(): boolean {
    return true;
  }

  override onMerge(window: Window, ctx: OnMergeContext): void {
    // A merged window already past the watermark fires through onElement; it needs no timer.
    const max = window.maxTimestamp();
    if (max > ctx.currentWatermark()) ctx.registerEventTimeTimer(max);
  }

  override clear(window: Window, ctx: TriggerContext): void {
    ctx.deleteEventTimeTimer(window.maxTimestamp());
  }
}
