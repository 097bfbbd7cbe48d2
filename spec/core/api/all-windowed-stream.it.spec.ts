// windowAll end to end at parallelism 2: windows over the whole stream, whichever subtask read each record, on one
// window subtask (as in Flink); combined locally or not, the same counts; countWindowAll.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { run } from '../../../core/index.js';
import { generateRecord } from '../../../core/connectors/generator.js';
import { N, type Count } from './jobs/window-all.js';

test('windowAll at parallelism 2: every window counts the whole stream, three ways, on one subtask; countWindowAll sums every 7', async () => {
  const h = await run<Record<string, Count[]> & { 'out-sevens': number[]; 'out-last-four': number[] }>(new URL('./jobs/window-all.ts', import.meta.url), { parallelism: 2 });
  for (const name of ['all-aggregate', 'all-process', 'all-combined', 'sevens', 'last-four']) {
    const task = h.plan.tasks.find((t) => t.name.split(' -> ').includes(name));
    assert.equal(task?.parallelism, 1, name);
  }
  const { collected, metrics } = await h.result;
  const want = new Map<number, number>();
  for (let i = 0; i < N; i++) {
    const ts = generateRecord((j, r) => j * 3 + r.int(3), 5, i);
    const end = Math.floor(ts / 1000) * 1000 + 1000;
    want.set(end, (want.get(end) ?? 0) + 1);
  }
  for (const how of ['aggregate', 'process', 'combined']) {
    const rows = collected[`out-${how}`]!;
    assert.ok(rows.every((r) => r.how === how));
    assert.deepEqual(new Map(rows.map((r): [number, number] => [r.end, r.n]).sort((a, b) => a[0] - b[0])), new Map([...want].sort((a, b) => a[0] - b[0])), how);
  }
  // Both source subtasks fed the windows.
  assert.deepEqual(metrics.operators.filter((o) => o.operator === 'src').map((o) => o.recordsOut > 0), [true, true]);
  // Combined locally, one partial per source subtask and window crossed instead of every record.
  const combinedIn = metrics.operators.filter((o) => o.operator === 'all-combined').reduce((t, o) => t + o.recordsIn, 0);
  assert.ok(combinedIn <= 2 * want.size, `${combinedIn} partials for ${want.size} windows`);
  // 0..29 in order (a collection reads on one subtask): sums of 0-6, 7-13, 14-20, 21-27; 28 and 29 never fill one.
  assert.deepEqual(collected['out-sevens'], [21, 70, 119, 168]);
  // countWindowAll(4, 2): every 2 numbers, the sum of the last 4 (the first firing has only 0 and 1).
  assert.deepEqual(collected['out-last-four'], [1, ...Array.from({ length: 14 }, (_, j) => 4 * (2 * j + 4) - 10)]);
});
