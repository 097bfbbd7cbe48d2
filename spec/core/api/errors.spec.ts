import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JobDefinitionError, OperatorError, RecordRejectedError, afterOperators } from '../../../core/api/errors.js';

test('OperatorError names its operator once when the cause already opens with it', () => {
  const e = new OperatorError('sum', 1, new JobDefinitionError("operator 'sum': its reduce function returned a promise"));
  assert.equal(e.message, "operator 'sum' (subtask 1) failed: its reduce function returned a promise");
  assert.ok(e.cause instanceof JobDefinitionError);
  assert.equal((e.cause as Error).message, "operator 'sum': its reduce function returned a promise");
});

test("OperatorError keeps a cause that names another operator, or its own name elsewhere", () => {
  assert.equal(new OperatorError('a', 0, new Error("operator 'b': broken")).message, "operator 'a' (subtask 0) failed: operator 'b': broken");
  assert.equal(new OperatorError('a', 0, new Error("state of operator 'a': broken")).message, "operator 'a' (subtask 0) failed: state of operator 'a': broken");
  assert.equal(new OperatorError('a', 2, 'thrown string').message, "operator 'a' (subtask 2) failed: thrown string");
});

test('afterOperators names one or several operators', () => {
  assert.equal(afterOperators('a'), " after operator 'a'");
  assert.equal(afterOperators('a', 'b'), " after operators 'a' and 'b'");
});

test("OperatorError for a record under the 'fail' policy ends naming the .onError that drops or dead-letters it instead", () => {
  const e = new OperatorError('parse', 1, new SyntaxError('Unexpected token n'), undefined, 'parse');
  assert.equal(e.message, "operator 'parse' (subtask 1) failed: Unexpected token n. To drop or dead-letter such records instead: .onError('drop' | 'dead-letter') on 'parse'");
  assert.equal(e.policyOperator, 'parse');
  assert.equal((e.cause as Error).message, 'Unexpected token n', 'the cause is left as it was');
  // A cause that ends its sentence gets no second full stop.
  assert.match(new OperatorError('a', 0, new Error('bad input.'), undefined, 'a').message, /failed: bad input\. To drop or dead-letter such records/);
  // Failures that are not a record's under its policy (open, a hook, a job mistake) say nothing of one.
  assert.equal(new OperatorError('a', 0, new Error('broken'), 'createWriter').message, "operator 'a' (subtask 0) failed in createWriter: broken");
  assert.equal(new OperatorError('a', 0, new Error('broken')).policyOperator, undefined);
});

test('a record the exchange rejects is said as the keyBy (partitionCustom) into the operator it feeds; a codec as the output of its own', () => {
  const cause = new TypeError("Cannot read properties of null (reading 'b')");
  assert.equal(new RecordRejectedError('key', cause, { operator: 'keyed' }).message, "the key selector of the keyBy into 'keyed' rejected a record: Cannot read properties of null (reading 'b')");
  assert.equal(new RecordRejectedError('partition', cause, { operator: 'j', input: 2 }).message, "the partitionCustom into the second input of 'j' rejected a record: Cannot read properties of null (reading 'b')");
  const codec = new RecordRejectedError('codec', new Error('n is not a u32'), { operator: 'keyed' });
  assert.equal(codec.message, 'the codec of its output rejected a record: n is not a u32');
  assert.equal(codec.into, undefined);
  // Under 'fail': the keyBy first, then the operator before it (which ran the selector), then the policy's hint.
  const failed = new OperatorError('parse', 1, new RecordRejectedError('key', cause, { operator: 'keyed' }), undefined, 'parse');
  assert.equal(failed.message, "the key selector of the keyBy into 'keyed' (after 'parse', subtask 1) rejected a record: Cannot read properties of null (reading 'b'). To drop or dead-letter such records instead: .onError('drop' | 'dead-letter') on 'parse'");
  assert.equal(failed.operator, 'parse');
  assert.match(new OperatorError('to-stats', 0, codec).message, /^operator 'to-stats' \(subtask 0\) failed: the codec of its output rejected a record/);
});
