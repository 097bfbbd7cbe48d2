// Regressions: a timestamps operator chained behind another operator set the chain's
// watermark for the operators above it too. Behind a window or an interval join, its watermark (far ahead) made
// them drop on-time records as late; behind a first assigner, operators below it saw the first one's watermark.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { run } from '../../../core/index.js';
import { MIN_WATERMARK } from '../../../core/time/watermark.js';

const job = (kase: string): URL => new URL(`./jobs/restamped.ts?case=${kase}`, import.meta.url);

const lateDropped = (ops: readonly { lateRecordsDropped: number }[]): number => ops.reduce((n, o) => n + o.lateRecordsDropped, 0);

for (const parallelism of [1, 2]) {
  test(`an assigner chained behind a window does not make the window drop records as late (p${parallelism})`, async () => {
    const h = await run(job('window'), { parallelism });
    assert.ok(h.plan.tasks.some((t) => t.name.includes('windows') && t.name.includes('restamp')), 'chained into the window\'s task');
    const { collected, metrics } = await h.result;
    assert.deepEqual((collected.out as string[]).sort(), ['0 1 2', '10 3 4', '20 5 6']);
    assert.equal(lateDropped(metrics.operators), 0);
  });

  test(`an assigner chained behind an interval join does not make the join drop records as late (p${parallelism})`, async () => {
    const h = await run(job('join'), { parallelism });
    assert.ok(h.plan.tasks.some((t) => t.name.includes('join') && t.name.includes('restamp')), 'chained into the join\'s task');
    const { collected, metrics } = await h.result;
    assert.deepEqual((collected.out as string[]).sort(), ['1-4', '2-5', '3-6']);
    assert.equal(lateDropped(metrics.operators), 0);
  });
}

test('below a second assigner, currentWatermark is its watermark, not the first one\'s', async () => {
  const h = await run(job('watermark'), { parallelism: 1 });
  const { collected } = await h.result;
  // The first assigner's watermarks are 10 (with v 3) and 20 (with v 5); the second's are 990 and 980 behind them.
  assert.deepEqual(collected.out, [[1, MIN_WATERMARK], [2, MIN_WATERMARK], [3, MIN_WATERMARK], [4, -990], [5, -990], [6, -980]]);
});

// Below an asyncMap behind the second assigner, operators saw the watermark from above the assigner (or
// none), since its results go out from the task loop, after the assigner's call returned.
test('below an asyncMap behind a second assigner, currentWatermark is one the asyncMap let out', async () => {
  const h = await run(job('async'), { parallelism: 1 });
  assert.ok(h.plan.tasks.some((t) => t.name.includes('io') && t.name.includes('seen')), 'chained');
  const { collected } = await h.result;
  const out = collected.out as [number, number][];
  assert.deepEqual(out.map(([v]) => v), [1, 2, 3, 4, 5, 6]);
  // When a result goes out relative to the watermark after it depends on timing: any of the second clock's.
  for (const [v, wm] of out) assert.ok([MIN_WATERMARK, -990, -980].includes(wm), `record ${v} saw ${wm}`);
  assert.equal(out[0]![1], MIN_WATERMARK);
});
