// A string key holding a lone surrogate was taken as a key, but neither a ring nor a checkpoint keeps it: both
// write U+FFFD. Its state was lost at a restore (stored under U+FFFD, asked for under the key itself: a keyed count
// restarted from 0 with no error), and across threads two such keys became one. Now it is not a key: a
// KeyTypeError, bad input of the operator before the keyBy. A well-formed pair (an emoji) is a key as before.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { run, type DeadLetter } from '../../../core/index.js';

test("a key with a lone surrogate is a KeyTypeError under the emitting operator's policy; the other keys count on", async () => {
  const { collected, metrics } = await (await run(new URL('./jobs/lone-surrogate-keys.ts', import.meta.url), { parallelism: 1 })).result;
  const rejected = collected.rejected as DeadLetter[];
  assert.equal(rejected.length, 20, 'every record of the two lone-surrogate keys');
  for (const d of rejected) {
    assert.equal(d.operator, 'tag');
    assert.match(d.error.message, /a string key must be well-formed Unicode, got one with a lone surrogate/);
    assert.ok((d.raw as { i: number }).i % 4 < 2);
  }
  const counts = collected.counts as { key: number; count: number }[];
  for (const key of [2, 3]) {
    assert.deepEqual(counts.filter((c) => c.key === key).map((c) => c.count).sort((a, b) => a - b), Array.from({ length: 10 }, (_, i) => i + 1), `key ${key}`);
  }
  assert.equal(counts.length, 20);
  const tag = metrics.operators.find((o) => o.operator === 'tag')!;
  assert.deepEqual([tag.recordsIn, tag.recordsOut, tag.deadLettered], [40, 20, 20]);
});
