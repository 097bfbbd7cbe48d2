// The task loop's fine waits (RunOptions.fineWaitMs): a source that tells its next record's due time is woken
// at it by the loop (blocking parks shorter than a millisecond) instead of by its ready() timer; with
// fineWaitMs 0 the timer path runs. Either way every record arrives once, in order.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../core/index.js';
import type { Paced } from './jobs/due-time-source.js';
import type { ReadSpan } from './jobs/rate-limited.js';
import type { Settled } from './jobs/settle-hops.js';

const N = 300;

async function paced(fineWaitMs: number): Promise<Paced[]> {
  const h = await run(new URL(`./jobs/due-time-source.ts?n=${N}&rate=20000`, import.meta.url), { parallelism: 2, fineWaitMs });
  const result = await h.result;
  return result.collected.out as Paced[];
}

function checkComplete(out: Paced[]): void {
  for (const s of [0, 1]) {
    const mine = out.filter((r) => r.subtask === s).map((r) => r.i);
    assert.deepEqual(mine, Array.from({ length: N }, (_, i) => i), `subtask ${s}: every record once, in order`);
  }
}

test('a source that tells its due time is woken at it by the loop, not by its ready() timer', async () => {
  const out = await paced(1);
  checkComplete(out);
  // Every record is due 50 µs after the one before: the reader waited, and was asked when, never for a promise.
  const last = out.filter((r) => r.i === N - 1);
  assert.equal(last.length, 2);
  for (const r of last) {
    assert.ok(r.readyAtCalls > 0, `subtask ${r.subtask} was asked readyAt()`);
    assert.equal(r.readyCalls, 0, `subtask ${r.subtask}: ready() is not used`);
  }
});

test('fineWaitMs 0: the source waits on its ready() promise', async () => {
  const out = await paced(0);
  checkComplete(out);
  for (const r of out.filter((x) => x.i === N - 1)) {
    assert.ok(r.readyCalls > 0, `subtask ${r.subtask} waited on ready()`);
    assert.equal(r.readyAtCalls, 0, `subtask ${r.subtask}: readyAt() is not used`);
  }
});

test('fineWaitMs must be below the park timeout', async () => {
  await assert.rejects(run(new URL('./jobs/due-time-source.ts', import.meta.url), { fineWaitMs: -1 }), /fineWaitMs must be a number >= 0, got -1/);
  await assert.rejects(run(new URL('./jobs/due-time-source.ts', import.meta.url), { fineWaitMs: 500 }), /fineWaitMs must be >= 0 and < 200, got 500/);
});

// Regression: a round counted its own step as busy for each subtask that worked in it, and its neighbours' steps
// (on the same thread) nowhere. A source that reads and a reduce that counts on one thread each lost the other's
// steps: on a loaded machine, where a step can be preempted, a fifth of the run and more (a round that found
// nothing but whose spin found the paced source due was once counted nowhere too).
test("a paced source's busy + idle + backpressured time covers its whole reading, its thread's other subtasks' steps included", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-read-span-'));
  try {
    const h = await run(new URL(`./jobs/rate-limited.ts?n=40000&rate=40000&dir=${encodeURIComponent(dir)}`, import.meta.url), { parallelism: 2 });
    const result = await h.result;
    const sources = result.metrics.tasks.filter((t) => t.task === 'paced');
    assert.equal(sources.length, 2, result.metrics.tasks.map((t) => t.task).join(', '));
    for (const t of sources) {
      // The reader's first read() to the one that ended it, on its thread's clock: every moment of it lies within
      // the task loop's run, which counts each of its moments once for each live subtask.
      const span = JSON.parse(readFileSync(join(dir, `read-span-${t.subtask}.json`), 'utf8')) as ReadSpan;
      const read = span.endedAt - span.firstReadAt;
      const accounted = t.busyMs + t.idleMs + t.backpressuredMs;
      assert.ok(accounted >= read, `subtask ${t.subtask}: ${accounted.toFixed(3)} ms accounted of its ${read.toFixed(3)} ms reading (busy ${t.busyMs.toFixed(0)}, idle ${t.idleMs.toFixed(0)}, backpressured ${t.backpressuredMs.toFixed(0)})`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// Regression: an unbounded job whose generator fed a keyed reduce and an asyncMap stopped for
// good within seconds. The generator, blocked on the full asyncMap's ring, had its watermark timer due, so every
// park returned at once (timeout 0); the loop counted that as a turn of the event loop, never gave one, and the
// asyncMap's settled requests never ran on either thread. Without the fix this stalled in 4 runs out of 4.
test("an asyncMap sharing its thread with a producer blocked on it keeps going: a park that returned at once is not the event loop's turn", async () => {
  const n = 150_000;
  const h = await run(new URL(`./jobs/async-beside-blocked.ts?n=${n}&rate=100000&capacity=200`, import.meta.url), { parallelism: 2 });
  let timer: NodeJS.Timeout | undefined;
  const stalled = new Promise<'stalled'>((resolve) => { timer = setTimeout(() => resolve('stalled'), 60_000); });
  const outcome = await Promise.race([h.result.then(() => 'done' as const), stalled]);
  clearTimeout(timer);
  const through = h.metrics().operators.filter((o) => o.operator === 'async').reduce((a, o) => a + o.recordsOut, 0);
  if (outcome === 'stalled') await h.cancel();
  assert.equal(outcome, 'done', `the job stopped with ${through} of ${n} records through the asyncMap`);
  assert.equal(through, n);
});

// Settle hops (RunOptions.settleHops): with nothing else to do, the loop gives an asyncMap's settled promises a
// few microtask turns before it parks. A request that resolves at once then needs no turn of the event loop
// (a park and its wake-up); with settleHops 0, every result waits for one.
async function settled(settleHops: number | undefined): Promise<Settled[]> {
  const h = await run(new URL(`./jobs/settle-hops.ts?n=${SETTLE_N}`, import.meta.url), { parallelism: 1, ...(settleHops !== undefined ? { settleHops } : {}) });
  const out = (await h.result).collected.out as Settled[];
  assert.deepEqual(out.map((r) => r.i), Array.from({ length: SETTLE_N }, (_, i) => i), 'every result once, in order');
  return out;
}
const SETTLE_N = 3000;

test('settle hops: results of requests that resolve at once need no event-loop turn each', async () => {
  const turns = (await settled(undefined)).at(-1)!.turns;
  // Turns still come, every yieldEveryMs of work and at parks for other reasons: far fewer than results.
  assert.ok(turns < SETTLE_N / 4, `${turns} event-loop turns for ${SETTLE_N} results`);
});

test('settleHops 0: each result waits for a park, a turn of the event loop', async () => {
  const turns = (await settled(0)).at(-1)!.turns;
  assert.ok(turns >= SETTLE_N / 2, `${turns} event-loop turns for ${SETTLE_N} results`);
  await assert.rejects(run(new URL('./jobs/settle-hops.ts', import.meta.url), { settleHops: -1 }), /settleHops must be an integer >= 0, got -1/);
});

// Regression: the acknowledgement made as a source ended was not awaited; its close came first and could cut it off.
test('without checkpoints: a source that ends is closed only after its last acknowledgement has settled', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-acking-'));
  try {
    const h = await run(new URL(`./jobs/acking-source.ts?dir=${encodeURIComponent(dir)}&n=1000&ackMs=200`, import.meta.url), { parallelism: 2 });
    const result = await h.result;
    assert.equal(result.collected.out!.length, 2000);
    for (const s of [0, 1]) {
      const closed = JSON.parse(readFileSync(join(dir, `closed-${s}.json`), 'utf8')) as { begun: number; settled: number; read: number };
      assert.equal(closed.read, 1000);
      assert.ok(closed.begun >= 1, `subtask ${s} acknowledged`);
      assert.equal(closed.settled, closed.begun, `subtask ${s}: every acknowledgement settled before close`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
