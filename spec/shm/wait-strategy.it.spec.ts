// Waiting threads: an async waiter stays alive (nodejs/node#44729), and an abort ends every wait, never a hang.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import { Ring, RingProducer } from '../../shm/ring.js';
import { ChannelWriter } from '../../shm/channel.js';
import { seqCodec } from './fixtures/seq-codec.js';
import { runWorker } from './peers.js';

const parked = new URL('./fixtures/async-parked.ts', import.meta.url);

/** Resolves once the ring's consumer has parked at least `n` times (a shared counter the worker bumps); fails after 30 s. */
async function consumerParks(ring: Ring, n: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (ring.stats().consumerParks < n) {
    assert.ok(Date.now() < deadline, `the consumer parked ${ring.stats().consumerParks} times, not ${n}, within 30 s`);
    await delay(5);
  }
}

describe('async wait mode keeps its worker alive', () => {
  test('hazard, guard off: a worker whose only pending work is Atomics.waitAsync exits silently', async () => {
    const ring = Ring.create(1024);
    const { worker, result } = runWorker(parked, { ring: ring.buffer, keepAlive: false, mode: 'async' });
    result.catch(() => {});
    const [code] = await once(worker, 'exit');
    // 13: Node's exit code for a module whose top-level await never settled. The peer would wait forever.
    assert.equal(code, 13);
    assert.ok(ring.stats().consumerParks >= 1, 'it had parked');
  });

  test('guard on: the parked worker stays alive across many park timeouts and receives the record', async () => {
    const ring = Ring.create(1024);
    const { result } = runWorker<{ seq: number }>(parked, { ring: ring.buffer, keepAlive: true, mode: 'async' });
    // 20 ms park timeout: ten parks means the worker outlived the point where the unguarded one exited.
    await consumerParks(ring, 10);
    const w = new ChannelWriter(new RingProducer(ring), seqCodec().encoder());
    w.write({ seq: 42, len: 3 });
    w.flush();
    assert.deepEqual(await result, { seq: 42 });
  });
});

describe('abort ends every wait', () => {
  for (const mode of ['block', 'async'] as const) {
    test(`a consumer parked on an empty ring (${mode}) gets ChannelAbortedError`, async () => {
      const ring = Ring.create(1024);
      const { result } = runWorker<{ error: string }>(parked, { ring: ring.buffer, keepAlive: true, mode });
      await consumerParks(ring, 1);
      ring.abort();
      assert.deepEqual(await result, { error: 'ChannelAbortedError' });
    });
  }

  test('a producer parked on a full ring gets ChannelAbortedError', async () => {
    const ring = Ring.create(128);
    const w = new ChannelWriter(new RingProducer(ring), seqCodec().encoder(), { wait: { mode: 'async', spin: 0 } });
    let blocked: void | Promise<void> = undefined;
    for (let seq = 0; !blocked; seq++) blocked = w.write({ seq, len: 8 });
    assert.ok(ring.stats().producerFull > 0);
    ring.abort();
    await assert.rejects(blocked, { name: 'ChannelAbortedError' });
  });
});
