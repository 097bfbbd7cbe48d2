// Runs on: worker threads (send acks) and the main thread (the coordinator). The messages between a job's
// worker threads and its checkpoint coordinator, over one MessagePort per thread. Triggers do not travel here:
// the coordinator writes them into the job's control buffer (shm/layout.ts), where source subtasks see them
// without waiting for an event-loop turn.

import type { OperatorSnapshot } from './snapshot.js';
import type { SourceSplit } from '../connectors/source.js';

/** A record that was in flight (read after the snapshot, before its channel's barrier): unaligned checkpoints. */
export interface InFlightRecord {
  input: number;
  value: unknown;
  timestamp: number;
}

/** What one subtask contributes to a checkpoint. */
export interface SubtaskSnapshot {
  task: number;
  subtask: number;
  /** Per operator of the chain that has state, by the operator's uid. */
  operators: { uid: string; snapshot: OperatorSnapshot }[];
  /** Source subtasks: the positions of their splits at the barrier. */
  source?: SourceSplit[];
  /** Unaligned checkpoints: records that were in flight on the inputs. */
  inFlight?: InFlightRecord[];
}

export type WorkerMessage =
  | { type: 'ack'; checkpointId: number; snapshot: SubtaskSnapshot; syncMs: number }
  | { type: 'decline'; checkpointId: number; task: number; subtask: number; reason: string }
  /**
   * The subtask gave up a checkpoint after taking its snapshot (aborted, or overtaken by a newer barrier): the
   * snapshot's keyed chunks, whose changes keyed state no longer lists, so they must still extend the chains.
   */
  | { type: 'abandoned'; checkpointId: number; snapshot: SubtaskSnapshot }
  /** The subtask ended (end of input): its final state stands in for it in every later checkpoint. */
  | { type: 'finished'; snapshot: SubtaskSnapshot };

export type CoordinatorMessage =
  | { type: 'complete'; checkpointId: number }
  | { type: 'abort'; checkpointId: number };
