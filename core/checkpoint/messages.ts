// Runs on: worker threads (send acks) and the main thread (the coordinator). The messages between a job's
// worker threads and its checkpoint coordinator, over one MessagePort per thread. Triggers do not travel here:
// the coordinator writes them into the job's control buffer (shm/layout.ts), where source subtasks see them
// without waiting for an event-loop turn.

import type { OperatorSnapshot } from './snapshot.js';
import type { SourceSplit } from '../connectors/source.js';
import type { ControlFrame } from '../../shm/codec/control.js';
import type { ChannelTimes } from '../time/watermark-valve.js';

/**
 * A record that was in flight at an unaligned checkpoint. `input` >= 0: read after the snapshot, before its
 * channel's barrier, or still in the channel ahead of a barrier that overtook it (replayed into that input of
 * the chain's head). SOURCE_HELD: read by the source, not yet in the chain. OUTPUT: emitted by the chain before
 * the snapshot, still waiting in output gate `output` for writer `writer` when the barrier went ahead of it
 * (sent first on restore); such an item may be a watermark or idleness frame (`control`) instead of a record.
 * So may an item of an input (format 3 manifests): a frame that came among the records of input channel `channel`,
 * replayed into that channel's watermark valve at its place (SubtaskSnapshot.channels says where each channel
 * stood before the first of them).
 */
export interface InFlightRecord {
  input: number;
  value: unknown;
  timestamp: number;
  output?: number;
  writer?: number;
  control?: ControlFrame;
  /** An input's `control` item: the input gate channel it came through (its index in the gate). */
  channel?: number;
  /**
   * SOURCE_HELD, on a subtask's first: the ids of the splits its source read (a rescaled restore hands the held
   * records to the subtask that reads those splits on: in-flight-rescale.ts).
   */
  splits?: string[];
  /**
   * SOURCE_HELD, on a subtask's first, when its reader could say (SourceReader.unread): its splits' positions before
   * the held records. A restore hands them back to their splits, to be read again from there, in place of the records
   * (in-flight-rescale.ts).
   */
  from?: SourceSplit[];
}

export const SOURCE_HELD = -1;
export const OUTPUT = -2;

/** What one subtask contributes to a checkpoint. */
export interface SubtaskSnapshot {
  task: number;
  subtask: number;
  /** Per operator of the chain that has state, by the operator's uid. */
  operators: { uid: string; snapshot: OperatorSnapshot }[];
  /** Source subtasks: the positions of their splits at the barrier. */
  source?: SourceSplit[];
  /** Source subtasks: the records they had emitted in this attempt at the barrier (what it covers of their counts). */
  sourceRecords?: number;
  /** Unaligned checkpoints: records that were in flight on the inputs. */
  inFlight?: InFlightRecord[];
  /**
   * The event time of the task's inputs at the barrier (their watermark valve's; the minimum too, none once they
   * all ended): a restore starts the task there, so what was late before a failure is late after it
   * (Manifest.watermarks).
   */
  watermark?: number;
  /**
   * Subtasks with an input gate, checkpoints (not savepoints): where each input channel's event time stood at the
   * snapshot, before the channel state recorded after it (the watermark valve's state).
   */
  channels?: ChannelTimes;
}

export type WorkerMessage =
  /** `unaligned`: taken at an unaligned barrier (checkpointMode 'unaligned', or switched at the alignment timeout). */
  | { type: 'ack'; checkpointId: number; snapshot: SubtaskSnapshot; syncMs: number; unaligned?: boolean }
  | { type: 'decline'; checkpointId: number; task: number; subtask: number; reason: string }
  /**
   * The subtask gave up a checkpoint after taking its snapshot (aborted, or overtaken by a newer barrier): the
   * snapshot's keyed chunks, whose changes keyed state no longer lists, so they must still extend the chains.
   */
  | { type: 'abandoned'; checkpointId: number; snapshot: SubtaskSnapshot }
  /** The subtask ended (end of input): its final state stands in for it in every later checkpoint. */
  | { type: 'finished'; snapshot: SubtaskSnapshot }
  /** The thread's subtasks are built, restored and open: from now on, barriers can pass them. */
  | { type: 'running'; thread: number };

export type CoordinatorMessage =
  | { type: 'complete'; checkpointId: number }
  | { type: 'abort'; checkpointId: number };
