// Runs on: the worker thread that takes a snapshot, and the main thread that stores and restores it. What one
// operator instance contributes to a checkpoint, and what it gets back on restore.

import type { InFlightRecord } from './messages.js';
import type { ChannelTimes } from '../time/watermark-valve.js';

/**
 * One key group's share of an operator's keyed state, encoded (core/state/key-group-codec.ts). A full chunk holds
 * every entry of the group; a delta holds the entries changed since the previous checkpoint and the keys removed.
 */
export interface KeyGroupChunk {
  readonly keyGroup: number;
  readonly full: boolean;
  /** Live entries in the group once this chunk is applied (every state of the operator together). */
  readonly entries: number;
  /** Entries the chunk carries: written or removed (a delta), or every live one (full). */
  readonly changed: number;
  readonly bytes: Uint8Array;
}

/** How a non-keyed operator state's items are shared out when a job resumes at another parallelism. */
export type Redistribution =
  /** Items of every old subtask, dealt round-robin to the new ones (Flink's list state). */
  | 'split'
  /** Every new subtask gets the items of old subtask 0: state that is identical everywhere (broadcast state). */
  | 'broadcast'
  /** Every new subtask gets the items of every old subtask (Flink's union list state). */
  | 'union';

/**
 * Which old subtask's broadcast state new subtask `subtask` of `parallelism` restores: its namesake's at the same
 * parallelism or scaled in (after an unaligned checkpoint they differ, each taken at its own place in the broadcast
 * stream, and the channel state restored with new subtask j continues old j's), old 0's scaled out (all alike then:
 * broadcast records in flight into consumers scaled out are refused).
 */
export function broadcastStateSource(oldParallelism: number, subtask: number, parallelism: number): number {
  return oldParallelism >= parallelism ? subtask : 0;
}

export interface OperatorSnapshot {
  /** Keyed state: the groups that changed since the last checkpoint (all groups when `full`). */
  keyed?: KeyGroupChunk[];
  /** Live keyed entries of this subtask after the snapshot, every group together. */
  keyedEntries?: number;
  /** Non-keyed state as a list of items (msgpack-able), and how to share it out on rescale. */
  operator?: unknown[];
  redistribute?: Redistribution;
}

export interface OperatorRestore {
  /** For each key group this subtask owns: its chunks in apply order (a full one first, then deltas). */
  keyed: KeyGroupChunk[];
  /** Non-keyed items dealt to this subtask. */
  operator: unknown[];
}

/** What one subtask restores before its first record. */
export interface SubtaskRestore {
  /** By operator uid. */
  operators: Record<string, OperatorRestore>;
  /** Channel state of an unaligned checkpoint, replayed before the inputs. */
  inFlight?: InFlightRecord[];
  /** The event time the task's inputs start at (Manifest.watermarks). */
  watermark?: number;
  /**
   * Where each input channel stood at the snapshot (Manifest.channelTimes), when the task and its inputs' channels
   * are as they were: `inFlight` then holds the watermarks among its records too.
   */
  channels?: ChannelTimes;
}

/** Key of a (task, subtask) pair in per-subtask maps. */
export function subtaskKey(task: number, subtask: number): string {
  return `${task}/${subtask}`;
}
