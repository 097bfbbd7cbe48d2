// Runs on: the worker thread of the window operator. Fires a window every `count` elements (global windows:
// `keyBy(...).countWindow(n)` is GlobalWindows with PurgingTrigger.of(CountTrigger.of(n))).

import { JobDefinitionError } from '../api/errors.js';
import { Trigger, TriggerResult, type OnMergeContext, type TriggerContext } from './trigger.js';
import type { Window } from './window.js';
import { shownValue } from '../api/shown-value.js';

export class CountTrigger extends Trigger<Window> {
  readonly fingerprint: string;

  private constructor(readonly count: number) {
    super();
    this.fingerprint = `count(${count})`;
  }

  static of(count: number): CountTrigger {
    if (!Number.isSafeInteger(count) || count < 1) throw new JobDefinitionError(`CountTrigger.of: count must be an integer >= 1, got ${shownValue(count)}`);
    return new CountTrigger(count);
  }

  onElement(_e: unknown, _ts: number, _w: Window, ctx: TriggerContext): TriggerResult {
    const n = (ctx.getState<number>() ?? 0) + 1;
    if (n >= this.count) {
      ctx.setState(undefined);
      return TriggerResult.FIRE;
    }
    ctx.setState(n);
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

  override onMerge(_w: Window, ctx: OnMergeContext): void {
    let n = 0;
    for (const s of ctx.mergedStates) n += (s as number | undefined) ?? 0;
    ctx.setState(n === 0 ? undefined : n);
  }

  override clear(_w: Window, ctx: TriggerContext): void {
    ctx.setState(undefined);
  }
}
