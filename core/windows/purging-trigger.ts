// Runs on: the worker thread of the window operator. Wraps a trigger so that every fire also drops the window's
// contents (FIRE becomes FIRE_AND_PURGE): each result covers only the elements since the last one.

import { Trigger, TriggerResult, type OnMergeContext, type TriggerContext } from './trigger.js';
import type { Window } from './window.js';

export class PurgingTrigger<W extends Window> extends Trigger<W> {
  readonly fingerprint: string;

  private constructor(readonly inner: Trigger<W>) {
    super();
    this.fingerprint = `purging(${inner.fingerprint})`;
  }

  static of<W extends Window>(inner: Trigger<W>): PurgingTrigger<W> {
    return new PurgingTrigger(inner);
  }

  onElement(e: unknown, ts: number, w: W, ctx: TriggerContext): TriggerResult {
    return purge(this.inner.onElement(e, ts, w, ctx));
  }

  onEventTime(time: number, w: W, ctx: TriggerContext): TriggerResult {
    return purge(this.inner.onEventTime(time, w, ctx));
  }

  onProcessingTime(time: number, w: W, ctx: TriggerContext): TriggerResult {
    return purge(this.inner.onProcessingTime(time, w, ctx));
  }

  override canMerge(): boolean {
    return this.inner.canMerge();
  }

  override onMerge(w: W, ctx: OnMergeContext): void {
    this.inner.onMerge(w, ctx);
  }

  override clear(w: W, ctx: TriggerContext): void {
    this.inner.clear(w, ctx);
  }
}

function purge(r: TriggerResult): TriggerResult {
  return (r & TriggerResult.FIRE) !== 0 ? TriggerResult.FIRE_AND_PURGE : r;
}
