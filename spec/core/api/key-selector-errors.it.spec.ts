// Regression: a keyBy whose key selector threw, or returned no key, failed the job as "operator 'parse' (subtask 0)
// failed: the key selector of the keyBy after it ...", naming the operator before the keyBy and not the keyed
// operator it feeds, the one the user keyed. The error names the keyBy by that operator (and which input of it),
// then the operator before it, whose error policy applies and whose subtask ran the selector.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { run, OperatorError, RecordRejectedError } from '../../../core/index.js';

function job(into: 'keyed' | 'joined', fault: 'throw' | 'object'): URL {
  const u = new URL('./jobs/key-selector-fails.ts', import.meta.url);
  u.searchParams.set('into', into);
  u.searchParams.set('fault', fault);
  return u;
}

const HINT = ". To drop or dead-letter such records instead: .onError('drop' | 'dead-letter') on 'parse'";

for (const [into, keyBy] of [['keyed', "into 'keyed'"], ['joined', "into the second input of 'joined'"]] as const) {
  test(`a key selector that throws, keyBy ${keyBy}: the error names the keyBy by its operator, then the one before it`, async () => {
    const h = await run(job(into, 'throw'), { parallelism: 1 });
    await assert.rejects(h.result, (e: unknown) => {
      assert.ok(e instanceof OperatorError, String(e));
      assert.equal(e.message, `the key selector of the keyBy ${keyBy} (after 'parse', subtask 0) rejected a record: Cannot read properties of null (reading 'name')${HINT}`);
      // The operator whose policy applies and whose dead letter it would be.
      assert.equal(e.operator, 'parse');
      const cause = e.cause as RecordRejectedError;
      assert.ok(cause instanceof RecordRejectedError, `the cause's class across the thread: ${String(cause)}`);
      assert.deepEqual([cause.at, cause.into, cause.input], ['key', into, into === 'joined' ? 2 : undefined]);
      return true;
    });
  });
}

test('a key selector that returns no key: named the same, with what it returned', async () => {
  const h = await run(job('keyed', 'object'), { parallelism: 1 });
  await assert.rejects(h.result, (e: unknown) => {
    assert.ok(e instanceof OperatorError, String(e));
    assert.match(e.message, /^the key selector of the keyBy into 'keyed' \(after 'parse', subtask 0\) rejected a record: a key must be a string, number, bigint or boolean, or an array of them \(a tuple key\), got an object/);
    assert.ok(e.message.endsWith(HINT), e.message);
    return true;
  });
});
