// Runs on: main thread (builds it) and a worker thread (receives it). What one thread is told to run.

import type { MessagePort } from 'node:worker_threads';
import type { PhysicalPlan } from '../core/graph/physical-plan.js';
import type { SourceSplit } from '../core/connectors/source.js';
import type { SubtaskRestore } from '../core/checkpoint/snapshot.js';

export { subtaskKey, type SubtaskRestore } from '../core/checkpoint/snapshot.js';

export interface RuntimeOptions {
  bufferTimeoutMs: number;
  budget: number;
  /** Ring writes are published (and a parked reader woken) per this many bytes (0: every write; RunOptions.ringBatching). */
  batchBytes: number;
  /** Rings' wake hysteresis (RunOptions.wakeHysteresis). */
  hysteresis: boolean;
  spin: number;
  /** Microtask turns before a park while an async operator waits (RunOptions.settleHops). */
  settleHops: number;
  parkTimeoutMs: number;
  /** Waits shorter than this block the thread, and paced sources wake at their due time (0: neither). */
  fineWaitMs: number;
  /** Records per batch frame on exchanges that use the generic codec (1: no batch frames). */
  recordBatch: number;
  /** State's fast paths (RunOptions.stateFastPaths). */
  stateFastPaths: boolean;
  /** Sources send a latency marker this often, ms (0: no latency tracking). */
  latencyTrackingIntervalMs: number;
  /** Collect sinks count their records and hand back only counts (RunOptions.collect 'count'; collect-count-writer.ts). */
  collectCount: boolean;
  /** The option a RecordTooLargeError tells the user to raise: 'ringMemoryBytes' when it lowered ringBytes. */
  ringOption: string;
}

export interface CheckpointAssignment {
  /** The job checkpoints: keyed state tracks changes, sinks prepare transactions, subtasks report to `port`. */
  enabled: boolean;
  /** Aligned barriers switch to unaligned after this long, ms (Infinity: never). */
  alignmentTimeoutMs: number;
  /** Snapshots encode keyed state as typed columns (false: msgpack rows). */
  columnarState: boolean;
}

export interface ThreadAssignment {
  jobUrl: string;
  /** The parallelism the main thread built the graph with (the job module may override it). */
  parallelism: number;
  /** Per-node fingerprints of the main thread's graph. */
  fingerprints: string[];
  plan: PhysicalPlan;
  thread: number;
  /** One ring buffer per plan channel, by channel id. */
  rings: SharedArrayBuffer[];
  /** Job control: JOB_STOP and every thread's doorbell (shm/layout.ts). */
  control: SharedArrayBuffer;
  /** Live metrics (shm/layout.ts, core/runtime/metrics.ts). */
  metrics: SharedArrayBuffer;
  /** Watermark alignment: one slot per placement (shm/layout.ts, core/time/watermark-alignment.ts). */
  alignment: SharedArrayBuffer;
  options: RuntimeOptions;
  checkpoint: CheckpointAssignment;
  /**
   * This thread's end of its one channel to the main thread, for three kinds of message (by `type`): the checkpoint
   * coordinator's both ways (checkpointing only), live records of collect sinks up (`records`, untransactional runs
   * only) and its sinks' results up (`sink-result`). One port: each kind's listener takes only its own.
   */
  port: MessagePort;
  /** The BroadcastChannel warnings from this thread go to (core/runtime/worker-warnings.ts). */
  warnings?: string | undefined;
  /**
   * Untransactional runs with a collect sink, whose records then go up `port` as they are drained: credit from
   * collect sinks' readers, a line per graph node (shm/layout.ts, output flow).
   */
  outputFlow?: SharedArrayBuffer | undefined;
  /** Checkpointed runs with an output bound: a line per collect sink, records taken against its reader's limit (shm/layout.ts, output hold). */
  outputHold?: SharedArrayBuffer | undefined;
  /** Splits of each source subtask, by subtaskKey. */
  splits: Record<string, SourceSplit[]>;
  /** State to restore, by subtaskKey (resuming from a checkpoint). */
  restore?: Record<string, SubtaskRestore> | undefined;
}

export interface SerializedError {
  name: string;
  message: string;
  stack?: string | undefined;
  operator?: string | undefined;
  subtask?: number | undefined;
  /** An OperatorError's connector hook (createWriter, ...), when one threw. */
  hook?: string | undefined;
  /** An OperatorError's policyOperator: the operator its message's last sentence names. */
  policyOperator?: string | undefined;
  /** An OperatorError's cause's message, as it was (the OperatorError's own message is built from it). */
  causeMessage?: string | undefined;
  /** An OperatorError's cause: its type and code, which alerting matches on. */
  causeName?: string | undefined;
  causeCode?: string | undefined;
  /** The cause's own plain fields (strings, numbers, booleans, null): what a user's error class adds, say. */
  causeFields?: Record<string, string | number | boolean | null> | undefined;
  /** Main thread only, for a thread that died: what it died of (the error it threw outside a call, as Node gives it). */
  cause?: unknown;
}

/** What a sink subtask's finish (or stopped) returned (collect sinks: the records), by node id and subtask. */
export interface SinkResult {
  node: number;
  subtask: number;
  result: unknown;
  /** A part of an array result: the next message of this sink subtask goes on with it (workers/sink-results.ts). */
  more?: true;
  /** Ends the parts of a result that could not all be sent: they are let go. */
  dropped?: true;
}

/** A SinkResult as posted on the thread's port (ThreadAssignment.port). */
export interface SinkResultMessage extends SinkResult {
  type: 'sink-result';
}

export interface ThreadResult {
  thread: number;
  /** Sink results posted on `port` before this result (core/runtime/sink-result-ports.ts). */
  sinkResults?: number;
  /** Batches of live records posted on `port` before this result (workers/output-link.ts). */
  liveBatches?: number;
  /** Warnings posted on the assignment's `warnings` channel before this result (core/runtime/worker-warnings.ts). */
  warnings?: number;
  /** Set when the thread stopped because the job was stopped, not by itself. */
  stopped: boolean;
  error?: SerializedError;
}
