// Runs on: main thread and every worker thread (part of the job definition); its callbacks run on the worker
// thread of the window operator. When a window emits its result (fires) and when its contents are dropped (purge).
//
// A trigger is called for every element added to a window, and for the timers it registered. Its state (a count,
// ...) is one plain value per (key, window), kept by the operator with the window, so it is checkpointed with it.

import type { Window } from './window.js';

/** What a trigger decides: bit 1 fire (emit the window's result), bit 2 purge (drop its contents). */
export const TriggerResult = {
  CONTINUE: 0,
  FIRE: 1,
  PURGE: 2,
  FIRE_AND_PURGE: 3,
} as const;
export type TriggerResult = typeof TriggerResult[keyof typeof TriggerResult];

export interface TriggerContext {
  currentWatermark(): number;
  currentProcessingTime(): number;
  /** A timer for the current key and window; registering the same time twice is one timer. */
  registerEventTimeTimer(time: number): void;
  registerProcessingTimeTimer(time: number): void;
  deleteEventTimeTimer(time: number): void;
  deleteProcessingTimeTimer(time: number): void;
  /** This trigger's state for the current key and window (undefined when none); plain data, checkpointed. */
  getState<S>(): S | undefined;
  /** Sets it (undefined clears it). */
  setState<S>(state: S | undefined): void;
}

export interface OnMergeContext extends TriggerContext {
  /** The states of the windows being merged into this one (their own states are cleared). */
  readonly mergedStates: readonly unknown[];
}

export abstract class Trigger<W extends Window = Window> {
  /** Part of the job's fingerprint. */
  abstract readonly fingerprint: string;

  /** An element was added to `window`. */
  abstract onElement(element: unknown, timestamp: number, window: W, ctx: TriggerContext): TriggerResult;

  /** An event-time timer this trigger registered for `window` fired. */
  abstract onEventTime(time: number, window: W, ctx: TriggerContext): TriggerResult;

  /** A processing-time timer this trigger registered for `window` fired. */
  abstract onProcessingTime(time: number, window: W, ctx: TriggerContext): TriggerResult;

  /** Whether this trigger supports merging windows (session windows need it). */
  canMerge(): boolean {
    return false;
  }

  /** Windows were merged into `window`: set up its state and timers. */
  onMerge(_window: W, _ctx: OnMergeContext): void {
    throw new Error(`trigger ${this.fingerprint} does not support merging windows`);
  }

  /** The window is being removed: drop timers and state this trigger keeps beyond the context's own. */
  clear(_window: W, _ctx: TriggerContext): void {}
}
