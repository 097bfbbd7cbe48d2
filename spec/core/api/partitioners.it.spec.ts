// Flink's other partitioners end to end: shuffle (at random), global (everything to subtask 0), partitionCustom (a
// function of the key); a custom partitioner that names no subtask is bad input of the operator before it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { run } from '../../../core/index.js';
import { N } from './jobs/partitioners.js';

const job = (bad = false): URL => new URL(`./jobs/partitioners.ts${bad ? '?bad=1' : ''}`, import.meta.url);

test('shuffle, global and partitionCustom: every record once, where its partitioner sends it', async () => {
  const h = await run<Record<string, [number, number][]>>(job(), { parallelism: 2 });
  const { collected } = await h.result;
  const all = Array.from({ length: N }, (_, i) => i);
  for (const out of ['out-shuffle', 'out-global', 'out-custom', 'out-custom-tuple']) {
    assert.deepEqual(collected[out]!.map(([, v]) => v).sort((a, b) => a - b), all, `${out}: every record once`);
  }
  assert.ok(collected['out-global']!.every(([s]) => s === 0), 'global: all at subtask 0');
  assert.ok(collected['out-custom']!.every(([s, v]) => s === (v % 10) % 3), 'custom: at the subtask its function names');
  assert.ok(collected['out-custom-tuple']!.every(([s, v]) => s === ((v % 10) + (v % 7)) % 3), 'custom, a tuple key: the partitioner gets the tuple');
  // At random: with 3,000 records every subtask gets some (the chance one gets none is about 3 * (2/3)^3000).
  assert.deepEqual([...new Set(collected['out-shuffle']!.map(([s]) => s))].sort(), [0, 1, 2]);
});

test('a custom partitioner that names no subtask fails the job, naming the operator it feeds, the operator before it and the value', async () => {
  const h = await run(job(true), { parallelism: 2 });
  await assert.rejects(h.result, (e: Error) => /^the partitionCustom into 'custom' \(after 'src-custom', subtask \d\) rejected a record: the partitioner returned 3, not a subtask from 0 to 2/.test(e.message));
});
