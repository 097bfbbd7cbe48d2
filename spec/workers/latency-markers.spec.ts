// Latency tracking on one thread: the sink histogram's published percentiles, markers emitted on schedule, and
// markers forwarded in order with the records, to one channel of each output gate in turn (never to every channel).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Ring, RingConsumer, RingProducer } from '../../shm/ring.js';
import { ChannelReader, ChannelWriter, CONTROL, EMPTY, RECORD } from '../../shm/channel.js';
import { genericCodec } from '../../shm/codec/generic.js';
import {
  METRIC_LATENCY_COUNT, METRIC_LATENCY_MAX_MS, METRIC_LATENCY_P50_MS, METRIC_LATENCY_P999_MS, METRIC_LATENCY_P99_MS, METRIC_SUBTASK_SLOTS,
} from '../../shm/layout.js';
import { TaskContext } from '../../core/operators/task-context.js';
import { OutputGate } from '../../workers/output-gate.js';
import { LatencyHistogram, LatencyTracking, type LatencyMarker } from '../../workers/latency-markers.js';

function gate(consumers: number, batch = 1): { gate: OutputGate<unknown>; readers: ChannelReader<unknown>[] } {
  const codec = genericCodec<unknown>();
  const rings = Array.from({ length: consumers }, () => Ring.create(4096));
  const writers = rings.map((r) => new ChannelWriter(new RingProducer(r), codec.encoder(), { batches: batch > 1 }));
  const readers = rings.map((r) => new ChannelReader(new RingConsumer(r), codec.decoder(), { batches: batch > 1 }));
  const ctx = new TaskContext('t', 0, 1, 128);
  return { gate: new OutputGate(ctx, writers, 'rebalance', undefined, 128, 0, batch), readers };
}

/** Everything a reader has now: records as values, control frames by type. */
function drain(r: ChannelReader<unknown>): unknown[] {
  const out: unknown[] = [];
  for (;;) {
    const res = r.poll();
    if (res === EMPTY) return out;
    if (res === RECORD) out.push(r.record);
    else if (res === CONTROL) out.push(r.controlFrame!.type);
  }
}

test('the histogram publishes marker count and p50 / p99 / p99.9 / max in ms', () => {
  const h = new LatencyHistogram();
  const buf = new Float64Array(METRIC_SUBTASK_SLOTS);
  h.publish(buf, 0);
  assert.equal(buf[METRIC_LATENCY_COUNT], 0, 'no marker yet');
  for (let ms = 1; ms <= 1000; ms++) h.record(ms);
  h.publish(buf, 0);
  assert.equal(buf[METRIC_LATENCY_COUNT], 1000);
  const near = (v: number, want: number): boolean => Math.abs(v - want) <= want * 0.01;
  assert.ok(near(buf[METRIC_LATENCY_P50_MS]!, 500), `p50 ${buf[METRIC_LATENCY_P50_MS]}`);
  assert.ok(near(buf[METRIC_LATENCY_P99_MS]!, 990), `p99 ${buf[METRIC_LATENCY_P99_MS]}`);
  assert.ok(near(buf[METRIC_LATENCY_P999_MS]!, 999), `p99.9 ${buf[METRIC_LATENCY_P999_MS]}`);
  assert.ok(near(buf[METRIC_LATENCY_MAX_MS]!, 1000), `max ${buf[METRIC_LATENCY_MAX_MS]}`);
});

test('a negative latency (a clock step backwards between threads) is recorded as 0 ms', () => {
  const h = new LatencyHistogram();
  const buf = new Float64Array(METRIC_SUBTASK_SLOTS);
  h.record(-5);
  h.publish(buf, 0);
  // Alone in the histogram, it is the maximum: clamped to 0, counted, not dropped.
  assert.equal(buf[METRIC_LATENCY_COUNT], 1);
  assert.equal(buf[METRIC_LATENCY_MAX_MS], 0);
  assert.equal(buf[METRIC_LATENCY_P50_MS], 0);
});

// Regression: a percentile is the top of its histogram bucket, and came out above the exact maximum
// (quantile 0.99 above quantile 1 on the metrics endpoint).
test('published percentiles never exceed the published maximum', () => {
  for (const ms of [3.01, 0.123, 17.77, 1234.5]) {
    const h = new LatencyHistogram();
    const buf = new Float64Array(METRIC_SUBTASK_SLOTS);
    for (let i = 0; i < 100; i++) h.record(ms);
    h.publish(buf, 0);
    for (const k of [METRIC_LATENCY_P50_MS, METRIC_LATENCY_P99_MS, METRIC_LATENCY_P999_MS]) {
      assert.ok(buf[k]! <= buf[METRIC_LATENCY_MAX_MS]!, `${ms} ms: percentile ${buf[k]} above max ${buf[METRIC_LATENCY_MAX_MS]}`);
    }
  }
});

test('a source emits a marker when one is due, to one channel of each output gate in turn', () => {
  const a = gate(2);
  const b = gate(1);
  const t = new LatencyTracking(1000, { operator: 0, subtask: 0 }, false);
  assert.equal(t.emitDue([a.gate, b.gate]), 0, 'not due before the interval');
  for (let k = 0; k < 4; k++) {
    t.nextMarkerAt = Date.now();
    assert.equal(t.emitDue([a.gate, b.gate]), 1);
    assert.ok(t.nextMarkerAt > Date.now(), 'the next one is scheduled an interval later');
  }
  a.gate.flush();
  b.gate.flush();
  assert.deepEqual(a.readers.map(drain), [['latency-marker', 'latency-marker'], ['latency-marker', 'latency-marker']], 'round-robin over the channels');
  assert.deepEqual(b.readers.map(drain), [['latency-marker', 'latency-marker', 'latency-marker', 'latency-marker']]);
  assert.equal(new LatencyTracking(10, undefined, true).nextMarkerAt, Infinity, 'only sources emit');
});

for (const batch of [1, 8]) test(`a marker is forwarded behind the records already written to its channel, and recorded at sinks (record batch ${batch})`, () => {
  const g = gate(1, batch);
  const t = new LatencyTracking(1000, undefined, true);
  g.gate.push('r1');
  g.gate.push('r2');
  const marker: LatencyMarker = { type: 'latency-marker', emittedAtNs: (performance.timeOrigin + performance.now() - 3) * 1e6, sourceOperator: 0, sourceSubtask: 0 };
  t.onMarker(marker, [g.gate]);
  g.gate.push('r3');
  g.gate.flush();
  assert.deepEqual(drain(g.readers[0]!), ['r1', 'r2', 'latency-marker', 'r3']);
  const buf = new Float64Array(METRIC_SUBTASK_SLOTS);
  t.histogram!.publish(buf, 0);
  assert.equal(buf[METRIC_LATENCY_COUNT], 1);
  assert.ok(buf[METRIC_LATENCY_MAX_MS]! >= 2.9, `about 3 ms old, got ${buf[METRIC_LATENCY_MAX_MS]}`);
});
