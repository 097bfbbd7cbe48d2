// waitAsync: Atomics.waitAsync under a type of its own (older TypeScript libs lack it). Callers (rings, doorbells)
// rely on its two shapes: a result now (the value had moved, or a zero timeout) or a promise that a notify from
// any thread, or the timeout, settles.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { waitAsync } from '../../shm/wait-async.js';

const shared = (): Int32Array => new Int32Array(new SharedArrayBuffer(16));

/** Awaits `p` with the event loop held open: a pending Atomics.waitAsync alone does not (nodejs/node#44729). */
async function held<T>(p: Promise<T>): Promise<T> {
  const timer = setInterval(() => {}, 1_000);
  try { return await p; } finally { clearInterval(timer); }
}

test('a value that already moved: not-equal, now, whatever the timeout', () => {
  const i32 = shared();
  Atomics.store(i32, 1, 5);
  assert.deepEqual(waitAsync(i32, 1, 4, 60_000), { async: false, value: 'not-equal' });
  assert.deepEqual(waitAsync(i32, 1, 4), { async: false, value: 'not-equal' });
});

test('a zero or negative timeout: timed-out, now', () => {
  const i32 = shared();
  assert.deepEqual(waitAsync(i32, 0, 0, 0), { async: false, value: 'timed-out' });
  assert.deepEqual(waitAsync(i32, 0, 0, -1), { async: false, value: 'timed-out' });
});

test('otherwise a promise: timed-out after the timeout', { timeout: 10_000 }, async () => {
  const i32 = shared();
  const r = waitAsync(i32, 0, 0, 20);
  assert.equal(r.async, true);
  assert.equal(await held(r.value as Promise<string>), 'timed-out');
});

test('a notify from another thread resolves it with ok, without a timeout too', async () => {
  for (const timeout of [60_000, undefined]) {
    const i32 = shared();
    // Waiting before the thread starts: its notify cannot come first.
    const r = waitAsync(i32, 2, 0, timeout);
    assert.equal(r.async, true);
    const worker = new Worker('const { workerData: a } = require("node:worker_threads"); Atomics.store(a, 2, 1); Atomics.notify(a, 2);', { eval: true, workerData: i32 });
    try {
      assert.equal(await held(r.value as Promise<string>), 'ok', `timeout ${timeout}`);
      assert.equal(Atomics.load(i32, 2), 1);
    } finally {
      await worker.terminate();
    }
  }
});

test('a notify on another index does not resolve it', { timeout: 10_000 }, async () => {
  const i32 = shared();
  const r = waitAsync(i32, 0, 0, 50);
  assert.equal(Atomics.notify(i32, 1), 0, 'nobody waits on index 1');
  assert.equal(await held(r.value as Promise<string>), 'timed-out');
});

test('misuse throws as Atomics.waitAsync does: an unshared array (TypeError), an index out of range (RangeError)', () => {
  assert.throws(() => waitAsync(new Int32Array(4), 0, 0, 0), TypeError);
  assert.throws(() => waitAsync(shared(), 4, 0, 0), RangeError);
});
