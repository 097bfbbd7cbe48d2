// handle.output(name): a collect sink's records read while the job runs. With checkpoints they come as each
// checkpoint commits them, exactly once through a failure and restart (checked per generator subtask: a gapless
// prefix of its sequence, nothing twice); without, as the sink's subtasks flush (each record once: such a run has no
// restarts). The iteration ends with the job, throws its error,
// and a reader that stops early leaves the rest to result.collected. Records are read before cancel() is called
// on an unbounded job: they cannot have come from its end.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COUNT_BATCH } from '../../../core/operators/counted-sink-operator.js';
import { run, CheckpointRefusedError, OperatorError, OutputRefusedError, type JobHandle, type RunOptions } from '../../../core/index.js';
import { MAX_WATERMARK } from '../../../core/time/watermark.js';
import { endsWithTest } from '../../support/ends-with-test.js';

const job = (q: Record<string, string | number>): URL => {
  const u = new URL('./jobs/output.ts', import.meta.url);
  for (const [k, v] of Object.entries(q)) u.searchParams.set(k, String(v));
  return u;
};

/** Generator subtask s of p emits s, s + p, s + 2p, ...: each must be read as a gapless prefix, once. */
function checkPrefixes(ids: readonly number[], p: number): void {
  const seen = new Set<number>();
  const dup = ids.filter((i) => (seen.has(i) ? true : (seen.add(i), false)));
  assert.deepEqual(dup, [], 'nothing read twice');
  for (let s = 0; s < p; s++) {
    const mine = ids.filter((i) => i % p === s).sort((a, b) => a - b);
    assert.deepEqual(mine, mine.map((_, k) => s + k * p), `subtask ${s}: a gapless prefix`);
  }
}

test('with checkpoints: records come as checkpoints commit them, while the job runs, exactly once through a restart', { timeout: 60_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-output-'));
  try {
    const marker = join(dir, 'failed');
    const warnings: string[] = [];
    const h = endsWithTest(t, await run<{ out: number[]; other: number[] }>(job({ interval: 30, fail: 3000, marker }), {
      parallelism: 2, stateDir: join(dir, 'state'), restartStrategy: { type: 'fixed-delay', attempts: 2, delayMs: 0 }, onWarning: (w) => warnings.push(String(w)),
    }));
    const read: number[] = [];
    for await (const i of h.output('out')) {
      read.push(i);
      // Past the failure (record 3000 is 0.15 s in, at 20,000/s): stop the unbounded job.
      if (read.length === 8000) void h.cancel();
    }
    const r = await h.result;
    assert.ok(existsSync(marker), 'the failure happened');
    assert.equal(r.restarts, 1, warnings.join(' | '));
    assert.equal(h.restarts(), 1, 'the handle counts it too');
    assert.ok(read.length >= 8000, `${read.length} read`);
    checkPrefixes(read, 2);
    assert.deepEqual(r.collected.out, [], 'read records are not also collected');
    // The sink nobody read is collected as before, exactly once too.
    assert.ok(r.collected.other.length > 0);
    checkPrefixes(r.collected.other.map((i) => i / 100), 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('without checkpoints: records come while the job runs, each once, then the end of a cancelled job', { timeout: 60_000 }, async (t) => {
  const h = endsWithTest(t, await run<{ out: number[]; other: number[] }>(job({}), { parallelism: 2 }));
  const read: number[] = [];
  for await (const i of h.output('out')) {
    read.push(i);
    // An unbounded job: these cannot have come from its end.
    if (read.length === 8000) void h.cancel();
  }
  const r = await h.result;
  assert.equal(r.cancelled, true);
  assert.ok(read.length >= 8000, `${read.length} read`);
  checkPrefixes(read, 2);
  assert.deepEqual(r.collected.out, [], 'read records are not also collected');
  checkPrefixes(r.collected.other.map((i) => i / 100), 1);
});

test('without checkpoints: a job that fails after records were read ends the reader with its error, nothing read twice', { timeout: 60_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-output-'));
  try {
    const failWhen = join(dir, 'fail-now');
    const h = endsWithTest(t, await run<{ out: number[]; other: number[] }>(job({ failWhen }), { parallelism: 2 }));
    const read: number[] = [];
    await assert.rejects(async () => {
      for await (const i of h.output('out')) {
        read.push(i);
        if (read.length === 2000) writeFileSync(failWhen, 'now');
      }
    }, (e: unknown) => e instanceof OperatorError && /injected failure at record \d+: .*fail-now exists/.test(e.message));
    assert.ok(read.length >= 2000, `${read.length} read`);
    checkPrefixes(read, 2);
    await assert.rejects(h.result, OperatorError);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Records the collect sink 'out' has taken so far, over its subtasks (live metrics). */
function sinkIn(h: { metrics(): { operators: { operator: string; recordsIn: number }[] } }): number {
  return h.metrics().operators.filter((o) => o.operator === 'out').reduce((n, o) => n + o.recordsIn, 0);
}

// A generator as fast as it goes (millions a second) and a reader that gives the event loop a turn every 100
// records: without the credit the sink takes records far ahead of the reader. Chained to the generator, and behind
// an exchange (records then come through the sink's input gate).
for (const [bound, rebalance] of [[1000, false], [1000, true], [Infinity, false]] as const) {
  test(`without checkpoints: a reader that falls behind ${bound === Infinity ? 'does not slow the job with outputBufferRecords: Infinity' : `slows the job to its pace (outputBufferRecords${rebalance ? ', behind an exchange' : ''})`}`, { timeout: 60_000 }, async (t) => {
    const h = endsWithTest(t, await run<{ out: number[]; other: number[] }>(job({ rate: 0, rebalance: rebalance ? 1 : 0 }), { parallelism: 2, outputBufferRecords: bound }));
    const read: number[] = [];
    let ahead = 0;
    for await (const i of h.output('out')) {
      read.push(i);
      if (read.length % 100 === 0) {
        await new Promise((r) => setImmediate(r));
        ahead = Math.max(ahead, sinkIn(h) - read.length);
      }
      // Unbounded, a reader that pauses lets the sink run on: wait for it (a loaded machine's generator may not
      // outrun even a reader that yields every 100 records; a suite run saw 81,148 ahead after 30,000 read).
      if (bound === Infinity && read.length === 1000) {
        for (let k = 0; k < 6000 && ahead <= 100_000; k++) {
          await new Promise((r) => setTimeout(r, 5));
          ahead = Math.max(ahead, sinkIn(h) - read.length);
        }
      }
      if (read.length === 30_000 || ahead > 200_000) break;
    }
    await h.cancel();
    // Chained: a gapless prefix per generator subtask. Behind the exchange, a sink subtask may be ahead of the
    // other: nothing twice.
    if (rebalance) assert.equal(new Set(read).size, read.length, 'nothing read twice');
    else checkPrefixes(read, 2);
    if (bound === Infinity) assert.ok(ahead > 100_000, `unpaused, the sink ran only ${ahead} records ahead`);
    // The bound, and a record per subtask (each checks the credit before it takes one) or, behind an exchange, a
    // batch frame.
    else assert.ok(ahead <= bound + (rebalance ? 2 * 1024 : 2), `the sink ran ${ahead} records ahead of the reader`);
  });
}

test('without checkpoints: a reader that stops while the sink is paused lets the job run to its end', { timeout: 60_000 }, async (t) => {
  const n = 200_000;
  const h = endsWithTest(t, await run<{ out: number[]; other: number[] }>(job({ n, rate: 0 }), { parallelism: 2, outputBufferRecords: 100 }));
  const read: number[] = [];
  const reader = h.output('out');
  for await (const i of reader) {
    read.push(i);
    // Well past the bound before it stops (the pause has been set and cleared at least once).
    if (read.length === 5000) break;
  }
  const r = await h.result;
  assert.deepEqual([...read, ...r.collected.out].sort((a, b) => a - b), Array.from({ length: n }, (_, i) => i));
});

/** Records the generator 'gen' has emitted so far, over its subtasks (live metrics). */
function genOut(h: { metrics(): { operators: { operator: string; recordsOut: number }[] } }): number {
  return h.metrics().operators.filter((o) => o.operator === 'gen').reduce((n, o) => n + o.recordsOut, 0);
}

type Watched = Parameters<typeof genOut>[0];

/**
 * Checkpoint completions as the clock of the hold tests: what the generator had emitted at each (onCheckpoint). A
 * busy thread publishes its live metrics every 100 ms (workers/task-loop.ts), so an unchanged count means stopped
 * only over a longer span.
 */
class SourceWatch {
  job: Watched | undefined;
  private wait: { left: number; count: number; since: number; seen: number; resolve: (n: number) => void; reject: (e: Error) => void; trail: number[] } | undefined;

  readonly onCheckpoint = (): void => {
    const w = this.wait;
    if (this.job === undefined || w === undefined) return;
    const count = genOut(this.job);
    const now = performance.now();
    w.trail.push(count);
    if (count !== w.count) { w.count = count; w.since = now; w.seen = 0; }
    else if (++w.seen >= 2 && now - w.since >= STOPPED_SPAN_MS) { this.wait = undefined; w.resolve(count); return; }
    if (--w.left === 0) { this.wait = undefined; w.reject(new Error(`the sources never stopped: ${w.trail.join(', ')} emitted at successive checkpoints`)); }
  };

  /**
   * Resolves (with the count) once the generator's count stayed the same over two checkpoints and STOPPED_SPAN_MS:
   * its sources held while checkpoints still complete. Rejects after `limit` completions.
   */
  stopped(limit = 200): Promise<number> {
    return new Promise((resolve, reject) => { this.wait = { left: limit, count: -1, since: 0, seen: 0, resolve, reject, trail: [] }; });
  }
}

/** Two and a half metric publishes of a busy thread. */
const STOPPED_SPAN_MS = 250;

type Out = { out: number[]; other: number[]; also: number[] };

/**
 * A checkpointed run of the output job for the hold tests, its SourceWatch wired. The job is cancelled and its
 * directory removed however `body` ends: a failed assertion must not leave it running for the tests after it.
 */
async function holdRun(query: (dir: string) => Record<string, string | number>, options: RunOptions, body: (h: JobHandle<Out>, watch: SourceWatch) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-output-'));
  let h: JobHandle<Out> | undefined;
  try {
    const watch = new SourceWatch();
    h = await run<Out>(job(query(dir)), { parallelism: 2, stateDir: join(dir, 'state'), onCheckpoint: watch.onCheckpoint, ...options });
    watch.job = h;
    await body(h, watch);
  } finally {
    await h?.cancel().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
}

// With checkpoints records reach the reader at commits; a sink that refused input would hold back the barrier
// whose commit lets the reader go on. The sources stop instead, and checkpoints go on completing.
for (const bound of [1000, Infinity]) {
  test(`with checkpoints: a reader that falls behind ${bound === Infinity ? 'does not hold the sources with outputBufferRecords: Infinity' : 'holds the sources, checkpoints go on, and it reads on: each record once'}`, { timeout: 60_000 }, async () => {
    // Unheld, a paced generator: as fast as it goes, the unread records of a minute would fill the heap.
    await holdRun(() => ({ rate: bound === Infinity ? 100_000 : 0, interval: 20 }), { outputBufferRecords: bound }, async (h, watch) => {
      const reader = h.output('out');
      const read: number[] = [];
      for (let k = 0; k < 10; k++) read.push((await reader.next()).value as number);
      if (bound === Infinity) {
        await assert.rejects(watch.stopped(40), /the sources never stopped/);
        return;
      }
      const at = await watch.stopped();
      // Held with at least the bound unread (the first commits bring far more).
      assert.ok(at - read.length >= bound, `${at} emitted, ${read.length} read`);
      // Let go, then held again: the reader's pace.
      for await (const i of reader) {
        read.push(i);
        if (read.length % 100 === 0) await new Promise((r) => setImmediate(r));
        if (read.length === at + 50_000) break;
      }
      await h.cancel();
      checkPrefixes(read, 2);
    });
  });
}

// Only committed unread records used to hold the sources: until a commit came they ran free, and a generator filled
// one checkpoint interval with millions of records (5.4 GB, a worker out of heap at 5 s) that a commit then handed
// over at once, blocking the main thread. What the sink has taken counts, committed or not.
test('with checkpoints: a fast source is held at the bound taken by the sink, not at the next commit of a long checkpoint interval', { timeout: 60_000 }, async () => {
  const bound = 1000;
  const ringBytes = 4096;
  await holdRun(() => ({ rate: 0, interval: 1000 }), { outputBufferRecords: bound, ringBytes }, async (h, watch) => {
    const reader = h.output('out');
    // Emitted and not read, at most: the bound, what is in flight to the sink (its rings, a record being at least a
    // byte there, and an output batch per channel), and a batch (the step budget, 1024) per source subtask read
    // after its last look at the count, and what each sink subtask has taken but not yet added to it (COUNT_BATCH).
    const out = h.plan.tasks.find((t) => t.name === 'out')!;
    const channels = h.plan.channels.filter((c) => h.plan.exchanges[c.exchange]!.toTask === out.id).length;
    const most = bound + channels * (ringBytes + 32) + 2 * 1024 + out.parallelism * COUNT_BATCH;
    // Nothing read: held before the first checkpoint that could commit them has come.
    const at = await watch.stopped();
    assert.ok(at <= most, `${at} emitted with none read (at most ${most})`);
    assert.ok(at >= bound, `${at} emitted: held before the bound`);
    // Then it reads as fast as commits come: released at half the bound, held again at the bound, never a
    // checkpoint interval's worth of records ahead.
    const read: number[] = [];
    for await (const i of reader) {
      read.push(i);
      if (read.length % 100 !== 0) continue;
      const ahead = genOut(h) - read.length;
      assert.ok(ahead <= most, `${ahead} emitted and not read after ${read.length} read (at most ${most})`);
      if (read.length >= at + 3000) break;
    }
    await h.cancel();
    checkPrefixes(read, 2);
  });
});

test('with checkpoints: a reader that stops while it holds the sources lets the job run to its end', { timeout: 60_000 }, async () => {
  const n = 200_000;
  await holdRun(() => ({ n, rate: 0, interval: 20 }), { outputBufferRecords: 100 }, async (h, watch) => {
    const reader = h.output('out');
    const read = [(await reader.next()).value as number];
    const at = await watch.stopped();
    assert.ok(at < n, 'held before the end');
    await reader.return!();
    const r = await h.result;
    assert.deepEqual([...read, ...r.collected.out].sort((a, b) => a - b), Array.from({ length: n }, (_, i) => i));
  });
});

// The other pipeline waits at half its input for a marker file until the reader's hold has come: paced to last 4 s
// instead, it had ended before the hold on a machine slow enough.
test('with checkpoints: a reader holds only the sources upstream of its sink; another pipeline runs to its end', { timeout: 60_000 }, async () => {
  const also = 40_000;
  let go = '';
  await holdRun((dir) => ({ rate: 0, interval: 20, also, alsoHold: (go = join(dir, 'also-go')) }), { parallelism: 1, outputBufferRecords: 1000 }, async (h, watch) => {
    const reader = h.output('out');
    await reader.next();
    const held = await watch.stopped();
    const alsoOut = (): number => h.metrics().operators.filter((o) => o.operator === 'gen-also').reduce((n, o) => n + o.recordsOut, 0);
    assert.ok(alsoOut() < also, 'the other pipeline was still running when the hold came');
    writeFileSync(go, '');
    for (let k = 0; alsoOut() < also; k++) {
      if (k === 4000) assert.fail(`the other pipeline stopped at ${alsoOut()} of ${also}`);
      await new Promise((r) => setTimeout(r, 5));
    }
    assert.equal(genOut(h), held, 'the held source read nothing meanwhile');
  });
});

// A reader made, then left unread while the caller awaited the result, held the job for good without a
// word. It still does (the reader asked for it), but the job says why.
test('with checkpoints: a reader that holds the job and reads nothing is warned about; once it reads, the job goes on', { timeout: 60_000 }, async () => {
  const warnings: string[] = [];
  // Unbounded: a bounded one may end before its first commit holds it (a CI run on Node 24: 20,000 records).
  await holdRun(() => ({ rate: 0, interval: 20 }), { outputBufferRecords: 100, onWarning: (w) => warnings.push(String(w)) }, async (h) => {
    const reader = h.output('out');
    const warned = /output\('out'\): the job has waited \d+ s for this reader, which has read nothing since \((\d+) records unread, outputBufferRecords 100\)/;
    for (let k = 0; !warnings.some((w) => warned.test(w)); k++) {
      if (k === 4000) assert.fail(`no warning: ${warnings.join(' | ')}`);
      await new Promise((r) => setTimeout(r, 5));
    }
    const unread = Number(warned.exec(warnings.find((w) => warned.test(w))!)![1]);
    assert.ok(unread >= 100, `${unread} unread`);
    // Past what waited: the sources went on once the reader read.
    const read: number[] = [];
    for await (const i of reader) {
      read.push(i);
      if (read.length === unread + 5000) break;
    }
    await h.cancel();
    checkPrefixes(read, 2);
  });
});

test('with checkpoints: a restart while a reader holds the sources starts them held; each record once through it', { timeout: 60_000 }, async () => {
  let timerFail = '';
  const warnings: string[] = [];
  await holdRun((dir) => ({ rate: 0, interval: 20, timerFail: (timerFail = join(dir, 'fail-now')) }), {
    outputBufferRecords: 1000, restartStrategy: { type: 'fixed-delay', attempts: 1, delayMs: 0 }, onWarning: (w) => warnings.push(String(w)),
  }, async (h, watch) => {
    const reader = h.output('out');
    const read: number[] = [];
    for (let k = 0; k < 10; k++) read.push((await reader.next()).value as number);
    const before = await watch.stopped();
    // A processing-time timer fails the job while nothing flows.
    writeFileSync(timerFail, 'now');
    for (let k = 0; !warnings.some((w) => /restart 1/.test(w)); k++) {
      if (k === 4000) assert.fail(`no restart: ${warnings.join(' | ')}`);
      await new Promise((r) => setTimeout(r, 5));
    }
    // The new attempt's sources, restored from a checkpoint taken while held, emit nothing until the reader reads.
    const after = await watch.stopped();
    assert.ok(after - before <= 0, `the restarted sources emitted ${after - before} more records while the reader read none`);
    for await (const i of reader) {
      read.push(i);
      if (read.length % 100 === 0) await new Promise((r) => setImmediate(r));
      if (read.length === 50_000) break;
    }
    const r = await h.cancel();
    assert.equal(r.restarts, 1);
    checkPrefixes(read, 2);
  });
});

test('outputBufferRecords must be an integer from 1 to 2^30, or Infinity', async () => {
  for (const bad of [0, -1, 1.5, Number.NaN, 2 ** 30 + 1]) {
    await assert.rejects(run(job({ n: 10 }), { outputBufferRecords: bad }), /outputBufferRecords must be an integer from 1 to 2\^30, or Infinity/);
  }
});

// Regression: a cancel lost the records a collect sink had finished with when another subtask of its
// thread was still running (the writer handed them to its end, and the stop asked it again).
test('without checkpoints: a cancel keeps what a sink that had already ended collected, beside a subtask still running on its thread', { timeout: 60_000 }, async (t) => {
  const h = endsWithTest(t, await run<{ out: number[]; other: number[]; also: number[] }>(job({ also: 5000 }), { parallelism: 1, threads: 1 }));
  // The bounded generator's task has ended (its watermark is the end's, in the live metrics), on the thread the
  // unbounded one keeps busy.
  const ended = (): boolean => h.metrics().tasks.some((t) => t.task.includes('gen-also') && t.watermark === MAX_WATERMARK);
  for (let k = 0; !ended(); k++) {
    if (k === 4000) { await h.cancel(); assert.fail('the bounded generator\'s task never ended'); }
    await new Promise((r) => setTimeout(r, 5));
  }
  const r = await h.cancel();
  assert.equal(r.cancelled, true);
  assert.deepEqual(r.collected.also, Array.from({ length: 5000 }, (_, i) => i));
});

test('without checkpoints: a reader that comes after the sink took records gets those first, then the rest as they come', { timeout: 60_000 }, async (t) => {
  const n = 20_000;
  const h = endsWithTest(t, await run<{ out: number[]; other: number[] }>(job({ n, rate: 40_000 }), { parallelism: 2 }));
  // Records the sink kept on its threads (no reader yet: they are not handed over while the job runs).
  for (let k = 0; sinkIn(h) < 5000; k++) {
    if (k === 4000) { await h.cancel(); assert.fail('the sink never took 5000 records'); }
    await new Promise((r) => setTimeout(r, 5));
  }
  const read: number[] = [];
  for await (const i of h.output('out')) read.push(i);
  const r = await h.result;
  assert.equal(read.length, n);
  checkPrefixes(read, 2);
  assert.deepEqual(r.collected.out, []);
});

// Regression: a sink subtask that ended kept what it had left for the thread's result; counted as
// taken but out of a reader's reach, it used up the credit of the sink's other subtask for good.
test('without checkpoints: a sink subtask that ended before the reader came does not hold the others back', { timeout: 60_000 }, async (t) => {
  const h = endsWithTest(t, await run<{ out: number[] }>(new URL('./jobs/skewed.ts?small=5000&rate=20000', import.meta.url), { parallelism: 2, outputBufferRecords: 1000 }));
  const ended = (): boolean => h.metrics().tasks.some((t) => t.subtask === 0 && t.watermark === MAX_WATERMARK);
  for (let k = 0; !ended(); k++) {
    if (k === 4000) { await h.cancel(); assert.fail('subtask 0 never ended'); }
    await new Promise((r) => setTimeout(r, 5));
  }
  // A guard, not a measure: a stalled sink would leave the reader waiting for good.
  let last = Date.now();
  const guard = setInterval(() => { if (Date.now() - last > 10_000) void h.cancel(); }, 1000);
  const read: number[] = [];
  try {
    for await (const x of h.output('out')) {
      read.push(x);
      last = Date.now();
      if (read.filter((y) => y >= 1e9).length === 3000) break;
    }
  } finally {
    clearInterval(guard);
  }
  const r = await h.cancel();
  assert.equal(r.cancelled, true);
  assert.equal(read.filter((y) => y >= 1e9).length, 3000, `subtask 1 stalled after ${read.length} records read`);
  assert.deepEqual(read.filter((y) => y < 1e9), Array.from({ length: 5000 }, (_, i) => i), 'subtask 0\'s records first, all of them');
});

test('without checkpoints, no reader: result.collected lists subtask 0\'s records first, then subtask 1\'s, in order', async () => {
  const r = await (await run<{ out: number[]; other: number[] }>(job({ n: 5000, rate: 0 }), { parallelism: 2 })).result;
  const even = Array.from({ length: 2500 }, (_, k) => 2 * k);
  assert.deepEqual(r.collected.out, [...even, ...even.map((i) => i + 1)]);
});

// With a bound of 100 the sink is held back and let go again many times before the end of input.
for (const bound of [undefined, 100]) {
  test(`without checkpoints: a bounded job's records all reach the reader, and only the reader${bound === undefined ? '' : ` (outputBufferRecords ${bound})`}`, { timeout: 60_000 }, async (t) => {
    const n = bound === undefined ? 5000 : 50_000;
    const h = endsWithTest(t, await run<{ out: number[]; other: number[] }>(job({ n, rate: 0 }), { parallelism: 2, ...(bound !== undefined ? { outputBufferRecords: bound } : {}) }));
    const read: number[] = [];
    for await (const i of h.output('out')) read.push(i);
    const r = await h.result;
    checkPrefixes(read, 2);
    assert.equal(read.length, n);
    assert.deepEqual(r.collected.out, []);
    assert.equal(r.collected.other.length, n / 100);
    assert.throws(() => h.output('out'), (e: unknown) => e instanceof OutputRefusedError && e.reason === 'ended' && e.sink === 'out'
      && e.message === "output('out'): the job has ended; its records are in result.collected");
  });
}

// Regressions: a break after the job had ended put the unread records into an array the result no
// longer held (lost: in neither the reader nor result.collected), with and without checkpoints.
for (const checkpoints of [false, true]) {
  test(`a reader that breaks after the job ended leaves the rest to result.collected (${checkpoints ? 'with' : 'without'} checkpoints)`, { timeout: 60_000 }, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-output-'));
    try {
      const n = 5000;
      const h = endsWithTest(t, await run<{ out: number[]; other: number[] }>(job({ n, rate: 0, ...(checkpoints ? { interval: 20 } : {}) }), { parallelism: 2, ...(checkpoints ? { stateDir: join(dir, 'state') } : {}) }));
      const reader = h.output('out');
      const r = await h.result;
      const read: number[] = [];
      for await (const i of reader) {
        read.push(i);
        if (read.length === 10) break;
      }
      assert.equal(read.length, 10);
      assert.deepEqual([...read, ...r.collected.out].sort((a, b) => a - b), Array.from({ length: n }, (_, i) => i));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

// Regression: resuming a job whose last checkpoint is its end builds the result before run() returns;
// output() was still accepted then, and the reader got the very records result.collected held (both places).
test('a resumed job that had already ended: output() is refused, its records are in result.collected once', { timeout: 60_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-output-'));
  try {
    // No periodic checkpoint: the final one holds every record, and a resume publishes that one's output again. (With
    // checkpoints every 20 ms, a loaded machine's run completed some before its end, which published their records.)
    const opts = { parallelism: 2, stateDir: join(dir, 'state'), onWarning: () => {} };
    const first = await (await run<{ out: number[]; other: number[] }>(job({ n: 2000, rate: 0 }), opts)).result;
    assert.equal(first.collected.out.length, 2000);
    assert.deepEqual(first.checkpoints.completed.map((c) => c.kind), ['final'], 'only the final checkpoint');
    const warnings: string[] = [];
    const h = endsWithTest(t, await run<{ out: number[]; other: number[] }>(job({ n: 2000, rate: 0 }), { ...opts, resume: true, onWarning: (w) => warnings.push(w) }));
    // It said "finished after 0.0s: 0 events" and nothing else.
    assert.ok(warnings.some((w) => /^checkpoint \d+ in .* is the final one of a run that reached the end of its input: nothing is left to read/.test(w)), warnings.join(' | '));
    assert.throws(() => h.output('out'), /has ended/);
    // Regression: checkpoint and savepoint requests said "this job does not checkpoint".
    await assert.rejects(h.savepoint('late'), /the job is not running: it had already finished/);
    await assert.rejects(h.checkpoint(), /the job is not running: it had already finished/);
    const r = await h.result;
    assert.deepEqual(r.collected.out.slice().sort((a, b) => a - b), Array.from({ length: 2000 }, (_, i) => i));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a reader that comes after a checkpoint committed records gets those first; one that stops early leaves the rest to result.collected; nothing lost or twice', { timeout: 60_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-output-'));
  try {
    // The fifth checkpoint (records reach the sink a little after the first ones are taken).
    let completed = 0;
    let fifth!: () => void;
    const committed = new Promise<void>((resolve) => { fifth = resolve; });
    const h = endsWithTest(t, await run<{ out: number[]; other: number[] }>(job({ n: 60_000, rate: 40_000, interval: 20 }), {
      parallelism: 2, stateDir: join(dir, 'state'), onCheckpoint: () => { if (++completed === 5) fifth(); },
    }));
    // A loaded machine once took longer for five checkpoints than the job ran: said, not a wait on nothing.
    await Promise.race([committed, h.result.then(() => assert.fail(`the job ended after ${completed} checkpoints, before its fifth`))]);
    const read: number[] = [];
    for await (const i of h.output('out')) {
      read.push(i);
      if (read.length === 1000) break;
    }
    const r = await h.result;
    assert.equal(read.length, 1000);
    const all = [...read, ...r.collected.out].sort((a, b) => a - b);
    assert.deepEqual(all, Array.from({ length: 60_000 }, (_, i) => i));
    // Another reader may come now that the first has gone... but the job has ended.
    assert.throws(() => h.output('out'), /has ended/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the iteration throws the error of a job that fails; bad names and a second reader are refused, naming the sinks', async (t) => {
  const h = endsWithTest(t, await run<{ out: number[]; other: number[] }>(job({ n: 5000, rate: 0, fail: 10 }), { parallelism: 1 }));
  // Typed (they were plain Errors): a caller tells a bad name from a reader too many without reading the message.
  assert.throws(() => h.output('nope' as 'out'), (e: unknown) => e instanceof OutputRefusedError && e.reason === 'no-such-sink' && e.sink === 'nope'
    && e.message === "output: the job has no collect sink named 'nope' (its collect sinks: 'out', 'other')");
  assert.throws(() => h.output('check' as 'out'), /no collect sink named 'check'/);
  const reader = h.output('out');
  assert.throws(() => h.output('out'), (e: unknown) => e instanceof OutputRefusedError && e.reason === 'has-reader' && e.sink === 'out'
    && e.message === "output('out'): the sink already has a reader (one per sink)");
  await assert.rejects(async () => { for await (const _ of reader) { /* the first records may come before the failure */ } }, (e: unknown) => e instanceof OperatorError && /injected failure at record 10/.test(e.message));
  await assert.rejects(h.result, OperatorError);
  // After a failure, output() throws the job's error (regression: it said the records were in result.collected).
  assert.throws(() => h.output('other'), (e: unknown) => e instanceof OperatorError && /injected failure at record 10/.test(e.message));
});

// Regression: a cancel during the wait before a restart waited out the whole delay, and the result
// counted the restart that never ran.
test('a cancel during the wait before a restart ends the job at once; the restart that never ran is not counted', { timeout: 30_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-output-'));
  try {
    const timerFail = join(dir, 'fail-now');
    writeFileSync(timerFail, 'now');
    const warnings: string[] = [];
    let waiting!: () => void;
    const restartDue = new Promise<void>((resolve) => { waiting = resolve; });
    const h = endsWithTest(t, await run(job({ rate: 1000, interval: 20, timerFail }), {
      parallelism: 1, stateDir: join(dir, 'state'), restartStrategy: { type: 'fixed-delay', attempts: 1, delayMs: 600_000 },
      onWarning: (w) => { warnings.push(String(w)); if (/restart 1 in 600000 ms/.test(String(w))) waiting(); },
    }));
    await restartDue;
    // Typed, so a caller asks again without reading the message (it was a plain Error).
    await assert.rejects(h.savepoint('sp'), (e: unknown) => e instanceof CheckpointRefusedError && e.reason === 'restarting' && /^the job is restarting \(restart 1\): try again once it runs$/.test(e.message));
    const r = await h.cancel();
    assert.equal(r.cancelled, true);
    assert.equal(r.restarts, 0, warnings.join(' | '));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// Regression: such a job grew its heap by gigabytes without a word (collected records wait for the job's end).
test('a collect sink no one reads behind a source that never ends is warned about once it holds a million records', { timeout: 60_000 }, async () => {
  const warnings: string[] = [];
  let heard!: () => void;
  const warned = new Promise<void>((r) => { heard = r; });
  const h = await run<Out>(job({ rate: 0 }), {
    parallelism: 1,
    onWarning: (w) => { warnings.push(w); if (w.startsWith('collect sink')) heard(); },
  });
  try {
    await warned;
    // 'out' takes every record ('other' one in a hundred: it would take the job 100 times as long).
    const about = warnings.filter((x) => x.startsWith('collect sink'));
    assert.equal(about.length, 1, about.join(' | '));
    assert.match(about[0]!, /^collect sink 'out' has kept [\d,]+ records in memory for result\.collected, and source 'gen' never ends: read them as they come with handle\.output\('out'\)/);
    const held = Number(about[0]!.match(/kept ([\d,]+) records/)![1]!.replaceAll(',', ''));
    assert.ok(held >= 1_000_000, `${held}`);
  } finally {
    await h.cancel();
  }
});

test('a reader that stops: its sink is warned about once it holds a million records again', { timeout: 60_000 }, async () => {
  const warnings: string[] = [];
  let heard!: () => void;
  const warned = new Promise<void>((r) => { heard = r; });
  const h = await run<Out>(job({ rate: 0 }), {
    parallelism: 1,
    onWarning: (w) => { warnings.push(w); if (w.startsWith("collect sink 'out'")) heard(); },
  });
  try {
    let n = 0;
    for await (const _ of h.output('out')) if (++n === 1000) break;
    // Watched again from the stop (it was left alone while the reader read).
    await warned;
    const held = Number(warnings.find((w) => w.startsWith("collect sink 'out'"))!.match(/kept ([\d,]+) records/)![1]!.replaceAll(',', ''));
    assert.ok(held >= 1_000_000, `${held}`);
  } finally {
    await h.cancel();
  }
});

// Regression (a new user, from README's example): a state directory without a checkpoint interval checkpoints only
// on request, and a reader then got nothing, without a word, until the job's end.
test('with a state directory but no checkpoint interval: output() says nothing comes until a checkpoint; one taken on request delivers', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-output-'));
  const warnings: string[] = [];
  const h = await run<{ out: number[]; other: number[] }>(job({ rate: 2000 }), { parallelism: 1, stateDir: join(dir, 'state'), onWarning: (w) => warnings.push(String(w)) });
  try {
    const reader = h.output('out');
    assert.ok(warnings.some((w) => /output\('out'\): this run checkpoints into .* only on request/.test(w)), warnings.join(' | '));
    let read: IteratorResult<number> | undefined;
    const first = reader.next().then((r) => { read = r; });
    // A checkpoint taken before the source emitted commits nothing: take them until one commits a record.
    for (let i = 0; read === undefined && i < 500; i++) {
      await h.checkpoint();
      await Promise.race([first, new Promise((r) => setImmediate(r))]);
    }
    assert.equal(read?.done, false, 'a checkpoint taken on request committed records to the reader');
  } finally {
    await h.cancel();
    rmSync(dir, { recursive: true, force: true });
  }
});
