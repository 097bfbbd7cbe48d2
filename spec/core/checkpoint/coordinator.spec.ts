// The checkpoint coordinator against fake worker ports and a fake store whose manifest commit the test releases:
// events at moments a real job rarely or never produces.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { MessagePort } from 'node:worker_threads';
import { CheckpointCoordinator, type CompletedCheckpoint } from '../../../core/checkpoint/coordinator.js';
import { ATTEMPT_FAILED, CheckpointAbortedError, CheckpointNotStartedError, CheckpointRefusedError, type CheckpointAbortReason, type CheckpointNotStartedReason } from '../../../core/checkpoint/checkpoint-refusal.js';
import type { CoordinatorMessage, WorkerMessage } from '../../../core/checkpoint/messages.js';
import type { Manifest } from '../../../core/checkpoint/manifest.js';
import type { CheckpointStore } from '../../../core/checkpoint/store.js';
import type { LogicalGraph } from '../../../core/graph/logical-graph.js';
import type { PhysicalPlan } from '../../../core/graph/physical-plan.js';
import { JOB_CHECKPOINT_TRIGGER, jobControlSlots } from '../../../shm/layout.js';

/** A port the test speaks through: `send` is a worker's message, `posted` what the coordinator sent. */
class FakePort extends EventEmitter {
  posted: CoordinatorMessage[] = [];
  postMessage(m: CoordinatorMessage): void { this.posted.push(m); }
  send(m: WorkerMessage): void { this.emit('message', m); }
}

/** A store that keeps manifests in memory; each commit waits until the test releases it. */
class FakeStore {
  readonly dir = '/nonexistent';
  readonly committed: number[] = [];
  private releases: (() => void)[] = [];
  async putChunk(): Promise<void> {}
  commitManifest(m: Manifest): Promise<void> {
    return new Promise((resolve) => this.releases.push(() => { this.committed.push(m.id); resolve(); }));
  }
  /** Lets the oldest commit waiting land. */
  release(): void { this.releases.shift()!(); }
  get waiting(): number { return this.releases.length; }
  async manifestIds(): Promise<number[]> { return []; }
  async savepoints(): Promise<never[]> { return []; }
  async deleteManifests(): Promise<void> {}
  /** Set: each clean-up after a checkpoint (its last step) waits until the test calls it. */
  holdCleanUp: Promise<void> | undefined;
  cleanUps = 0;
  async collectGarbage(): Promise<number> { this.cleanUps++; await this.holdCleanUp; return 0; }
}

/** One task of one subtask on one thread. */
function coordinator(intervalMs = Infinity) {
  const graph = { nodes: [{ id: 0, kind: 'map', name: 'm', uid: 'm', inputs: [] }] } as unknown as LogicalGraph;
  const plan: PhysicalPlan = {
    tasks: [{ id: 0, nodeIds: [0], name: 'm', parallelism: 1 }], exchanges: [], channels: [],
    placements: [{ task: 0, subtask: 0, thread: 0 }], threads: 1, maxParallelism: 128,
  };
  const control = new SharedArrayBuffer(jobControlSlots(1) * 4);
  const port = new FakePort();
  const store = new FakeStore();
  const errors: Error[] = [];
  const c = new CheckpointCoordinator(
    store as unknown as CheckpointStore, graph, plan, control, [port as unknown as MessagePort],
    { intervalMs, timeoutMs: 60_000, retained: 2, unaligned: false, minPauseMs: 0, tolerableFailures: 0, lineage: { starts: [] } },
    'fingerprint', 1, undefined, (e) => errors.push(e),
  );
  /** The id of the checkpoint last triggered (the word the sources read). */
  const triggered = (): number => Atomics.load(new Int32Array(control), JOB_CHECKPOINT_TRIGGER) >>> 2;
  const ack = (checkpointId: number): void => port.send({ type: 'ack', checkpointId, snapshot: { task: 0, subtask: 0, operators: [] }, syncMs: 0 });
  return { c, port, store, errors, triggered, ack };
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('checkpoint coordinator', () => {
  // Regression (a spec review): the interval was measured from performance.now() = 0, the process's start, so a job
  // started in a process older than its interval took its first periodic checkpoint as soon as every task ran.
  test('the first periodic checkpoint comes an interval after every task runs, however old the process', async () => {
    while (performance.now() < 300) await new Promise((r) => setTimeout(r, 50));
    const interval = Math.floor(performance.now() / 2);
    const { c, port, triggered } = coordinator(interval);
    c.start();
    try {
      port.send({ type: 'running', thread: 0 });
      const runningAt = performance.now();
      while (triggered() === 0) await new Promise((r) => setTimeout(r, 10));
      assert.ok(performance.now() - runningAt >= interval, `first checkpoint ${Math.round(performance.now() - runningAt)} ms after the tasks ran, interval ${interval} ms (process ${Math.round(runningAt)} ms old)`);
    } finally {
      c.stop();
    }
  });

  test('a decline of a checkpoint whose acks are all in is ignored: it completes, and the next waits for it', async () => {
    const { c, port, store, triggered, ack } = coordinator();
    const first = c.trigger('checkpoint', undefined);
    const second = c.trigger('checkpoint', undefined);
    const third = c.trigger('checkpoint', undefined);
    // Settled by the end (a rejection seen now would end the test before its assertions).
    for (const p of [first, second, third]) p.catch(() => {});
    assert.equal(triggered(), 1);
    ack(1);
    await turn();
    assert.equal(store.waiting, 1, 'its manifest is being committed');
    port.send({ type: 'decline', checkpointId: 1, task: 0, subtask: 0, reason: 'late' });
    await turn();
    assert.deepEqual(port.posted, [], 'not aborted');
    assert.equal(triggered(), 1, 'the next has not begun');
    store.release();
    const done: CompletedCheckpoint = await first;
    assert.equal(done.id, 1);
    assert.deepEqual(port.posted, [{ type: 'complete', checkpointId: 1 }]);
    assert.equal(triggered(), 2, 'the next began once it was done');
    assert.deepEqual(c.stats.aborted, [], 'no abort recorded');
    c.close();
    await assert.rejects(second, /checkpoint 2 was aborted: the job stopped/);
    await assert.rejects(third, /the job stopped before the checkpoint could start/);
    assert.deepEqual(store.committed, [1]);
  });

  // Regression: durationMs ended at the manifest's commit, and nothing reported what came after it (sink commits,
  // deleting older checkpoints: ~300 ms at 1 M keys), which held the next checkpoint back unseen.
  test('commitMs: the time from the manifest\'s commit until the sinks published and older checkpoints were deleted, not in durationMs', async () => {
    const { c, store, triggered, ack } = coordinator();
    let releaseCleanUp: () => void = () => {};
    store.holdCleanUp = new Promise((r) => { releaseCleanUp = r; });
    const first = c.trigger('checkpoint', undefined);
    const second = c.trigger('checkpoint', undefined);
    second.catch(() => {});
    ack(1);
    await turn();
    store.release();
    while (store.cleanUps === 0) await turn();
    const committedBy = performance.now();
    const listed = c.stats.completed[0]!;
    assert.equal(listed.commitMs, undefined, 'absent while its clean-up runs');
    const durationMs = listed.durationMs;
    // The clean-up takes a while: at least 30 ms of the clock past the commit.
    while (performance.now() - committedBy < 30) await new Promise((r) => setTimeout(r, 5));
    assert.equal(triggered(), 1, 'the next waits for the clean-up');
    const releasedAt = performance.now();
    releaseCleanUp();
    const done = await first;
    assert.ok(done.commitMs !== undefined && done.commitMs >= releasedAt - committedBy, `commitMs ${done.commitMs} covers the ${releasedAt - committedBy} ms held`);
    assert.equal(done.durationMs, durationMs, 'durationMs ends at the manifest commit');
    assert.equal(c.stats.completed[0]!.commitMs, done.commitMs, 'the listing has it too');
    c.close();
    await assert.rejects(second, /aborted: the job stopped|the job stopped before/);
  });

  // Regression: the abort of the checkpoint in flight began the first queued trigger (refused as 'not running')
  // before the queue was emptied with the stop's own message.
  test('a stop refuses every queued trigger alike, and aborts the checkpoint still collecting', async () => {
    const { c, port, triggered } = coordinator();
    const first = c.trigger('checkpoint', undefined);
    const queued = [c.trigger('savepoint', 'a'), c.trigger('checkpoint', undefined), c.trigger('checkpoint', undefined)];
    for (const p of [first, ...queued]) p.catch(() => {});
    assert.equal(triggered(), 1);
    c.stop();
    await assert.rejects(first, /checkpoint 1 was aborted: the job stopped/);
    for (const q of queued) await assert.rejects(q, /the job stopped before the checkpoint could start/);
    assert.equal(triggered(), 1, 'none of them began');
    assert.deepEqual(port.posted, [{ type: 'abort', checkpointId: 1 }]);
    await assert.rejects(c.trigger('checkpoint', undefined), /the job is not running/);
    c.close();
  });

  // The refusals carry why in a typed reason (stopWithSavepoint matched the message text to tell a failed attempt
  // from a stop); their messages are as they were.
  const aborted = (reason: CheckpointAbortReason, message: string) => (e: unknown): boolean => {
    assert.ok(e instanceof CheckpointAbortedError, String(e));
    assert.equal(e.reason, reason);
    assert.equal(String(e), message);
    return true;
  };
  const notStarted = (reason: CheckpointNotStartedReason, message: string) => (e: unknown): boolean => {
    assert.ok(e instanceof CheckpointNotStartedError, String(e));
    assert.equal(e.reason, reason);
    assert.equal(String(e), message);
    return true;
  };

  for (const failed of [false, true]) {
    test(`a stop ${failed ? 'of a failed attempt' : 'by the user'} refuses the checkpoint in flight and those queued with the reason '${failed ? 'attempt-failed' : 'stopped'}'`, async () => {
      const { c } = coordinator();
      const first = c.trigger('checkpoint', undefined);
      const queued = c.trigger('savepoint', 'a');
      for (const p of [first, queued]) p.catch(() => {});
      c.stop(failed);
      const words = failed ? ATTEMPT_FAILED : 'the job stopped';
      await assert.rejects(first, aborted(failed ? 'attempt-failed' : 'stopped', `CheckpointAbortedError: checkpoint 1 was aborted: ${words}`));
      await assert.rejects(queued, notStarted(failed ? 'attempt-failed' : 'stopped', `Error: ${words} before the checkpoint could start`));
      c.close();
    });

    // Regression: a plain Error('the job is not running'), so a caller could not tell a failed attempt (a restart
    // may follow: ask again) from a stopped one but by the message.
    test(`a trigger after a stop ${failed ? 'of a failed attempt' : 'by the user'} is refused at once with the reason '${failed ? 'attempt-failed' : 'stopped'}', its message as it was`, async () => {
      const { c, triggered } = coordinator();
      c.stop(failed);
      for (const kind of ['checkpoint', 'savepoint'] as const) {
        await assert.rejects(c.trigger(kind, kind === 'savepoint' ? 'sp' : undefined), (e: unknown) => {
          assert.ok(e instanceof CheckpointRefusedError, String(e));
          assert.equal(e.reason, failed ? 'attempt-failed' : 'stopped');
          assert.equal(String(e), 'Error: the job is not running');
          return true;
        });
      }
      assert.equal(triggered(), 0, 'nothing began');
      c.close();
    });
  }

  test('a checkpoint a subtask declines is refused with the reason \'declined\'', async () => {
    const { c, port } = coordinator();
    const first = c.trigger('checkpoint', undefined);
    port.send({ type: 'decline', checkpointId: 1, task: 0, subtask: 0, reason: 'no room' });
    await assert.rejects(first, aborted('declined', 'CheckpointAbortedError: checkpoint 1 was aborted: subtask 0 of task m declined: no room'));
    c.close();
  });
});
