// Runs on: the worker thread of the window operator. The default trigger of processing-time windows: fires when
// the wall clock passes the window's end.

import { Trigger, TriggerResult, type OnMergeContext, type TriggerContext } from './trigger.js';
import type { Window } from './window.js';

export class ProcessingTimeTrigger extends Trigger<Window> {
  readonly fingerprint = 'processing-time';

  static create(): ProcessingTimeTrigger {
    return new ProcessingTimeTrigger();
  }

  onElement(_e: unknown, _ts: number, window: Window, ctx: TriggerContext): TriggerResult {
    ctx.registerProcessingTimeTimer(window.maxTimestamp());
    return TriggerResult.CONTINUE;
  }

  onEventTime(): TriggerResult {
    return TriggerResult.CONTINUE;
  }

  onProcessingTime(): TriggerResult {
    return TriggerResult.FIRE;
  }

  override canMerge(): boolean {
    return true;
  }

  override onMerge(window: Window, ctx: OnMergeContext): void {
    ctx.registerProcessingTimeTimer(window.maxTimestamp());
  }

  override clear(window: Window, ctx: TriggerContext): void {
    ctx.deleteProcessingTimeTimer(window.maxTimestamp());
  }
}
