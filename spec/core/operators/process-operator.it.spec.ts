// The stream process function end to end, at parallelism 2: it chains behind its source (no exchange to split a
// stream), its side output carries records and event time to windows on other threads, and what it throws goes to
// its dead letters, counted.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { run, type DeadLetter } from '../../../core/index.js';
import { generateRecord } from '../../../core/connectors/generator.js';
import { N, type Reading } from './jobs/split.js';

interface Count { side: string; k: string; end: number; n: number }

/** The same readings, counted here: per side, key and 10 s window. */
function expected(): { counts: Map<string, number>; rejected: number[] } {
  const counts = new Map<string, number>();
  const rejected: number[] = [];
  for (let i = 0; i < N; i++) {
    const x = generateRecord((j, r): Reading => ({ i: j, k: `k${r.int(3)}`, v: r.int(100), ts: j * 10 }), 3, i);
    if (x.v === 13) { rejected.push(i); continue; }
    const key = `${x.v >= 50 ? 'large' : 'small'}/${x.k}/${Math.floor(x.ts / 10_000) * 10_000 + 10_000}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return { counts, rejected };
}

test('stream process at parallelism 2: chained to its source, side output windows fire on time, throws dead-lettered', async () => {
  const h = await run<{ 'out-small': Count[]; 'out-large': Count[]; rejected: DeadLetter[] }>(new URL('./jobs/split.ts', import.meta.url), { parallelism: 2 });
  assert.ok(h.plan.tasks.some((t) => t.name.includes('src') && t.name.includes('split')), h.plan.tasks.map((t) => t.name).join(' | '));
  const { collected, metrics } = await h.result;
  const got = new Map<string, number>();
  for (const c of [...collected['out-small'], ...collected['out-large']]) got.set(`${c.side}/${c.k}/${c.end}`, c.n);
  const want = expected();
  assert.deepEqual(new Map([...got].sort()), new Map([...want.counts].sort()));
  assert.deepEqual(collected.rejected.map((d) => (d.raw as Reading).i).sort((a, b) => a - b), want.rejected);
  assert.ok(want.rejected.length > 0);
  const split = metrics.operators.filter((o) => o.operator === 'split');
  assert.equal(split.reduce((t, o) => t + o.deadLettered, 0), want.rejected.length);
  assert.equal(split.reduce((t, o) => t + o.recordsIn, 0), N);
  // Regression (side-output records appeared in no column: in > out with nothing saying why): in = out + side + dead.
  const large = [...collected['out-large']].reduce((t, c) => t + c.n, 0);
  assert.equal(split.reduce((t, o) => t + o.sideOutputRecords, 0), large);
  assert.equal(split.reduce((t, o) => t + o.recordsOut + o.sideOutputRecords + o.deadLettered, 0), N);
});
