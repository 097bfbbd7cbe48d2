// Event-time timers across threads: a keyed process function at parallelism 1..4 fires every timer exactly once,
// only once the watermark has passed it, per key in timestamp order; the timers equal a single-thread oracle.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { run } from '../../../core/index.js';
import { generateRecord, SplitRandom } from '../../../core/connectors/generator.js';
import { MAX_WATERMARK } from '../../../core/time/watermark.js';
import type { Fired } from './jobs/event-timers.js';

const N = 10_000;
const BOUND = 50;
const job = (punctuate: number): URL => new URL(`./jobs/event-timers.ts?n=${N}&bound=${BOUND}&punctuate=${punctuate}`, import.meta.url);

/** The job's records, rebuilt here, and the timers a single thread would fire: one per distinct (key, ts). */
function oracle(): Map<string, number[]> {
  const r = new SplitRandom();
  const timers = new Map<string, Set<number>>();
  for (let i = 0; i < N; i++) {
    const e = generateRecord((j, rnd) => ({ key: `k${j % 7}`, ts: Math.max(0, j - rnd.int(BOUND + 1)) }), 3, i, r);
    let s = timers.get(e.key);
    if (s === undefined) timers.set(e.key, (s = new Set()));
    s.add(e.ts);
  }
  return new Map([...timers].map(([k, s]) => [k, [...s].sort((a, b) => a - b)]));
}

const expected = oracle();

for (const parallelism of [1, 2, 3, 4]) {
  test(`event-time timers at parallelism ${parallelism}: each fires once, after the watermark passed it, as on one thread`, async () => {
    const h = await run(job(25), { parallelism });
    const { collected } = await h.result;
    const fired = collected.out as Fired[];
    for (const f of fired) assert.ok(f.wm >= f.at, `timer ${f.key}@${f.at} fired at watermark ${f.wm}`);
    // Per key in emission order (a key lives on one subtask, and each subtask's output keeps its order).
    const byKey = new Map<string, number[]>();
    for (const f of fired) {
      let l = byKey.get(f.key);
      if (l === undefined) byKey.set(f.key, (l = []));
      l.push(f.at);
    }
    for (const [k, ats] of byKey) {
      for (let i = 1; i < ats.length; i++) assert.ok(ats[i]! > ats[i - 1]!, `key ${k}: timers in timestamp order, each once`);
    }
    assert.deepEqual(new Map([...byKey].sort()), new Map([...expected].sort()));
    // Event time moved during the run: most timers fired before the final watermark.
    const early = fired.filter((f) => f.wm < MAX_WATERMARK).length;
    assert.ok(early > fired.length / 2, `${early} of ${fired.length} timers fired before the end of input`);
  });
}

test('event-time timers with periodic watermarks only: each fires once, after the watermark passed it', async () => {
  const h = await run(job(0), { parallelism: 2 });
  const fired = (await h.result).collected.out as Fired[];
  for (const f of fired) assert.ok(f.wm >= f.at);
  assert.equal(fired.length, [...expected.values()].reduce((s, l) => s + l.length, 0));
  assert.equal(new Set(fired.map((f) => `${f.key}@${f.at}`)).size, fired.length);
});
