// The planner: which operators chain, how many channels each edge gets, where subtasks run.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StreamEnvironment } from '../../../core/api/environment.js';
import { plan } from '../../../core/graph/physical-plan.js';
import { MapStateDescriptor } from '../../../core/api/broadcast-state.js';
import { DEAD_LETTERS } from '../../../core/api/dead-letters.js';
import { OutputTag } from '../../../core/api/output-tag.js';

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

// A union is no task (as in Flink): its consumers read its inputs, partitioned as they read the union. As a task,
// its own subtasks would split a source's records, so that its watermark could overtake them.
test('a union is planned away: its consumers read its inputs directly, keyed or spread as they read the union', () => {
  const env = new StreamEnvironment(2);
  const a = env.fromCollection([1]).name('a').setParallelism(1);
  const b = env.fromCollection([2]).name('b').setParallelism(1);
  const c = env.fromCollection([3]).name('c');
  const ab = a.union(b).name('ab');
  ab.union(c).name('abc').keyBy((x) => x % 2).reduce((x, y) => x + y).name('sum').discard().name('out1');
  ab.map((x) => x).name('m').discard().name('out2');
  env.graph.validate();
  const p = plan(env.graph, { chaining: true, threads: 2 });
  assert.deepEqual(p.tasks.map((t) => t.name), ['a', 'b', 'c', 'sum -> out1', 'm -> out2']);
  const into = (name: string): string[] => {
    const t = p.tasks.find((x) => x.name.startsWith(name))!;
    return p.exchanges.filter((x) => x.toTask === t.id).map((x) => `${p.tasks[x.fromTask]!.name}:${x.partitioner}:${x.inputIndex}`).sort();
  };
  // Nested unions too; the keyed consumer's hash partitioning, its key from its own edge (input 0).
  assert.deepEqual(into('sum'), ['a:hash:0', 'b:hash:0', 'c:hash:0']);
  // Read forward before, chained to the union: spread as the union spread them.
  assert.deepEqual(into('m'), ['a:rebalance:0', 'b:rebalance:0']);
  assert.equal(p.channels.filter((ch) => p.exchanges[ch.exchange]!.fromTask === p.tasks.findIndex((t) => t.name === 'a')).length, 4, 'a (p1) to sum and m (p2 each)');
});

test('a union of a keyed input keeps its task: its consumers could not say how that input was partitioned', () => {
  const env = new StreamEnvironment(2);
  const a = env.fromCollection([1]).name('a');
  const b = env.fromCollection([2]).name('b').keyBy((x) => x);
  a.union(b).name('ab').map((x) => x).name('m').discard().name('out');
  env.graph.validate();
  const p = plan(env.graph, { chaining: true, threads: 2 });
  assert.deepEqual(p.tasks.map((t) => t.name), ['a', 'b', 'ab -> m -> out']);
  assert.deepEqual(p.exchanges.map((x) => x.partitioner).sort(), ['hash', 'rebalance']);
});

test('side outputs into a union keep their tags through it', () => {
  const env = new StreamEnvironment(1);
  const late = new OutputTag<number>('late');
  const p1 = env.fromCollection([1]).name('s').process<number>((x, ctx, out) => { out.collect(x); ctx.output(late, x); }).name('p');
  p1.getSideOutput(late).union(p1).name('u').keyBy((x) => x).reduce((x, y) => x + y).name('r').discard().name('out');
  env.graph.validate();
  const p = plan(env.graph, { chaining: true, threads: 1 });
  assert.deepEqual(p.exchanges.map((x) => [x.tag ?? 'main', x.partitioner]).sort(), [['late', 'hash'], ['main', 'hash']]);
});
