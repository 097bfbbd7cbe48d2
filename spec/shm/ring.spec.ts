// The ring on one thread: geometry, the full/empty rule, wrap-around, batching and the limits.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Ring, RingConsumer, RingProducer } from '../../shm/ring.js';
import { Doorbell } from '../../shm/doorbell.js';
import { InvalidArgumentError, RecordTooLargeError } from '../../shm/errors.js';

/** Writes one block; with `reserve`, reserves that many bytes and shrinks the block to the payload on commit. */
function put(p: RingProducer, ring: Ring, payload: Uint8Array, reserve = -1): boolean {
  const at = p.tryReserve(reserve >= 0 ? reserve : payload.length);
  if (at < 0) return false;
  ring.bytes.set(payload, at);
  if (reserve >= 0) p.commit(payload.length);
  else p.commit();
  return true;
}

function take(c: RingConsumer, ring: Ring): Uint8Array | undefined {
  const at = c.tryPeek();
  if (at < 0) return undefined;
  const out = ring.bytes.slice(at, at + c.length);
  c.release();
  return out;
}

describe('ring', () => {
  test('rejects capacities that are not powers of two in range', () => {
    for (const bad of [0, 63, 100, 1000, 2 ** 31, 1.5]) assert.throws(() => Ring.create(bad), InvalidArgumentError);
    assert.equal(Ring.create(64).capacity, 64);
  });

  test('attach rejects a buffer that is not a ring', () => {
    assert.throws(() => Ring.attach(new SharedArrayBuffer(512)), InvalidArgumentError);
  });

  test('fills completely: no slot is sacrificed to tell full from empty', () => {
    const ring = Ring.create(64);
    const p = new RingProducer(ring, undefined, { batching: false });
    const c = new RingConsumer(ring, undefined, { batching: false });
    // Four blocks of 12 payload bytes take 16 bytes each: exactly 64.
    for (let i = 0; i < 4; i++) assert.ok(put(p, ring, new Uint8Array(12).fill(i)));
    assert.equal(put(p, ring, new Uint8Array(0)), false, 'full ring refuses even an empty block');
    assert.equal(ring.stats().used, 64);
    for (let i = 0; i < 4; i++) assert.deepEqual(take(c, ring), new Uint8Array(12).fill(i));
    assert.equal(take(c, ring), undefined, 'empty');
    assert.equal(ring.stats().used, 0);
  });

  test('a record over half the ring is a RecordTooLargeError naming the limit and the option', () => {
    const ring = Ring.create(256, 'ringBytes');
    const p = new RingProducer(ring);
    assert.equal(ring.maxPayload, 124);
    assert.ok(p.tryReserve(124) >= 0);
    assert.throws(() => p.tryReserve(125), (e: unknown) => {
      assert.ok(e instanceof RecordTooLargeError);
      assert.equal(e.limit, 124);
      assert.match(e.message, /125 bytes.*124 bytes.*'ringBytes'/);
      return true;
    });
  });

  test('batching: blocks become visible on publish, or at once with batching off', () => {
    for (const batching of [true, false]) {
      const ring = Ring.create(1024);
      const p = new RingProducer(ring, undefined, { batching });
      const c = new RingConsumer(ring, undefined, { batching });
      put(p, ring, new Uint8Array([1, 2, 3]));
      assert.equal(c.hasData(), !batching, `batching ${batching}: visible before publish`);
      p.publish();
      assert.equal(c.hasData(), true);
      assert.deepEqual(take(c, ring), new Uint8Array([1, 2, 3]));
      // The consumer hands space back in batches too, but always when it finds the ring empty.
      assert.equal(take(c, ring), undefined);
      assert.equal(ring.stats().used, 0);
    }
  });

  test('a batch is published by itself once it reaches batchBytes', () => {
    const ring = Ring.create(1024);
    const p = new RingProducer(ring, undefined, { batchBytes: 64 });
    const c = new RingConsumer(ring);
    for (let i = 0; i < 3; i++) put(p, ring, new Uint8Array(12));
    assert.equal(c.hasData(), false, '48 bytes: below the batch');
    put(p, ring, new Uint8Array(12));
    assert.equal(c.hasData(), true, '64 bytes: published');
  });

  test('commit(length) shrinks the reservation: the consumer sees the final length, the rest goes back', () => {
    const ring = Ring.create(256);
    const p = new RingProducer(ring, undefined, { batching: false });
    const c = new RingConsumer(ring, undefined, { batching: false });
    const at = p.tryReserve(100);
    ring.bytes.set([7, 8, 9], at);
    p.commit(3);
    assert.equal(ring.stats().used, 8, 'a 3-byte block: prefix and padding only');
    assert.deepEqual(take(c, ring), new Uint8Array([7, 8, 9]));
    // Shrinking to the reserved length is a plain commit; growing is refused.
    p.tryReserve(5);
    p.commit(5);
    assert.deepEqual(take(c, ring)?.length, 5);
    p.tryReserve(5);
    assert.throws(() => p.commit(9), InvalidArgumentError);
  });

  test('producer hysteresis: a batch wakes a parked consumer once half the ring is unread; publish() always', () => {
    for (const hysteresis of [true, false]) {
      const ring = Ring.create(1024);
      const bell = Doorbell.create(); // its SEQ is slot 0
      const p = new RingProducer(ring, bell, { batchBytes: 64, hysteresis });
      const c = new RingConsumer(ring, bell, { batchBytes: 64 });
      const rings = (): number => Atomics.load(bell.i32, 0);
      // The consumer finds the ring empty and arms its doorbell, as it does before parking.
      assert.equal(c.tryPeek(), -1);
      const seq = bell.arm();
      for (let i = 0; i < 7; i++) put(p, ring, new Uint8Array(60)); // 64-byte blocks: one batch each
      assert.equal(c.hasData(), true, 'the batches are published');
      assert.equal(rings() !== seq, !hysteresis, `hysteresis ${hysteresis}: woken for 448 of 1024 bytes`);
      put(p, ring, new Uint8Array(60));
      assert.notEqual(rings(), seq, '512 bytes unread: half the ring wakes it either way');
      // Below the threshold again, publish() wakes at once.
      for (let b = take(c, ring); b; b = take(c, ring));
      const seq2 = bell.arm();
      put(p, ring, new Uint8Array(10));
      assert.equal(rings(), seq2, 'a part batch: not even published');
      p.publish();
      assert.notEqual(rings(), seq2, 'publish() wakes');
      bell.disarm();
    }
  });

  test('regression: a ring that fills up while a wake is held back still wakes the consumer when the producer waits', () => {
    // Before the fix both sides parked: the batch had been published (no wake, below half the ring), so the
    // publish() before the producer's park had nothing new to publish and did not ring either.
    const ring = Ring.create(256);
    const bell = Doorbell.create();
    const p = new RingProducer(ring, bell, { batchBytes: 64 });
    const c = new RingConsumer(ring, bell, { batchBytes: 64 });
    put(p, ring, new Uint8Array(60));
    p.publish();
    assert.ok(take(c, ring));
    assert.equal(c.tryPeek(), -1);
    const seq = bell.arm();
    assert.ok(put(p, ring, new Uint8Array(120)), 'a 124-byte block at offset 64');
    assert.equal(Atomics.load(bell.i32, 0), seq, 'published, wake held: 124 of 256 bytes unread');
    assert.equal(put(p, ring, new Uint8Array(120)), false, 'the next one needs the wrap: full');
    p.publish(); // what the producer does before it parks on a full ring
    assert.notEqual(Atomics.load(bell.i32, 0), seq, 'the held wake is rung');
    bell.disarm();
  });

  test('with batching off every block wakes a parked consumer, hysteresis or not', () => {
    const ring = Ring.create(1024);
    const bell = Doorbell.create();
    const p = new RingProducer(ring, bell, { batching: false });
    const seq = bell.arm();
    put(p, ring, new Uint8Array(4));
    assert.notEqual(Atomics.load(bell.i32, 0), seq);
  });

  test('property: any sequence of block sizes round-trips in order across wrap-arounds', () => {
    fc.assert(fc.property(
      fc.constantFrom(64, 128, 256, 1024),
      fc.array(fc.tuple(fc.nat({ max: 1000 }), fc.nat({ max: 1000 })), { minLength: 1, maxLength: 300 }),
      fc.boolean(),
      (capacity, sizes, batching) => {
        const ring = Ring.create(capacity);
        const p = new RingProducer(ring, undefined, { batching });
        const c = new RingConsumer(ring, undefined, { batching });
        const sent: Uint8Array[] = [];
        const got: Uint8Array[] = [];
        let n = 0;
        for (const [s, extra] of sizes) {
          const block = new Uint8Array(s % (ring.maxPayload + 1)).map((_, i) => (n * 7 + i) & 0xff);
          // Every other block reserves more than it commits, as a bounded encoder does.
          const reserve = n % 2 === 0 ? block.length : Math.min(ring.maxPayload, block.length + extra);
          n++;
          for (;;) {
            if (put(p, ring, block, reserve)) break;
            p.publish();
            const b = take(c, ring);
            if (b) { got.push(b); continue; }
            // No block to read: the consumer was holding back freed space, which finding the ring empty has
            // just handed back, and an empty ring takes any block up to maxPayload.
            assert.ok(put(p, ring, block, reserve), 'an empty ring takes the block');
            break;
          }
          sent.push(block);
        }
        p.publish();
        for (let b = take(c, ring); b; b = take(c, ring)) got.push(b);
        assert.deepEqual(got, sent);
      }), { numRuns: 300 });
  });
});
