// A worker thread's OperatorError, as plain data, made an OperatorError again on the main thread: the same message,
// the cause's message as it was, the hint of a record's failure said once.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OperatorError } from '../../../core/api/errors.js';
import { revive } from '../../../core/runtime/revive-error.js';

test("a record's failure under 'fail' comes back with its hint once and its cause's message as it was", () => {
  const original = new OperatorError('json', 0, new Error('malformed JSON at a.jsonl:4'), undefined, 'json');
  const back = revive({
    name: original.name, message: original.message, stack: original.stack, operator: 'json', subtask: 0,
    policyOperator: 'json', causeName: 'MalformedJsonError', causeMessage: (original.cause as Error).message,
  });
  assert.ok(back instanceof OperatorError);
  assert.equal(back.message, original.message);
  assert.equal(back.message.split('.onError(').length, 2, 'the hint once');
  assert.equal(back.policyOperator, 'json');
  assert.equal((back.cause as Error).message, 'malformed JSON at a.jsonl:4');
  assert.equal((back.cause as Error).name, 'MalformedJsonError');
});

test('without its cause message, the cause is what follows the prefix', () => {
  const back = revive({ name: 'OperatorError', message: "operator 'w' (subtask 1) failed in createWriter: disk full", operator: 'w', subtask: 1, hook: 'createWriter' });
  assert.equal(back.message, "operator 'w' (subtask 1) failed in createWriter: disk full");
  assert.equal((back.cause as Error).message, 'disk full');
});
