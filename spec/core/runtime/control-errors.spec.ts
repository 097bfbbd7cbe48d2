// A request's failure across the control socket (core/runtime/control-errors.ts): the public classes a request can
// fail with come back as those classes, with their fields and the job's message; anything else as a plain Error
// with its name. Through JSON, as the socket carries it (the whole socket in control-server.it.spec.ts).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { controlError, controlErrorBody, type ControlErrorBody } from '../../../core/runtime/control-errors.js';
import {
  CheckpointAbortedError, CheckpointNotStartedError, CheckpointRefusedError, JobNotRunningError, NoCheckpointError, NotCheckpointingError,
  OperatorError, OutputRefusedError, SavepointNameError, StateDirError,
} from '../../../core/index.js';

/** `e` sent by the job and rebuilt by the asking side. */
const across = (e: unknown): Error => controlError(JSON.parse(JSON.stringify(controlErrorBody(e))) as ControlErrorBody);

/** What a caller reads of an error: its class, name, message and own fields. */
function seen(e: Error): Record<string, unknown> {
  return { class: e.constructor, name: e.name, message: e.message, ...Object.fromEntries(Object.entries(e)) };
}

// Regression: requestControl rejected with a plain Error with only the name copied, so `instanceof` and the fields
// callers branch on (a refusal's reason, how a job ended) held in the job's process and failed on the asking side.
test('each public class a request fails with comes back as that class, with its fields and the job\'s message', () => {
  const sent: Error[] = [
    new NotCheckpointingError('savepoint: the job has no state directory (it does not checkpoint)'),
    new CheckpointRefusedError('restarting', 'the job is restarting (restart 1): try again once it runs'),
    new CheckpointRefusedError('already-stopping', "the job is already stopping with savepoint 'v1'"),
    new CheckpointRefusedError('stopped'),
    new CheckpointAbortedError(7, 'timeout', 'not completed within 600000 ms'),
    new CheckpointNotStartedError('attempt-failed', 'the job was not stopped'),
    new JobNotRunningError('savepoint: the job was cancelled', 'cancelled'),
    new SavepointNameError("savepoint: the name 'v1' is taken (savepoint 3 in /s); give this one another name"),
    new NoCheckpointError("no savepoint named 'nope' in /s"),
    new StateDirError('state directory /s is damaged: its keys cannot be listed'),
    new OutputRefusedError('has-reader', 'out', "output: collect sink 'out' already has a reader"),
  ];
  for (const e of sent) {
    const got = across(e);
    assert.ok(got instanceof (e.constructor as new () => Error), `${e.constructor.name}: ${got.constructor.name}`);
    assert.deepEqual(seen(got), seen(e), e.constructor.name);
  }
  // Named 'Error' (as they print), so the class is not told by the name.
  assert.equal(across(new CheckpointRefusedError('restarting')).name, 'Error');
  assert.ok(across(new CheckpointNotStartedError('stopped')) instanceof CheckpointNotStartedError);
  assert.ok(!(across(new CheckpointNotStartedError('stopped')) instanceof CheckpointRefusedError));
});

test('any other error is a plain Error with its name and message, as is a known class whose fields do not fit', () => {
  const op = across(new OperatorError('explode', 0, new Error('event 5 is out of range')));
  assert.equal(op.constructor, Error);
  assert.deepEqual([op.name, op.message], ['OperatorError', "operator 'explode' (subtask 0) failed: event 5 is out of range"]);
  const plain = across(new TypeError('x is not a function'));
  assert.deepEqual([plain.constructor, plain.name, plain.message], [Error, 'TypeError', 'x is not a function']);
  const thrown = across('a string thrown');
  assert.deepEqual([thrown.constructor, thrown.name, thrown.message], [Error, 'Error', 'a string thrown']);
  // A job of another version: an unknown class, fields missing or of another type, a body without a class.
  const bodies: ControlErrorBody[] = [
    { name: 'NewError', message: 'm', type: 'NewError', fields: {} },
    { name: 'JobNotRunningError', message: 'm', type: 'JobNotRunningError', fields: {} },
    { name: 'Error', message: 'm', type: 'CheckpointAbortedError', fields: { checkpointId: '7', reason: 'timeout' } },
    { name: 'JobNotRunningError', message: 'm' },
  ];
  for (const b of bodies) {
    const e = controlError(b);
    assert.deepEqual([e.constructor, e.name, e.message], [Error, b.name, 'm'], JSON.stringify(b));
  }
});
