// Which manifest format a checkpoint is written in: format 3 only where an input's in-flight records hold a
// watermark or idleness frame (an older sluice would replay those as records). Every unaligned checkpoint with
// in-flight records was written as format 3, which an older sluice refuses, though it could restore one whose
// in-flight records are records only (it ignores channelTimes, which this version still keeps and restores).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { MessagePort } from 'node:worker_threads';
import { CheckpointCoordinator } from '../../../core/checkpoint/coordinator.js';
import type { CoordinatorMessage, InFlightRecord, WorkerMessage } from '../../../core/checkpoint/messages.js';
import { CheckpointStore } from '../../../core/checkpoint/store.js';
import type { LogicalGraph } from '../../../core/graph/logical-graph.js';
import type { PhysicalPlan } from '../../../core/graph/physical-plan.js';
import { jobControlSlots } from '../../../shm/layout.js';

/** A worker thread's end of the coordinator's port: `send` is what the thread would post. */
class WorkerEnd extends EventEmitter {
  postMessage(_m: CoordinatorMessage): void {}
  send(m: WorkerMessage): void { this.emit('message', m); }
}

const times = { wm: [5], idle: [0], aligned: [1], ended: [0], last: 5 };

/** The format and channel times of the manifest of one checkpoint whose only subtask acknowledged with `inFlight`. */
async function manifestWith(inFlight: InFlightRecord[]): Promise<{ format: number; channelTimes: unknown }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-manifest-format-'));
  const store = await CheckpointStore.open(dir);
  try {
    const graph = { nodes: [{ id: 0, kind: 'map', name: 'm', uid: 'm', inputs: [] }] } as unknown as LogicalGraph;
    const plan: PhysicalPlan = {
      tasks: [{ id: 0, nodeIds: [0], name: 'm', parallelism: 1 }], exchanges: [], channels: [],
      placements: [{ task: 0, subtask: 0, thread: 0 }], threads: 1, maxParallelism: 128,
    };
    const port = new WorkerEnd();
    const c = new CheckpointCoordinator(
      store, graph, plan, new SharedArrayBuffer(jobControlSlots(1) * 4), [port as unknown as MessagePort],
      { intervalMs: Infinity, timeoutMs: 60_000, retained: 2, unaligned: true, minPauseMs: 0, tolerableFailures: 0, lineage: { starts: [] } },
      'fingerprint', 1, undefined, (e) => { throw e; },
    );
    try {
      const done = c.trigger('checkpoint', undefined);
      port.send({ type: 'ack', checkpointId: 1, snapshot: { task: 0, subtask: 0, operators: [], inFlight, channels: times }, syncMs: 0 });
      assert.equal((await done).id, 1);
    } finally {
      c.close();
      await c.drain();
    }
    const m = await store.readManifest(1);
    return { format: m.format, channelTimes: m.channelTimes };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('an unaligned checkpoint whose in-flight records hold no frame of an input is format 2, with its channel times', async () => {
  const records: InFlightRecord[] = [
    { input: 0, value: 'a', timestamp: 1 },
    // A watermark waiting in an output gate: format 2 had those already.
    { input: -2, output: 0, writer: 0, value: undefined, timestamp: 0, control: { type: 'watermark', timestamp: 4 } },
  ];
  const m = await manifestWith(records);
  assert.equal(m.format, 2);
  assert.deepEqual(m.channelTimes, { 'm/0': { ...times, channels: [] } });
});

test('one whose in-flight records of an input hold a watermark is format 3', async () => {
  const m = await manifestWith([
    { input: 0, value: 'a', timestamp: 1 },
    { input: 0, channel: 0, value: undefined, timestamp: 0, control: { type: 'watermark', timestamp: 6 } },
  ]);
  assert.equal(m.format, 3);
  assert.deepEqual(m.channelTimes, { 'm/0': { ...times, channels: [] } });
});
