// The doorbell a consumer thread parks on. What matters is the lost wake-up: a producer that rings after the
// consumer armed (said it is about to park) must make the park return, even when the ring comes before the park
// starts; and a ring nobody armed for costs nothing (no SEQ change, no notify).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { Doorbell } from '../../shm/doorbell.js';
import { DOORBELL_SEQ, DOORBELL_SLOTS, DOORBELL_WAITING, jobControlSlots, jobDoorbell } from '../../shm/layout.js';
import { waitAsync } from '../../shm/wait-async.js';
import { runWorker } from './peers.js';

const seqOf = (b: Doorbell, base = 0): number => Atomics.load(b.i32, base + DOORBELL_SEQ);
const waitingOf = (b: Doorbell, base = 0): number => Atomics.load(b.i32, base + DOORBELL_WAITING);

/** Awaits `p` with the event loop held open: a pending Atomics.waitAsync alone does not (nodejs/node#44729). */
async function held<T>(p: Promise<T>): Promise<T> {
  const timer = setInterval(() => {}, 1_000);
  try { return await p; } finally { clearInterval(timer); }
}

/** How long `fn` blocked the thread, ms. */
function blockedFor(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

test('ring does nothing unless the consumer armed; after arm it moves SEQ; after disarm nothing again', () => {
  const bell = Doorbell.create();
  assert.equal(bell.i32.length, DOORBELL_SLOTS, 'a buffer of its own');
  bell.ring();
  assert.equal(seqOf(bell), 0, 'not armed: no wake-up');
  const seq = bell.arm();
  assert.equal(seq, 0);
  assert.equal(waitingOf(bell), 1);
  bell.ring();
  assert.equal(seqOf(bell), 1);
  bell.ring();
  assert.equal(seqOf(bell), 2, 'every ring while armed moves it');
  bell.disarm();
  assert.equal(waitingOf(bell), 0);
  bell.ring();
  assert.equal(seqOf(bell), 2);
  // arm returns where SEQ is now.
  assert.equal(bell.arm(), 2);
});

test('ringAlways moves SEQ whether or not the consumer armed', () => {
  const bell = Doorbell.create();
  bell.ringAlways();
  assert.equal(seqOf(bell), 1);
  assert.equal(waitingOf(bell), 0, 'and does not touch the consumer\'s flag');
});

test('a ring between arm and park makes the park return at once (no lost wake-up)', () => {
  const bell = Doorbell.create();
  const seq = bell.arm();
  bell.ring();
  // Had the ring been lost, this would block for a minute.
  assert.ok(blockedFor(() => bell.park(seq, 60_000)) < 5_000);
  bell.disarm();
  // Same for ringAlways, which needs no arm.
  const seq2 = seqOf(bell);
  bell.ringAlways();
  assert.ok(blockedFor(() => bell.park(seq2, 60_000)) < 5_000);
});

test('with no ring, park waits for its timeout', () => {
  const bell = Doorbell.create();
  const seq = bell.arm();
  assert.ok(blockedFor(() => bell.park(seq, 30)) >= 25, 'it parked');
  bell.disarm();
});

test('SEQ wraps around at 2^31 and a ring across the wrap still wakes', () => {
  const bell = Doorbell.create();
  Atomics.store(bell.i32, DOORBELL_SEQ, 0x7fff_ffff);
  const seq = bell.arm();
  bell.ring();
  assert.equal(seqOf(bell), -0x8000_0000);
  assert.ok(blockedFor(() => bell.park(seq, 60_000)) < 5_000);
});

test('doorbells side by side in one buffer (job control) do not ring one another', () => {
  const control = new SharedArrayBuffer(jobControlSlots(3) * 4);
  const bells = [0, 1, 2].map((t) => new Doorbell(control, jobDoorbell(t)));
  for (const b of bells) b.arm();
  bells[1]!.ring();
  bells[1]!.ringAlways();
  assert.deepEqual([0, 1, 2].map((t) => seqOf(bells[t]!, jobDoorbell(t))), [0, 2, 0]);
  bells[0]!.disarm();
  assert.deepEqual([0, 1, 2].map((t) => waitingOf(bells[t]!, jobDoorbell(t))), [0, 1, 1]);
  // Nothing outside the doorbells' slots was written.
  const i32 = new Int32Array(control);
  for (let i = 0; i < i32.length; i++) {
    const t = Math.floor((i - jobDoorbell(0)) / DOORBELL_SLOTS);
    const inBell = t >= 0 && t < 3 && [DOORBELL_SEQ, DOORBELL_WAITING].includes(i - jobDoorbell(t));
    if (!inBell) assert.equal(i32[i], 0, `slot ${i}`);
  }
});

test('parkAsync: undefined when rung since arm; else a promise that a ring resolves, or its timeout', { timeout: 10_000 }, async () => {
  const bell = Doorbell.create();
  const seq = bell.arm();
  bell.ring();
  assert.equal(bell.parkAsync(seq, 60_000), undefined, 'rung since arm: no wait at all');
  const seq2 = bell.arm();
  const parked = bell.parkAsync(seq2, 60_000);
  assert.ok(parked instanceof Promise);
  bell.ring();
  assert.equal(await held(parked!), 'ok');
  const seq3 = bell.arm();
  assert.equal(await held(bell.parkAsync(seq3, 20)!), 'timed-out');
  bell.disarm();
});

test('a consumer thread parked on the doorbell is woken by every ring, one that lands between its check and its park too', async () => {
  // The producer publishes item i and rings; the consumer acknowledges it. In odd rounds the ring comes after the
  // consumer checked its input and before it parks (the race the protocol closes); in even rounds the consumer
  // has usually parked already. A lost wake-up leaves it parked for a minute, and this side's bounded wait for
  // its acknowledgement fails.
  const rounds = 400;
  const bell = Doorbell.create();
  const signals = new SharedArrayBuffer(16);
  const sig = new Int32Array(signals);
  const { result, worker } = runWorker<{ parks: number; emptyWakes: number }>(new URL('./fixtures/doorbell-peer.ts', import.meta.url),
    { bell: bell.i32.buffer, signals, rounds, parkTimeoutMs: 60_000 });
  // A failed round terminates the worker: its result's rejection then is not this test's failure.
  result.catch(() => {});
  /** Waits (bounded) until `slot` holds `value`. */
  // The first round's bound takes in the worker's start (tsx compiling its fixture) on a loaded machine.
  const until = async (slot: number, value: number, what: string, boundMs = 10_000): Promise<void> => {
    for (;;) {
      const now = Atomics.load(sig, slot);
      if (now === value) return;
      const r = waitAsync(sig, slot, now, boundMs);
      if (r.async) assert.equal(await held(r.value), 'ok', what);
    }
  };
  try {
    for (let i = 1; i <= rounds; i++) {
      if (i % 2 === 1) await until(2, i, `round ${i}: the consumer did not arm in time`, i === 1 ? 60_000 : 10_000);
      Atomics.store(sig, 0, i);
      bell.ring();
      Atomics.store(sig, 3, i);
      await until(1, i, `round ${i}: the consumer did not acknowledge within 10 s (a lost wake-up)`);
    }
    const { parks, emptyWakes } = await result;
    assert.ok(parks >= rounds / 2, `the consumer parked (${parks} times)`);
    // Every park ended because of a ring for data that was there: none timed out, none woke for nothing.
    assert.equal(emptyWakes, 0);
  } finally {
    await worker.terminate();
  }
});
