// The channel on one thread: order of records and control frames, end of stream, and its errors.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Ring, RingConsumer, RingProducer } from '../../shm/ring.js';
import { ChannelReader, ChannelWriter, CONTROL, EMPTY, END, RECORD } from '../../shm/channel.js';
import { ChannelClosedError, RecordTooLargeError } from '../../shm/errors.js';
import { genericCodec } from '../../shm/codec/generic.js';
import fc from 'fast-check';
import { typedCodec } from '../../shm/codec/typed.js';
import { optional, recordSchema, type Infer } from '../../shm/codec/schema.js';
import { frameLength } from '../../shm/frame.js';

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

test('a record larger than the ring can hold is a RecordTooLargeError naming the limit and the option', () => {
  const { w } = pair(256);
  assert.throws(() => w.write('y'.repeat(500)), (e: unknown) => {
    assert.ok(e instanceof RecordTooLargeError);
    assert.match(e.message, /exceeds the ring's frame limit of 124 bytes.*'ringBytes'/);
    return true;
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
