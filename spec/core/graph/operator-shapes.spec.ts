// Operator shapes: what a resume compares between a checkpoint's job and the one resuming it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StreamEnvironment } from '../../../core/api/environment.js';
import { MapStateDescriptor } from '../../../core/api/broadcast-state.js';
import { firstShapeDifference, operatorShapes } from '../../../core/graph/operator-shapes.js';

function graph(build: (env: StreamEnvironment) => void, parallelism = 2) {
  const env = new StreamEnvironment(parallelism);
  build(env);
  return env.graph;
}

const counts = (env: StreamEnvironment, items = [1, 2, 3]): void => {
  env.fromCollection(items).name('src').keyBy((x) => x).reduce((a, b) => a + b).name('count').discard().name('out');
};

test('the same job at another parallelism, or with an operator added that feeds none of them, has the same shapes', () => {
  const stored = operatorShapes(graph((env) => counts(env)));
  assert.equal(firstShapeDifference(stored, graph((env) => counts(env), 4)), undefined);
  const added = graph((env) => { env.fromCollection(['x']).name('other').discard().name('other-out'); counts(env); });
  assert.equal(firstShapeDifference(stored, added), "operator 'other' is not in it");
  // Its node ids moved; the shapes of the operators both have did not.
  const now = operatorShapes(added);
  for (const uid of Object.keys(stored)) assert.equal(now[uid], stored[uid], uid);
});

test('the first operator that differs is named with both shapes; one the checkpoint has and the job lacks is named', () => {
  const stored = operatorShapes(graph((env) => counts(env)));
  assert.match(firstShapeDifference(stored, graph((env) => counts(env, [1, 2])))!, /^operator 'src' was \[source\|\|collection\(3,.*\] there and is \[source\|\|collection\(2,.*\] in this job$/);
  const mapped = graph((env) => { env.fromCollection([1, 2, 3]).name('src').map((x) => x).name('count').discard().name('out'); });
  assert.match(firstShapeDifference(stored, mapped)!, /^operator 'count' was \[reduce\|src:hash\|.*\] there and is \[map\|src:forward\|.*\] in this job$/);
  const fewer = graph((env) => { env.fromCollection([1, 2, 3]).name('src').discard().name('out'); });
  assert.match(firstShapeDifference(stored, fewer)!, /^operator 'out' was \[sink\|count:forward\|.*\] there/);
  assert.equal(firstShapeDifference({ ...stored, gone: 'map|src:forward' }, graph((env) => counts(env))), "it has operator 'gone', which this job does not");
});

// A broadcast process operator's shape names its broadcast states: dropping the last descriptor (broadcast()) is a
// change a resume reports, as adding one is; the same job without any is the same shape.
test('a broadcast process operator over broadcast() has its own shape, told from one over broadcast(descriptor)', () => {
  const job = (withState: boolean) => graph((env) => {
    const rules = env.fromCollection([1]).name('rules');
    const src = env.fromCollection([2]).name('src');
    const f = { processElement() {}, processBroadcastElement() {} };
    const judged = withState ? src.connect(rules.broadcast(new MapStateDescriptor<number, number>('limits'))).process<number>(f) : src.connect(rules.broadcast()).process<number>(f);
    judged.name('judge').discard().name('out');
  });
  const stored = operatorShapes(job(false));
  assert.match(stored.judge!, /^broadcastProcess\|src:forward,rules:broadcast\|.*\|broadcast\(\)$/);
  assert.equal(firstShapeDifference(stored, job(false)), undefined);
  assert.match(firstShapeDifference(stored, job(true))!, /^operator 'judge' was \[.*broadcast\(\)\] there and is \[.*broadcast\(limits\)\] in this job$/);
  assert.match(firstShapeDifference(operatorShapes(job(true)), job(false))!, /^operator 'judge' was \[.*broadcast\(limits\)\] there and is \[.*broadcast\(\)\] in this job$/);
});
