// Runs on: main thread and worker threads. Where each subtask's live metrics live in the job's metrics buffer,
// and the metrics a finished job reports.

import { METRIC_OP_DEAD_LETTERED, METRIC_OP_DROPPED, METRIC_OP_RECORDS_IN, METRIC_OP_RECORDS_OUT, METRIC_OPERATOR_SLOTS, METRIC_SUBTASK_SLOTS } from '../../shm/layout.js';
import type { PhysicalPlan } from '../graph/physical-plan.js';

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
  /** Records skipped by the operator's 'drop' error policy. */
  dropped: number;
  /** Records sent to DEAD_LETTERS by its 'dead-letter' error policy. */
  deadLettered: number;
}

export interface TaskMetrics {
  task: string;
  subtask: number;
  thread: number;
  busyMs: number;
  backpressuredMs: number;
  idleMs: number;
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
  plan.placements.forEach((p, i) => {
    const base = offsets[i]!;
    const t = plan.tasks[p.task]!;
    tasks.push({ task: t.name, subtask: p.subtask, thread: p.thread, busyMs: buf[base]!, backpressuredMs: buf[base + 1]!, idleMs: buf[base + 2]! });
    t.nodeIds.forEach((id, k) => {
      const o = base + METRIC_SUBTASK_SLOTS + METRIC_OPERATOR_SLOTS * k;
      operators.push({
        operator: names[id]!, subtask: p.subtask, recordsIn: buf[o + METRIC_OP_RECORDS_IN]!, recordsOut: buf[o + METRIC_OP_RECORDS_OUT]!,
        dropped: buf[o + METRIC_OP_DROPPED]!, deadLettered: buf[o + METRIC_OP_DEAD_LETTERED]!,
      });
    });
  });
  return { operators, tasks, durationMs };
}
