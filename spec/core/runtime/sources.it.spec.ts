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
  const { collected } = await (await run(misc('rate-limited'), { parallelism: 1 })).result;
  const out = collected.out as { i: number; afterMs: number }[];
  assert.deepEqual(out.map((r) => r.i), Array.from({ length: 600 }, (_, i) => i));
  // At 3,000/s record i cannot be produced before (i + 1) / 3 ms after the reader started, which is after the job
  // was loaded. Lower bounds only: a slow machine makes them looser, never false. 0.5 ms for clock rounding.
  const early = out.filter((r) => r.afterMs < (r.i + 1) / 3 - 0.5);
  assert.equal(early.length, 0, `${early.length} records ahead of schedule, first ${JSON.stringify(early[0])}`);
  assert.ok(out[599]!.afterMs >= 199.5, `last record after ${out[599]!.afterMs} ms`);
});

test('batches over the ring frame limit are split into single records, none lost', async () => {
  const { collected } = await (await run(misc('big-records'), { parallelism: 2, ringBytes: 65536 })).result;
  assert.deepEqual((collected.out as number[]).slice().sort((a, b) => a - b), Array.from({ length: 2000 }, (_, i) => i));
});

// The recordBatch switch, shown to take effect: at 32 the two references to one object that an operator emits
// back to back share a batch frame and arrive as one object; at 1 each crosses in a frame of its own.
for (const recordBatch of [32, 1]) test(`recordBatch ${recordBatch}: records cross an exchange ${recordBatch > 1 ? 'in batch frames' : 'one per frame'}`, async () => {
  const { collected } = await (await run(misc('batch-frames'), { parallelism: 1, recordBatch })).result;
  const same = collected.out as boolean[];
  assert.equal(same.length, 400);
  assert.equal(same.filter((x) => x).length, recordBatch > 1 ? 200 : 0);
});
