// Which operator a failure's hint tells the user to give .onError: the operator itself, an unkeyed co-map for
// its per-input operators (their names are not the job's), none for operators no policy can be set on.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StreamEnvironment, TumblingEventTimeWindows } from '../../../core/index.js';
import { onErrorTarget } from '../../../core/graph/on-error-target.js';

test('an operator with an error policy is its own target; a source too', () => {
  const env = new StreamEnvironment(1);
  const src = env.fromCollection([1, 2]).name('src');
  const m = src.map((x) => x + 1).name('m');
  assert.equal(onErrorTarget(env.graph, src.node), 'src');
  assert.equal(onErrorTarget(env.graph, m.node), 'm');
});

test("an unkeyed co-map's per-input operators name the co-map, the name the job gave", () => {
  const env = new StreamEnvironment(1);
  const a = env.fromCollection([1]).name('a');
  const b = env.fromCollection([2]).name('b');
  const cm = a.connect(b).map((x) => x, (y) => y).name('cm');
  const [one, two] = cm.node.coFunctions!;
  assert.equal(one.name, 'cm.1');
  assert.equal(onErrorTarget(env.graph, one), 'cm');
  assert.equal(onErrorTarget(env.graph, two), 'cm');
});

test('a window and its local combiner have none (onError is refused on them)', () => {
  const env = new StreamEnvironment(1);
  const w = env.fromCollection([1]).name('src').keyBy((x) => x).window(TumblingEventTimeWindows.of(10)).combineLocally().reduce((x, y) => x + y).name('w');
  assert.equal(onErrorTarget(env.graph, w.node), undefined);
  assert.equal(w.node.companion?.kind, 'combine');
  assert.equal(onErrorTarget(env.graph, w.node.companion!), undefined);
  assert.throws(() => w.onError('drop'), /runs no user function that can fail/);
});
