// The run's warning for a thread in one call (user code that does not return): said once per episode, naming the
// thread and what runs there; a thread parked or ended is never stuck; nothing is said while the run stops. Counts
// and flags are written here by hand, as the task loops write them.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { watchStuckThreads } from '../../../core/runtime/stuck-watch.js';
import type { PhysicalPlan } from '../../../core/graph/physical-plan.js';
import { DOORBELL_SLOTS, DOORBELL_WAITING, JOB_DOORBELLS, jobControlSlots, jobLoopTurns, LOOP_ENDED } from '../../../shm/layout.js';

const threads = 3;
const plan = {
  threads,
  tasks: [{ name: 'a' }, { name: 'b' }, { name: 'c' }],
  placements: [{ task: 0, subtask: 0, thread: 0 }, { task: 1, subtask: 0, thread: 1 }, { task: 2, subtask: 1, thread: 2 }],
} as unknown as PhysicalPlan;

/** Resolves with the next warning. */
function nextWarning(box: { next?: (m: string) => void }): Promise<string> {
  return new Promise((r) => { box.next = r; });
}

test('a thread in one call is said once per episode, naming it and its tasks; parked and ended threads never', async () => {
  const control = new Int32Array(new SharedArrayBuffer(jobControlSlots(threads) * 4));
  Atomics.store(control, JOB_DOORBELLS + 0 * DOORBELL_SLOTS + DOORBELL_WAITING, 1);  // parked
  Atomics.store(control, jobLoopTurns(threads, 1) + LOOP_ENDED, 1);                  // its tasks ended
  const said: string[] = [];
  const box: { next?: (m: string) => void } = {};
  let stopping = false;
  const watch = watchStuckThreads(control, plan, 40, (m) => { said.push(m); box.next?.(m); }, () => stopping);
  const keep = setInterval(() => {}, 1000); // the watch's timer is unref'd: it keeps no process alive
  try {
    const first = await nextWarning(box);
    assert.match(first, /^thread 2 has been in one call for \d+ s, running c \(subtask 1\): user code that does not return/);
    // Still in the same call: not said again. It turns, then stands still again: a new episode, said again.
    const again = nextWarning(box);
    Atomics.store(control, jobLoopTurns(threads, 2), 5);
    assert.match(await again, /^thread 2 has been in one call/);
    assert.equal(said.length, 2);
    assert.ok(said.every((m) => m.startsWith('thread 2 ')), said.join('\n'));
    // While the run stops, nothing: the thread is terminated after the grace period anyway.
    stopping = true;
    Atomics.store(control, jobLoopTurns(threads, 2), 6);
    const before = said.length;
    await new Promise((r) => setTimeout(r, 200)); // several sample periods, in which it would be said again
    assert.equal(said.length, before);
  } finally {
    watch.close();
    clearInterval(keep);
  }
});

test('0 or Infinity: never', () => {
  const control = new Int32Array(new SharedArrayBuffer(jobControlSlots(threads) * 4));
  for (const ms of [0, Infinity]) watchStuckThreads(control, plan, ms, () => assert.fail('said'), () => false).close();
});
