// combineLocally when an upstream subtask goes idle: downstream, the watermark valve leaves an idle channel out, so
// partials still held behind it would miss their window. Through a real combiner, valve and window operator.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StreamEnvironment } from '../../../core/api/environment.js';
import { TumblingEventTimeWindows } from '../../../core/index.js';
import { createOperator } from '../../../core/operators/create-operator.js';
import { operatorBuilders } from '../../../core/operators/builders.js';
import { TaskContext } from '../../../core/operators/task-context.js';
import type { Downstream } from '../../../core/operators/operator.js';
import { WatermarkValve } from '../../../core/time/watermark-valve.js';
import { instantiate } from './harness.js';

interface Ev { k: string; v: number }
function throughValve(combine: boolean) {
  const env = new StreamEnvironment(1);
  let w = env.fromCollection<Ev>([]).keyBy((e) => e.k).window(TumblingEventTimeWindows.of(10));
  if (combine) w = w.combineLocally();
  const stream = w.aggregate<number, number>({ createAccumulator: () => 0, add: (e, a) => a + e.v, getResult: (a) => a, merge: (a, b) => a + b });
  const h = instantiate<unknown, number>(env, stream);
  const valve = new WatermarkValve(2, { watermark: (wm) => h.watermark(wm), idle: (i) => h.op.idle(i) });
  // Upstream subtask A: its chain ends in the combiner (or sends records as they are).
  const ctxA = new TaskContext('up', 0, 2, env.graph.maxParallelism);
  const toExchange: Downstream<unknown> = {
    push: (v) => h.push(v, ctxA.timestamp),
    watermark: (wm) => valve.onWatermark(0, wm),
    idle: (i) => valve.onIdle(0, i),
    finish: () => valve.onEnd(0),
  };
  const a = combine ? createOperator(stream.node.companion!, ctxA, toExchange, { graph: env.graph, checkpointing: false }, operatorBuilders) : undefined;
  const A = a ?? { push: toExchange.push, watermark: toExchange.watermark, idle: toExchange.idle, finish: toExchange.finish };
  const pushA = (e: Ev, ts: number) => { ctxA.timestamp = ts; A.push(e as never); };
  const wmA = (wm: number) => { ctxA.watermark = wm; A.watermark(wm); };
  pushA({ k: 'x', v: 1 }, 5);
  wmA(3);
  A.idle(true);                  // A's source read nothing for its idle timeout
  valve.onWatermark(1, 100);     // subtask B moves on
  A.idle(false);
  wmA(200);                      // A reads again
  valve.onWatermark(1, 300);
  return { out: h.out.values(), dropped: h.op.lateRecordsDropped };
}
// Regression: the partials held while the combiner's stream went idle reached the window after it had fired without
// them (late, dropped: a wrong result where combineLocally claims the same results as without it).
test('partials held when the stream goes idle are sent first: the window counts them, as without combineLocally', () => {
  const plain = throughValve(false);
  const combined = throughValve(true);
  assert.deepEqual(plain, { out: [1], dropped: 0 });
  assert.deepEqual(combined, plain);
});
