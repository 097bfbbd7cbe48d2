// A window closes when the last source subtask emits a watermark reaching its end - 1; a result's latency counts
// from there. Checked on hand-made logs and, as a property, against a brute-force scan.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseWatermarkLog } from '../../../benchmarks/nexmark/latency-dir.js';
import { closingDueTime, closingTime, windowLatencies, type Schedule, type WatermarkLog } from '../../../benchmarks/nexmark/window-closing.js';
import { dueAt } from '../../../benchmarks/nexmark/pacer.js';

const a: WatermarkLog = { watermarks: [999, 4_999, 9_998, 9_999, 15_000], atMs: [100, 200, 300, 400, 500] };
const b: WatermarkLog = { watermarks: [2_000, 10_500], atMs: [150, 450] };

test('the closing time is the latest, over subtasks, of the first watermark >= end - 1', () => {
  // a reaches 9,999 at 400, b at 450: b is the later one.
  assert.equal(closingTime([a, b], 10_000), 450);
  // end - 1 exactly: a's 4,999 at 200 counts; b's 10,500 (450) is its first >= 4,999.
  assert.equal(closingTime([a], 5_000), 200);
  assert.equal(closingTime([a, b], 5_000), 450);
  // 9,998 does not close [.., 10,000): a needs 9,999.
  assert.equal(closingTime([a], 10_000), 400);
  assert.equal(closingTime([a], 1_000), 100);
});

test('a window no logged watermark closed (end of input) has no closing time', () => {
  assert.equal(closingTime([a, b], 20_000), undefined);
  // a closed it, b never did.
  assert.equal(closingTime([a, b], 12_000), undefined);
  assert.equal(closingTime([], 1_000), undefined);
});

test('windowLatencies measures each result from its window closing and sorts out warm-up and end-of-input windows', () => {
  const results = [
    { windowEnd: 10_000, atMs: 452.5 }, // closed at 450
    { windowEnd: 10_000, atMs: 451 }, // a tie in the same window
    { windowEnd: 2_000, atMs: 260 }, // closed at 200 (a's 4,999; b's 2,000 was at 150): before notBefore
    { windowEnd: 20_000, atMs: 900 }, // closed by the end of input
  ];
  const w = windowLatencies([a, b], results, 250);
  assert.deepEqual(w.latenciesMs, [2.5, 1]);
  assert.equal(w.warmup, 1);
  assert.equal(w.closedByEnd, 1);
});

// Regression: q7's latency counted from the watermark's emission only, which cannot see the wait for
// the periodic watermark or sources behind their schedule; closingDueTime counts from the closing events' due times.
test('closingDueTime: per subtask its first event at or past the window end, the latest of their due times', () => {
  const s: Schedule[] = [{ subtask: 0, anchorMs: 1000, ratePerSec: 1000 }, { subtask: 1, anchorMs: 1000.5, ratePerSec: 1000 }];
  // Event id at event time base + id. Window end 10: subtask 0's first is id 10 (its 5th: due 1006), subtask 1's
  // id 11 (its 5th: due 1006.5).
  assert.equal(closingDueTime(s, 10, 0), 1006.5);
  assert.equal(closingDueTime(s, 1_010, 1_000), 1006.5);
  // End 11: subtask 0's id 12 (6th, 1007), subtask 1's id 11.
  assert.equal(closingDueTime(s, 11, 0), 1007);
  const w = windowLatencies([{ watermarks: [9, 20], atMs: [1006.75, 1020] }], [{ windowEnd: 10, atMs: 1008.5 }], -Infinity, (e) => closingDueTime(s, e, 0));
  assert.deepEqual([w.latenciesMs, w.fromDueMs], [[1.75], [2]]);
});

test('closingDueTime agrees with a scan of every subtask\'s events (property)', () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 0, max: 500 }), fc.integer({ min: 0, max: 50 }), (p, end, base) => {
    const schedules = Array.from({ length: p }, (_, i): Schedule => ({ subtask: i, anchorMs: 100 * i, ratePerSec: 1000 + i }));
    let want = -Infinity;
    for (const sc of schedules) {
      for (let k = 0; ; k++) {
        const id = sc.subtask + k * p;
        if (base + id >= end) { want = Math.max(want, dueAt(sc.anchorMs, sc.ratePerSec, k)); break; }
      }
    }
    assert.equal(closingDueTime(schedules, end, base), want);
  }));
});

test('a watermark log file parses back to the logged advances', () => {
  assert.deepEqual(parseWatermarkLog('999 100.000\n4999 200.125\n'), { watermarks: [999, 4_999], atMs: [100, 200.125] });
  assert.deepEqual(parseWatermarkLog(''), { watermarks: [], atMs: [] });
});

test('closingTime agrees with a brute-force scan (property)', () => {
  // A log: strictly increasing watermarks, increasing times.
  const log = fc.array(fc.tuple(fc.integer({ min: 1, max: 3_000 }), fc.integer({ min: 1, max: 100 })), { maxLength: 30 }).map((steps): WatermarkLog => {
    const watermarks: number[] = [];
    const atMs: number[] = [];
    let w = -1;
    let t = 0;
    for (const [dw, dt] of steps) {
      watermarks.push((w += dw));
      atMs.push((t += dt));
    }
    return { watermarks, atMs };
  });
  fc.assert(fc.property(fc.array(log, { minLength: 1, maxLength: 4 }), fc.integer({ min: 0, max: 40_000 }), (logs, end) => {
    let expected: number | undefined = -Infinity;
    for (const l of logs) {
      const i = l.watermarks.findIndex((w) => w >= end - 1);
      if (i < 0) {
        expected = undefined;
        break;
      }
      expected = Math.max(expected, l.atMs[i]!);
    }
    assert.equal(closingTime(logs, end), expected);
  }));
});
