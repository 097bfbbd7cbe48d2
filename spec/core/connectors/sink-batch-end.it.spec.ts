// SinkWriter.batchEnd through worker threads: after each step that wrote to the sink, covering every record
// written, never for an empty batch, and before `finish`; chained to its source and behind a ring.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { run } from '../../../core/index.js';
import type { BatchLog } from './jobs/batch-ends.js';

for (const chained of [true, false]) {
  test(`batchEnd ${chained ? 'chained to the source' : 'behind a ring'}: every record in exactly one batch, none empty, none open at finish`, async () => {
    const n = 50_000;
    const u = new URL('./jobs/batch-ends.ts', import.meta.url);
    u.searchParams.set('n', String(n));
    u.searchParams.set('chained', chained ? '1' : '0');
    const { collected } = await (await run(u, { parallelism: 2 })).result;
    const logs = collected.log as BatchLog[];
    assert.equal(logs.length, 2);
    const all = logs.flatMap((l) => l.records).sort((a, b) => a - b);
    assert.deepEqual(all, Array.from({ length: n }, (_, i) => i));
    for (const l of logs) {
      assert.equal(l.emptyEnds, 0, 'no batch end without a record since the last');
      assert.equal(l.openAtFinish, 0, 'a batch ends before finish');
      assert.equal(l.batches.reduce((a, b) => a + b, 0), l.records.length);
      // More than one batch: the writer hears of each step, not only of the end.
      assert.ok(l.batches.length > 1, `batches: ${l.batches.length}`);
      // A step reads at most the loop's budget (1024) from a chained source.
      if (chained) assert.ok(Math.max(...l.batches) <= 1024, `largest batch ${Math.max(...l.batches)}`);
    }
  });
}
