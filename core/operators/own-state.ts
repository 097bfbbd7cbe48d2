// Runs on: the worker thread of a broadcast process subtask (snapshot and restore). A plain broadcast process
// function's own per-instance state (BroadcastProcessFunction.snapshotState) in a checkpoint: one item per old
// instance, dealt to every new one ('union'), with that instance's broadcast state beside it.

import { broadcastStateSource } from '../checkpoint/snapshot.js';

/** Marks an item as this format (items written without own state are broadcast state's own). */
export const OWN_STATE = '__sluiceOwnState';

export interface OwnStateItem {
  readonly [OWN_STATE]: 1;
  /** The instance that wrote it, of how many. */
  readonly subtask: number;
  readonly parallelism: number;
  /** Its broadcast state's items (BroadcastStates.snapshotItems). */
  readonly broadcast: unknown[];
  /** What its function's snapshotState returned (a copy taken at the barrier), or undefined without one. */
  readonly own: unknown;
  /** The last watermark its onWatermark was called with: a restore does not call it again for event time it saw. */
  readonly watermark?: number;
}

function isOwnStateItem(x: unknown): x is OwnStateItem {
  return typeof x === 'object' && x !== null && (x as Record<string, unknown>)[OWN_STATE] === 1;
}

/** The restored items as own-state items, or undefined when they were written without own state. */
export function ownStateItems(items: readonly unknown[]): OwnStateItem[] | undefined {
  if (items.length === 0 || !items.every(isOwnStateItem)) return undefined;
  return items as OwnStateItem[];
}

/** The broadcast items subtask `subtask` of `parallelism` restores, as 'broadcast' redistribution deals them. */
export function broadcastItemsFor(items: readonly OwnStateItem[], subtask: number, parallelism: number): unknown[] {
  const from = broadcastStateSource(items[0]!.parallelism, subtask, parallelism);
  return items.find((i) => i.subtask === from)?.broadcast ?? [];
}

/**
 * Where the restored instance's onWatermark clock starts: its namesake's at the same parallelism (an instance that
 * had ended is at MAX_WATERMARK and is not called again), the lowest of all after a rescale.
 */
export function watermarkFor(items: readonly OwnStateItem[], subtask: number, parallelism: number, none: number): number {
  const same = items[0]!.parallelism === parallelism;
  const marks = items.filter((i) => !same || i.subtask === subtask).map((i) => i.watermark ?? none);
  return marks.length > 0 ? Math.min(...marks) : none;
}

/**
 * A function's restoreState refused the state it was given (a rescale it cannot share out, say): permanent, since a
 * restart would hand it the same state again (permanent-error.ts).
 */
export class RestoreRefusedError extends Error {
  override readonly name = 'RestoreRefusedError';
  constructor(operator: string, cause: unknown) {
    super(`restoreState of '${operator}' refused its state: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/** Each old instance's own state, by its subtask index (undefined where none was written). */
export function statesBySubtask(items: readonly OwnStateItem[]): unknown[] {
  const states = new Array<unknown>(items[0]!.parallelism).fill(undefined);
  for (const i of items) states[i.subtask] = i.own;
  return states;
}
