// The sink operator's pending transactions: what each snapshot carries, and what a completed checkpoint or a
// restore lets go of.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SinkOperator } from '../../../core/operators/sink-operator.js';
import { TaskContext } from '../../../core/operators/task-context.js';
import type { PreparedTransaction, SinkWriter } from '../../../core/connectors/sink.js';

/** A writer whose transactions name the checkpoint they were prepared at. */
const writer = (): SinkWriter<number> => ({ write() {}, prepareCommit: (id) => `tx@${id}`, finish: () => undefined });

const carried = (op: SinkOperator<number>, id: number): string[] =>
  (op.snapshotState(id, false)!.operator as PreparedTransaction[]).map((t) => `${t.checkpointId}:${String(t.transaction)}`);

// Regression: a restored end-of-input transaction was never let go (notifyCheckpointComplete keeps ends): every
// later checkpoint published it again, and it went into the next final state beside the new end's, piling up.
test('a restore keeps the checkpoints\' transactions until one completes after them, and drops an end of input it published', () => {
  const op = new SinkOperator<number>('sink', new TaskContext('t', 0, 1, 128), writer(), true);
  const restored: PreparedTransaction[] = [
    { checkpointId: 4, subtask: 0, transaction: 'tx@4' },
    { checkpointId: -1, subtask: 0, transaction: 'tx@-1', end: 'e1' },
    { checkpointId: 5, subtask: 0, transaction: 'tx@5' },
  ];
  op.restoreState({ keyed: [], operator: restored });
  assert.deepEqual(carried(op, 6), ['4:tx@4', '5:tx@5', '6:tx@6']);
  op.notifyCheckpointComplete(6);
  assert.deepEqual(carried(op, 7), ['7:tx@7']);
});

test('an end of input prepared by this subtask stays until its final state is taken, whatever completes meanwhile', () => {
  const op = new SinkOperator<number>('sink', new TaskContext('t', 0, 1, 128), writer(), true);
  assert.deepEqual(carried(op, 1), ['1:tx@1']);
  op.finish();
  op.notifyCheckpointComplete(1);
  assert.deepEqual(carried(op, -1), ['-1:tx@-1']);
});
