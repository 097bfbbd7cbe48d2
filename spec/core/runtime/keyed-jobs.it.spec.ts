// Whole jobs on real threads: word count and keyed sum over 400,000 generated events give exactly what a plain
// single-threaded program computes, at parallelism 1, 2 and 4 (skewed keys: 2), with chaining on and off.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { run } from '../../../core/index.js';
import { generateRecord, SplitRandom } from '../../../core/connectors/generator.js';
import { keyedRecord, words, type KeyedRecord } from './jobs/records.js';
import { osThreads, threadsAfter } from './threads.js';

// Enough for many wrap-arounds of every ring and batch frame; more only slows the suite.
const N = 400_000;
const job = (kind: string, keys: string): URL => new URL(`./jobs/keyed.ts?kind=${kind}&keys=${keys}&n=${N}`, import.meta.url);

function input(keys: 'uniform' | 'skewed'): KeyedRecord[] {
  const r = new SplitRandom();
  return Array.from({ length: N }, (_, i) => generateRecord((j, rnd) => keyedRecord(j, rnd, keys), 42, i, r));
}

interface SinkSummary { updates: number; breaks: number; last: [string, number][] }

/** Merges the per-subtask summaries of the jobs' last-per-key sink; a key seen by two subtasks is an error. */
function summarize(parts: unknown[] | undefined): { updates: number; breaks: number; last: Map<string, number> } {
  let updates = 0;
  let breaks = 0;
  const last = new Map<string, number>();
  for (const p of (parts ?? []) as SinkSummary[]) {
    updates += p.updates;
    breaks += p.breaks;
    for (const [k, v] of p.last) {
      assert.ok(!last.has(k), `key ${k} reached two subtasks`);
      last.set(k, v);
    }
  }
  return { updates, breaks, last: new Map([...last].sort()) };
}

describe('keyed jobs equal a single-threaded oracle', () => {
  for (const keys of ['uniform', 'skewed'] as const) {
    const events = input(keys);
    // Oracle: plain loops over the same records.
    const wordTotals = new Map<string, number>();
    for (const e of events) for (const w of words(e)) wordTotals.set(w, (wordTotals.get(w) ?? 0) + 1);
    const sums = new Map<string, number>();
    let nonzero = 0;
    for (const e of events) if (e.value !== 0) { nonzero++; sums.set(e.key, (sums.get(e.key) ?? 0) + e.value); }

    for (const parallelism of keys === 'uniform' ? [1, 2, 4] : [2]) {
      for (const chaining of [true, false]) {
        // Spin-before-park, batch frames and ring wake hysteresis are on with chaining and off without, so both
        // ways run; ring batching is off for the skewed keys without chaining (which also ends hysteresis).
        const spin = chaining ? 256 : 0;
        const recordBatch = chaining ? 32 : 1;
        const rings = { wakeHysteresis: chaining, ringBatching: chaining || keys === 'uniform' };
        test(`word count, ${keys} keys, parallelism ${parallelism}, chaining ${chaining ? 'on' : 'off'}, spin ${spin}, batch ${recordBatch}, rings ${JSON.stringify(rings)}`, async () => {
          const h = await run(job('wordcount', keys), { parallelism, chaining, spin, recordBatch, ...rings });
          const { collected } = await h.result;
          const out = summarize(collected.out);
          // A rolling count emits 1, 2, ..., n for each word: any lost or duplicated event breaks the sequence.
          assert.equal(out.breaks, 0, 'counts per word go 1, 2, 3, ... in emission order');
          assert.equal(out.updates, N * 2, 'one update per word');
          assert.deepEqual(out.last, new Map([...wordTotals].sort()));
        });

        test(`keyed sum, ${keys} keys, parallelism ${parallelism}, chaining ${chaining ? 'on' : 'off'}, spin ${spin}, batch ${recordBatch}, rings ${JSON.stringify(rings)}`, async () => {
          const h = await run(job('sum', keys), { parallelism, chaining, spin, recordBatch, ...rings });
          const { collected, metrics } = await h.result;
          const out = summarize(collected.out);
          assert.equal(out.updates, nonzero, 'one update per non-zero event');
          // Each key lives on one subtask, which sees its updates in order: the last one is the final sum.
          assert.deepEqual(out.last, new Map([...sums].sort()));
          const gen = metrics.operators.filter((o) => o.operator === 'generator').reduce((s, o) => s + o.recordsOut, 0);
          assert.equal(gen, N, 'generator metrics count every event');
        });
      }
    }
  }
});

test('no worker thread is left running after jobs end', async () => {
  const before = osThreads();
  const h = await run(job('sum', 'uniform'), { parallelism: 4 });
  await h.result;
  const after = await threadsAfter(before);
  assert.ok(after <= before, `threads before ${before}, after ${after}`);
});
