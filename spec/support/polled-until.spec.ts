// polledUntil: resolves once the condition holds, and ends with the job: its failure, or the wait it could not meet.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { polledUntil } from './polled-until.js';

/** A job's `result` settled by the test. */
function job(): { result: Promise<unknown>; end(): void; fail(e: Error): void } {
  let end!: () => void;
  let fail!: (e: Error) => void;
  const result = new Promise<unknown>((resolve, reject) => { end = () => resolve({}); fail = reject; });
  return { result, end, fail };
}

test('resolves once the condition holds while the job runs', async () => {
  const j = job();
  let looks = 0;
  await polledUntil(() => ++looks === 3, 'the third look', j, 1);
  assert.equal(looks, 3);
});

test("a job that ended without the condition: rejects saying what was awaited; one that failed: with the job's error", async () => {
  const ended = job();
  const waiting = polledUntil(() => false, 'a marker', ended, 1);
  ended.end();
  await assert.rejects(waiting, /^Error: the job ended before a marker$/);
  const failed = job();
  const boom = new Error('the job failed');
  const waitingOnFailed = polledUntil(() => false, 'a marker', failed, 1);
  failed.fail(boom);
  await assert.rejects(waitingOnFailed, (e) => e === boom);
});
