// The metrics buffer read into rows (readMetrics), and the counters an ended attempt carries into the next
// (addCounters): here the latency markers an asyncMap dropped, a counter of its task.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addCounters, metricsOffsets, readMetrics } from '../../../core/runtime/metrics.js';
import { METRIC_LATENCY_MARKERS_DROPPED } from '../../../shm/layout.js';
import type { PhysicalPlan } from '../../../core/graph/physical-plan.js';

// Two subtasks of one task chaining two operators: each subtask's block holds the task's slots, then the operators'.
const plan = {
  tasks: [{ name: 'gen -> enrich', nodeIds: [0, 1] }],
  placements: [{ task: 0, subtask: 0, thread: 0 }, { task: 0, subtask: 1, thread: 1 }],
} as unknown as PhysicalPlan;

test("latency markers dropped: read from each subtask's block, and carried over a restart like every counter", () => {
  const offsets = metricsOffsets(plan);
  const live = new Float64Array(offsets.at(-1)!);
  live[offsets[0]! + METRIC_LATENCY_MARKERS_DROPPED] = 3;
  live[offsets[1]! + METRIC_LATENCY_MARKERS_DROPPED] = 40;
  const rows = readMetrics(plan, ['gen', 'enrich'], live, 1000);
  assert.deepEqual(rows.tasks.map((t) => [t.subtask, t.latencyMarkersDropped]), [[0, 3], [1, 40]]);

  // An attempt that ended: its counts go on under the next attempt's.
  const carried = new Float64Array(live.length);
  addCounters(plan, carried, live);
  const next = new Float64Array(live.length);
  next[offsets[1]! + METRIC_LATENCY_MARKERS_DROPPED] = 2;
  assert.deepEqual(readMetrics(plan, ['gen', 'enrich'], next, 1000, carried).tasks.map((t) => t.latencyMarkersDropped), [3, 42]);
});
