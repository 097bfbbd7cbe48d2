// Runs on: the worker thread of the window operator. The default trigger of global windows: never fires (a
// global window needs a trigger of its own, e.g. CountTrigger).

import { Trigger, TriggerResult } from './trigger.js';
import type { Window } from './window.js';

export class NeverTrigger extends Trigger<Window> {
  readonly fingerprint = 'never';

  onElement(): TriggerResult {
    return TriggerResult.CONTINUE;
  }

  onEventTime(): TriggerResult {
    return TriggerResult.CONTINUE;
  }

  onProcessingTime(): TriggerResult {
    return TriggerResult.CONTINUE;
  }

  override canMerge(): boolean {
    return true;
  }

  override onMerge(): void {}
}
