// Which threads are stuck in one call: a thread whose loop-turn count stands still while it is neither parked on
// its doorbell nor ended. Counts and flags are written here by hand, as the task loops write them.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LoopWatch } from '../../../core/runtime/loop-watch.js';
import { DOORBELL_SLOTS, DOORBELL_WAITING, JOB_DOORBELLS, jobControlSlots, jobLoopTurns, LOOP_ENDED } from '../../../shm/layout.js';

/** Lets `ms` of wall time pass (the quantity under test is how long a count stood still). */
const pass = (ms: number): void => { Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms); };

test('only a thread that neither turned, nor parked, nor ended since the last sample is stuck, for as long as that', () => {
  const threads = 4;
  const control = new Int32Array(new SharedArrayBuffer(jobControlSlots(threads) * 4));
  const watch = new LoopWatch(control, threads);
  for (let t = 0; t < threads; t++) Atomics.store(control, jobLoopTurns(threads, t), 1);
  watch.sample();
  pass(30);
  Atomics.store(control, jobLoopTurns(threads, 0), 2);                                 // turned
  Atomics.store(control, JOB_DOORBELLS + 1 * DOORBELL_SLOTS + DOORBELL_WAITING, 1);   // parked
  Atomics.store(control, jobLoopTurns(threads, 2) + LOOP_ENDED, 1);                   // its tasks ended
  const stuck = watch.stuck(20);
  assert.deepEqual(stuck.map((s) => s.thread), [3]);
  assert.ok(stuck[0]!.inCallMs >= 30, `${stuck[0]!.inCallMs} ms`);
  // Once it turns, it is not stuck; the others stay as they are.
  Atomics.store(control, jobLoopTurns(threads, 3), 2);
  assert.deepEqual(watch.stuck(20), []);
});

test('the loop-turn lines follow the doorbells, a cache line each, inside the control buffer', () => {
  for (const threads of [1, 2, 7]) {
    const first = jobLoopTurns(threads, 0);
    assert.ok(first >= JOB_DOORBELLS + threads * DOORBELL_SLOTS, 'after every doorbell');
    assert.equal(jobLoopTurns(threads, 1) - first, 16, 'a cache line apart');
    assert.ok(jobLoopTurns(threads, threads - 1) + LOOP_ENDED < jobControlSlots(threads), 'inside the buffer');
  }
});
