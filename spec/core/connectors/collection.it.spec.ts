// fromCollection end to end: read in order by one subtask unless its parallelism is set.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { run } from '../../../core/index.js';

type Row = { key: string; seen: number[] };
const job = (split?: number): URL => {
  const u = new URL('./jobs/collection-order.ts', import.meta.url);
  if (split !== undefined) u.searchParams.set('split', String(split));
  return u;
};
/** Each key's last (complete) reduce result. */
const finals = (rows: Row[]): Map<string, number[]> => new Map(rows.map((r) => [r.key, r.seen]));
/** Key 'a' holds indices 0, 1, 4, 5, 8, ...; 'b' holds 2, 3, 6, 7, .... */
const expected = (key: string): number[] => Array.from({ length: 2000 }, (_, i) => i).filter((i) => (i % 4 < 2) === (key === 'a'));

// Regression: the source was split by index over the job's parallelism, so at parallelism 2 a key's
// records arrived in two interleaved runs ("bdfhaceg"), where Flink's fromCollection reads in order.
test('fromCollection at job parallelism 2 reads on one subtask, in order: a keyed reduce sees every key in index order', async () => {
  const h = await run<{ out: Row[] }>(job(), { parallelism: 2 });
  assert.equal(h.plan.tasks.find((t) => t.name.startsWith('src'))!.parallelism, 1);
  const { collected } = await h.result;
  const last = finals(collected.out);
  assert.deepEqual(last.get('a'), expected('a'));
  assert.deepEqual(last.get('b'), expected('b'));
});

test('fromCollection with setParallelism(2) is split by index over two subtasks, every record read once', async () => {
  const h = await run<{ out: Row[] }>(job(2), { parallelism: 2 });
  assert.equal(h.plan.tasks.find((t) => t.name.startsWith('src'))!.parallelism, 2);
  const { collected, metrics } = await h.result;
  assert.deepEqual(metrics.operators.filter((o) => o.operator === 'src').map((o) => o.recordsOut).sort(), [1000, 1000]);
  assert.equal(finals(collected.out).size, 2);
  for (const [key, seen] of finals(collected.out)) {
    assert.deepEqual([...seen].sort((a, b) => a - b), expected(key));
  }
});
