// Two real worker threads on one ring: everything written arrives once, in order, with its bytes intact.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Ring } from '../../shm/ring.js';
import { runWorker } from './peers.js';
import type { PeerConfig, PeerResult } from './fixtures/channel-peer.js';

const peer = new URL('./fixtures/channel-peer.ts', import.meta.url);

async function pipe(capacity: number, cfg: Omit<PeerConfig, 'role' | 'ring'>): Promise<{ prod: PeerResult; cons: PeerResult; ring: Ring }> {
  const ring = Ring.create(capacity);
  // A long park timeout, so that a park ending by timeout can only be a lost wake-up, not a slow scheduler
  // (this VM has been seen to stall a runnable thread for over 200 ms under load).
  cfg = { ...cfg, wait: { parkTimeoutMs: 10_000, ...cfg.wait } };
  const c = runWorker<PeerResult>(peer, { ...cfg, role: 'consumer', ring: ring.buffer });
  const p = runWorker<PeerResult>(peer, { ...cfg, role: 'producer', ring: ring.buffer });
  const [prod, cons] = await Promise.all([p.result, c.result]);
  return { prod, cons, ring };
}

function assertExact(prod: PeerResult, cons: PeerResult, count: number): void {
  assert.equal(cons.records, count, 'records received');
  assert.equal(cons.outOfOrder, 0, 'records lost, duplicated or reordered');
  assert.equal(cons.checksum, prod.checksum, 'checksum of (seq, len) over every record');
}

/** A park that ends by timeout instead of a notify is a lost wake-up (the producer only parks on a full ring). */
function assertNoLostWakeups(ring: Ring): void {
  assert.equal(ring.stats().producerTimeouts, 0, 'producer parks that needed their timeout');
}

for (const mode of ['block', 'async'] as const) {
  describe(`channel across threads, ${mode} wait mode`, () => {
    test('10 million records through a 1 MiB ring', async () => {
      const count = 10_000_000;
      const { prod, cons, ring } = await pipe(1 << 20, { count, maxPayload: 24, wait: { mode }, batching: true });
      assertExact(prod, cons, count);
      assertNoLostWakeups(ring);
      // Enough bytes went through to wrap the ring many times.
      assert.ok(count * 12 > 50 * ring.capacity);
    });

    test('200,000 records through a 256-byte ring, every size up to the frame limit', async () => {
      const count = 200_000;
      // 256-byte ring: blocks up to 128 bytes; 4 frame header + 8 record header + 100 payload = 112.
      const { prod, cons, ring } = await pipe(256, { count, maxPayload: 100, wait: { mode }, batching: true, watermarkEvery: 997 });
      assertExact(prod, cons, count);
      assertNoLostWakeups(ring);
      assert.equal(cons.watermarks, Math.floor(count / 997));
      assert.equal(cons.misplacedWatermarks, 0, 'watermarks arrive between the records they were written between');
    });

    for (const [batching, spin, hysteresis] of [[true, 0, true], [true, 512, true], [false, 0, true], [false, 512, true], [true, 0, false], [false, 512, false]] as const) {
      {
        test(`switches: batching ${batching ? 'on' : 'off'}, spinning ${spin ? 'on' : 'off'}, wake hysteresis ${hysteresis ? 'on' : 'off'}`, async () => {
          const count = 100_000;
          const { prod, cons, ring } = await pipe(512, { count, maxPayload: 40, wait: { mode, spin }, batching, hysteresis });
          assertExact(prod, cons, count);
      assertNoLostWakeups(ring);
          if (spin === 0) {
            // With spinning off every wait parks, and on a 512-byte ring the producer is bound to wait.
            assert.ok(ring.stats().producerParks > 0, 'producer parked');
          }
        });
      }
    }

    test('backpressure: a slow consumer parks the producer; memory stays within the ring', async () => {
      const count = 20_000;
      const { prod, cons, ring } = await pipe(1024, { count, maxPayload: 32, wait: { mode }, batching: true, slowEvery: 500, slowMs: 2 });
      assertExact(prod, cons, count);
      assertNoLostWakeups(ring);
      const s = ring.stats();
      assert.ok(s.producerParks > 0, `producer parked (${s.producerParks} parks, ${s.producerFull} full)`);
      assert.ok(prod.maxInFlight <= ring.capacity, `in flight ${prod.maxInFlight} <= ${ring.capacity}`);
    });
  });
}
