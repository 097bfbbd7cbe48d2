// The channel on one thread: order of records and control frames, end of stream, and its errors.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Ring, RingConsumer, RingProducer } from '../../shm/ring.js';
import { ChannelReader, ChannelWriter, CONTROL, EMPTY, END, RECORD } from '../../shm/channel.js';
import { ChannelClosedError, RecordTooLargeError } from '../../shm/errors.js';
import { genericCodec } from '../../shm/codec/generic.js';

function pair(capacity = 4096) {
  const ring = Ring.create(capacity);
  const codec = genericCodec<unknown>();
  return {
    ring,
    w: new ChannelWriter(new RingProducer(ring), codec.encoder()),
    r: new ChannelReader(new RingConsumer(ring), codec.decoder()),
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
