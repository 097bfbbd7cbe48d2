// A subtask on this thread, with a stand-in input gate (the real one is covered by input-gate.spec.ts and the
// whole-job tests): what `step` reads first, and when a source beside a gate may start a checkpoint.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FINISHED, Subtask } from '../../workers/subtask.js';
import type { InputGate } from '../../workers/input-gate.js';
import type { Downstream } from '../../core/operators/operator.js';
import { TaskContext } from '../../core/operators/task-context.js';
import type { InFlightRecord } from '../../core/checkpoint/messages.js';
import { SOURCE_END, SOURCE_MORE, SOURCE_WAIT } from '../../core/connectors/source.js';
import { OperatorError } from '../../core/api/errors.js';
import { Recorder } from '../support/recorder.js';

/** A gate whose every pump delivers one new record, then ends after `records` of them. */
function gate(records: number): InputGate {
  let sent = 0;
  return {
    get allEnded() { return sent >= records; },
    pump(heads: Downstream<unknown>[]) {
      if (sent >= records) return 0;
      heads[0]!.push(`new ${sent++}`);
      return 1;
    },
    hasData: () => sent < records,
    abort() {},
    channelTimes: () => undefined,
    wire() {},
  } as unknown as InputGate;
}

// Regression: with more in-flight records than a step's budget, the channels' own records were read before the
// rest of the in-flight ones (and a barrier among them could snapshot while some were not yet in).
test('a restore\'s in-flight records all go in before anything new from the channels', () => {
  const head = new Recorder();
  const st = new Subtask(0, 't', new TaskContext('t', 0, 1, 128), head, [], [], [], gate(3), undefined, () => {}, 't', undefined, undefined);
  const replay: InFlightRecord[] = Array.from({ length: 2500 }, (_, i) => ({ input: 0, value: `old ${i}`, timestamp: i }));
  st.setReplay(replay);
  for (let i = 0; i < 10 && st.state === 0; i++) st.step(1024);
  assert.deepEqual(head.values, [...replay.map((r) => r.value), 'new 0', 'new 1', 'new 2']);
});

// Regression: a source beside a gate whose channels had all ended started a checkpoint while in-flight
// records of a restore were still waiting: those were then in neither the snapshot nor its channel state.
test('a source beside an ended gate starts a checkpoint only once every in-flight record is in', () => {
  const head = new Recorder();
  const head2 = new Recorder();
  const source = {
    read: () => SOURCE_MORE, // nothing read: a source with no data just now
    ready: () => new Promise<void>(() => {}),
    snapshot: () => [{ id: 'only', position: 7 }],
  };
  const acks: { id: number; replayedBefore: number }[] = [];
  const checkpoints = {
    ack: (id: number) => { acks.push({ id, replayedBefore: head2.values.length }); },
    abandoned: () => {},
    decline: () => {},
    finished: () => {},
  };
  const control = new Int32Array(4);
  control[0] = 1 << 2; // checkpoint 1 triggered
  const st = new Subtask(0, 't', new TaskContext('t', 0, 1, 128), head, [], [], [], gate(0), source as never, () => {}, 't', checkpoints, { control, index: 0 }, head2);
  st.setReplay(Array.from({ length: 2500 }, (_, i) => ({ input: 1, value: `old ${i}`, timestamp: i })));
  st.step(1024);
  assert.deepEqual(acks, [], 'not with 1,476 in-flight records still to go');
  for (let i = 0; i < 5; i++) st.step(1024);
  assert.deepEqual(acks, [{ id: 1, replayedBefore: 2500 }]);
});

// An unaligned checkpoint restored with other chaining routed its in-flight records to a subtask that
// never replays them (a source alone), or into the wrong operator (the head of a source's chain).
test('in-flight records of an input this subtask does not read from channels are a clear error, not dropped', () => {
  const source = { read: () => SOURCE_MORE, ready: () => new Promise<void>(() => {}), snapshot: () => [] };
  const sourceOnly = new Subtask(0, 'src', new TaskContext('src', 0, 1, 128), new Recorder(), [], [], [], undefined, source as never, () => {}, 'src', undefined, undefined);
  assert.throws(() => sourceOnly.setReplay([{ input: 1, value: 'x', timestamp: 0 }]), /chaining changed since it was taken/);
  const chained = new Subtask(0, 'src', new TaskContext('src', 0, 1, 128), new Recorder(), [], [], [], gate(0), source as never, () => {}, 'src', undefined, undefined, new Recorder());
  assert.throws(() => chained.setReplay([{ input: 0, value: 'x', timestamp: 0 }]), /records of input 0/);
  chained.setReplay([{ input: 1, value: 'x', timestamp: 0 }]);
});

// Regression: a snapshot taken at the first barrier of an unaligned checkpoint (or after the alignment timeout)
// was dropped when the checkpoint was then given up. Keyed state had already moved its change tracking past it,
// so its changes were in no later checkpoint: a restore brought back stale values and lost keys.
for (const mode of ['unaligned', 'aligned, then the alignment timeout'] as const) {
  test(`a snapshot given up after it was taken (${mode}) still sends its keyed chunks: a later checkpoint restores every change`, async () => {
    const { Ring, RingConsumer, RingProducer } = await import('../../shm/ring.js');
    const { ChannelReader, ChannelWriter } = await import('../../shm/channel.js');
    const { genericCodec } = await import('../../shm/codec/generic.js');
    const { InputGate: Gate } = await import('../../workers/input-gate.js');
    const { ReduceOperator } = await import('../../core/operators/reduce-operator.js');
    type Rec = { k: string; n: number };
    type Snap = import('../../core/checkpoint/messages.js').SubtaskSnapshot;
    type Chunk = import('../../core/checkpoint/snapshot.js').KeyGroupChunk;
    const unaligned = mode === 'unaligned';
    const reduceOp = (ctx: TaskContext) => new ReduceOperator<Rec>('sum', ctx, new Recorder(), (r) => r.k, (a, b) => ({ k: a.k, n: a.n + b.n }), true);
    const ctx = new TaskContext('t', 0, 1, 128);
    const op = reduceOp(ctx);
    const codec = genericCodec<unknown>();
    const writers: InstanceType<typeof ChannelWriter<unknown>>[] = [];
    const readers: InstanceType<typeof ChannelReader<unknown>>[] = [];
    for (let i = 0; i < 2; i++) {
      const ring = Ring.create(1 << 14);
      writers.push(new ChannelWriter(new RingProducer(ring), codec.encoder()));
      readers.push(new ChannelReader(new RingConsumer(ring), codec.decoder()));
    }
    // What reaches the coordinator, in order: acks and abandoned snapshots both extend the chains.
    const sent: { id: number; snap: Snap; ack: boolean }[] = [];
    const checkpoints = {
      ack: (id: number, snap: Snap) => { sent.push({ id, snap, ack: true }); },
      abandoned: (id: number, snap: Snap) => { sent.push({ id, snap, ack: false }); },
      decline: () => {}, finished: () => {},
    };
    let st: Subtask | undefined;
    const g = new Gate(readers, [0, 0], ctx, {
      snapshot: (b) => st!.snapshot(b), complete: (id, f) => st!.complete(id, f), abandon: (id) => st!.abandon(id),
    }, unaligned ? Infinity : 0);
    st = new Subtask(0, 't', ctx, op as never, [{ uid: 'sum', op: op as never }], [], [], g, undefined, () => {}, 't', checkpoints, undefined);
    const pump = (): void => { for (const w of writers) w.flush(); for (let i = 0; i < 3; i++) st!.step(1000); };
    const barrier = (id: number) => ({ type: 'barrier' as const, checkpointId: id, timestampMs: 0, unaligned, savepoint: false });
    const [c0, c1] = writers as [typeof writers[0], typeof writers[0]];
    c0.write({ k: 'a', n: 1 }, 1);
    c0.write({ k: 'b', n: 1 }, 2);
    c0.control(barrier(1));
    c1.control(barrier(1));
    pump();
    c0.write({ k: 'a', n: 10 }, 3);
    c0.write({ k: 'c', n: 7 }, 4);
    c0.control(barrier(2)); // channel 1's barrier 2 is late: the snapshot is taken (at once, or at the timeout) ...
    pump();
    st.abortCheckpoint(2); // ... and the coordinator gives checkpoint 2 up
    c1.control(barrier(2));
    c0.write({ k: 'b', n: 5 }, 5);
    pump(); // read before any barrier 3, so it is in checkpoint 3's keyed state (not its channel state)
    c0.control(barrier(3));
    c1.control(barrier(3));
    pump();
    assert.deepEqual(sent.map((s) => `${s.ack ? 'ack' : 'abandoned'} ${s.id}`), ['ack 1', 'abandoned 2', 'ack 3']);
    // The coordinator's chains (coordinator.ts, record): a full chunk starts a key group's chain, a delta extends it.
    const chains = new Map<number, Chunk[]>();
    for (const { snap } of sent) for (const o of snap.operators) for (const c of o.snapshot.keyed ?? []) {
      chains.set(c.keyGroup, c.full || !chains.has(c.keyGroup) ? [c] : [...chains.get(c.keyGroup)!, c]);
    }
    const restored = reduceOp(new TaskContext('t', 0, 1, 128));
    restored.restoreState({ keyed: [...chains.values()].flat(), operator: [] });
    const table = restored.backend.table<Rec>('reduce', 'internal', undefined);
    const state = Object.fromEntries([...table.keys()].map((k) => [String(k), table.get(k)!.n]));
    assert.deepEqual(state, { a: 11, b: 6, c: 7 });
  });
}

/** A source reader of the numbers from..n-1, one split whose position is the next number. */
/**
 * An output gate into a ring (with room for unaligned barriers), a flatMap fanning each input out to `fan` records
 * into it, and `read`: the ring's records into `got` until a barrier (returned as true) or nothing is left.
 */
async function fanIntoRing(ctx: TaskContext, fan: number) {
  const { Ring, RingConsumer, RingProducer } = await import('../../shm/ring.js');
  const { ChannelReader, ChannelWriter, CONTROL, RECORD } = await import('../../shm/channel.js');
  const { genericCodec } = await import('../../shm/codec/generic.js');
  const { OutputGate } = await import('../../workers/output-gate.js');
  const { FlatMapOperator } = await import('../../core/operators/stateless.js');
  const codec = genericCodec<unknown>();
  const ring = Ring.create(1 << 14);
  const gate = new OutputGate<unknown>(ctx, [new ChannelWriter(new RingProducer(ring, undefined, { barrierHeadroom: 256 }), codec.encoder())], 'forward', undefined, 128, 0);
  const reader = new ChannelReader(new RingConsumer(ring), codec.decoder());
  const op = new FlatMapOperator<number, number>('fan', ctx, gate, (i, out) => { for (let j = 0; j < fan; j++) out.collect(i * fan + j); });
  const read = (got: number[]): boolean => {
    gate.flush();
    for (;;) {
      const r = reader.poll();
      if (r === RECORD) got.push(reader.record as number);
      else if (r === CONTROL) { if (reader.controlFrame!.type === 'barrier') return true; } else return false;
    }
  };
  return { gate, fan: op, read };
}

function counter(n: number, from: number, end: number) {
  const c = {
    pos: from,
    read(emit: (v: unknown) => void, max: number) {
      for (let k = 0; k < max && c.pos < n; k++) emit(c.pos++);
      return c.pos >= n ? end : SOURCE_MORE;
    },
    ready: () => Promise.resolve(),
    snapshot: () => [{ id: 'only', position: c.pos }],
  };
  return c;
}

// Regression: a source's read emits a batch (up to the step's budget), and everything a
// fanning-out flatMap made of it was queued in the output gate, ring full or not: 1024 records times the fan-out
// (gigabytes at 10,000). Now a record read while the chain is blocked waits at the source, and at most one record's
// output waits in the gate; a barrier goes out only once the held records are in (the reader's position counts them).
test('a fanning-out flatMap behind a source queues at most one record\'s output while its ring is full; nothing lost, in order', async () => {
  const { Ring, RingConsumer, RingProducer } = await import('../../shm/ring.js');
  const { ChannelReader, ChannelWriter, RECORD } = await import('../../shm/channel.js');
  const { genericCodec } = await import('../../shm/codec/generic.js');
  const { OutputGate } = await import('../../workers/output-gate.js');
  const { FlatMapOperator } = await import('../../core/operators/stateless.js');
  const { SOURCE_END } = await import('../../core/connectors/source.js');
  const N = 3000;
  const FAN = 50;
  const ctx = new TaskContext('t', 0, 1, 128);
  const codec = genericCodec<unknown>();
  const ring = Ring.create(1 << 14);
  const gate = new OutputGate<unknown>(ctx, [new ChannelWriter(new RingProducer(ring), codec.encoder())], 'forward', undefined, 128, 0);
  const reader = new ChannelReader(new RingConsumer(ring), codec.decoder());
  const fan = new FlatMapOperator<number, number>('fan', ctx, gate, (i, out) => { for (let j = 0; j < FAN; j++) out.collect(i * FAN + j); });
  const source = counter(N, 0, SOURCE_END);
  const barriers: { position: unknown; inChain: number }[] = [];
  const checkpoints = {
    ack: (_id: number, snap: { source?: { position: unknown }[] }) => { barriers.push({ position: snap.source![0]!.position, inChain: fan.recordsIn }); },
    abandoned: () => {}, decline: () => {}, finished: () => {},
  };
  const control = new Int32Array(4);
  const st = new Subtask(0, 't', ctx, fan, [{ uid: 'fan', op: fan }] as never, [gate], [], undefined, source as never, () => {}, 'src', checkpoints as never, { control, index: 0 });
  const got: number[] = [];
  const drainRing = (): void => { gate.flush(); while (reader.poll() === RECORD) got.push(reader.record as number); };

  st.step(1024);
  assert.ok(source.pos > 1, 'the reader emitted a batch');
  drainRing();
  assert.ok(gate.recordsOut - got.length <= FAN, `at most one record's output queued in the gate, not ${gate.recordsOut - got.length}`);
  control[0] = 1 << 2; // checkpoint 1, while records are held at the source
  for (let i = 0; i < 10_000 && st.state !== FINISHED; i++) { st.step(1024); drainRing(); }
  assert.equal(got.length, N * FAN);
  assert.deepEqual(got, Array.from({ length: N * FAN }, (_, i) => i), 'every record once, in order');
  assert.equal(barriers.length, 1);
  assert.equal(barriers[0]!.position, barriers[0]!.inChain, 'the barrier went out after every record its position counts');
  assert.equal(st.state, FINISHED);
});

// With two assigners chained, the task's watermark metric followed whichever wrote last, not what the
// chain sends on.
test('the task watermark metric is what the chain sends on: its outputs\' last watermark, else the chain\'s own', async () => {
  const { Ring, RingProducer } = await import('../../shm/ring.js');
  const { ChannelWriter } = await import('../../shm/channel.js');
  const { genericCodec } = await import('../../shm/codec/generic.js');
  const { OutputGate } = await import('../../workers/output-gate.js');
  const ctx = new TaskContext('t', 0, 1, 128);
  const out = new OutputGate<unknown>(ctx, [new ChannelWriter(new RingProducer(Ring.create(1 << 12)), genericCodec<unknown>().encoder())], 'forward', undefined, 128, 0);
  const withOutput = new Subtask(0, 't', ctx, out, [], [out], [], gate(0), undefined, () => {}, 't', undefined, undefined);
  ctx.emittedWatermark = 8045;
  ctx.watermark = 9000;
  out.watermark(-992_000);
  assert.equal(withOutput.emittedWatermark(), -992_000);
  const ctx2 = new TaskContext('t', 0, 1, 128);
  const sinkOnly = new Subtask(0, 't', ctx2, new Recorder(), [], [], [], gate(0), undefined, () => {}, 't', undefined, undefined);
  ctx2.watermark = 40;
  assert.equal(sinkOnly.emittedWatermark(), 40, 'the input\'s');
  ctx2.emittedWatermark = 30;
  assert.equal(sinkOnly.emittedWatermark(), 30, 'an assigner\'s in the chain');
});

// Unaligned checkpoints under backpressure: a blocked source subtask takes the trigger at once. Its held records
// and the gate's waiting output are the checkpoint's channel state; a restore from it (a new subtask, the source
// at the snapshot's position, setReplay) continues the output exactly where the barrier cut it.
test('an unaligned trigger passes a blocked source: held records and waiting output are channel state, and a restore continues exactly once', async () => {
  const { SOURCE_END } = await import('../../core/connectors/source.js');
  const { JOB_CHECKPOINT_UNALIGNED } = await import('../../shm/layout.js');
  const { OUTPUT, SOURCE_HELD } = await import('../../core/checkpoint/messages.js');
  const N = 2000;
  const FAN = 20;
  async function subtask(from: number, acks: { position: number; inFlight: InFlightRecord[] }[], control: Int32Array) {
    const ctx = new TaskContext('t', 0, 1, 128);
    const { gate, fan, read } = await fanIntoRing(ctx, FAN);
    const source = counter(N, from, SOURCE_END);
    const checkpoints = {
      ack: (_id: number, snap: { source?: { position: number }[]; inFlight?: InFlightRecord[] }) => { acks.push({ position: snap.source![0]!.position, inFlight: snap.inFlight ?? [] }); },
      abandoned: () => {}, decline: () => {}, finished: () => {},
    };
    const st = new Subtask(0, 't', ctx, fan, [{ uid: 'fan', op: fan }] as never, [gate], [], undefined, source as never, () => {}, 'src', checkpoints as never, { control, index: 0 });
    return { st, read };
  }

  const acks: { position: number; inFlight: InFlightRecord[] }[] = [];
  const control = new Int32Array(1);
  const first = await subtask(0, acks, control);
  first.st.step(1024);
  first.st.step(1024);
  control[0] = (1 << 2) | JOB_CHECKPOINT_UNALIGNED;
  assert.ok(first.st.canProgress(), 'blocked, it can still take the trigger');
  first.st.step(1024);
  assert.equal(acks.length, 1, 'the checkpoint was taken while the output was full');
  const { position, inFlight } = acks[0]!;
  const held = inFlight.filter((r) => r.input === SOURCE_HELD);
  const waiting = inFlight.filter((r) => r.input === OUTPUT);
  assert.ok(held.length > 0 && waiting.length > 0, `held ${held.length}, waiting ${waiting.length}`);
  const before: number[] = [];
  assert.equal(first.read(before), true, 'the barrier is in the ring behind what was there');

  // The restore: what came before the barrier, then the restored subtask's whole output.
  const restored = await subtask(position, [], new Int32Array(1));
  restored.st.setReplay(inFlight);
  const after: number[] = [];
  for (let i = 0; i < 10_000 && restored.st.state !== FINISHED; i++) { restored.st.step(1024); restored.read(after); }
  restored.read(after);
  assert.deepEqual([...before, ...after], Array.from({ length: N * FAN }, (_, i) => i), 'every record once, in order');
});

// alignmentTimeoutMs at a source: an aligned trigger waits for the held records (at the consumer's pace under
// backpressure) until the timeout; then it is taken unaligned, as above, and the ack says so. Without a timeout (the
// switch off) it keeps waiting.
test('an aligned trigger passes a blocked source once alignmentTimeoutMs has passed: taken unaligned, and a restore continues exactly once', async () => {
  const { SOURCE_END } = await import('../../core/connectors/source.js');
  const { OUTPUT, SOURCE_HELD } = await import('../../core/checkpoint/messages.js');
  const N = 2000;
  const FAN = 20;
  type Ack = { position: number; inFlight: InFlightRecord[]; unaligned: boolean | undefined };
  async function subtask(from: number, acks: Ack[], control: Int32Array, timeoutMs: number) {
    const ctx = new TaskContext('t', 0, 1, 128);
    const { gate, fan, read } = await fanIntoRing(ctx, FAN);
    const checkpoints = {
      ack: (_id: number, snap: { source?: { position: number }[]; inFlight?: InFlightRecord[] }, _syncMs: number, unaligned?: boolean) => {
        acks.push({ position: snap.source![0]!.position, inFlight: snap.inFlight ?? [], unaligned });
      },
      abandoned: () => {}, decline: () => {}, finished: () => {},
    };
    const st = new Subtask(0, 't', ctx, fan, [{ uid: 'fan', op: fan }] as never, [gate], [], undefined, counter(N, from, SOURCE_END) as never, () => {}, 'src', checkpoints as never, { control, index: 0 });
    st.alignmentTimeoutMs = timeoutMs;
    return { st, read };
  }
  /** A blocked source subtask with the aligned trigger of checkpoint 1 written. */
  async function blocked(timeoutMs: number, acks: Ack[]) {
    const control = new Int32Array(1);
    const s = await subtask(0, acks, control, timeoutMs);
    s.st.step(1024);
    s.st.step(1024);
    control[0] = 1 << 2;
    return s;
  }

  for (const timeoutMs of [Infinity, 60_000]) {
    const acks: Ack[] = [];
    const { st } = await blocked(timeoutMs, acks);
    assert.equal(st.canProgress(), false, `timeout ${timeoutMs}: blocked with held records, the aligned trigger waits`);
    st.step(1024);
    assert.equal(acks.length, 0);
    const w = st.wakeInMs();
    assert.ok(timeoutMs === Infinity ? w === Infinity : w > 59_000 && w <= 60_000, `timeout ${timeoutMs}: woken in ${w} ms`);
  }

  const acks: Ack[] = [];
  const first = await blocked(0, acks);
  assert.ok(first.st.canProgress(), 'timed out: blocked, it can take the trigger');
  first.st.step(1024);
  assert.equal(acks.length, 1, 'the checkpoint was taken while the output was full');
  const { position, inFlight, unaligned } = acks[0]!;
  assert.equal(unaligned, true, 'the ack says it was taken unaligned');
  const held = inFlight.filter((r) => r.input === SOURCE_HELD);
  const waiting = inFlight.filter((r) => r.input === OUTPUT);
  assert.ok(held.length > 0 && waiting.length > 0, `held ${held.length}, waiting ${waiting.length}`);
  const before: number[] = [];
  assert.equal(first.read(before), true, 'the barrier is in the ring behind what was there');
  const restored = await subtask(position, [], new Int32Array(1), 0);
  restored.st.setReplay(inFlight);
  const after: number[] = [];
  for (let i = 0; i < 10_000 && restored.st.state !== FINISHED; i++) { restored.st.step(1024); restored.read(after); }
  restored.read(after);
  assert.deepEqual([...before, ...after], Array.from({ length: N * FAN }, (_, i) => i), 'every record once, in order');
});

// Regression: beside an input gate still open, the gate's barrier starts a source's checkpoint (maybeTrigger), so a
// switch of its pending aligned trigger, due at alignmentTimeoutMs, could not be taken there: the blocked subtask
// still asked to be woken at once, every park returned at once, and the thread spun until the barrier came.
test('a blocked source beside an open input gate is not woken for its aligned trigger past alignmentTimeoutMs', async () => {
  const { SOURCE_END } = await import('../../core/connectors/source.js');
  const open = {
    allEnded: false, pump: () => 0, hasData: () => false, abort() {}, channelTimes: () => undefined, wire() {},
    overtakeWakeInMs: () => Infinity, alignmentTimeoutInMs: () => Infinity,
  } as unknown as InputGate;
  for (const input of [undefined, open]) {
    const ctx = new TaskContext('t', 0, 1, 128);
    const { gate: out, fan } = await fanIntoRing(ctx, 20);
    const control = new Int32Array(1);
    const checkpoints = { ack: () => {}, abandoned: () => {}, decline: () => {}, finished: () => {} };
    const st = new Subtask(0, 't', ctx, fan, [{ uid: 'fan', op: fan }] as never, [out], [], input, counter(2000, 0, SOURCE_END) as never, () => {}, 'src', checkpoints as never, { control, index: 0 });
    st.alignmentTimeoutMs = 0;
    st.step(1024);
    st.step(1024);
    assert.ok(st.blocked(), 'its output is full');
    control[0] = 1 << 2;
    const w = st.wakeInMs();
    if (input === undefined) assert.ok(w <= 0, `alone, the switched trigger is its to take: woken in ${w} ms`);
    else assert.equal(w, Infinity, 'beside an open gate, the barrier comes through the gate');
  }
});

// A reader that says where the tail of its last read began (a generator): the held records' first carries those
// positions (`from`), and a reader from there, with no held record replayed, reads them again: every record once,
// in order (what a restore does with them, in-flight-rescale.ts). A reader that cannot say leaves `from` out.
test('an unaligned checkpoint of a blocked generator says where its held records began; read again from there, every record once, in order', async () => {
  const { GeneratorReader, strideSplits } = await import('../../core/connectors/generator.js');
  const { JOB_CHECKPOINT_UNALIGNED } = await import('../../shm/layout.js');
  const { OUTPUT, SOURCE_HELD } = await import('../../core/checkpoint/messages.js');
  type Split = { id: string; position: unknown };
  const N = 2000;
  const FAN = 20;
  async function subtask(splits: Split[], acks: { source: Split[]; inFlight: InFlightRecord[] }[], control: Int32Array, unread = true) {
    const ctx = new TaskContext('t', 0, 1, 128);
    const { gate, fan, read } = await fanIntoRing(ctx, FAN);
    const gen = new GeneratorReader((i) => i, 0, N, splits, undefined);
    const source = unread ? gen : { read: gen.read.bind(gen), ready: gen.ready.bind(gen), snapshot: gen.snapshot.bind(gen) };
    const checkpoints = {
      ack: (_id: number, snap: { source?: Split[]; inFlight?: InFlightRecord[] }) => { acks.push({ source: snap.source!, inFlight: snap.inFlight ?? [] }); },
      abandoned: () => {}, decline: () => {}, finished: () => {},
    };
    const st = new Subtask(0, 't', ctx, fan, [{ uid: 'fan', op: fan }] as never, [gate], [], undefined, source as never, () => {}, 'src', checkpoints as never, { control, index: 0 });
    return { st, read };
  }
  const taken = async (unread: boolean) => {
    const acks: { source: Split[]; inFlight: InFlightRecord[] }[] = [];
    const control = new Int32Array(1);
    const first = await subtask(strideSplits(1), acks, control, unread);
    first.st.step(1024);
    first.st.step(1024);
    control[0] = (1 << 2) | JOB_CHECKPOINT_UNALIGNED;
    first.st.step(1024);
    assert.equal(acks.length, 1, 'the checkpoint was taken while the output was full');
    return { ...acks[0]!, first };
  };
  const { inFlight, first } = await taken(true);
  const held = inFlight.filter((r) => r.input === SOURCE_HELD);
  assert.ok(held.length > 0, 'records held at the source');
  assert.deepEqual(held[0]!.from, [{ id: '0/1', position: { start: 0, stride: 1, next: held[0]!.value } }], 'from the first held record on');
  assert.deepEqual(held.slice(1).filter((r) => r.from !== undefined), [], 'on the first only');
  const before: number[] = [];
  assert.equal(first.read(before), true);
  // Read again from `from`, the held records not replayed (what the gate had not sent is).
  const restored = await subtask(held[0]!.from!, [], new Int32Array(1));
  restored.st.setReplay(inFlight.filter((r) => r.input === OUTPUT));
  const after: number[] = [];
  for (let i = 0; i < 10_000 && restored.st.state !== FINISHED; i++) { restored.st.step(1024); restored.read(after); }
  restored.read(after);
  assert.deepEqual([...before, ...after], Array.from({ length: N * FAN }, (_, i) => i), 'every record once, in order');
  assert.equal((await taken(false)).inFlight.find((r) => r.input === SOURCE_HELD)?.from, undefined, 'a reader without unread: not said');
});

// An asyncMap at capacity reads no input either: an unaligned barrier behind its input is still taken ahead, the
// record behind the full operator as channel state and the request in flight in the operator's own state.
test('a full asyncMap still takes an unaligned barrier ahead of its input', async () => {
  const { Ring, RingConsumer, RingProducer } = await import('../../shm/ring.js');
  const { ChannelReader, ChannelWriter } = await import('../../shm/channel.js');
  const { genericCodec } = await import('../../shm/codec/generic.js');
  const { InputGate } = await import('../../workers/input-gate.js');
  const { AsyncOperator } = await import('../../core/operators/async-operator.js');
  const { JOB_CHECKPOINT_UNALIGNED } = await import('../../shm/layout.js');
  const ctx = new TaskContext('t', 0, 1, 128);
  const codec = genericCodec<unknown>();
  const ring = Ring.create(1 << 14);
  const writer = new ChannelWriter(new RingProducer(ring), codec.encoder());
  const control = new Int32Array(1);
  const acks: { inFlight: InFlightRecord[]; operators: { uid: string; snapshot: { operator?: unknown[] } }[] }[] = [];
  const checkpoints = { ack: (_id: number, snap: never) => acks.push(snap), abandoned: () => {}, decline: () => {}, finished: () => {} };
  let st: Subtask | undefined;
  const barriers = {
    snapshot: (b: never) => st!.snapshot(b), complete: (id: number, f: InFlightRecord[]) => st!.complete(id, f), abandon: (id: number) => st!.abandon(id),
  };
  const gate = new InputGate([new ChannelReader(new RingConsumer(ring), codec.decoder())], [0], ctx, barriers, Infinity, 0, { control, index: 0 }, 0);
  // Capacity 1 and a request that settles only at the end: full after the first record.
  let settle: (v: number) => void = () => {};
  const op = new AsyncOperator<number, number>('lookup', ctx, new Recorder(), () => new Promise<number>((r) => { settle = r; }), { capacity: 1, timeoutMs: 60_000 });
  st = new Subtask(0, 't', ctx, op as never, [{ uid: 'lookup', op: op as never }], [], [], gate, undefined, () => {}, 't', checkpoints as never, { control, index: 0 });
  writer.write(1);
  writer.write(2);
  writer.control({ type: 'barrier', checkpointId: 1, timestampMs: 0, unaligned: true, savepoint: false });
  writer.flush();
  st.step(1024);
  assert.equal(op.canAcceptInput(), false, 'full');
  assert.equal(acks.length, 0);
  control[0] = (1 << 2) | JOB_CHECKPOINT_UNALIGNED;
  assert.equal(st.canProgress(), true, 'the barrier ahead is work to do');
  st.step(1024);
  assert.equal(acks.length, 1, 'the checkpoint completed with the operator still full');
  assert.deepEqual(acks[0]!.inFlight.map((r) => r.value), [2]);
  assert.deepEqual(acks[0]!.operators.find((o) => o.uid === 'lookup')?.snapshot.operator?.map((e) => (e as { value: number }).value ?? e), [1]);
  settle(1);
});

// Regression (regression: 1 of 1,000 dead letters lost across a restart): records in an output's
// open batch at an aligned barrier go out before it, but one too large for the ring was split off and rejected only
// as the queue drained, after the dead-letter output had sent the barrier: its letter landed in the next
// checkpoint, and a restore from this one (which resumes after the record) lost it. Now the dead-letter output
// defers its barrier while another output holds records from before it, and takes their letters ahead of it.
test('a record rejected as it drains from before an aligned barrier has its dead letter before that barrier; later ones after', async () => {
  const { Ring, RingConsumer, RingProducer } = await import('../../shm/ring.js');
  const { ChannelReader, ChannelWriter, CONTROL, EMPTY, RECORD } = await import('../../shm/channel.js');
  const { genericCodec } = await import('../../shm/codec/generic.js');
  const { OutputGate } = await import('../../workers/output-gate.js');
  const ctx = new TaskContext('t', 0, 1, 128);
  const codec = genericCodec<unknown>();
  const link = (capacity: number) => {
    const ring = Ring.create(capacity);
    return { writer: new ChannelWriter(new RingProducer(ring), codec.encoder(), { batches: true }), reader: new ChannelReader(new RingConsumer(ring), codec.decoder(), { batches: true }) };
  };
  const data = link(1 << 12);
  const dead = link(1 << 14);
  const letters = new OutputGate<unknown>(ctx, [dead.writer], 'forward', undefined, 128, 0, 32);
  letters.carriesDeadLetters = true;
  const out = new OutputGate<unknown>(ctx, [data.writer], 'forward', undefined, 128, 0, 32);
  out.onTooLarge = (v) => letters.push(`letter ${(v as { id: string }).id}`);
  // The dead-letter output first: the old order sent it the barrier before the other output split its batch.
  const st = new Subtask(0, 't', ctx, out, [], [letters, out], [], undefined, undefined, () => {}, 't', undefined, undefined);
  const readAll = (r: typeof data.reader): string[] => {
    const got: string[] = [];
    for (let x = r.poll(); x !== EMPTY; x = r.poll()) {
      if (x === RECORD) got.push(typeof r.record === 'string' ? r.record : (r.record as { id: string }).id);
      else if (x === CONTROL && r.controlFrame!.type === 'barrier') got.push(`barrier ${r.controlFrame!.checkpointId}`);
    }
    return got;
  };
  const big = (id: string) => ({ id, pad: 'x'.repeat(3000) });
  const small = (id: string) => ({ id, pad: 'x'.repeat(900) });
  // r0..r3 fill the data ring: of the batch split at the barrier, 'b1' is rejected at once, 'b2' (behind the held
  // 'r4') only once the reader has made room.
  for (const v of [small('r0'), small('r1'), small('r2'), big('b1'), small('r3'), small('r4'), small('r5'), big('b2')]) out.push(v);
  st.snapshot({ type: 'barrier', checkpointId: 1, timestampMs: 0, unaligned: false, savepoint: false });
  out.push(big('b3')); // after the barrier
  st.step(100);
  st.flush();
  const first = readAll(data.reader);
  assert.ok(!first.includes('barrier 1'), `the data ring is full before the barrier: ${first.join(', ')}`);
  const deadGot = readAll(dead.reader);
  assert.ok(!deadGot.includes('barrier 1'), 'the dead-letter barrier waits for the data output\'s');
  for (let i = 0; i < 20 && (out.blocked || letters.blocked); i++) { st.step(100); st.flush(); first.push(...readAll(data.reader)); deadGot.push(...readAll(dead.reader)); }
  assert.deepEqual(first, ['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'barrier 1']);
  assert.deepEqual(deadGot, ['letter b1', 'letter b2', 'barrier 1', 'letter b3']);
});

/** A source that acknowledges upstream (a Redis consumer group's kind): `n` records, then END; its acks recorded. */
function acknowledgingSource(n: number, end = true) {
  let read = 0;
  let marked = 0;
  const acked: number[] = [];
  return {
    acked,
    get read() { return read; },
    reader: {
      read(emit: (v: unknown) => void, max: number) {
        let k = 0;
        while (k < max && read < n) { emit(read++); k++; }
        return k > 0 ? SOURCE_MORE : end ? SOURCE_END : SOURCE_WAIT;
      },
      ready: () => new Promise<void>(() => {}),
      snapshot() { marked = read; return []; },
      notifyCheckpointComplete() { acked.push(marked); },
    },
  };
}

/** A record holder (an async operator's kind) that takes `room` records, then is full for good. */
function fullAfter(room: number) {
  let held = 0;
  const op = {
    recordsIn: 0, recordsOut: 0,
    push() { held++; },
    canAcceptInput: () => held < room,
    hasPendingWork: () => false,
    pollPending: () => 0,
    drained: false,
    nextProcessingTime: () => Infinity,
  };
  return op;
}

// Regression: without checkpoints, canProgress said an acknowledgement was due while step returned early (its async
// operator full) without doing it: the loop spun, giving the async calls no event-loop turn (2 ms a record).
test('without checkpoints: a due acknowledgement is done by the next step, whatever makes the step return early', () => {
  const head = new Recorder();
  const src = acknowledgingSource(100, false);
  const holder = fullAfter(10);
  const st = new Subtask(0, 't', new TaskContext('t', 0, 1, 128), holder as never, [{ uid: 'async', op: holder as never }], [], [], undefined, src.reader as never, () => {}, 't', undefined, undefined);
  st.step(5);
  assert.ok(src.read > 0);
  // The first acknowledgement is due at once; later ones AUTO_ACK_MS apart.
  (st as unknown as { autoAckAt: number }).autoAckAt = 0;
  for (let i = 0; i < 5; i++) st.step(5); // fills the holder: later steps return early
  assert.equal(holder.canAcceptInput(), false);
  (st as unknown as { autoAckAt: number }).autoAckAt = 0;
  assert.equal(st.canProgress(), true, 'due');
  const before = src.acked.length;
  st.step(5);
  assert.equal(src.acked.length, before + 1, 'the step acknowledged');
  assert.equal(src.acked.at(-1), src.read, 'everything read so far');
  assert.equal(st.canProgress(), false, 'nothing left to do: the loop parks');
  void head;
});

test('without checkpoints: a source that ends has its last reads acknowledged, and its thread is not woken for them', () => {
  const head = new Recorder();
  const src = acknowledgingSource(30);
  const st = new Subtask(0, 't', new TaskContext('t', 0, 1, 128), head, [], [], [], undefined, src.reader as never, () => {}, 't', undefined, undefined);
  for (let i = 0; i < 10 && st.state !== FINISHED; i++) st.step(7);
  assert.equal(st.state, FINISHED);
  assert.equal(src.acked.at(-1), 30, 'the last reads too');
  assert.equal(st.wakeInMs(), Infinity);
});

// Regression: the acknowledgement of an ending source's last reads was not awaited, so the source's close (right
// after the task loop) could cut it off, and its failure was never seen.
test('without checkpoints: the last acknowledgement of a source that ends is awaited before it closes, and its failure fails the task', async () => {
  for (const outcome of ['resolve', 'reject'] as const) {
    const src = acknowledgingSource(30);
    const settlers: (() => void)[] = [];
    (src.reader as unknown as { notifyCheckpointComplete: () => Promise<void> }).notifyCheckpointComplete = () => new Promise<void>((res, rej) => { settlers.push(outcome === 'resolve' ? res : () => rej(new Error('XACK failed'))); });
    const st = new Subtask(0, 't', new TaskContext('t', 0, 1, 128), new Recorder(), [], [], [], undefined, src.reader as never, () => {}, 't', undefined, undefined);
    for (let i = 0; i < 10 && st.state !== FINISHED; i++) st.step(7);
    assert.equal(st.state, FINISHED);
    assert.ok(settlers.length >= 1);
    let settled = false;
    const notified = st.sourceNotified().then(() => { settled = true; }, (e: unknown) => { settled = true; throw e; });
    // Several turns of the event loop: still waiting for the acknowledgement.
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    assert.equal(settled, false, `${outcome}: waits for the acknowledgement`);
    for (const settle of settlers) settle();
    if (outcome === 'resolve') await notified;
    else await assert.rejects(notified, (e: unknown) => e instanceof OperatorError && /XACK failed/.test((e as Error).message));
    assert.equal(settled, true);
  }
});

test('without checkpoints: a last acknowledgement that never settles fails the task after the wait, naming the source', async () => {
  const src = acknowledgingSource(30);
  (src.reader as unknown as { notifyCheckpointComplete: () => Promise<void> }).notifyCheckpointComplete = () => new Promise<void>(() => {});
  const st = new Subtask(0, 't', new TaskContext('t', 0, 1, 128), new Recorder(), [], [], [], undefined, src.reader as never, () => {}, 'src', undefined, undefined);
  for (let i = 0; i < 10 && st.state !== FINISHED; i++) st.step(7);
  assert.equal(st.state, FINISHED);
  await assert.rejects(st.sourceNotified(20), (e: unknown) => e instanceof OperatorError && e.operator === 'src'
    && /its acknowledgement upstream of what it read last had not settled 20 ms later/.test((e as Error).message));
});

// Per-split watermarks: a reader that tracks splits switches before each run of records; records it emits while
// the chain is blocked wait at the source, and so must its switches, or the records held would be put down to the
// split it switched to after them.
test('split switches made while records are held wait among them: each record reaches the chain under its own split', async () => {
  const { Ring, RingConsumer, RingProducer } = await import('../../shm/ring.js');
  const { ChannelReader, ChannelWriter, RECORD } = await import('../../shm/channel.js');
  const { genericCodec } = await import('../../shm/codec/generic.js');
  const { OutputGate } = await import('../../workers/output-gate.js');
  const { FlatMapOperator } = await import('../../core/operators/stateless.js');
  const N = 3000;
  const FAN = 50;
  const RUN = 7;
  const ctx = new TaskContext('t', 0, 1, 128);
  const codec = genericCodec<unknown>();
  const ring = Ring.create(1 << 14);
  const gate = new OutputGate<unknown>(ctx, [new ChannelWriter(new RingProducer(ring), codec.encoder())], 'forward', undefined, 128, 0);
  const reader = new ChannelReader(new RingConsumer(ring), codec.decoder());
  const tracker = { current: '', added: [] as string[], ended: [] as string[], add(id: string) { this.added.push(id); }, switchTo(id: string) { this.current = id; }, end(id: string) { this.ended.push(id); } };
  const wrong: string[] = [];
  const fan = new FlatMapOperator<{ split: string; i: number }, number>('fan', ctx, gate, (r, out) => {
    if (r.split !== tracker.current) wrong.push(`${r.split}#${r.i} under ${tracker.current}`);
    for (let j = 0; j < FAN; j++) out.collect(r.i * FAN + j);
  });
  /** Runs of RUN records from split a, then b, then a, ...; each split ended once the reader has read N. */
  let pos = 0;
  let out: { add(id: string): void; switchTo(id: string): void; end(id: string): void } | undefined;
  const source = {
    trackSplits(t: typeof out) { out = t; out!.add('a'); out!.add('b'); },
    read(emit: (v: unknown) => void, max: number) {
      let k = 0;
      while (k < max && pos < N) {
        const split = Math.floor(pos / RUN) % 2 === 0 ? 'a' : 'b';
        out!.switchTo(split);
        for (let r = 0; r < RUN && pos < N && k < max; r++, k++) emit({ split, i: pos++ });
      }
      if (pos < N) return SOURCE_MORE;
      out!.end('a');
      out!.end('b');
      return SOURCE_END;
    },
    ready: () => Promise.resolve(),
    snapshot: () => [],
  };
  const st = new Subtask(0, 't', ctx, fan, [{ uid: 'fan', op: fan }] as never, [gate], [], undefined, source as never, () => {}, 'src', undefined, undefined);
  st.trackSplits(tracker);
  const got: number[] = [];
  let heldWithSwitches = 0;
  for (let i = 0; i < 10_000 && st.state !== FINISHED; i++) {
    st.step(1024);
    if ((st as unknown as { sourceHeld: unknown[] }).sourceHeld.some((v) => typeof v === 'symbol')) heldWithSwitches++;
    gate.flush();
    while (reader.poll() === RECORD) got.push(reader.record as number);
  }
  assert.deepEqual(wrong.slice(0, 3), []);
  assert.ok(heldWithSwitches > 0, 'switches were made while records were held');
  assert.equal(got.length, N * FAN);
  assert.deepEqual(tracker.added, ['a', 'b']);
  assert.deepEqual(tracker.ended, ['a', 'b'], 'ended after their last records');
  assert.equal(st.state, FINISHED);
});

/** A reader that emits `records` once then waits; `splits` says what hasSplits answers (undefined: no hasSplits). */
function waitingReader(records: number, splits: { holds?: boolean; throws?: boolean } = {}) {
  let left = records;
  const settled = Promise.resolve();
  return {
    read(emit: (v: unknown) => void) {
      for (; left > 0; left--) emit(left);
      return SOURCE_WAIT;
    },
    /** One settled promise: awaited after a step, the subtask has seen it settle (its reaction came first). */
    settled,
    ready: () => settled,
    snapshot: () => [],
    ...(splits.holds === undefined && splits.throws !== true ? {} : { hasSplits: () => { if (splits.throws === true) throw new Error('no idea'); return splits.holds!; } }),
  };
}

test('a source whose reader holds no split (hasSplits false) and reads nothing is said to hold none, until it holds one', async () => {
  const reader = waitingReader(0, { holds: false });
  const ctx = new TaskContext('t', 0, 1, 128);
  const st = new Subtask(0, 't', ctx, new Recorder(), [], [], [], undefined, reader as never, () => {}, 't', undefined, undefined);
  st.step(8);
  assert.equal(ctx.sourceHoldsNoSplit, true);
  (reader as { hasSplits: () => boolean }).hasSplits = () => true;
  await reader.settled;
  st.step(8);
  assert.equal(ctx.sourceHoldsNoSplit, false, 'given a split (a file found): no longer');
});

test('a reader without hasSplits given none of its source\'s splits holds none until its first record; one given some never does', async () => {
  for (const [given, records, want] of [[true, 0, true], [true, 3, false], [false, 0, false]] as const) {
    const ctx = new TaskContext('t', 0, 1, 128);
    const reader = waitingReader(records);
    const st = new Subtask(0, 't', ctx, new Recorder(), [], [], [], undefined, reader as never, () => {}, 't', undefined, undefined);
    st.givenNoSplits = given;
    st.step(8);
    // Read again, finding nothing now.
    await reader.settled;
    st.step(8);
    assert.equal(ctx.sourceHoldsNoSplit, want, `given none: ${given}, records: ${records}`);
  }
});

test('a hasSplits that throws fails the task naming the hook', () => {
  const st = new Subtask(0, 't', new TaskContext('t', 0, 1, 128), new Recorder(), [], [], [], undefined, waitingReader(0, { throws: true }) as never, () => {}, 'src', undefined, undefined);
  assert.throws(() => st.step(8), (e: unknown) => e instanceof OperatorError && e.hook === 'hasSplits' && e.operator === 'src');
});

// Regression (review): with latency tracking on, a source task whose source had ended while its task still read
// its input gate counted its next marker as due for ever: canProgress said so and every park returned at once (the
// thread spun at 100% CPU until the gate ended). A marker that cannot go out no longer wakes it.
test('latency tracking: an ended source beside a gate still running is not woken for a marker it will never send', () => {
  const head = new Recorder();
  const quiet = { ...gate(1), get allEnded() { return false; }, pump: () => 0, hasData: () => false } as unknown as InputGate;
  const ended = { read: () => SOURCE_END, ready: () => Promise.resolve(), snapshot: () => [] };
  const st = new Subtask(0, 't', new TaskContext('t', 0, 1, 128), head, [], [], [], quiet, ended as never, () => {}, 't', undefined, undefined);
  for (let i = 0; i < 5; i++) st.step(16);
  assert.notEqual(st.state, FINISHED, 'the gate still runs');
  st.latency = { nextMarkerAt: 0, emitDue: () => 0, onMarker: () => {} } as never;
  assert.equal(st.markerDueAt(), Infinity);
  assert.equal(st.canProgress(), false, 'nothing to do: the loop parks');
  assert.ok(st.wakeInMs() > 0);
});

/** An output gate into a ring of its own, for a subtask's end. */
async function ringGate(ctx: TaskContext) {
  const { Ring, RingProducer } = await import('../../shm/ring.js');
  const { ChannelWriter } = await import('../../shm/channel.js');
  const { genericCodec } = await import('../../shm/codec/generic.js');
  const { OutputGate } = await import('../../workers/output-gate.js');
  return new OutputGate<unknown>(ctx, [new ChannelWriter(new RingProducer(Ring.create(1 << 12)), genericCodec<unknown>().encoder())], 'forward', undefined, 128, 0);
}

// Regression: status showed a source task's watermark as none while a subtask of it held no split: the idle flag
// (the metric) is what the ends of its chain were last told, so status can leave idle subtasks out.
test('the idle flag is what the chain\'s ends were last told: idleness, until a watermark or idleness ended; an end told nothing does not count', async () => {
  const { SinkOperator } = await import('../../core/operators/sink-operator.js');
  const ctx = new TaskContext('t', 0, 1, 128);
  const [out, letters] = [await ringGate(ctx), await ringGate(ctx)];
  const st = new Subtask(0, 't', ctx, out, [], [out, letters], [], gate(0), undefined, () => {}, 't', undefined, undefined);
  assert.equal(st.watermarkIdle(), false, 'nothing told yet');
  out.idle(true);
  assert.equal(st.watermarkIdle(), true, 'the gate told nothing (dead letters get no watermarks) does not count');
  out.watermark(5);
  assert.equal(st.watermarkIdle(), false, 'a watermark: active');
  out.idle(true);
  out.idle(false);
  assert.equal(st.watermarkIdle(), false, 'idleness ended');
  // A chain that ends in a sink (a source chained to it): the sink's.
  const sctx = new TaskContext('t', 0, 1, 128);
  const sink = new SinkOperator<unknown>('out', sctx, { write() {}, finish: () => undefined }, false);
  const sinkOnly = new Subtask(0, 't', sctx, sink, [{ uid: 'out', op: sink }] as never, [], [sink], gate(0), undefined, () => {}, 't', undefined, undefined);
  sink.idle(true);
  assert.equal(sinkOnly.watermarkIdle(), true);
  sink.watermark(7);
  assert.equal(sinkOnly.watermarkIdle(), false);
});

test('a source idle by withIdleness is flagged idle until its next record', async () => {
  const { TimestampsOperator } = await import('../../core/time/timestamps-operator.js');
  const { WatermarkStrategy } = await import('../../core/time/watermark-strategy.js');
  const ctx = new TaskContext('t', 0, 1, 128);
  const out = await ringGate(ctx);
  const stamps = new TimestampsOperator<number>('stamps', ctx, out, WatermarkStrategy.forMonotonousTimestamps<number>().withTimestampAssigner((n) => n).withIdleness(0), 1);
  stamps.behindSource = true;
  const queue: number[] = [1000];
  const reader = { read(emit: (v: unknown) => void) { if (queue.length === 0) return SOURCE_WAIT; emit(queue.shift()); return SOURCE_MORE; }, ready: () => Promise.resolve(), snapshot: () => [] };
  const st = new Subtask(0, 't', ctx, stamps, [{ uid: 'stamps', op: stamps }] as never, [out], [], undefined, reader as never, () => {}, 'src', undefined, undefined);
  st.step(8);
  stamps.onProcessingTime(Date.now() + 10);
  assert.equal(st.watermarkIdle(), false, 'a record, then its watermark');
  // Its reads find nothing: with a timeout of 0, idle at the next interval.
  st.step(8);
  assert.ok(ctx.sourceIdleSince === ctx.sourceIdleSince, 'its reads found nothing');
  stamps.onProcessingTime(Date.now() + 20);
  assert.equal(st.watermarkIdle(), true);
  queue.push(2000);
  await Promise.resolve();
  st.step(8);
  assert.equal(stamps.recordsIn, 2);
  assert.equal(st.watermarkIdle(), false, 'a record marks it active again');
});
