// Regression: side outputs got neither watermarks nor end of input, so a task reading a side output (late
// window data) never ended and its event time never advanced. Keyed operators now pass both to every side output.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OutputTag, TumblingEventTimeWindows } from '../../../core/index.js';
import { harness } from '../windows/harness.js';

interface E { k: string; v: number }

test('a keyed process function\'s side outputs get watermarks, idleness and end of input', () => {
  const odd = new OutputTag<E>('odd');
  const h = harness((e: E) => e.k, (s) => s.process<E>((e, ctx, out) => { if (e.v % 2) ctx.output(odd, e); else out.collect(e); }), { sideTags: ['odd'] });
  h.push({ k: 'a', v: 1 }, 1);
  h.watermark(5);
  h.op.idle(true);
  h.finish();
  const side = h.side.get('odd')!;
  assert.deepEqual(side.values(), [{ k: 'a', v: 1 }]);
  assert.equal(side.watermarks[0], 5);
  assert.deepEqual(side.idles, [true]);
  assert.ok(side.finished, 'end of input reached the side output');
});

test('a window\'s late-data output gets watermarks and end of input', () => {
  const late = new OutputTag<E>('late');
  const h = harness((e: E) => e.k, (s) => s.window(TumblingEventTimeWindows.of(10)).sideOutputLateData(late).reduce((a, b) => ({ k: a.k, v: a.v + b.v })), { sideTags: ['late'] });
  h.watermark(20);
  h.push({ k: 'a', v: 1 }, 3);
  h.finish();
  const side = h.side.get('late')!;
  assert.deepEqual(side.values(), [{ k: 'a', v: 1 }]);
  assert.equal(side.watermarks[0], 20);
  assert.ok(side.finished);
});
