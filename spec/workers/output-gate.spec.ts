// The output gate on one thread, over a real ring: an unaligned barrier goes ahead of everything waiting for ring
// space, in the ring's barrier lane, and what it passed is listed as the checkpoint's channel state; a restore
// queues that state to go out first.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Ring, RingConsumer, RingProducer } from '../../shm/ring.js';
import { ChannelReader, ChannelWriter, CONTROL, EMPTY, RECORD } from '../../shm/channel.js';
import { genericCodec } from '../../shm/codec/generic.js';
import type { ControlFrame } from '../../shm/codec/control.js';
import { OutputGate } from '../../workers/output-gate.js';
import { TaskContext } from '../../core/operators/task-context.js';
import { OUTPUT, type InFlightRecord } from '../../core/checkpoint/messages.js';

const barrier = (id: number): ControlFrame => ({ type: 'barrier', checkpointId: id, timestampMs: 0, unaligned: true, savepoint: false });

function setup(headroom: number) {
  const ctx = new TaskContext('t', 0, 1, 128);
  const ring = Ring.create(1024);
  const codec = genericCodec<unknown>();
  const writer = new ChannelWriter(new RingProducer(ring, undefined, { barrierHeadroom: headroom }), codec.encoder());
  const reader = new ChannelReader(new RingConsumer(ring), codec.decoder());
  const gate = new OutputGate<unknown>(ctx, [writer], 'forward', undefined, 128, 0);
  /** Everything readable now: records as values, control frames by type (and id or timestamp). */
  const readAll = (): unknown[] => {
    writer.flush();
    const out: unknown[] = [];
    for (let r = reader.poll(); r !== EMPTY; r = reader.poll()) {
      if (r === RECORD) out.push(reader.record);
      else if (r === CONTROL) { const c = reader.controlFrame!; out.push(c.type === 'barrier' ? `barrier ${c.checkpointId}` : c.type === 'watermark' ? `wm ${c.timestamp}` : c.type); }
    }
    return out;
  };
  return { ctx, gate, readAll };
}

/** Pushes numbered records until one waits for ring space; returns how many went into the ring. */
function fill(gate: OutputGate<unknown>, ctx: TaskContext): number {
  let i = 0;
  for (; !gate.blocked; i++) { ctx.timestamp = i; gate.push(i); }
  return i - 1;
}

describe('OutputGate.overtake', () => {
  test('the barrier goes ahead of the held record and the queue; they are its channel state, in order, and follow it', () => {
    const { ctx, gate, readAll } = setup(128);
    const inRing = fill(gate, ctx);
    ctx.timestamp = 1000;
    gate.push('queued');
    gate.watermark(50);
    const state: InFlightRecord[] = [];
    gate.overtake(barrier(1), 3, state);
    assert.deepEqual(state, [
      { input: OUTPUT, output: 3, writer: 0, value: inRing, timestamp: inRing },
      { input: OUTPUT, output: 3, writer: 0, value: 'queued', timestamp: 1000 },
      { input: OUTPUT, output: 3, writer: 0, value: null, timestamp: NaN, control: { type: 'watermark', timestamp: 50 } },
    ]);
    const first = readAll();
    assert.deepEqual(first, [...Array.from({ length: inRing }, (_, k) => k), 'barrier 1']);
    assert.equal(gate.drain(), true);
    assert.deepEqual(readAll(), [inRing, 'queued', 'wm 50']);
  });

  test('without a lane the barrier waits at the front of the queue, still ahead of the held record', () => {
    const { ctx, gate, readAll } = setup(0);
    const inRing = fill(gate, ctx);
    const state: InFlightRecord[] = [];
    gate.overtake(barrier(1), 0, state);
    assert.equal(state.length, 1);
    assert.equal(gate.drain(), false, 'the ring is full');
    const first = readAll();
    assert.equal(first.length, inRing);
    assert.equal(gate.drain(), true);
    assert.deepEqual(readAll(), ['barrier 1', inRing]);
  });

  test('restoreQueued: a restored checkpoint\'s items go out before anything pushed after', () => {
    const { ctx, gate, readAll } = setup(128);
    gate.restoreQueued(0, { input: OUTPUT, output: 0, writer: 0, value: 'old', timestamp: 1 });
    gate.restoreQueued(0, { input: OUTPUT, output: 0, writer: 0, value: null, timestamp: NaN, control: { type: 'watermark', timestamp: 7 } });
    ctx.timestamp = 2;
    gate.push('new');
    assert.equal(gate.drain(), true);
    assert.deepEqual(readAll(), ['old', 'wm 7', 'new']);
  });
});
