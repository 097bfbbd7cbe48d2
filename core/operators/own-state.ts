// Runs on: the worker thread of a broadcast process subtask (snapshot and restore). A plain broadcast process
// function's own per-instance state (BroadcastProcessFunction.snapshotState) in a checkpoint: one item per old
// instance, dealt to every new one ('union'), with that instance's broadcast state beside it.
//
// The own state is packed at the barrier (format 2): the bytes are a copy later records cannot reach (an unaligned
// checkpoint lets them in before the snapshot leaves the thread), and the chunk write copies them as they are, where
// format 1 took a structured clone at the barrier and msgpack encoded that again on the main thread. Both restore.

import { broadcastStateSource } from '../checkpoint/snapshot.js';
import { chunkPackr } from '../checkpoint/chunk-packr.js';
import { packAtBarrier } from './barrier-pack.js';

/** Marks an item as this format (items written without own state are broadcast state's own). */
export const OWN_STATE = '__sluiceOwnState';
/** `own` holds the value itself (a structured clone taken at the barrier). */
export const OWN_STATE_CLONED = 1;
/** `own` holds its msgpack bytes, packed at the barrier (undefined: no state). */
export const OWN_STATE_PACKED = 2;

export interface OwnStateItem {
  readonly [OWN_STATE]: typeof OWN_STATE_CLONED | typeof OWN_STATE_PACKED;
  /** The instance that wrote it, of how many. */
  readonly subtask: number;
  readonly parallelism: number;
  /** Its broadcast state's items (BroadcastStates.snapshotItems). */
  readonly broadcast: unknown[];
  /** What its function's snapshotState returned, taken at the barrier (as [OWN_STATE] says), or undefined without one. */
  readonly own: unknown;
  /** The last watermark its onWatermark was called with: a restore does not call it again for event time it saw. */
  readonly watermark?: number;
}

function isOwnStateItem(x: unknown): x is OwnStateItem {
  if (typeof x !== 'object' || x === null) return false;
  const format = (x as Record<string, unknown>)[OWN_STATE];
  return format === OWN_STATE_CLONED || format === OWN_STATE_PACKED;
}

/**
 * The own state's bytes, taken now (barrier-pack.ts: an exact-size copy; what msgpack cannot keep is a
 * JobDefinitionError), or undefined for no state.
 */
export function packOwnState(value: unknown): Uint8Array | undefined {
  if (value === undefined) return undefined;
  return packAtBarrier(value, 'the state snapshotState returned', 'return data (objects, arrays, Maps, Sets, Dates, bigints, typed arrays)');
}

/** The own state an item holds, whichever format wrote it: a new value each call. */
export function ownStateOf(item: OwnStateItem): unknown {
  if (item[OWN_STATE] === OWN_STATE_CLONED || item.own === undefined) return item.own;
  return chunkPackr().unpack(item.own as Uint8Array);
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
  for (const i of items) states[i.subtask] = ownStateOf(i);
  return states;
}
