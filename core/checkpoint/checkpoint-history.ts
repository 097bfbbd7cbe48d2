// Runs on: main thread. What a job keeps of its checkpoints' outcomes: the most recent ones in full, every one
// counted. A job checkpointing each second for days kept every record (86,400 a day), and copied them all at each
// `handle.checkpoints()` call, which the CLI's status line and a metrics scrape make every second or so.

import type { CheckpointKind } from './manifest.js';

/** Completed (and, apart, aborted) checkpoints kept in the lists; older ones are only counted. */
export const CHECKPOINT_HISTORY = 1000;

export interface CompletedCheckpoint {
  id: number;
  kind: CheckpointKind;
  name?: string | undefined;
  durationMs: number;
  /** Bytes written for this checkpoint (new chunks only: incremental). */
  bytesWritten: number;
  chunksWritten: number;
  keyedEntries: number;
  /** Keyed entries written (changed since the previous checkpoint, or in full groups). */
  dirtyEntries: number;
  /** Longest synchronous part of a snapshot on any subtask, ms. */
  maxSyncMs: number;
  /**
   * Some subtask took it unaligned: checkpointMode 'unaligned', or an aligned checkpoint switched by alignmentTimeoutMs
   * (an alignment that took that long, or a barrier that waited that long behind a full ring). Its manifest may then
   * hold channel state. False for savepoints and the final checkpoint.
   */
  unaligned: boolean;
  /**
   * From the manifest's commit (the end of `durationMs`: the checkpoint is durable) until its sinks' transactions
   * were published and older checkpoints deleted, ms: output waits for it, and so does the next checkpoint. Set once
   * that is done: absent from a listing taken meanwhile.
   */
  commitMs?: number;
}

export interface AbortedCheckpoint {
  id: number;
  reason: string;
}

export interface CheckpointStats {
  /** The most recent completed checkpoints and savepoints, oldest first: at most CHECKPOINT_HISTORY. */
  completed: CompletedCheckpoint[];
  /** The most recent aborted ones, oldest first: at most CHECKPOINT_HISTORY. */
  aborted: AbortedCheckpoint[];
  /** Every checkpoint completed (of the run, across restarts), listed or not. */
  completedTotal: number;
  abortedTotal: number;
}

export function emptyStats(): CheckpointStats {
  return { completed: [], aborted: [], completedTotal: 0, abortedTotal: 0 };
}

/** Appends to a list, dropping its oldest items once it holds twice the history (amortized: one splice per 1000). */
function keep<T>(list: T[], item: T): void {
  list.push(item);
  if (list.length >= 2 * CHECKPOINT_HISTORY) list.splice(0, list.length - CHECKPOINT_HISTORY);
}

export function recordCompleted(s: CheckpointStats, c: CompletedCheckpoint): void {
  keep(s.completed, c);
  s.completedTotal++;
}

export function recordAborted(s: CheckpointStats, a: AbortedCheckpoint): void {
  keep(s.aborted, a);
  s.abortedTotal++;
}

/** `later`'s outcomes after `earlier`'s (a run's restarts), as a new object holding the most recent of each. */
export function mergeStats(earlier: CheckpointStats, later: CheckpointStats | undefined): CheckpointStats {
  // (slice(-0) is the whole list: the earlier part is taken only while there is room.)
  const last = <T>(a: T[], b: T[]): T[] => {
    const room = CHECKPOINT_HISTORY - Math.min(b.length, CHECKPOINT_HISTORY);
    return [...(room > 0 ? a.slice(-room) : []), ...b.slice(-CHECKPOINT_HISTORY)];
  };
  if (later === undefined) return { ...earlier, completed: last(earlier.completed, []), aborted: last(earlier.aborted, []) };
  return {
    completed: last(earlier.completed, later.completed),
    aborted: last(earlier.aborted, later.aborted),
    completedTotal: earlier.completedTotal + later.completedTotal,
    abortedTotal: earlier.abortedTotal + later.abortedTotal,
  };
}

/** Moves `from`'s outcomes into `into` (an ended attempt's into its run's). */
export function absorbStats(into: CheckpointStats, from: CheckpointStats): void {
  for (const c of from.completed) keep(into.completed, c);
  for (const a of from.aborted) keep(into.aborted, a);
  into.completedTotal += from.completedTotal;
  into.abortedTotal += from.abortedTotal;
}

/** The newest completed checkpoint, or undefined: the list's last (checkpoints complete one at a time, ids growing). */
export function newestCompleted(s: CheckpointStats): CompletedCheckpoint | undefined {
  return s.completed.at(-1);
}
