// Window bounds are whole ms, timestamps may have fractions (watermark.ts). Regression: with an offset, the remainder
// of a fractional timestamp was inexact, and a record at 1.2 opened a window [-6.999999999999999, 3.000000000000001)
// beside [-7, 3): one window fired as two, each with part of its records.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TumblingEventTimeWindows, SlidingEventTimeWindows, type TimeWindow } from '../../../core/index.js';
import { TimeWindow as Tw } from '../../../core/windows/window.js';
import { harness } from './harness.js';

interface Ev { k: string; v: number }

for (const [name, assigner, expected] of [
  ['tumbling(10, offset 3)', TumblingEventTimeWindows.of(10, 3), ['a [-7, 3) n=3']],
  ['sliding(10, 5, offset 3)', SlidingEventTimeWindows.of(10, 5, 3), ['a [-7, 3) n=3', 'a [-2, 8) n=3']],
] as const) {
  test(`fractional timestamps with an offset fall in whole-ms windows: ${name}`, () => {
    const h = harness((e: Ev) => e.k, (s) => s.window(assigner as never).process<string>((k, ctx, els, out) => {
      const w = ctx.window as TimeWindow;
      out.collect(`${k} [${w.start}, ${w.end}) n=${els.length}`);
    }));
    h.push({ k: 'a', v: 1 }, 1.0);
    h.push({ k: 'a', v: 2 }, 1.2);
    h.push({ k: 'a', v: 3 }, 2.5);
    h.finish();
    assert.deepEqual(h.out.records.map((r) => r.value), expected);
  });
}

test('startOf: a window start is a whole ms and holds the timestamp, for fractions, offsets and negative times', () => {
  for (const [t, offset, size] of [[1.2, 3, 10], [-0.5, 0, 10], [-7.25, 3, 10], [9.999, -4, 7], [1e6 + 0.3, 5, 60_000]] as const) {
    const start = Tw.startOf(t, offset, size);
    assert.ok(Number.isInteger(start), `${t}: ${start}`);
    assert.ok(start <= t && t < start + size, `${t} in [${start}, ${start + size})`);
    assert.equal(((start - offset) % size + size) % size, 0, `${t}: ${start} is on the offset grid`);
  }
});
