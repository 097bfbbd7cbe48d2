// The channel on one thread: order of records and control frames, end of stream, and its errors.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Ring, RingConsumer, RingProducer } from '../../shm/ring.js';
import { ChannelReader, ChannelWriter, CONTROL, EMPTY, END, RECORD } from '../../shm/channel.js';
import { ChannelClosedError, InvalidArgumentError, RecordTooLargeError } from '../../shm/errors.js';
import { genericCodec } from '../../shm/codec/generic.js';
import fc from 'fast-check';
import { typedCodec } from '../../shm/codec/typed.js';
import { optional, recordSchema, type Infer } from '../../shm/codec/schema.js';
import { frameLength } from '../../shm/frame.js';
import type { RecordCodec } from '../../shm/codec/codec.js';

function pair(capacity = 4096, batches = false) {
  const ring = Ring.create(capacity);
  const codec = genericCodec<unknown>();
  return {
    ring,
    w: new ChannelWriter(new RingProducer(ring), codec.encoder(), { batches }),
    r: new ChannelReader(new RingConsumer(ring), codec.decoder(), { batches }),
  };
}

test('records and control frames arrive in the order written; end of stream closes both sides', async () => {
  const { w, r } = pair();
  w.write({ a: 1 });
  w.control({ type: 'watermark', timestamp: 10 });
  w.write({ a: 2 });
  w.control({ type: 'barrier', checkpointId: 1, timestampMs: 5, unaligned: false, savepoint: false });
  w.close();
  const seen: unknown[] = [];
  for await (const item of r) seen.push(item.record ?? item.control);
  assert.deepEqual(seen, [
    { a: 1 }, { type: 'watermark', timestamp: 10 }, { a: 2 },
    { type: 'barrier', checkpointId: 1, timestampMs: 5, unaligned: false, savepoint: false },
  ]);
  assert.equal(r.poll(), END);
  assert.throws(() => w.write({ a: 3 }), ChannelClosedError);
});

test('poll never waits: EMPTY until a flush publishes the batch', () => {
  const { w, r } = pair();
  assert.equal(r.poll(), EMPTY);
  w.write('x');
  assert.equal(r.poll(), EMPTY, 'batched, not yet published');
  w.flush();
  assert.equal(r.poll(), RECORD);
  assert.equal(r.record, 'x');
  w.control({ type: 'watermark', timestamp: 1 });
  assert.equal(r.poll(), CONTROL, 'control frames publish at once');
});

// Regression: a control frame the ring could never hold was refused as a "record of N bytes".
test('a control frame larger than the ring can hold is said as one, of its type, however it is written; nothing is written', () => {
  const barrier = { type: 'barrier' as const, checkpointId: 1, timestampMs: 5, unaligned: false, savepoint: false };
  // 128 bytes: its end of stream (44) fits in the frame limit of 60, a barrier (72) does not.
  const { w, r } = pair(128);
  for (const write of [() => w.control(barrier), () => w.tryControl(barrier), () => w.tryPriorityControl(barrier)]) {
    assert.throws(write, (e: unknown) => {
      assert.ok(e instanceof RecordTooLargeError);
      assert.match(e.message, /^control frame \(barrier\) of \d+ bytes exceeds the ring's frame limit of 60 bytes \(half the ring\); raise it with the 'ringBytes' option$/);
      assert.equal(e.controlFrame, 'barrier');
      return true;
    });
  }
  assert.equal(r.poll(), EMPTY);
  assert.equal(w.isClosed, false);
  // A record is still a record.
  assert.throws(() => w.write('y'.repeat(200)), (e: unknown) => e instanceof RecordTooLargeError && /^record of \d+ bytes/.test(e.message) && e.controlFrame === undefined);
});

test('a record larger than the ring can hold is a RecordTooLargeError naming the limit and the option', () => {
  const { w } = pair(256);
  assert.throws(() => w.write('y'.repeat(500)), (e: unknown) => {
    assert.ok(e instanceof RecordTooLargeError);
    assert.match(e.message, /exceeds the ring's frame limit of 124 bytes.*'ringBytes'/);
    return true;
  });
});

describe('an async writer waiting for room (regression: a second write raced it for the same reservation, reordering records or corrupting the ring)', () => {
  function asyncPair() {
    const ring = Ring.create(256);
    const codec = genericCodec<string>();
    return {
      w: new ChannelWriter(new RingProducer(ring), codec.encoder(), { wait: { mode: 'async', parkTimeoutMs: 10_000 } }),
      r: new ChannelReader(new RingConsumer(ring), codec.decoder()),
    };
  }

  /** Fills the ring with records until a write must wait; returns the records written and the waiting write. */
  function fillUntilWaiting(w: ChannelWriter<string>): { sent: string[]; waiting: Promise<void> } {
    const sent: string[] = [];
    for (let i = 0; ; i++) {
      const v = `r${i}`.padEnd(40, '.');
      sent.push(v);
      const p = w.write(v);
      if (p !== undefined) return { sent, waiting: p };
    }
  }

  for (const second of ['write', 'control', 'close', 'priority control'] as const) {
    test(`${second} while it waits is refused; the waiting record then arrives in order`, async () => {
      const { w, r } = asyncPair();
      const { sent, waiting } = fillUntilWaiting(w);
      const call = (): unknown => second === 'write' ? w.write('late')
        : second === 'control' ? w.control({ type: 'watermark', timestamp: 7 })
        : second === 'close' ? w.close()
        : w.tryPriorityControl({ type: 'watermark', timestamp: 7 });
      assert.throws(call, (e: unknown) => e instanceof InvalidArgumentError && /still waiting for room/.test(e.message));
      const got: string[] = [];
      const read = (): void => { while (r.poll() === RECORD) got.push(r.record as string); };
      read();
      await waiting;
      assert.equal(w.isClosed, false, 'the refused call changed nothing');
      const more = w.write('after');
      if (more !== undefined) { read(); await more; }
      w.flush();
      read();
      assert.deepEqual(got, [...sent, 'after']);
    });
  }

  test('a commit without a reservation is refused (it moved the write position back by one)', () => {
    const producer = new RingProducer(Ring.create(256));
    assert.throws(() => producer.commit(), (e: unknown) => e instanceof InvalidArgumentError && /commit without a reservation/.test(e.message));
  });

  test('a ring too small for the channel\'s end of stream is refused when the writer is made (its reader would wait for good)', () => {
    const codec = genericCodec<string>();
    assert.throws(() => new ChannelWriter(new RingProducer(Ring.create(64)), codec.encoder()),
      (e: unknown) => e instanceof InvalidArgumentError && /ring of 64 bytes cannot carry a control frame/.test(e.message));
    assert.doesNotThrow(() => new ChannelWriter(new RingProducer(Ring.create(128)), codec.encoder()));
  });
});

test('batch frames: records of a batch come out one by one, in order with control frames', async () => {
  const { w, r } = pair(4096, true);
  assert.equal(w.tryWriteBatch([{ a: 1 }, { a: 2 }, { a: 3 }]), true);
  w.control({ type: 'watermark', timestamp: 7 });
  assert.equal(w.tryWriteBatch([{ a: 4 }]), true);
  w.close();
  assert.equal(r.poll(), RECORD);
  assert.deepEqual(r.record, { a: 1 });
  assert.equal(r.hasBuffered, true, 'the rest of the batch is ready without the ring');
  const rest: unknown[] = [];
  for await (const item of r) rest.push(item.record ?? item.control);
  assert.deepEqual(rest, [{ a: 2 }, { a: 3 }, { type: 'watermark', timestamp: 7 }, { a: 4 }]);
  assert.equal(r.records, 4);
});

test('batch frames are refused by a channel that did not agree on them', () => {
  const ring = Ring.create(4096);
  const codec = genericCodec<unknown>();
  const w = new ChannelWriter(new RingProducer(ring), codec.encoder(), { batches: true });
  const r = new ChannelReader(new RingConsumer(ring), codec.decoder());
  w.tryWriteBatch([1, 2]);
  w.flush();
  assert.throws(() => r.poll(), /did not agree on batches/);
  const plain = pair();
  assert.throws(() => plain.w.tryWriteBatch([1]), /batch frames are off/);
});

test('record timestamps travel with records and batches; records without one read NaN and cost no bytes', () => {
  fc.assert(fc.property(
    fc.array(fc.tuple(fc.integer({ min: 1, max: 5 }), fc.boolean(), fc.array(fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constant(NaN)), { minLength: 5, maxLength: 5 })), { maxLength: 30 }),
    fc.boolean(),
    (items, checksums) => {
      const ring = Ring.create(1 << 16);
      const codec = genericCodec<unknown>();
      const w = new ChannelWriter(new RingProducer(ring), codec.encoder(), { batches: true, checksums });
      const r = new ChannelReader(new RingConsumer(ring), codec.decoder(), { batches: true, checksums });
      const expected: [unknown, number][] = [];
      let k = 0;
      for (const [n, asBatch, tss] of items) {
        const values = Array.from({ length: n }, () => ({ k: k++ }));
        if (asBatch) {
          assert.equal(w.tryWriteBatch(values, tss.slice(0, n)), true);
          values.forEach((v, i) => expected.push([v, tss[i]!]));
        } else {
          for (let i = 0; i < n; i++) { assert.equal(w.tryWrite(values[i], tss[i]), true); expected.push([values[i], tss[i]!]); }
        }
      }
      w.close();
      const seen: [unknown, number][] = [];
      while (r.poll() === RECORD) seen.push([r.record, r.timestamp]);
      assert.deepEqual(seen, expected);
    }), { numRuns: 200 });
});

test('a record without a timestamp takes no more ring bytes than before timestamps existed', () => {
  const a = pair();
  a.w.write({ x: 1 });
  a.w.flush();
  const plain = a.ring.stats().used;
  const b = pair();
  b.w.write({ x: 1 }, 5);
  b.w.flush();
  assert.equal(b.ring.stats().used, plain + 8);
  assert.equal(b.r.poll(), RECORD);
  assert.equal(b.r.timestamp, 5);
});

describe('typed records through the bounded path (the encoder reserves an upper bound, the ring keeps what it wrote)', () => {
  const schema = recordSchema({ id: 'i64', name: 'string', note: optional('string') });
  type Rec = Infer<typeof schema>;
  const records: Rec[] = ['', 'ascii', 'é'.repeat(9), '😀 and \uD800', 'x'.repeat(200)].map((name, id) => ({ id, name, note: id % 2 ? 'n' : undefined }));

  for (const bounded of [true, false]) {
    for (const checksums of [false, true]) {
      test(`bounded ${bounded}, checksums ${checksums}: records round-trip and take exactly their size in the ring`, () => {
        const codec = typedCodec(schema, { bounded });
        const ring = Ring.create(4096);
        const w = new ChannelWriter(new RingProducer(ring), codec.encoder(), { checksums });
        const r = new ChannelReader(new RingConsumer(ring), codec.decoder(), { checksums });
        const sizer = codec.encoder();
        let used = 0;
        for (const rec of records) {
          // Odd ids carry a timestamp: the bound and the shrink account for the timestamp section.
          w.write(rec, rec.id % 2 ? rec.id * 10 : NaN);
          used += (4 + frameLength(sizer.size(rec), checksums, rec.id % 2 ? 8 : 0) + 3) & ~3;
        }
        assert.equal(ring.stats().used + w.producer.unpublished, used, 'no reserved byte is left behind');
        w.close();
        const got: Rec[] = [];
        const tss: number[] = [];
        while (r.take() === RECORD) { got.push(r.record!); tss.push(r.timestamp); }
        assert.deepEqual(got, records.map((x) => ({ ...x, name: x.name.toWellFormed() })));
        assert.deepEqual(tss, records.map((x) => (x.id % 2 ? x.id * 10 : NaN)));
      });
    }
  }

  test('a record whose bound exceeds the frame limit but whose size fits is measured and written exactly', () => {
    const codec = typedCodec(schema);
    const ring = Ring.create(256);
    const w = new ChannelWriter(new RingProducer(ring), codec.encoder());
    const r = new ChannelReader(new RingConsumer(ring), codec.decoder());
    const rec: Rec = { id: 1, name: 'y'.repeat(60), note: undefined };
    assert.ok(codec.encoder().bound!(rec) > ring.maxPayload);
    w.write(rec);
    w.flush();
    assert.equal(r.poll(), RECORD);
    assert.deepEqual(r.record, rec);
  });

  test('tryWrite holds a bounded record on a full ring; retryPending writes it once there is room', () => {
    const codec = typedCodec(schema);
    const ring = Ring.create(256);
    const w = new ChannelWriter(new RingProducer(ring), codec.encoder());
    const r = new ChannelReader(new RingConsumer(ring), codec.decoder());
    const sent: Rec[] = [];
    let i = 0;
    for (; i < 100; i++) {
      const rec: Rec = { id: i, name: 'é'.repeat(i % 9), note: undefined };
      if (!w.tryWrite(rec)) { sent.push(rec); break; }
      sent.push(rec);
    }
    assert.ok(w.hasPending && i < 100, 'the ring filled up');
    w.flush();
    const got: Rec[] = [];
    while (r.poll() === RECORD) got.push(r.record!);
    assert.equal(w.retryPending(), true);
    w.close();
    while (r.poll() === RECORD) got.push(r.record!);
    assert.deepEqual(got, sent);
  });
});

describe('read-ahead (an unaligned barrier taken before the records ahead of it are read)', () => {
  const barrierFrame = (id: number) => ({ type: 'barrier' as const, checkpointId: id, timestampMs: 0, unaligned: true, savepoint: false });
  const takeBarrier = (id: number) => (c: { type: string; checkpointId?: number }) => (c.type === 'barrier' && c.checkpointId === id ? 'take' as const : 'skip' as const);

  function codecPair(capacity: number, batches: boolean, maxStructures: number) {
    const ring = Ring.create(capacity);
    const codec = genericCodec<unknown>({ maxStructures });
    return {
      ring,
      w: new ChannelWriter(new RingProducer(ring), codec.encoder(), { batches }),
      r: new ChannelReader(new RingConsumer(ring), codec.decoder(), { batches }),
    };
  }

  test('the barrier is found without reading; the items before it come out once, in order, the barrier not at all; ring space is freed as they are handed out', () => {
    const { w, r } = pair(4096);
    w.write({ a: 1 }, 10);
    w.control({ type: 'watermark', timestamp: 3 });
    w.write({ a: 2 });
    w.control(barrierFrame(1));
    w.write({ a: 3 });
    w.flush();
    const unread = (): number => (r.consumer.published() - r.consumer.position) >>> 0;
    const before = unread();
    const found = r.scanFor(takeBarrier(1));
    assert.deepEqual(found, barrierFrame(1));
    assert.equal(unread(), before, 'scanning reads nothing');
    r.readAhead(barrierFrame(1));
    assert.equal(unread(), before, 'the frames decoded ahead stay in the ring until handed out');
    assert.equal(r.hasBuffered, true);
    const out: unknown[] = [];
    for (let res = r.poll(); res !== EMPTY; res = r.poll()) out.push(res === RECORD ? [r.record, r.timestamp] : r.controlFrame);
    assert.deepEqual(out, [[{ a: 1 }, 10], { type: 'watermark', timestamp: 3 }, [{ a: 2 }, NaN], [{ a: 3 }, NaN]]);
    assert.equal(unread(), 0);
    assert.equal(r.records, 3);
  });

  test('an end of stream taken ahead comes after the records before it, once they are handed out', () => {
    const { w, r } = pair(4096);
    w.write('a');
    w.write('b');
    w.close();
    const end = r.scanFor((c) => (c.type === 'end-of-stream' ? 'take' : 'skip'));
    assert.deepEqual(end, { type: 'end-of-stream' });
    r.readAhead(end!);
    const out: unknown[] = [];
    for (let res = r.poll(); res === RECORD; res = r.poll()) { out.push(r.record); assert.equal(r.hasBuffered, true, 'the end is still to come'); }
    assert.deepEqual(out, ['a', 'b']);
    assert.equal(r.hasBuffered, false);
    assert.equal(r.poll(), END);
    assert.equal((r.consumer.published() - r.consumer.position) >>> 0, 0, 'every byte handed back');
  });

  test('scanFor stops where told and at end of stream; a stale barrier is passed', () => {
    const { w, r } = pair(4096);
    w.control(barrierFrame(1));
    w.write('x');
    w.control(barrierFrame(2));
    w.close();
    const seen: number[] = [];
    assert.equal(r.scanFor((c) => { if (c.type === 'barrier') seen.push(c.checkpointId); return c.type === 'barrier' && c.checkpointId === 1 ? 'skip' : 'stop'; }), undefined);
    assert.deepEqual(seen, [1, 2]);
    // It goes on where it stopped: at barrier 2, not at the skipped one.
    seen.length = 0;
    assert.deepEqual(r.scanFor((c) => { if (c.type === 'barrier') seen.push(c.checkpointId); return takeBarrier(2)(c); }), barrierFrame(2));
    assert.deepEqual(seen, [2]);
    // Passed, it stops at end of stream, unless that is taken.
    assert.equal(r.scanFor(() => 'skip'), undefined);
    assert.deepEqual(r.scanFor(() => 'take'), { type: 'end-of-stream' });
  });

  test('a look-ahead 4 GiB after the last one starts at the unread data, not inside a frame at the old position (mod 2^32)', () => {
    // Records are just their length: 4 GiB goes through in a second.
    const blank: RecordCodec<number> = {
      kind: 'typed', fingerprint: 'test/blank',
      encoder: () => ({ size: (n: number) => n, write() {} }),
      decoder: () => ({ read: (_b: Uint8Array, _v: DataView, _o: number, length: number) => length }),
    };
    const ring = Ring.create(1 << 16);
    const w = new ChannelWriter(new RingProducer(ring), blank.encoder(), {});
    const r = new ChannelReader(new RingConsumer(ring), blank.decoder(), {});
    // Frames of a multiple of 8 bytes (4 prefix + 4 header + n), so none needs wrap padding below.
    w.write(104);
    w.flush();
    assert.equal(r.scanFor(takeBarrier(2)), undefined);
    const stoppedAt = r.consumer.published();
    assert.equal(r.poll(), RECORD);
    // Read on until READ is 8 bytes short of where the scan stopped, 2^32 bytes later.
    for (let left = (stoppedAt - 8 - r.consumer.position) >>> 0; left > 0;) {
      const total = Math.min(16384, left, ring.capacity - (r.consumer.position & ring.mask));
      w.write(total - 8);
      w.flush();
      assert.equal(r.poll(), RECORD);
      left -= total;
    }
    assert.equal(r.consumer.position, (stoppedAt - 8) >>> 0);
    // The old position is now 8 bytes into this record's frame.
    w.write(40);
    w.control(barrierFrame(2));
    assert.deepEqual(r.scanFor(takeBarrier(2)), barrierFrame(2));
    r.readAhead(barrierFrame(2));
    assert.equal(r.poll(), RECORD);
    assert.equal(r.record, 40);
    assert.equal(r.poll(), EMPTY);
  });

  test('property: whatever was read before, batched or not, with more record shapes than the decoder keeps, every item comes out once in order', () => {
    const shape = fc.integer({ min: 0, max: 9 }).chain((k) => fc.record({ [`f${k}`]: fc.integer(), [`g${k % 3}`]: fc.string({ maxLength: 3 }) }).map((v) => ({ ...v })));
    const item = fc.oneof(
      { weight: 6, arbitrary: shape.map((v) => ({ kind: 'record' as const, v })) },
      { weight: 2, arbitrary: fc.array(shape, { minLength: 1, maxLength: 4 }).map((vs) => ({ kind: 'batch' as const, vs })) },
      { weight: 1, arbitrary: fc.integer({ min: 0, max: 1000 }).map((t) => ({ kind: 'watermark' as const, t })) },
    );
    fc.assert(fc.property(fc.array(item, { maxLength: 40 }), fc.array(item, { maxLength: 10 }), fc.nat(60), fc.boolean(), (before, after, readFirst, twice) => {
      // Two shapes kept: shapes are defined again in-band all along, so a frame decoded twice, or out of order,
      // would come out as another shape.
      const { w, r } = codecPair(1 << 15, true, 2);
      const expected: unknown[] = [];
      const put = (x: (typeof before)[number]): void => {
        if (x.kind === 'record') { w.write(x.v); expected.push(x.v); } else if (x.kind === 'batch') { assert.equal(w.tryWriteBatch(x.vs), true); expected.push(...x.vs); } else { w.control({ type: 'watermark', timestamp: x.t }); expected.push({ type: 'watermark', timestamp: x.t }); }
      };
      before.forEach(put);
      const ahead = expected.length;
      w.control(barrierFrame(1));
      after.slice(0, 5).forEach(put);
      if (twice) w.control(barrierFrame(2));
      after.slice(5).forEach(put);
      w.close();
      const out: unknown[] = [];
      const barriers: number[] = [];
      const take = (): boolean => {
        const res = r.poll();
        if (res === RECORD) out.push(r.record);
        else if (res === CONTROL) { const c = r.controlFrame!; if (c.type === 'barrier') barriers.push(c.checkpointId); else out.push(c); } else return false;
        return true;
      };
      for (let k = 0; k < readFirst && take(); k++);
      // Barriers already read are passed, as the input gate passes stale ones: an unread barrier is always found,
      // and once taken ahead it never comes out of poll.
      const read = barriers.length;
      const unread = (twice ? [1, 2] : [1]).slice(read);
      const newer = (c: { type: string; checkpointId?: number }): 'take' | 'skip' => (c.type === 'barrier' && c.checkpointId! > read ? 'take' : 'skip');
      const taken: number[] = [];
      for (let k = 0; k < 2; k++) {
        const c = r.scanFor(newer);
        if (c === undefined || c.type !== 'barrier') break;
        taken.push(c.checkpointId);
        r.readAhead(c);
        if (k === 0 && c.checkpointId === 1 && twice) continue;
        break;
      }
      assert.deepEqual(taken, unread);
      while (take());
      assert.deepEqual(barriers, [1, 2].slice(0, read), `${ahead} items ahead of barrier 1`);
      assert.deepEqual(out, expected);
      assert.equal(r.poll(), END);
    }), { numRuns: 300 });
  });
});

describe('barrier lane (RingEndOptions.barrierHeadroom)', () => {
  test('other blocks leave the lane free; a priority block uses it; an empty ring takes the largest block', () => {
    const ring = Ring.create(1024);
    const p = new RingProducer(ring, undefined, { barrierHeadroom: 128 });
    const c = new RingConsumer(ring);
    let n = 0;
    for (; p.tryReserve(60) >= 0; n++) p.commit();
    // 64-byte blocks: 14 fit in 1024 - 128 bytes.
    assert.equal(n, 14);
    assert.ok(p.tryReserve(60, true) >= 0, 'the lane takes a priority block');
    p.commit();
    p.publish();
    for (let k = 0; k <= n; k++) { assert.ok(c.tryPeek() >= 0); c.release(); }
    c.publishRead();
    assert.ok(p.tryReserve(ring.maxPayload) >= 0, 'an empty ring takes a block of maxPayload even with the lane kept');
    assert.throws(() => new RingProducer(ring, undefined, { barrierHeadroom: 129 }), /an eighth of the ring/);
  });
});
