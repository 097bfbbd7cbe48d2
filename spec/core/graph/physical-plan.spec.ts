// The planner: which operators chain, how many channels each edge gets, where subtasks run.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StreamEnvironment } from '../../../core/api/environment.js';
import { plan } from '../../../core/graph/physical-plan.js';
import { MapStateDescriptor } from '../../../core/api/broadcast-state.js';
import { DEAD_LETTERS } from '../../../core/api/dead-letters.js';

function pipeline(parallelism: number): StreamEnvironment {
  const env = new StreamEnvironment(parallelism);
  env.fromGenerator({ count: 10 }, (i) => i).name('src')
    .map((x: number) => x).name('m')
    .filter((x) => x > 0).name('f')
    .keyBy((x) => x % 3)
    .reduce((a, b) => a + b).name('r')
    .discard().name('out');
  env.graph.validate();
  return env;
}

test('forward edges of equal parallelism chain; keyBy breaks the chain', () => {
  const p = plan(pipeline(2).graph, { chaining: true, threads: 2 });
  assert.deepEqual(p.tasks.map((t) => t.name), ['src -> m -> f', 'r -> out']);
  assert.equal(p.exchanges.length, 1);
  assert.equal(p.exchanges[0]!.partitioner, 'hash');
  // hash: every producer subtask to every consumer subtask
  assert.equal(p.channels.length, 4);
});

test('chaining off: one task per operator, forward edges get one channel per subtask', () => {
  const p = plan(pipeline(3).graph, { chaining: false, threads: 2 });
  assert.equal(p.tasks.length, 5);
  const forward = p.exchanges.filter((x) => x.partitioner === 'forward').length;
  const hash = p.exchanges.filter((x) => x.partitioner === 'hash').length;
  assert.equal(p.channels.length, forward * 3 + hash * 9);
});

test('a different parallelism turns a forward edge into rebalance and breaks the chain', () => {
  const env = new StreamEnvironment(2);
  env.fromCollection([1, 2, 3]).name('src').setParallelism(1).map((x: number) => x).name('m').discard().name('out');
  env.graph.validate();
  const p = plan(env.graph, { chaining: true, threads: 2 });
  assert.deepEqual(p.tasks.map((t) => t.name), ['src', 'm -> out']);
  assert.equal(p.exchanges[0]!.partitioner, 'rebalance');
});

test('subtasks spread round-robin over threads, capped at the number of subtasks', () => {
  const p = plan(pipeline(1).graph, { chaining: true, threads: 8 });
  assert.equal(p.threads, 2);
  assert.deepEqual(p.placements.map((x) => x.thread), [0, 1]);
});

const RULES = new MapStateDescriptor<number, number>('rules');
const passThrough = { processElement(x: number, _c: unknown, out: { collect(v: number): void }) { out.collect(x); }, processBroadcastElement() {} };

test('a plain stream\'s broadcast process operator chains into its source\'s task; the broadcast input gets a gate', () => {
  const env = new StreamEnvironment(2);
  const rules = env.fromGenerator({ count: 10 }, (i) => i).name('rules').broadcast(RULES);
  env.fromGenerator({ count: 10 }, (i) => i).name('src').filter((x: number) => x > 0).name('f')
    .connect(rules).process<number>(passThrough).name('bp').map((x) => x).name('m').discard().name('out');
  env.graph.validate();
  const p = plan(env.graph, { chaining: true, threads: 2 });
  assert.deepEqual(p.tasks.map((t) => t.name), ['rules', 'src -> f -> bp -> m -> out']);
  assert.deepEqual(p.exchanges.map((x) => [x.fromTask, x.toTask, x.inputIndex, x.partitioner]), [[0, 1, 1, 'broadcast']]);
  const off = plan(env.graph, { chaining: false, threads: 2 });
  assert.ok(off.tasks.some((t) => t.name === 'bp'), 'chaining off: its own task');
});

test('a broadcast process operator does not chain where its task would read its own output, or behind a task with inputs', () => {
  // The broadcast input is a side output of the source's own chain: the task would feed itself.
  let env = new StreamEnvironment(2);
  let m = env.fromGenerator({ count: 10 }, (i) => i).name('src').map((x: number) => x).name('m').onError('dead-letter');
  m.connect(m.getSideOutput(DEAD_LETTERS).broadcast(RULES)).process<number>(passThrough).name('bp').discard().name('out');
  env.graph.validate();
  let p = plan(env.graph, { chaining: true, threads: 2 });
  assert.deepEqual(p.tasks.map((t) => t.name), ['src -> m', 'bp -> out']);

  // The same through another task: src's task -> 'd' -> broadcast back into src's task would be a cycle.
  env = new StreamEnvironment(2);
  m = env.fromGenerator({ count: 10 }, (i) => i).name('src').map((x: number) => x).name('m').onError('dead-letter');
  const d = m.getSideOutput(DEAD_LETTERS).rebalance().map(() => 0).name('d');
  m.connect(d.broadcast(RULES)).process<number>(passThrough).name('bp').discard().name('out');
  env.graph.validate();
  p = plan(env.graph, { chaining: true, threads: 2 });
  assert.deepEqual(p.tasks.map((t) => t.name), ['src -> m', 'd', 'bp -> out']);

  // Behind a task that already has an input gate (not a source's): not chained.
  env = new StreamEnvironment(2);
  const rules = env.fromGenerator({ count: 10 }, (i) => i).name('rules').broadcast(RULES);
  env.fromGenerator({ count: 10 }, (i) => i).name('src').rebalance().map((x: number) => x).name('m')
    .connect(rules).process<number>(passThrough).name('bp').discard().name('out');
  env.graph.validate();
  p = plan(env.graph, { chaining: true, threads: 2 });
  assert.deepEqual(p.tasks.map((t) => t.name), ['rules', 'src', 'm', 'bp -> out']);

  // Keyed: both inputs cross an exchange, as before.
  env = new StreamEnvironment(2);
  const r2 = env.fromGenerator({ count: 10 }, (i) => i).name('rules').broadcast(RULES);
  env.fromGenerator({ count: 10 }, (i) => i).name('src').keyBy((x: number) => x)
    .connect(r2).process<number>({ processElement() {}, processBroadcastElement() {} }).name('kbp').discard().name('out');
  env.graph.validate();
  p = plan(env.graph, { chaining: true, threads: 2 });
  assert.deepEqual(p.tasks.map((t) => t.name), ['rules', 'src', 'kbp -> out']);
});
