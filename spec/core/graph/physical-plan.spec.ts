// The planner: which operators chain, how many channels each edge gets, where subtasks run.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StreamEnvironment } from '../../../core/api/environment.js';
import { plan } from '../../../core/graph/physical-plan.js';

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
