// A process function on a stream that is not keyed: records with their time and the clocks, side outputs that get
// the watermarks, idleness and end of input, open() once, and its errors under the error policy.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OutputTag, StreamEnvironment, type ProcessContext } from '../../../core/index.js';
import { instantiate } from '../windows/harness.js';
import { ProcessOperator } from '../../../core/operators/process-operator.js';

interface E { k: string; v: number }

test('stream process: main and side outputs, the record\'s time and watermark in ctx, side outputs get event time and the end', () => {
  const big = new OutputTag<E>('big');
  const seen: [number | undefined, number, number][] = [];
  const env = new StreamEnvironment(1);
  const s = env.fromCollection<E>([]).process<string>((e, ctx, out) => {
    seen.push([ctx.timestamp, ctx.currentWatermark(), ctx.subtask]);
    if (e.v > 10) ctx.output(big, e);
    else out.collect(`${e.k}${e.v}`);
  });
  const h = instantiate<E, string>(env, s, { sideTags: ['big'], subtask: 1, parallelism: 2 });
  assert.ok(h.op instanceof ProcessOperator);
  h.push({ k: 'a', v: 1 }, 5);
  h.watermark(7);
  h.push({ k: 'b', v: 20 }, 9);
  h.push({ k: 'c', v: 2 });
  h.op.idle(true);
  h.finish();
  assert.deepEqual(h.out.records, [{ value: 'a1', ts: 5 }, { value: 'c2', ts: NaN }]);
  const side = h.side.get('big')!;
  assert.deepEqual(side.records, [{ value: { k: 'b', v: 20 }, ts: 9 }]);
  assert.deepEqual(seen.map(([t]) => t), [5, 9, undefined], 'the record\'s time; none for a record without one');
  assert.deepEqual(seen.slice(1).map(([, wm]) => wm), [7, 7], 'the watermark the operator has seen');
  assert.ok(seen.every(([, , st]) => st === 1));
  for (const r of [h.out, side]) {
    assert.deepEqual(r.watermarks, [7]);
    assert.deepEqual(r.idles, [true]);
    assert.ok(r.finished);
  }
  assert.equal(h.op.recordsIn, 3);
  assert.equal(h.op.recordsOut, 2);
});

test('stream process: an object handler is opened once; a throw goes to the error policy; a tag nothing reads is counted', () => {
  const nobody = new OutputTag<number>('nobody');
  let opened: ProcessContext | undefined;
  const env = new StreamEnvironment(1);
  const s = env.fromCollection<number>([]).process<number>({
    open(ctx) { opened = ctx; },
    processElement(x, ctx, out) {
      if (x < 0) throw new Error(`negative ${x}`);
      if (x === 0) ctx.output(nobody, x);
      else out.collect(x * 2);
    },
  }).onError('drop');
  const h = instantiate<number, number>(env, s);
  (h.op as ProcessOperator<number, number>).open();
  assert.ok(opened !== undefined);
  h.push(1);
  h.push(-1);
  h.push(0);
  assert.deepEqual(h.out.values(), [2]);
  assert.equal(h.op.dropped, 1);
  assert.equal((h.op as ProcessOperator<number, number>).sideOutputs.dropped, 1);
});
