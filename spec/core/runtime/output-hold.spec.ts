// Readers of collect sinks hold a checkpointed run's sources (shm/layout.ts, JOB_OUTPUT_HOLD): from the bound
// unread to half of it, counted over sinks, carried into the next attempt, rung only when the last lets go.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JOB_OUTPUT_HOLD } from '../../../shm/layout.js';
import { OutputHold, OutputHolds } from '../../../core/runtime/output-hold.js';
import { OutputStream } from '../../../core/runtime/output-stream.js';

test('output hold: set at the bound unread, let go at half of it, counted over sinks, a ring only when none holds', () => {
  const control = new Int32Array(16);
  let rings = 0;
  const holds = new OutputHolds();
  holds.attach(control, () => { rings++; });
  const a = new OutputHold(holds, 3, 10);
  const b = new OutputHold(holds, 5, 4);
  a.queued(9);
  assert.equal(control[JOB_OUTPUT_HOLD], 0);
  a.queued(10);
  assert.equal(control[JOB_OUTPUT_HOLD], 1);
  a.queued(30);
  assert.equal(control[JOB_OUTPUT_HOLD], 1, 'one sink counts once');
  b.queued(4);
  assert.equal(control[JOB_OUTPUT_HOLD], 2);
  a.took(6);
  assert.equal(control[JOB_OUTPUT_HOLD], 2, 'still more than half the bound unread');
  a.took(5);
  assert.equal(control[JOB_OUTPUT_HOLD], 1);
  assert.equal(rings, 0, 'another sink still holds: no ring');
  b.stop();
  assert.equal(control[JOB_OUTPUT_HOLD], 0);
  assert.equal(rings, 1);
  a.took(0);
  assert.equal(rings, 1, 'nothing to let go: no ring');
});

test('output hold: a new attempt starts held while a reader is behind; between attempts nothing is written', () => {
  const first = new Int32Array(16);
  const holds = new OutputHolds();
  holds.attach(first, () => {});
  const h = new OutputHold(holds, 0, 2);
  h.queued(2);
  holds.detach();
  h.queued(3);
  const second = new Int32Array(16);
  holds.attach(second, () => {});
  assert.equal(second[JOB_OUTPUT_HOLD], 1);
  h.took(1);
  assert.equal(second[JOB_OUTPUT_HOLD], 0);
  assert.equal(first[JOB_OUTPUT_HOLD], 1, 'the old attempt\'s buffer is left alone');
});

test('output stream: tells its flow what waits unread as records come and go', async () => {
  const seen: string[] = [];
  const s = new OutputStream<number>(() => {}, { start() {}, queued: (n) => seen.push(`q${n}`), took: (n) => seen.push(`t${n}`), stop: () => seen.push('stop'), holding: () => false });
  const waiting = s.next();
  s.deliver([1, 2, 3]);
  assert.deepEqual(await waiting, { value: 1, done: false });
  await s.next();
  s.deliver([]);
  await s.return();
  assert.deepEqual(seen, ['t0', 'q2', 't1', 'stop']);
});

test('output stream: a reader that holds the job and reads nothing is told of once per stall, and only while it holds', async () => {
  let holding = false;
  const told: number[] = [];
  const s = new OutputStream<number>(() => {}, { start() {}, took() {}, stop() {}, holding: () => holding }, (_ms, unread) => told.push(unread), 20);
  const until = async (ok: () => boolean): Promise<void> => {
    for (let k = 0; !ok(); k++) {
      if (k === 2000) assert.fail('never told');
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  s.deliver([1, 2, 3]);
  // Not holding: a reader may take its time.
  const quietUntil = performance.now() + 60;
  await until(() => performance.now() > quietUntil);
  assert.deepEqual(told, []);
  holding = true;
  await until(() => told.length === 1);
  assert.deepEqual(told, [3]);
  const again = performance.now() + 60;
  await until(() => performance.now() > again);
  assert.deepEqual(told, [3], 'once per stall');
  // A read ends the stall; the next one is told of again.
  await s.next();
  await until(() => told.length === 2);
  assert.deepEqual(told, [3, 2]);
  await s.return();
});
