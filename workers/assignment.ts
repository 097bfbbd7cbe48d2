// Runs on: main thread (builds it) and a worker thread (receives it). What one thread is told to run.

import type { PhysicalPlan } from '../core/graph/physical-plan.js';

export interface RuntimeOptions {
  bufferTimeoutMs: number;
  budget: number;
  batchBytes: number;
  spin: number;
  parkTimeoutMs: number;
  /** Records per batch frame on exchanges that use the generic codec (1: no batch frames). */
  recordBatch: number;
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
  options: RuntimeOptions;
}

export interface SerializedError {
  name: string;
  message: string;
  stack?: string | undefined;
  operator?: string | undefined;
  subtask?: number | undefined;
}

export interface ThreadResult {
  thread: number;
  /** Sink results (collect sinks: the records), by node id and subtask. */
  sinks: { node: number; subtask: number; result: unknown }[];
  /** Set when the thread stopped because the job was stopped, not by itself. */
  stopped: boolean;
  error?: SerializedError;
}
