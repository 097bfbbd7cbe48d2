// Runs on: main thread and worker threads. Where each subtask's live metrics live in the job's metrics buffer,
// and the metrics a finished job reports.

import {
  METRIC_BACKPRESSURED_MS, METRIC_BAD_RECORDS, METRIC_BUSY_MS, METRIC_IDLE_MS, METRIC_LATENCY_COUNT, METRIC_LATENCY_MAX_MS,
  METRIC_LATENCY_P50_MS, METRIC_LATENCY_P999_MS, METRIC_LATENCY_P99_MS, METRIC_OP_DEAD_LETTERED, METRIC_OP_DROPPED, METRIC_OP_LATE_DROPPED,
  METRIC_OP_RECORDS_IN, METRIC_OP_RECORDS_OUT, METRIC_OPERATOR_SLOTS, METRIC_SUBTASK_SLOTS, METRIC_WATERMARK,
} from '../../shm/layout.js';
import type { PhysicalPlan } from '../graph/physical-plan.js';
import { MAX_WATERMARK, MIN_WATERMARK } from '../time/watermark.js';

/** Float64 index of each placement's block (placements in plan order); the last entry is the buffer length. */
export function metricsOffsets(plan: PhysicalPlan): number[] {
  const offsets: number[] = [];
  let at = 0;
  for (const p of plan.placements) {
    offsets.push(at);
    at += METRIC_SUBTASK_SLOTS + METRIC_OPERATOR_SLOTS * plan.tasks[p.task]!.nodeIds.length;
  }
  offsets.push(at);
  return offsets;
}

export interface OperatorMetrics {
  operator: string;
  subtask: number;
  recordsIn: number;
  recordsOut: number;
  /** Late records an event-time window or join dropped (no late-data side output). */
  lateRecordsDropped: number;
  /** Records skipped by the operator's 'drop' error policy. */
  dropped: number;
  /** Records sent to DEAD_LETTERS by its 'dead-letter' error policy. */
  deadLettered: number;
}

/** End-to-end latency seen by a subtask's sinks, from latency markers (RunOptions.latencyTrackingIntervalMs). */
export interface LatencyMetrics {
  /** Markers received since the subtask started. */
  markers: number;
  /** Percentiles over the last one to two minutes, ms. */
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
}

export interface TaskMetrics {
  task: string;
  subtask: number;
  thread: number;
  busyMs: number;
  backpressuredMs: number;
  idleMs: number;
  /** The subtask's event-time watermark, ms (null before its first watermark). MAX_WATERMARK: its input ended. */
  watermark: number | null;
  /** Wall-clock time minus the watermark when the metrics were read, ms (null without a watermark, or after the end). */
  watermarkLagMs: number | null;
  /** Records its source could not decode. */
  badRecords: number;
  /** Latency at this subtask's sinks (null: no sink here, latency tracking off, or no marker yet). */
  latency: LatencyMetrics | null;
}

export interface JobMetrics {
  operators: OperatorMetrics[];
  tasks: TaskMetrics[];
  durationMs: number;
}

/** Reads the live metrics buffer into per-operator and per-task rows. */
export function readMetrics(plan: PhysicalPlan, names: readonly string[], buf: Float64Array, durationMs: number): JobMetrics {
  const offsets = metricsOffsets(plan);
  const operators: OperatorMetrics[] = [];
  const tasks: TaskMetrics[] = [];
  const now = Date.now();
  plan.placements.forEach((p, i) => {
    const base = offsets[i]!;
    const t = plan.tasks[p.task]!;
    const busyMs = buf[base + METRIC_BUSY_MS]!;
    const backpressuredMs = buf[base + METRIC_BACKPRESSURED_MS]!;
    const idleMs = buf[base + METRIC_IDLE_MS]!;
    // A block the subtask has not written yet is all zeros: a 0 there is not a watermark at epoch 0.
    const started = busyMs + backpressuredMs + idleMs > 0;
    const wm = buf[base + METRIC_WATERMARK]!;
    const watermark = started && Number.isFinite(wm) && wm > MIN_WATERMARK ? wm : null;
    const markers = buf[base + METRIC_LATENCY_COUNT]!;
    tasks.push({
      task: t.name, subtask: p.subtask, thread: p.thread, busyMs, backpressuredMs, idleMs,
      watermark,
      watermarkLagMs: watermark === null || watermark >= MAX_WATERMARK ? null : now - watermark,
      badRecords: buf[base + METRIC_BAD_RECORDS]!,
      latency: markers > 0 ? {
        markers,
        p50Ms: buf[base + METRIC_LATENCY_P50_MS]!,
        p99Ms: buf[base + METRIC_LATENCY_P99_MS]!,
        p999Ms: buf[base + METRIC_LATENCY_P999_MS]!,
        maxMs: buf[base + METRIC_LATENCY_MAX_MS]!,
      } : null,
    });
    t.nodeIds.forEach((id, k) => {
      const o = base + METRIC_SUBTASK_SLOTS + METRIC_OPERATOR_SLOTS * k;
      operators.push({
        operator: names[id]!, subtask: p.subtask, recordsIn: buf[o + METRIC_OP_RECORDS_IN]!, recordsOut: buf[o + METRIC_OP_RECORDS_OUT]!,
        lateRecordsDropped: buf[o + METRIC_OP_LATE_DROPPED]!, dropped: buf[o + METRIC_OP_DROPPED]!, deadLettered: buf[o + METRIC_OP_DEAD_LETTERED]!,
      });
    });
  });
  return { operators, tasks, durationMs };
}
