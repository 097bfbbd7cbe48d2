// The sink operator's pending transactions across checkpoints and restores: what a snapshot carries, what a
// completed checkpoint drops, and a restore's end of input, which the restore itself published.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SinkOperator } from '../../../core/operators/sink-operator.js';
import { TaskContext } from '../../../core/operators/task-context.js';
import type { PreparedTransaction, SinkWriter } from '../../../core/connectors/sink.js';

function sink(): SinkOperator<number> {
  let items: number[] = [];
  const writer: SinkWriter<number> = {
    write: (v) => { items.push(v); },
    prepareCommit: () => { const t = items; items = []; return t; },
    finish: () => undefined,
  };
  return new SinkOperator<number>('out', new TaskContext('t', 0, 1, 128), writer, true);
}

const carried = (op: SinkOperator<number>, id: number): string[] =>
  (op.snapshotState(id, false)!.operator as PreparedTransaction[]).map((t) => `${t.checkpointId < 0 ? 'end' : t.checkpointId}:${JSON.stringify(t.transaction)}`);

// Regression: a restored end of input was carried into every later checkpoint (notifyCheckpointComplete keeps
// ends), so each of their commits, and each restore after, published its parts again.
test('a restore keeps the checkpoints\' transactions until one completes, and drops an end of input (the restore published it)', () => {
  const op = sink();
  op.restoreState({ keyed: [], operator: [
    { checkpointId: 4, subtask: 0, transaction: [1] },
    { checkpointId: -1, subtask: 0, transaction: [2], end: 'e1' },
  ] satisfies PreparedTransaction[] });
  op.push(3);
  assert.deepEqual(carried(op, 5), ['4:[1]', '5:[3]']);
  op.notifyCheckpointComplete(5);
  op.push(6);
  assert.deepEqual(carried(op, 6), ['6:[6]']);
});

test('an end of input prepared by this subtask stays in its final state until the coordinator has it published', () => {
  const op = sink();
  op.push(1);
  op.finish();
  op.notifyCheckpointComplete(9);
  assert.deepEqual(carried(op, -1), ['end:[1]']);
});

test('batchEnd: told once per batch that wrote, before a prepareCommit and before finish, never after finish', () => {
  const calls: string[] = [];
  const writer: SinkWriter<number> = {
    write: (v) => { calls.push(`w${v}`); },
    batchEnd: () => { calls.push('end'); },
    prepareCommit: (id) => { calls.push(`prepare${id}`); return []; },
    finish: () => { calls.push('finish'); },
  };
  const op = new SinkOperator<number>('out', new TaskContext('t', 0, 1, 128), writer, true);
  op.batchEnd();
  op.push(1);
  op.push(2);
  op.batchEnd();
  op.batchEnd();
  op.push(3);
  op.snapshotState(1, false);
  op.push(4);
  op.finish();
  op.batchEnd();
  assert.deepEqual(calls, ['w1', 'w2', 'end', 'w3', 'end', 'prepare1', 'w4', 'end', 'prepare-1', 'finish']);
});
