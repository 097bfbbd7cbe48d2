// The input gate on one thread, over real channels: records reach their head with their timestamps; watermarks
// are combined (the task's watermark is set before the head sees it); an aligned barrier holds back the records
// behind it until the snapshot; an unaligned one records the other channels' records until their barriers.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Ring, RingConsumer, RingProducer } from '../../shm/ring.js';
import { ChannelReader, ChannelWriter } from '../../shm/channel.js';
import { genericCodec } from '../../shm/codec/generic.js';
import type { ControlFrame } from '../../shm/codec/control.js';
import { InputGate, type BarrierHandler } from '../../workers/input-gate.js';
import { TaskContext } from '../../core/operators/task-context.js';
import type { Downstream } from '../../core/operators/operator.js';
import type { InFlightRecord } from '../../core/checkpoint/messages.js';
import { MAX_WATERMARK } from '../../core/time/watermark.js';
import { JOB_CHECKPOINT_SAVEPOINT, JOB_CHECKPOINT_UNALIGNED } from '../../shm/layout.js';

type Barrier = ControlFrame & { type: 'barrier' };
const barrier = (id: number, unaligned = false): Barrier => ({ type: 'barrier', checkpointId: id, timestampMs: 0, unaligned, savepoint: false });

/** Everything the gate does, in order: pushes (with the task's timestamp and watermark), snapshots, completes. */
class Log implements Downstream<unknown>, BarrierHandler {
  events: string[] = [];
  inFlight: InFlightRecord[][] = [];
  /** The barriers the snapshots were taken under: what the subtask sends on. */
  sent: Barrier[] = [];
  constructor(private readonly ctx: TaskContext, private readonly input = 0) {}
  head(input: number): Downstream<unknown> {
    const l = new Log(this.ctx, input);
    l.events = this.events;
    l.sent = this.sent;
    return l;
  }
  push(v: unknown): void { this.events.push(`${this.input}:${String(v)}@${this.ctx.timestamp}`); }
  watermark(w: number): void { this.events.push(`wm ${w === MAX_WATERMARK ? 'MAX' : w} (task ${this.ctx.watermark === MAX_WATERMARK ? 'MAX' : this.ctx.watermark})`); }
  idle(b: boolean): void { this.events.push(b ? 'idle' : 'active'); }
  finish(): void {}
  snapshot(b: Barrier): void { this.events.push(`snapshot ${b.checkpointId}`); this.sent.push(b); }
  complete(id: number, inFlight: InFlightRecord[]): void { this.events.push(`complete ${id}`); this.inFlight.push(inFlight); }
  abandon(id: number): void { this.events.push(`abandon ${id}`); }
}

function gate(channels: number, inputOf = Array<number>(channels).fill(0), alignmentTimeoutMs = Infinity, trigger?: Int32Array, overtakeAfterMs = 0) {
  const ctx = new TaskContext('t', 0, 1, 128);
  const log = new Log(ctx);
  const codec = genericCodec<unknown>();
  const writers: ChannelWriter<unknown>[] = [];
  const readers: ChannelReader<unknown>[] = [];
  for (let i = 0; i < channels; i++) {
    const ring = Ring.create(1 << 14);
    writers.push(new ChannelWriter(new RingProducer(ring), codec.encoder()));
    readers.push(new ChannelReader(new RingConsumer(ring), codec.decoder()));
  }
  const g = new InputGate(readers, inputOf, ctx, log, alignmentTimeoutMs, 0, trigger === undefined ? undefined : { control: trigger, index: 0 }, overtakeAfterMs);
  const heads = [log.head(0), log.head(1)];
  const pump = (max = 1000): number => { for (const w of writers) w.flush(); return g.pump(heads, max, () => false); };
  return { ctx, log, writers, g, pump };
}

describe('InputGate', () => {
  test('records reach the head of their input with their timestamps; watermarks are the minimum, set on the task first', () => {
    const { writers: [a, b], log, pump, ctx } = gate(2, [0, 1]);
    a!.write('x', 5);
    b!.write('y');
    a!.control({ type: 'watermark', timestamp: 10 });
    b!.control({ type: 'watermark', timestamp: 7 });
    pump();
    assert.deepEqual(log.events.sort(), ['0:x@5', '1:y@NaN', 'wm 7 (task 7)'].sort());
    assert.equal(ctx.watermark, 7);
  });

  test('aligned barrier: records behind it on its channel wait for the snapshot, records ahead of the other channel\'s barrier come before it', () => {
    const { writers: [a, b], log, pump } = gate(2);
    a!.control(barrier(1));
    a!.write('a-after');
    b!.write('b-before');
    b!.control(barrier(1));
    b!.write('b-after');
    pump();
    const ev = log.events;
    const snap = ev.indexOf('snapshot 1');
    assert.ok(snap >= 0, ev.join(' | '));
    assert.ok(ev.indexOf('0:a-after@NaN') > snap, 'channel 0 was blocked until the snapshot');
    assert.ok(ev.indexOf('0:b-before@NaN') < snap);
    assert.ok(ev.indexOf('0:b-after@NaN') > snap);
    assert.equal(ev[snap + 1], 'complete 1');
    assert.deepEqual(log.inFlight, [[]]);
  });

  test('unaligned barrier: snapshot at once; the other channel\'s records up to its barrier are the checkpoint\'s channel state', () => {
    const { writers: [a, b], log, pump } = gate(2, [0, 1]);
    a!.control(barrier(1, true));
    a!.write('a-after');
    pump();
    b!.write('b1', 1);
    b!.write('b2', 2);
    b!.control(barrier(1, true));
    b!.write('b-after', 3);
    pump();
    assert.equal(log.events[0], 'snapshot 1');
    assert.deepEqual(log.inFlight, [[{ input: 1, value: 'b1', timestamp: 1 }, { input: 1, value: 'b2', timestamp: 2 }]]);
    assert.ok(log.events.includes('1:b-after@3'));
    assert.ok(log.events.indexOf('complete 1') < log.events.indexOf('1:b-after@3'));
  });

  test('unaligned, triggered: barriers are taken ahead of the records before them, which are channel state and still come, once, in order', () => {
    const trigger = new Int32Array(1);
    const { writers: [a, b], log, g } = gate(2, [0, 1], Infinity, trigger);
    a!.write('a1', 1);
    a!.write('a2', 2);
    a!.control(barrier(1, true));
    a!.write('a-after', 3);
    b!.write('b1', 4);
    a!.flush();
    b!.flush();
    assert.equal(g.overtake(), 0, 'nothing triggered: the gate does not look ahead');
    Atomics.store(trigger, 0, (1 << 2) | JOB_CHECKPOINT_UNALIGNED);
    assert.equal(g.overtakeReady(), true);
    assert.equal(g.overtake(), 1);
    assert.deepEqual(log.events, ['snapshot 1'], 'the snapshot comes before any record is processed');
    b!.control(barrier(1, true));
    b!.write('b-after', 5);
    b!.flush();
    assert.equal(g.overtake(), 1);
    assert.deepEqual(log.events, ['snapshot 1', 'complete 1']);
    assert.deepEqual(log.inFlight, [[
      { input: 0, value: 'a1', timestamp: 1 }, { input: 0, value: 'a2', timestamp: 2 }, { input: 1, value: 'b1', timestamp: 4 },
    ]]);
    assert.equal(g.overtake(), 0, 'done: nothing more to take');
    const heads = [log.head(0), log.head(1)];
    g.pump(heads, 100, () => false);
    assert.deepEqual(log.events.slice(2).sort(), ['0:a-after@3', '0:a1@1', '0:a2@2', '1:b-after@5', '1:b1@4']);
    assert.ok(log.events.indexOf('0:a1@1') < log.events.indexOf('0:a2@2') && log.events.indexOf('0:a2@2') < log.events.indexOf('0:a-after@3'));
  });

  /** A gate of `channels` restored from `times` that replays `items` as Subtask does; its watermark after. */
  const replayed = (channels: number, times: ReturnType<InputGate['channelTimes']>, items: InFlightRecord[]): number | undefined => {
    const { g, log } = gate(channels, [0, 1]);
    const heads = [log.head(0), log.head(1)];
    g.restoreChannels(times);
    for (const r of items) if (r.control !== undefined) g.replayControl(heads, r.channel!, r.control); else heads[r.input]!.push(r.value);
    return g.watermark;
  };

  test('restored channel times are said to the operators once, before anything else: a consumer that was not restored (or a merging valve) heard neither the watermark nor the idleness again (a restored idle channel ignores idle(true))', () => {
    const { writers: [a], log, pump, g } = gate(1);
    g.restoreChannels({ wm: [5], idle: [1], aligned: [0], ended: [0], last: 5 });
    a!.control({ type: 'idleness', idle: true });
    a!.write('r', 6);
    pump();
    pump();
    assert.deepEqual(log.events, ['wm 5 (task 5)', 'idle', '0:r@6']);
  });

  test('unaligned barrier: the watermarks among the recorded channel state are kept in place, by channel; restored from the snapshot\'s channel times, a replay ends at the same event time', () => {
    const { writers: [a, b], log, pump, g } = gate(2, [0, 1]);
    a!.control({ type: 'watermark', timestamp: 10 });
    a!.control(barrier(1, true));
    pump();
    const times = g.channelTimes();
    b!.write('b1', 1);
    b!.control({ type: 'watermark', timestamp: 3 });
    b!.write('b2', 2);
    b!.control({ type: 'idleness', idle: true });
    b!.control({ type: 'watermark', timestamp: 7 });
    b!.control(barrier(1, true));
    pump();
    assert.deepEqual(log.inFlight, [[
      { input: 1, value: 'b1', timestamp: 1 },
      { input: 1, value: undefined, timestamp: NaN, control: { type: 'watermark', timestamp: 3 }, channel: 1 },
      { input: 1, value: 'b2', timestamp: 2 },
      { input: 1, value: undefined, timestamp: NaN, control: { type: 'idleness', idle: true }, channel: 1 },
      { input: 1, value: undefined, timestamp: NaN, control: { type: 'watermark', timestamp: 7 }, channel: 1 },
    ]]);
    // Channel 1 idle let event time go to channel 0's 10; back at 7, it does not count until it catches up.
    assert.equal(g.watermark, 10);
    assert.equal(replayed(2, times, log.inFlight[0]!), 10);
  });

  test('unaligned, triggered: the watermarks among records taken ahead are channel state in place; restored, a replay ends at the same event time', () => {
    const trigger = new Int32Array(1);
    const { writers: [a, b], log, g } = gate(2, [0, 1], Infinity, trigger);
    b!.control({ type: 'watermark', timestamp: 20 });
    b!.flush();
    g.pump([log.head(0), log.head(1)], 100, () => false);
    a!.write('a1', 1);
    a!.control({ type: 'watermark', timestamp: 4 });
    a!.write('a2', 2);
    a!.control(barrier(1, true));
    a!.flush();
    Atomics.store(trigger, 0, (1 << 2) | JOB_CHECKPOINT_UNALIGNED);
    assert.equal(g.overtake(), 1);
    const times = g.channelTimes();
    b!.control(barrier(1, true));
    b!.flush();
    g.pump([log.head(0), log.head(1)], 100, () => false);
    assert.deepEqual(log.inFlight, [[
      { input: 0, value: 'a1', timestamp: 1 },
      { input: 0, value: undefined, timestamp: NaN, control: { type: 'watermark', timestamp: 4 }, channel: 0 },
      { input: 0, value: 'a2', timestamp: 2 },
    ]]);
    assert.equal(g.watermark, 4);
    assert.equal(replayed(2, times, log.inFlight[0]!), 4);
  });

  test('unaligned, triggered: a barrier is taken ahead only once its checkpoint has been under way for the delay', () => {
    const trigger = new Int32Array(1);
    const { writers: [a], log, g } = gate(1, [0], Infinity, trigger, 60_000);
    a!.write('a1', 1);
    a!.control(barrier(1, true));
    a!.flush();
    Atomics.store(trigger, 0, (1 << 2) | JOB_CHECKPOINT_UNALIGNED);
    assert.equal(g.overtake(), 0);
    assert.equal(g.overtakeReady(), false);
    const wake = g.overtakeWakeInMs();
    assert.ok(wake > 50_000 && wake <= 60_000, `wake in ${wake} ms`);
    assert.deepEqual(log.events, []);
    // Read normally meanwhile, the barrier is taken as it comes: no channel state.
    g.pump([log.head(0)], 100, () => false);
    assert.deepEqual(log.events, ['0:a1@1', 'snapshot 1', 'complete 1']);
    assert.deepEqual(log.inFlight, [[]]);
    assert.equal(g.overtakeWakeInMs(), Infinity, 'nothing under way');
  });

  test('unaligned, triggered: a finished upstream\'s end is taken ahead; its records before it are channel state of every checkpoint until processed', () => {
    const trigger = new Int32Array(1);
    const { writers: [a, b], log, g } = gate(2, [0, 1], Infinity, trigger);
    a!.write('a1', 1);
    a!.write('a2', 2);
    a!.close();
    b!.control(barrier(1, true));
    b!.flush();
    Atomics.store(trigger, 0, (1 << 2) | JOB_CHECKPOINT_UNALIGNED);
    assert.equal(g.overtake(), 2, 'the end on channel 0, the barrier on channel 1');
    assert.deepEqual(log.events, ['snapshot 1', 'complete 1']);
    b!.control(barrier(2, true));
    b!.flush();
    Atomics.store(trigger, 0, (2 << 2) | JOB_CHECKPOINT_UNALIGNED);
    assert.equal(g.overtake(), 1);
    const state = [{ input: 0, value: 'a1', timestamp: 1 }, { input: 0, value: 'a2', timestamp: 2 }];
    assert.deepEqual(log.inFlight, [state, state]);
    g.pump([log.head(0), log.head(1)], 100, () => false);
    assert.deepEqual(log.events.slice(4), ['0:a1@1', '0:a2@2']);
    b!.control(barrier(3, true));
    b!.flush();
    Atomics.store(trigger, 0, (3 << 2) | JOB_CHECKPOINT_UNALIGNED);
    g.pump([log.head(0), log.head(1)], 100, () => false);
    assert.deepEqual(log.inFlight[2], [], 'processed since: no channel state');
  });

  test('unaligned, triggered: with every upstream finished and its records not processed, the gate takes the checkpoint itself', () => {
    const trigger = new Int32Array(1);
    const { writers: [a, b], log, g } = gate(2, [0, 1], Infinity, trigger);
    a!.write('a1', 1);
    a!.close();
    b!.write('b1', 2);
    b!.close();
    Atomics.store(trigger, 0, (4 << 2) | JOB_CHECKPOINT_UNALIGNED);
    assert.equal(g.overtakeReady(), true);
    g.overtake();
    assert.deepEqual(log.events, ['snapshot 4', 'complete 4']);
    assert.deepEqual(log.inFlight, [[{ input: 0, value: 'a1', timestamp: 1 }, { input: 1, value: 'b1', timestamp: 2 }]]);
    assert.equal(g.overtakeReady(), false);
  });

  // Regression: once an end was taken ahead, every later snapshot counted that channel's records ahead as
  // channel state, savepoints too (which then could not be rescaled, and `inspect` called them unaligned).
  test('a savepoint after an end was taken ahead waits for the end itself and carries no channel state', () => {
    const trigger = new Int32Array(1);
    // The finished channel second: the pump reads the savepoint's barrier first.
    const { writers: [b, a], log, g } = gate(2, [0, 1], Infinity, trigger);
    a!.write('a1', 1);
    a!.write('a2', 2);
    a!.close();
    b!.control(barrier(1, true));
    b!.flush();
    Atomics.store(trigger, 0, (1 << 2) | JOB_CHECKPOINT_UNALIGNED);
    g.overtake();
    assert.deepEqual(log.events, ['snapshot 1', 'complete 1']);
    Atomics.store(trigger, 0, (2 << 2) | JOB_CHECKPOINT_UNALIGNED | JOB_CHECKPOINT_SAVEPOINT);
    b!.control({ ...barrier(2, false), savepoint: true });
    b!.flush();
    g.pump([log.head(0), log.head(1)], 100, () => false);
    assert.deepEqual(log.events.slice(2), ['1:a1@1', '1:a2@2', 'snapshot 2', 'complete 2'], 'the savepoint is taken once the records before the end are in');
    assert.deepEqual(log.inFlight[1], [], 'no channel state');
  });

  test('unaligned, triggered: an aligned barrier or a savepoint\'s is not taken ahead', () => {
    const trigger = new Int32Array(1);
    const { writers: [a], log, g } = gate(1, [0], Infinity, trigger);
    a!.write('a1', 1);
    a!.control(barrier(1, false));
    a!.flush();
    Atomics.store(trigger, 0, (1 << 2) | JOB_CHECKPOINT_UNALIGNED);
    assert.equal(g.overtake(), 0);
    Atomics.store(trigger, 0, (2 << 2) | JOB_CHECKPOINT_UNALIGNED | JOB_CHECKPOINT_SAVEPOINT);
    assert.equal(g.overtake(), 0);
    assert.deepEqual(log.events, []);
  });

  // Regression: a slow operator (20 ms a record) took its whole budget in one pump, and the source sharing its
  // thread waited 20 s for a turn (it could not even take a checkpoint's trigger).
  test('a pump of slow records gives the thread back after its time slice, not after its whole budget', () => {
    const { writers: [a], g } = gate(1);
    for (let i = 0; i < 200; i++) a!.write(i);
    a!.flush();
    let pushed = 0;
    const slow: Downstream<unknown> = {
      push() { pushed++; const until = performance.now() + 1; while (performance.now() < until); },
      watermark() {}, idle() {}, finish() {},
    };
    const done = g.pump([slow], 200, () => false);
    assert.ok(pushed < 200 && done === pushed, `returned after ${pushed} of 200 records of 1 ms`);
  });

  test('alignment timeout: a blocked alignment goes unaligned at the next pump after the timeout', () => {
    const { writers: [a, b], log, pump } = gate(2, [0, 0], 0);
    a!.control(barrier(1));
    a!.write('a-after');
    pump(); // aligning: channel 0 blocked
    b!.write('b-before');
    b!.control(barrier(1));
    pump(); // the timeout (0 ms) has passed: snapshot, then b-before is channel state
    assert.equal(log.events[0], 'snapshot 1');
    assert.deepEqual(log.inFlight, [[{ input: 0, value: 'b-before', timestamp: NaN }]]);
  });

  // Regression (checkpoint review): a timed-out alignment sent its barrier on aligned, to wait behind the full
  // output rings that made the alignment slow: the checkpoint then timed out downstream.
  test('alignment timeout: the barrier goes on unaligned, to overtake the outputs', () => {
    const { writers: [a, b], log, pump } = gate(2, [0, 0], 0);
    a!.control(barrier(1));
    pump();
    b!.write('b-before');
    pump();
    assert.deepEqual(log.sent.map((x) => [x.checkpointId, x.unaligned]), [[1, true]]);
  });

  test('alignment timeout, the subtask blocked on its outputs (no pump): overtake() switches it, and a parked subtask is woken for it', () => {
    // The trigger is written once the barrier is read in order (a look-ahead would take it, timed out at 0 ms).
    const trigger = new Int32Array(1);
    const { writers: [a], log, pump, g } = gate(2, [0, 0], 0, trigger);
    a!.control(barrier(1));
    pump();
    Atomics.store(trigger, 0, 1 << 2);
    assert.ok(g.alignmentTimeoutInMs() <= 0);
    assert.equal(g.overtakeReady(), true, 'the park re-check sees it due');
    assert.equal(g.overtake(), 1);
    assert.deepEqual([log.events, log.sent.map((x) => x.unaligned)], [['snapshot 1'], [true]]);
    const later = gate(2, [0, 0], 60_000, new Int32Array([1 << 2]));
    later.writers[0]!.control({ ...barrier(1), timestampMs: Date.now() });
    later.pump();
    assert.deepEqual(later.log.events, [], 'aligning');
    const w = later.g.overtakeWakeInMs();
    assert.ok(w > 59_000 && w <= 60_000, `woken at the timeout, in ${w} ms`);
  });

  test('alignment timeout: an aligned barrier older than it is taken ahead of its ring\'s records, which are channel state, and goes on unaligned', () => {
    const fill = (writers: ChannelWriter<unknown>[], ts: number): void => {
      writers[0]!.write('r1', 1);
      writers[0]!.write('r2', 2);
      writers[0]!.control({ ...barrier(1), timestampMs: ts });
      writers[0]!.write('after', 3);
      writers[0]!.flush();
    };
    // (A timeout of 0: a gate looks ahead in an aligned checkpoint only once it has been under way that long.)
    const old = gate(1, [0], 0, new Int32Array([1 << 2]));
    fill(old.writers, Date.now() - 1000);
    assert.equal(old.g.overtake(), 1);
    assert.deepEqual(old.log.events, ['snapshot 1', 'complete 1'], 'before any record is processed');
    assert.deepEqual(old.log.inFlight, [[{ input: 0, value: 'r1', timestamp: 1 }, { input: 0, value: 'r2', timestamp: 2 }]]);
    assert.equal(old.log.sent[0]!.unaligned, true);
    old.pump();
    assert.deepEqual(old.log.events.slice(2), ['0:r1@1', '0:r2@2', '0:after@3'], 'the records still come, once, in order');
    // Younger than the timeout: left in its place, and a parked subtask is woken when it can be old enough.
    const young = gate(1, [0], 60_000, new Int32Array([1 << 2]));
    fill(young.writers, Date.now());
    assert.equal(young.g.overtake(), 0);
    const w = young.g.overtakeWakeInMs();
    assert.ok(w > 59_000 && w <= 60_000, `woken when it times out, in ${w} ms`);
    // Without a timeout (the switch off), an aligned barrier is never taken ahead.
    const off = gate(1, [0], Infinity, new Int32Array([1 << 2]));
    fill(off.writers, Date.now() - 1000);
    assert.equal(off.g.overtake(), 0);
    off.pump();
    assert.deepEqual(off.log.events, ['0:r1@1', '0:r2@2', 'snapshot 1', 'complete 1', '0:after@3']);
    assert.equal(off.log.sent[0]!.unaligned, false);
  });

  test('an unaligned barrier during an alignment (its upstream switched) switches it: the snapshot at once, sent on unaligned', () => {
    const { writers: [a, b], log, pump } = gate(2, [0, 1], 60_000);
    const events = (): string[] => log.events;
    a!.control({ ...barrier(1), timestampMs: Date.now() });
    a!.write('a-after', 1);
    pump();
    assert.deepEqual(events(), [], 'aligning: channel 0 blocked');
    b!.write('b1', 2);
    b!.control({ ...barrier(1, true), timestampMs: Date.now() });
    pump();
    assert.deepEqual(events(), ['1:b1@2', 'snapshot 1', 'complete 1', '0:a-after@1']);
    assert.deepEqual(log.sent.map((x) => x.unaligned), [true], 'sent on unaligned too');
  });

  test('an end of stream is not taken ahead during an aligned checkpoint: the records before it are processed before the snapshot', () => {
    const { writers: [a, b], log, pump, g } = gate(2, [0, 0], 60_000, new Int32Array([1 << 2]));
    a!.control({ ...barrier(1), timestampMs: Date.now() });
    pump();
    b!.write('b1');
    b!.close();
    assert.equal(g.overtake(), 0);
    pump();
    assert.deepEqual(log.events, ['0:b1@NaN', 'snapshot 1', 'complete 1']);
    assert.deepEqual(log.inFlight, [[]]);
  });

  test('end of every channel: allEnded, and the watermark goes to MAX_WATERMARK', () => {
    const { writers: [a, b], log, pump, g } = gate(2);
    a!.control({ type: 'watermark', timestamp: 3 });
    a!.close();
    pump();
    assert.equal(g.allEnded, false);
    b!.close();
    pump();
    assert.equal(g.allEnded, true);
    assert.deepEqual(log.events, ['wm MAX (task MAX)']);
  });

  test('idleness frames: the task is idle when every channel is', () => {
    const { writers: [a, b], log, pump } = gate(2);
    a!.control({ type: 'idleness', idle: true });
    b!.control({ type: 'idleness', idle: true });
    pump();
    a!.write('r');
    a!.control({ type: 'idleness', idle: false });
    pump();
    assert.deepEqual(log.events, ['idle', '0:r@NaN', 'active']);
  });

  test('abort while aligning unblocks the channel and abandons the checkpoint', () => {
    const { writers: [a], log, pump, g } = gate(2);
    a!.control(barrier(1));
    a!.write('after');
    pump();
    assert.deepEqual(log.events, []);
    g.abort(1);
    pump();
    assert.deepEqual(log.events, ['abandon 1', '0:after@NaN']);
  });

  // Regressions: a barrier of a checkpoint aborted while it waited behind its channel's data arrived during the
  // next checkpoint, and the gate acted on it although the aligner ignored it.
  test('stale barrier, unaligned: the records after it on its channel are still the current checkpoint\'s channel state', () => {
    const { writers: [a, b], log, pump, g } = gate(2);
    a!.control(barrier(1, true));
    pump();
    g.abort(1);
    a!.control(barrier(2, true));
    pump();
    b!.write('b-backlog');
    b!.control(barrier(1, true)); // stale
    b!.write('b-before-2');
    b!.control(barrier(2, true));
    b!.write('b-after');
    pump();
    assert.deepEqual(log.events.filter((e) => !e.includes(':')), ['snapshot 1', 'abandon 1', 'snapshot 2', 'complete 2']);
    assert.deepEqual(log.inFlight.at(-1)!.map((r) => r.value), ['b-backlog', 'b-before-2']);
  });

  test('stale barrier, aligned: a snapshot completed by a channel ending is taken under the current id', () => {
    const { writers: [a, b], log, pump } = gate(2);
    a!.control(barrier(2));
    pump();
    b!.control(barrier(1)); // stale
    b!.close();
    pump();
    assert.deepEqual(log.events, ['snapshot 2', 'complete 2']);
  });

  test('stale barrier, aligned: a snapshot forced by the alignment timeout is taken under the current id', () => {
    const { writers: [a, b], log, pump } = gate(2, [0, 0], 0);
    a!.control(barrier(2));
    b!.control(barrier(1)); // stale, read in the same pump, before the timeout is next checked
    b!.write('slow');
    pump();
    pump(); // the timeout (0 ms) has passed
    assert.equal(log.events.find((e) => e.startsWith('snapshot')), 'snapshot 2');
  });

  // Regression: a savepoint's alignment timed out into an unaligned one; its channel state then made it
  // impossible to restore at another parallelism (what savepoints are for).
  test('a savepoint stays aligned past the alignment timeout: no channel state', () => {
    const { writers: [a, b], log, pump } = gate(2, [0, 0], 0);
    const sp: Barrier = { ...barrier(1), savepoint: true };
    a!.control(sp);
    pump();
    b!.write('slow-1');
    b!.write('slow-2');
    pump(); // past the timeout: a checkpoint would go unaligned here
    assert.deepEqual(log.events, ['0:slow-1@NaN', '0:slow-2@NaN']);
    b!.control(sp);
    pump();
    assert.deepEqual(log.events.slice(2), ['snapshot 1', 'complete 1']);
    assert.deepEqual(log.inFlight, [[]]);
  });

  test('property: the budget is respected and every record arrives exactly once, in order per channel', () => {
    fc.assert(fc.property(fc.array(fc.array(fc.integer(), { maxLength: 40 }), { minLength: 1, maxLength: 4 }), fc.integer({ min: 1, max: 7 }), (inputs, budget) => {
      const { writers, log, g } = gate(inputs.length);
      inputs.forEach((xs, c) => { for (const x of xs) writers[c]!.write(`${c}/${x}`); writers[c]!.close(); });
      let rounds = 0;
      while (!g.allEnded) {
        const before = log.events.length;
        const done = g.pump([log.head(0)], budget, () => false);
        assert.ok(done <= budget + 1 && log.events.length - before <= budget, 'a pump does at most its budget');
        assert.ok(++rounds < 10_000);
      }
      inputs.forEach((xs, c) => {
        const got = log.events.filter((e) => e.startsWith(`0:${c}/`)).map((e) => e.slice(2, e.indexOf('@')));
        assert.deepEqual(got, xs.map((x) => `${c}/${x}`));
      });
    }));
  });
});
