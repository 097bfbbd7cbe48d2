// The other sources and partitioners, end to end.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { run } from '../../../core/index.js';

const misc = (c: string): URL => new URL(`./jobs/misc.ts?case=${c}`, import.meta.url);

test('async-iterable source, rebalanced to two subtasks', async () => {
  const { collected } = await (await run(misc('async-iterable'), { parallelism: 2 })).result;
  assert.deepEqual((collected.out as number[]).slice().sort((a, b) => a - b), Array.from({ length: 1000 }, (_, i) => i * 2));
});

test('union of two sources', async () => {
  const { collected } = await (await run(misc('union'), { parallelism: 2 })).result;
  const expected = [...Array.from({ length: 500 }, (_, i) => i), ...Array.from({ length: 500 }, (_, i) => 1000 + i)];
  assert.deepEqual((collected.out as number[]).slice().sort((a, b) => a - b), expected);
});

test('broadcast: every record reaches every subtask', async () => {
  const { collected } = await (await run(misc('broadcast'), { parallelism: 3 })).result;
  assert.deepEqual((collected.out as number[]).slice().sort(), [1, 1, 1, 2, 2, 2, 3, 3, 3]);
});

test('rebalance spreads records evenly', async () => {
  const h = await run(misc('rebalance'), { parallelism: 3 });
  const { collected, metrics } = await h.result;
  assert.equal((collected.out as number[]).length, 900);
  const perSubtask = metrics.operators.filter((o) => o.operator === 'spread').map((o) => o.recordsIn);
  assert.deepEqual(perSubtask, [300, 300, 300]);
});

test('rate-limited generator keeps to its rate', async () => {
  const t0 = performance.now();
  const { collected } = await (await run(misc('rate-limited'), { parallelism: 1 })).result;
  assert.equal((collected.out as number[]).length, 300);
  // 300 records at 3,000/s cannot take less than 100 ms.
  assert.ok(performance.now() - t0 >= 100);
});

test('batches over the ring frame limit are split into single records, none lost', async () => {
  const { collected } = await (await run(misc('big-records'), { parallelism: 2, ringBytes: 65536 })).result;
  assert.deepEqual((collected.out as number[]).slice().sort((a, b) => a - b), Array.from({ length: 2000 }, (_, i) => i));
});
