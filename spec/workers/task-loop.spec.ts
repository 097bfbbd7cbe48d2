// The task loop on this thread, over a real subtask (a ring, its input gate, a keyed process operator chained to an
// asyncMap): how many turns it takes, read from its own loop-turn counter (what the coordinator samples).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runTaskLoop } from '../../workers/task-loop.js';
import { Subtask } from '../../workers/subtask.js';
import { InputGate } from '../../workers/input-gate.js';
import { Doorbell } from '../../shm/doorbell.js';
import { Ring, RingConsumer, RingProducer } from '../../shm/ring.js';
import { ChannelReader, ChannelWriter } from '../../shm/channel.js';
import { genericCodec } from '../../shm/codec/generic.js';
import { waitStrategy } from '../../shm/wait-strategy.js';
import { StreamEnvironment, type Collector, type KeyedContext, type OnTimerContext } from '../../core/index.js';
import { createOperator } from '../../core/operators/create-operator.js';
import { operatorBuilders } from '../../core/operators/builders.js';
import { TaskContext } from '../../core/operators/task-context.js';
import type { Operator } from '../../core/operators/operator.js';
import { Recorder } from '../support/recorder.js';

interface Ev { k: string; ts: number }

// Regression (the fix is in Subtask.canProgress): the final watermark's timers, due, behind an asyncMap at capacity.
// A step fires nothing until a request completes (the completion rings the doorbell), but canProgress said yes to
// the due timers, so the loop never parked: it turned over and over, a settle hop at a time, until the request
// settled (a request settled by I/O, which needs the event loop, never did). Each request here settles after
// HOPS microtask turns, as an async function awaiting a chain of cached lookups does: the loop parked, they run
// while it is parked; spinning, they moved a few hops per turn.
test('the final watermark\'s timers behind a full asyncMap: the loop parks until a request completes, it does not spin', async () => {
  const N = 40;
  const HOPS = 400;
  const env = new StreamEnvironment(1);
  const looked = env.fromCollection<Ev>([]).keyBy((e) => e.k)
    .process<string>({
      processElement(e: Ev, ctx: KeyedContext<string>): void { ctx.timerService.registerEventTimeTimer(e.ts + 1e9); },
      onTimer(_ts: number, ctx: OnTimerContext<string>, out: Collector<string>): void { out.collect(ctx.key); },
    }).name('timers')
    .asyncMap(async (k: string) => {
      for (let i = 0; i < HOPS; i++) await undefined;
      return k;
    }, { capacity: 1 }).name('lookup');
  const ctx = new TaskContext('t', 0, 1, env.graph.maxParallelism);
  const bell = Doorbell.create();
  ctx.wake = () => bell.ring();
  const out = new Recorder();
  const build = { graph: env.graph, checkpointing: false };
  const lookup = createOperator(looked.node, ctx, out, build, operatorBuilders) as Operator<unknown, unknown>;
  const timersNode = env.graph.nodes.find((n) => n.name === 'timers')!;
  const timers = createOperator(timersNode, ctx, lookup, build, operatorBuilders) as Operator<unknown, unknown>;

  const codec = genericCodec<unknown>();
  const ring = Ring.create(1 << 16);
  const writer = new ChannelWriter(new RingProducer(ring, bell), codec.encoder());
  const noBarriers = { snapshot() {}, complete() {}, abandon() {} };
  const gate = new InputGate([new ChannelReader(new RingConsumer(ring), codec.decoder())], [0], ctx, noBarriers as never, Infinity);
  const st = new Subtask(0, 't', ctx, timers, [{ uid: 'timers', op: timers }, { uid: 'lookup', op: lookup }] as never, [], [], gate, undefined, () => bell.ring(), 't', undefined, undefined);
  for (let i = 0; i < N; i++) writer.write({ k: `k${i}`, ts: i } satisfies Ev, i);
  await writer.close();

  const control = new Int32Array(new SharedArrayBuffer(128));
  const TURNS = 16;
  await runTaskLoop([st], bell, control, new Float64Array(256), [0], {
    budget: 1024, bufferTimeoutMs: 1, yieldEveryMs: 20, fineWaitMs: 0, settleHops: 4, turnsAt: TURNS,
    wait: waitStrategy({ mode: 'async', spin: 0, parkTimeoutMs: 200 }),
  });
  assert.deepEqual([...out.values].sort(), Array.from({ length: N }, (_, i) => `k${i}`).sort(), 'every timer fired once, through the asyncMap');
  // Parked, a request costs about two turns: the one that finds nothing to do and parks, and the one its completion
  // wakes, which fires the next timer into the freed slot (82 turns for 40 here). Spinning, a turn for every few of
  // a request's HOPS (10,469 for 40 without the fix).
  const turns = Atomics.load(control, TURNS);
  assert.ok(turns <= 10 * N, `${turns} loop turns for ${N} requests`);
});

// Regression (the fix is in Subtask.markerDueAt; the gate's case is in subtask.spec.ts): with latency tracking on, a
// source chained to a full asyncMap holds the records it read meanwhile, and its due marker goes only after them.
// Counted as due, every park's re-check returned at once: the loop turned a settle hop at a time until a request
// settled. Each read here emits a batch, then the source waits a turn of the event loop (paced by the loop, not a
// clock); each request settles after HOPS microtask turns.
test('a paced source chained to a full asyncMap, latency tracking on: the loop parks until a request completes, it does not spin', async () => {
  const { LatencyTracking } = await import('../../workers/latency-markers.js');
  const { SOURCE_END, SOURCE_MORE, SOURCE_WAIT } = await import('../../core/connectors/source.js');
  const N = 40;
  const BATCH = 8;
  const HOPS = 400;
  const env = new StreamEnvironment(1);
  const looked = env.fromCollection<string>([]).name('src')
    .asyncMap(async (k: string) => {
      for (let i = 0; i < HOPS; i++) await undefined;
      return k;
    }, { capacity: 1 }).name('lookup');
  const ctx = new TaskContext('t', 0, 1, env.graph.maxParallelism);
  const bell = Doorbell.create();
  ctx.wake = () => bell.ring();
  const out = new Recorder();
  const lookup = createOperator(looked.node, ctx, out, { graph: env.graph, checkpointing: false }, operatorBuilders) as Operator<unknown, unknown>;
  let next = 0;
  let waited = false;
  const reader = {
    read(emit: (v: unknown) => void) {
      if (next >= N) return SOURCE_END;
      if (waited) { waited = false; for (let k = 0; k < BATCH && next < N; k++) emit(`k${next++}`); return SOURCE_MORE; }
      waited = true;
      return SOURCE_WAIT;
    },
    ready: () => new Promise<void>((r) => setImmediate(r)),
    snapshot: () => [],
  };
  const st = new Subtask(0, 't', ctx, lookup, [{ uid: 'lookup', op: lookup }] as never, [], [], undefined, reader as never, () => bell.ring(), 'src', undefined, undefined);
  // A marker due every millisecond: due at nearly every park.
  st.latency = new LatencyTracking(1, { operator: 0, subtask: 0 }, false);

  const control = new Int32Array(new SharedArrayBuffer(128));
  const TURNS = 16;
  await runTaskLoop([st], bell, control, new Float64Array(256), [0], {
    budget: 1024, bufferTimeoutMs: 1, yieldEveryMs: 20, fineWaitMs: 0, settleHops: 4, turnsAt: TURNS,
    wait: waitStrategy({ mode: 'async', spin: 0, parkTimeoutMs: 200 }),
  });
  assert.deepEqual(out.values, Array.from({ length: N }, (_, i) => `k${i}`), 'every record once, in order, through the asyncMap');
  // Parked, a request costs a few turns (the source's waits add some); spinning, a turn for every few of its HOPS.
  const turns = Atomics.load(control, TURNS);
  assert.ok(turns <= 10 * N, `${turns} loop turns for ${N} requests`);
});
