// Runs on: main thread and worker threads. Where each subtask's live metrics live in the job's metrics buffer,
// and the metrics a finished job reports.

import {
  METRIC_BACKPRESSURED_MS, METRIC_BAD_RECORDS, METRIC_BUSY_MS, METRIC_IDLE_MS, METRIC_LATENCY_COUNT, METRIC_LATENCY_MAX_MS,
  METRIC_LATENCY_P50_MS, METRIC_LATENCY_P999_MS, METRIC_LATENCY_P99_MS, METRIC_OP_DEAD_LETTERED, METRIC_OP_DROPPED, METRIC_OP_LATE_DROPPED, METRIC_OP_SIDE_OUTPUT,
  METRIC_OP_RECORDS_IN, METRIC_OP_RECORDS_OUT, METRIC_OPERATOR_SLOTS, METRIC_SUBTASK_SLOTS, METRIC_WATERMARK, METRIC_ALIGNMENT_HELD_MS, metricOperatorAt,
  METRIC_ASYNC_WAIT_MS, METRIC_OP_CAPACITY, METRIC_OP_IN_FLIGHT, METRIC_WATERMARK_IDLE, METRIC_LATENCY_MARKERS_DROPPED,
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
  /** Records sent to side outputs (ctx.output, late data), which recordsOut does not count. */
  sideOutputRecords: number;
  /**
   * Async operators (asyncMap) only: requests started whose result is not out yet, now (a gauge), and at most how
   * many may be (its `capacity`). Equal: saturated, it takes no input.
   */
  inFlight?: number;
  capacity?: number;
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
  /** Of idleMs, the time an aligned source spent held back by its group (0 for every other subtask). */
  alignmentHeldMs: number;
  /**
   * Time with nothing to do but wait for its async operators' requests (asyncMap with requests in flight): not in
   * busyMs, backpressuredMs or idleMs. The four together are every moment of its thread's task loop.
   */
  asyncWaitMs: number;
  /** The subtask's event-time watermark, ms (null before its first watermark). MAX_WATERMARK: its input ended. */
  watermark: number | null;
  /** Wall-clock time minus the watermark when the metrics were read, ms (null without a watermark, or after the end). */
  watermarkLagMs: number | null;
  /**
   * The stream it sends on is marked idle (its source holds no split, `withIdleness`, or every input is idle): its
   * watermark (perhaps none) holds no event time back downstream.
   */
  watermarkIdle: boolean;
  /** Records its source could not decode. */
  badRecords: number;
  /** Latency at this subtask's sinks (null: no sink here, latency tracking off, or no marker yet). */
  latency: LatencyMetrics | null;
  /**
   * Latency markers its async operators dropped: an asyncMap holds at most 64 behind a request that has not
   * settled, evenly thinned, so latency downstream is read from fewer markers than its sources sent; those it
   * still holds when the attempt is cancelled or fails are dropped too.
   */
  latencyMarkersDropped: number;
}

export interface JobMetrics {
  operators: OperatorMetrics[];
  tasks: TaskMetrics[];
  durationMs: number;
}

/** Reads the live metrics buffer into per-operator and per-task rows. */
/** The counter slots of a subtask's block (relative to its base) and of each operator's (relative to its own). */
const SUBTASK_COUNTERS = [METRIC_BUSY_MS, METRIC_BACKPRESSURED_MS, METRIC_IDLE_MS, METRIC_BAD_RECORDS, METRIC_LATENCY_COUNT, METRIC_ALIGNMENT_HELD_MS, METRIC_ASYNC_WAIT_MS, METRIC_LATENCY_MARKERS_DROPPED];
const OPERATOR_COUNTERS = [METRIC_OP_RECORDS_IN, METRIC_OP_RECORDS_OUT, METRIC_OP_LATE_DROPPED, METRIC_OP_DROPPED, METRIC_OP_DEAD_LETTERED, METRIC_OP_SIDE_OUTPUT];

/**
 * Adds the counters of `from` (an attempt that ended: a restart follows) into `into`, not its gauges (watermarks,
 * latency percentiles): read with readMetrics(..., carried), counters never go down over a run. They used to
 * start from zero at each restart, so rates came out negative and the summary counted the last attempt only.
 */
export function addCounters(plan: PhysicalPlan, into: Float64Array, from: Float64Array): void {
  const offsets = metricsOffsets(plan);
  plan.placements.forEach((p, i) => {
    const base = offsets[i]!;
    for (const k of SUBTASK_COUNTERS) into[base + k]! += from[base + k]!;
    for (let n = 0; n < plan.tasks[p.task]!.nodeIds.length; n++) {
      const o = metricOperatorAt(base, n);
      for (const k of OPERATOR_COUNTERS) into[o + k]! += from[o + k]!;
    }
  });
}

/** The metrics in `buf`, with the counters of earlier attempts (`carried`, addCounters) added. */
export function readMetrics(plan: PhysicalPlan, names: readonly string[], buf: Float64Array, durationMs: number, carried?: Float64Array): JobMetrics {
  const offsets = metricsOffsets(plan);
  const operators: OperatorMetrics[] = [];
  const tasks: TaskMetrics[] = [];
  const now = Date.now();
  plan.placements.forEach((p, i) => {
    const base = offsets[i]!;
    const t = plan.tasks[p.task]!;
    const c = (i: number): number => buf[i]! + (carried?.[i] ?? 0);
    const busyMs = c(base + METRIC_BUSY_MS);
    const backpressuredMs = c(base + METRIC_BACKPRESSURED_MS);
    const idleMs = c(base + METRIC_IDLE_MS);
    const asyncWaitMs = c(base + METRIC_ASYNC_WAIT_MS);
    // A block the subtask has not written yet is all zeros: a 0 there is not a watermark at epoch 0 (this attempt's).
    const started = buf[base + METRIC_BUSY_MS]! + buf[base + METRIC_BACKPRESSURED_MS]! + buf[base + METRIC_IDLE_MS]! + buf[base + METRIC_ASYNC_WAIT_MS]! > 0;
    const wm = buf[base + METRIC_WATERMARK]!;
    const watermark = started && Number.isFinite(wm) && wm > MIN_WATERMARK ? wm : null;
    const markers = c(base + METRIC_LATENCY_COUNT);
    tasks.push({
      task: t.name, subtask: p.subtask, thread: p.thread, busyMs, backpressuredMs, idleMs, alignmentHeldMs: c(base + METRIC_ALIGNMENT_HELD_MS),
      asyncWaitMs,
      watermark,
      watermarkLagMs: watermark === null || watermark >= MAX_WATERMARK ? null : now - watermark,
      watermarkIdle: buf[base + METRIC_WATERMARK_IDLE] === 1,
      badRecords: c(base + METRIC_BAD_RECORDS),
      latency: markers > 0 ? {
        markers,
        p50Ms: buf[base + METRIC_LATENCY_P50_MS]!,
        p99Ms: buf[base + METRIC_LATENCY_P99_MS]!,
        p999Ms: buf[base + METRIC_LATENCY_P999_MS]!,
        maxMs: buf[base + METRIC_LATENCY_MAX_MS]!,
      } : null,
      latencyMarkersDropped: c(base + METRIC_LATENCY_MARKERS_DROPPED),
    });
    t.nodeIds.forEach((id, k) => {
      const o = metricOperatorAt(base, k);
      const capacity = buf[o + METRIC_OP_CAPACITY]!;
      operators.push({
        operator: names[id]!, subtask: p.subtask, recordsIn: c(o + METRIC_OP_RECORDS_IN), recordsOut: c(o + METRIC_OP_RECORDS_OUT),
        lateRecordsDropped: c(o + METRIC_OP_LATE_DROPPED), dropped: c(o + METRIC_OP_DROPPED), deadLettered: c(o + METRIC_OP_DEAD_LETTERED),
        sideOutputRecords: c(o + METRIC_OP_SIDE_OUTPUT),
        // Gauges, this attempt's own (not carried over a restart).
        ...(capacity > 0 ? { inFlight: buf[o + METRIC_OP_IN_FLIGHT]!, capacity } : {}),
      });
    });
  });
  return { operators, tasks, durationMs };
}
