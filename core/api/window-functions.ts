// Runs on: the worker thread of a window operator. The shapes of the user functions that turn a window into
// results: process window functions (every element, or the one pre-aggregated result, plus the window's
// metadata), join and coGroup functions.

import type { UserKey } from '../graph/tuple-key.js';
import type { Window } from '../windows/window.js';
import type { Collector, Sync } from './functions.js';
import type { KeyedStateStore } from './state.js';
import type { OutputTag } from './output-tag.js';

/** What a process window function knows about the window it is called for. */
export interface WindowContext<K, W extends Window> {
  readonly key: K;
  readonly window: W;
  /** Index of this parallel instance, 0-based. */
  readonly subtask: number;
  currentWatermark(): number;
  currentProcessingTime(): number;
  /** Keyed state of the current key that outlives windows (by name, like a process function's). */
  readonly globalState: KeyedStateStore;
  /**
   * Keyed state of the current key and window (Flink's `windowState()`): for example how often the window has
   * fired, since a late record within the allowed lateness fires it again. Removed with the window (after
   * `clear`). Not available with merging (session) windows.
   */
  readonly windowState: KeyedStateStore;
  /** Emits to a side output (read with `getSideOutput(tag)`). */
  output<X>(tag: OutputTag<X>, value: X): void;
}

/** A process window function as an object: `process` per firing, `clear` when the window is removed. */
export interface ProcessWindowHandler<IN, OUT, K extends UserKey, W extends Window> {
  /**
   * The window fired. `elements` holds every element of the window (`process`), or the one aggregated result
   * (`reduce` / `aggregate` with a window function). It is a view valid during the call: copy it to keep it.
   */
  process(key: K, ctx: WindowContext<K, W>, elements: readonly IN[], out: Collector<OUT>): Sync;
  /** The window's state is being dropped (its end + allowed lateness has passed). */
  clear?(ctx: WindowContext<K, W>): void;
}

export type ProcessWindowFunction<IN, OUT, K extends UserKey, W extends Window> =
  | ((key: K, ctx: WindowContext<K, W>, elements: readonly IN[], out: Collector<OUT>) => Sync)
  | ProcessWindowHandler<IN, OUT, K, W>;

/** What a window function of `windowAll` knows: the window, the clocks, state that outlives windows. */
export type AllWindowContext<W extends Window> = Omit<WindowContext<never, W>, 'key'>;

/** A process window function of `windowAll` as an object: `process` per firing, `clear` when the window is removed. */
export interface ProcessAllWindowHandler<IN, OUT, W extends Window> {
  process(ctx: AllWindowContext<W>, elements: readonly IN[], out: Collector<OUT>): Sync;
  clear?(ctx: AllWindowContext<W>): void;
}

/** A window function of `windowAll` (Flink's ProcessAllWindowFunction): a keyed one without the key. */
export type ProcessAllWindowFunction<IN, OUT, W extends Window> =
  | ((ctx: AllWindowContext<W>, elements: readonly IN[], out: Collector<OUT>) => Sync)
  | ProcessAllWindowHandler<IN, OUT, W>;

/** A window join: one result per pair of elements with equal keys in the same window. */
export type JoinFunction<A, B, R> = (left: A, right: B) => R;

/** A window join that emits any number of results per pair, none included (Flink's FlatJoinFunction). */
export interface FlatJoinFunction<A, B, R> {
  join(left: A, right: B, out: Collector<R>): Sync;
}

/**
 * A window coGroup: called once per key and window with the elements of both inputs (one side may be empty, not
 * both), so it can emit unmatched ones too (outer joins). The arrays are the window's own: copy what you keep or
 * emit, and do not reorder them (a later firing of the window sees them).
 */
export type CoGroupFunction<A, B, R> = (lefts: readonly A[], rights: readonly B[], out: Collector<R>) => Sync;

/** Interval join: what the function knows about the pair it is called for. */
export interface ProcessJoinContext<K = UserKey> {
  /** The key both records share (a tuple key as a frozen tuple, as `ctx.key` of other keyed functions). */
  readonly key: K;
  readonly leftTimestamp: number;
  readonly rightTimestamp: number;
  /** The result's event time: the larger of the two. */
  readonly timestamp: number;
  output<X>(tag: OutputTag<X>, value: X): void;
}

/** Interval join: called for each pair (left, right) with right.ts in [left.ts + lower, left.ts + upper]. */
export type ProcessJoinFunction<A, B, R, K = UserKey> = (left: A, right: B, ctx: ProcessJoinContext<K>, out: Collector<R>) => Sync;
