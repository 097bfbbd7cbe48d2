// Each subtask gets its own copy of a user's function object (core/operators/own-instance.ts): what open() keeps
// on `this` is that subtask's. Whole jobs with two subtasks of the operator on one thread.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OperatorError, run } from '../../../core/index.js';

// Regression (a user trial): the handler object was shared by the subtasks of a thread, so the handle the last
// subtask's open() kept was every subtask's: counts of 1778 and 1880 where each key had 300.
for (const kind of ['process', 'co-map', 'broadcast'] as const) {
  test(`state handles kept on this in open(), two subtasks on one thread (${kind}): each key counts its own 300`, async () => {
    const h = await run<{ out: [number, number][] }>(new URL(`./jobs/open-handles.ts?kind=${kind}`, import.meta.url), { parallelism: 2, threads: 1 });
    assert.equal(h.plan.threads, 1);
    const { collected } = await h.result;
    const last = new Map<number, number>();
    for (const [k, n] of collected.out) last.set(k, Math.max(last.get(k) ?? 0, n));
    assert.deepEqual([...last].sort((a, b) => a[0] - b[0]), Array.from({ length: 10 }, (_, k) => [k, 300]));
  });
}

// Regression (a user trial): open() has no key, and a timer registered there belonged to key '' on every subtask: it
// fired once per subtask, on subtasks that do not own that key too.
test('a timer registered in open() fails the job, saying no key is set there, under any error policy', async () => {
  const h = await run(new URL('./jobs/open-handles.ts?kind=timer-in-open', import.meta.url), { parallelism: 2, threads: 1 });
  await assert.rejects(h.result, (e: unknown) => {
    assert.ok(e instanceof OperatorError, String(e));
    assert.match(e.message, /^operator 'counts' \(subtask \d\) failed: a timer registered or deleted in open\(\): no key is set there/);
    return true;
  });
});

// Regression: open() has no key, and state written there went to key '' of every subtask (a key no record has,
// read back by nothing), silently; now refused as the timer above is, naming the state too.
test('keyed state written in open() fails the job, naming the operator and the state, under any error policy', async () => {
  const h = await run(new URL('./jobs/open-handles.ts?kind=state-in-open', import.meta.url), { parallelism: 2, threads: 1 });
  await assert.rejects(h.result, (e: unknown) => {
    assert.ok(e instanceof OperatorError, String(e));
    assert.match(e.message, /^operator 'counts' \(subtask \d\) failed: state 'cnt' read or written in open\(\), where no key is set/);
    return true;
  });
});
