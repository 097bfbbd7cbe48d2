// The job lifecycle: an unbounded job runs until cancelled; a worker that dies fails the job, never hangs it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NotCheckpointingError, run, serveControl, WorkerDiedError, type JobHandle } from '../../../core/index.js';
import { osThreads, threadsAfter } from './threads.js';
import { endsWithTest } from '../../support/ends-with-test.js';

/** Resolves once the job's live metrics show `n` records out of its first operator; fails after 60 s, not hangs. */
async function progress(h: JobHandle, n: number): Promise<void> {
  const first = h.operatorNames[0];
  const deadline = Date.now() + 60_000;
  while (h.metrics().operators.filter((o) => o.operator === first).reduce((s, o) => s + o.recordsOut, 0) < n) {
    assert.ok(Date.now() < deadline, `${first} did not emit ${n} records within 60 s`);
    await delay(10);
  }
}

/** Resolves once `file` exists; fails after 60 s, not hangs. */
async function markerWritten(file: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!existsSync(file)) {
    assert.ok(Date.now() < deadline, `${file} not written within 60 s`);
    await delay(10);
  }
}

test('an unbounded job runs until cancelled, then releases its threads', async (t) => {
  const before = osThreads();
  const h = endsWithTest(t, await run(new URL('./jobs/unbounded.ts', import.meta.url), { parallelism: 2 }));
  await progress(h, 100_000);
  const r = await h.cancel();
  assert.equal(r.cancelled, true);
  const out = r.metrics.operators.filter((o) => o.operator === 'sum').reduce((s, o) => s + o.recordsIn, 0);
  assert.ok(out >= 1, 'records reached the keyed operator');
  const after = await threadsAfter(before);
  assert.ok(after <= before, `threads before ${before}, after ${after}`);
});

// Regression: collected was {} after cancel(), though typed with the sink and though records had reached
// it; the README offers cancel() as the way to end an unbounded job and get its result.
test('a cancelled job (no checkpoints) returns what its collect sinks received', async (t) => {
  const h = endsWithTest(t, await run<{ out: { key: string; i: number }[] }>(new URL('./jobs/unbounded.ts?collect=1', import.meta.url), { parallelism: 2 }));
  await progress(h, 20_000);
  const r = await h.cancel();
  assert.equal(r.cancelled, true);
  const received = r.metrics.operators.filter((o) => o.operator === 'out').reduce((s, o) => s + o.recordsIn, 0);
  assert.ok(received > 0);
  assert.ok(Array.isArray(r.collected.out));
  assert.equal(r.collected.out.length, received, 'every record the sink received');
  assert.ok(r.collected.out.every((x) => typeof x.key === 'string' && typeof x.i === 'number'));
});

for (const how of ['exit', 'oom'] as const) {
  test(`a worker that dies (${how === 'exit' ? 'process.exit' : 'out of memory'}) fails the job with WorkerDiedError`, async () => {
    const before = osThreads();
    // 256 MiB, not less: on Node 24 a worker limit as small as 64 MiB leaves V8 no room to run its near-heap-limit
    // callback, and the whole process dies with a fatal OOM instead of the worker (seen with v24.21).
    const h = await run(new URL(`./jobs/dies.ts?how=${how}`, import.meta.url), { parallelism: 2, workerHeapMb: 256 });
    await assert.rejects(h.result, (e: unknown) => {
      assert.ok(e instanceof WorkerDiedError, `WorkerDiedError, got ${String(e)}`);
      assert.match(e.message, /worker thread \d died/);
      // What ran on it (regression: an out-of-memory named no operator).
      assert.match(e.message, /It ran: .*doomed.*\(subtask \d\)/);
      return true;
    });
    const after = await threadsAfter(before);
  assert.ok(after <= before, `threads before ${before}, after ${after}`);
  });
}

// Regression: the error a thread died of was only in the message: an app could not tell a RangeError from a
// heap limit, nor log its own fields.
test('a worker that dies of an error thrown in a job\'s timer fails the job with WorkerDiedError whose cause is that error', async () => {
  const h = await run(new URL('./jobs/dies.ts?how=timer', import.meta.url), { parallelism: 2 });
  await assert.rejects(h.result, (e: unknown) => {
    assert.ok(e instanceof WorkerDiedError, `WorkerDiedError, got ${String(e)}`);
    assert.match(e.message, /worker thread \d died: thrown in a timer of the job\. It ran: .*doomed.*\(subtask \d\)/);
    assert.ok(e.cause instanceof RangeError, `cause: ${String(e.cause)}`);
    assert.equal(e.cause.message, 'thrown in a timer of the job');
    return true;
  });
});

test('cancel ends a job whose thread is stuck in synchronous user code (terminated after the grace period)', async (t) => {
  const before = osThreads();
  const marker = join(mkdtempSync(join(tmpdir(), 'sluice-stuck-')), 'stuck');
  const warnings: string[] = [];
  const h = endsWithTest(t, await run(new URL(`./jobs/dies.ts?how=stuck&marker=${encodeURIComponent(marker)}`, import.meta.url), { parallelism: 1, stopGraceMs: 300, onWarning: (w) => warnings.push(w) }));
  await markerWritten(marker);
  const r = await h.cancel();
  assert.equal(r.cancelled, true);
  // Said: what its sinks held is lost.
  assert.ok(warnings.some((w) => /^worker thread 0 did not stop within stopGraceMs \(300 ms\) and was terminated/.test(w)), warnings.join(' | '));
  const after = await threadsAfter(before);
  assert.ok(after <= before, `threads before ${before}, after ${after}`);
});

// Regression: a checkpoint that timed out named no subtask, so a task stuck in user code could not be
// told from a slow disk.
test('a checkpoint that times out names the subtasks it still waits for', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-stuck-'));
  const marker = join(dir, 'stuck');
  const h = endsWithTest(t, await run(new URL(`./jobs/dies.ts?how=stuck&marker=${encodeURIComponent(marker)}`, import.meta.url),
    { parallelism: 1, stopGraceMs: 300, stateDir: join(dir, 'state'), checkpointIntervalMs: 3_600_000, checkpointTimeoutMs: 300 }));
  await markerWritten(marker);
  await assert.rejects(h.checkpoint(), /not completed within 300 ms; no barrier yet from .*doomed.* \(subtask 0\); thread 0 has been in one call for \d+ ms \(user code that does not return\?\), running .*doomed.*\(subtask 0\)/);
  await h.cancel();
});

// Regression: `--checkpoint-mode unaligned` and `--allow-non-restored-state` were taken silently by a job that does
// not checkpoint, as if they applied.
// Regression: closing an async-iterable source awaited the generator's return(), which an async generator
// waiting inside an `await` runs only once that await settles: cancel took the whole stop grace period (here a
// minute, beyond the test's timeout), and a SIGTERM of `sluice run` five seconds.
test('cancel ends a job whose async generator source waits on a promise that never settles, without the grace period', { timeout: 30_000 }, async (t) => {
  const h = endsWithTest(t, await run(new URL('./jobs/waiting-iterable.ts', import.meta.url), { parallelism: 1, stopGraceMs: 60_000 }));
  await progress(h, 2);
  const r = await h.cancel();
  assert.equal(r.cancelled, true);
  assert.deepEqual(r.metrics.operators.find((o) => o.operator === 'm')?.recordsIn, 2);
});

test('checkpoint options given to a job that does not checkpoint are named in a warning', async () => {
  const warnings: string[] = [];
  const h = await run(new URL('../../../examples/wordcount.ts', import.meta.url), { parallelism: 1, checkpointMode: 'unaligned', tolerableCheckpointFailures: 0, allowNonRestoredState: true, restartStrategy: { type: 'fixed-delay', attempts: 2, delayMs: 10 }, onWarning: (w) => warnings.push(String(w)) });
  await h.result;
  // restartStrategy too: a job restarts from its last checkpoint, so without checkpoints it never does.
  assert.ok(warnings.some((w) => /^checkpointMode, tolerableCheckpointFailures, allowNonRestoredState, restartStrategy have no effect: the job does not checkpoint/.test(w)), warnings.join(' | '));
});

// Regression: a plain Error, told from a refusal worth retrying (CheckpointRefusedError) only by its message.
test('a job that does not checkpoint refuses checkpoint, savepoint, stopWithSavepoint, deleteSavepoint and serveControl with a NotCheckpointingError saying how to checkpoint', async (t) => {
  const h = endsWithTest(t, await run(new URL('./jobs/unbounded.ts', import.meta.url), { parallelism: 1 }));
  const said = 'this job does not checkpoint: enable checkpointing (env.enableCheckpointing, checkpointIntervalMs or stateDir) to take checkpoints or savepoints';
  const notCheckpointing = (message: string) => (e: unknown): boolean => {
    assert.ok(e instanceof NotCheckpointingError, `NotCheckpointingError, got ${String(e)}`);
    assert.equal(e.name, 'NotCheckpointingError');
    assert.equal(e.message, message);
    return true;
  };
  await assert.rejects(h.checkpoint(), notCheckpointing(said));
  await assert.rejects(h.savepoint('v1'), notCheckpointing(said));
  await assert.rejects(h.stopWithSavepoint('v1'), notCheckpointing(said));
  // The refused stop left no stop behind it: asked again, the same answer, not "already stopping".
  await assert.rejects(h.stopWithSavepoint('v2'), notCheckpointing(said));
  await assert.rejects(h.deleteSavepoint('v1'), notCheckpointing(said));
  await assert.rejects(serveControl(h), notCheckpointing('serveControl: the job has no state directory (it does not checkpoint): give it one (stateDir, or env.enableCheckpointing in the job)'));
  assert.equal((await h.cancel()).cancelled, true, 'the job ran on until cancelled');
});

// Regression: a switch given as a string ("false" is truthy) left its fast path on, and negative or
// non-number times were taken; a threadCache that is not one failed with a bare TypeError.
test('switches that are not booleans, times that are not numbers >= 0, and a threadCache that is not one are refused, naming the option', async () => {
  const job = new URL('../../../examples/wordcount.ts', import.meta.url);
  const refused = async (options: Record<string, unknown>, message: RegExp): Promise<void> => {
    await assert.rejects(run(job, { parallelism: 1, ...options } as never), (e: unknown) => e instanceof Error && e.name === 'JobDefinitionError' && message.test(e.message), JSON.stringify(options));
  };
  for (const k of ['chaining', 'stateFastPaths', 'bundleWorkers', 'columnarState', 'checkStateTables']) await refused({ [k]: 'false' }, new RegExp(`^${k} must be true or false, got "false"$`));
  for (const [k, v] of [['bufferTimeoutMs', -5], ['bufferTimeoutMs', NaN], ['stopGraceMs', -1], ['fineWaitMs', '1']] as const) {
    await refused({ [k]: v }, new RegExp(`^${k} must be a number >= 0`));
  }
  await refused({ threadCache: {} }, /^threadCache must be a ThreadCache/);
  // Checkpoint settings, with checkpointing on (a state directory); refused before any thread starts or dir is made.
  const dir = join(tmpdir(), `sluice-never-made-${process.pid}`);
  await refused({ stateDir: dir, tolerableCheckpointFailures: -1 }, /^tolerableCheckpointFailures: expected an integer >= 0 \(or Infinity\), got -1$/);
  await refused({ stateDir: dir, checkpointTimeoutMs: 0 }, /^checkpointTimeoutMs must be a number of ms > 0 and <= 2147483647 \(~24.8 days\), got 0$/);
  // Regression: Node turns a longer timer into 1 ms, so every checkpoint timed out at once.
  await refused({ stateDir: dir, checkpointTimeoutMs: 2 ** 31 }, /^checkpointTimeoutMs must be .* got 2147483648$/);
  assert.equal(existsSync(dir), false);
});

// Regression: numeric options were checked as `x >= 0` or not at all, so a string that coerces (read from a file or
// an environment variable) passed and went on as a string; the checks now refuse it, saying what they got.
test('run options that must be numbers refuse a numeric string, naming the option', async () => {
  const job = new URL('../../../examples/wordcount.ts', import.meta.url);
  const dir = join(tmpdir(), `sluice-never-made-${process.pid}`);
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ checkpointIntervalMs: '5000' }, /^checkpointIntervalMs must be >= 0, got the string "5000"$/],
    [{ stateDir: dir, checkpointTimeoutMs: '5000' }, /^checkpointTimeoutMs must be a number of ms > 0 .*, got the string "5000"$/],
    [{ stateDir: dir, alignmentTimeoutMs: '100' }, /^alignmentTimeoutMs must be a number of ms >= 0 \(Infinity: never\), got the string "100"$/],
    [{ stateDir: dir, restartStrategy: { type: 'fixed-delay', attempts: '3', delayMs: 10 } }, /^restartStrategy: attempts must be >= 0, got the string "3"$/],
    [{ ringBytes: '65536' }, /^ringBytes must be an integer >= 1, got the string "65536"$/],
    [{ ringMemoryBytes: '1048576' }, /^ringMemoryBytes must be an integer >= 1, got the string "1048576"$/],
    [{ workerHeapMb: '512' }, /^workerHeapMb must be an integer >= 1, got the string "512"$/],
    [{ spin: '0' }, /^spin must be an integer >= 0, got the string "0"$/],
  ];
  for (const [options, message] of cases) {
    await assert.rejects(run(job, { parallelism: 1, ...options } as never), (e: unknown) => e instanceof Error && e.name === 'JobDefinitionError' && message.test(e.message), JSON.stringify(options));
  }
  assert.equal(existsSync(dir), false);
});

// Regression: a misspelt option was ignored ({ paralellism: 1, checkpointInterval: 100 } ran at the default parallelism
// with no checkpoints), and a ringBytes that is no power of two failed in the ring, naming no option.
test('run refuses a misspelt option and a ringBytes that is no power of two, before the job starts', async () => {
  const job = new URL('../../../examples/wordcount.ts', import.meta.url);
  const dir = join(tmpdir(), `sluice-never-made-${process.pid}`);
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ paralellism: 1, checkpointInterval: 100, statedir: dir }, /^run\(\): unknown options 'paralellism' \(did you mean 'parallelism'\?\), 'checkpointInterval' \(did you mean 'checkpointIntervalMs'\?\), 'statedir' \(did you mean 'stateDir'\?\); known: /],
    [{ parallelism: 1, ringBytes: 2048 }, /^ringBytes must be a power of two from 4096 to 1073741824 \(2\^30\), got 2048$/],
    [{ parallelism: 1, ringBytes: 100_000 }, /^ringBytes must be a power of two from 4096 .* got 100000$/],
  ];
  for (const [options, message] of cases) {
    await assert.rejects(run(job, options as never), (e: unknown) => e instanceof Error && e.name === 'JobDefinitionError' && message.test(e.message), JSON.stringify(options));
  }
  assert.equal(existsSync(dir), false);
});

// Regression: a handle keeps its last attempt for its metrics, and the attempt's stop kept every
// ring of the job: an app that kept the handles of finished jobs held all their rings (240 MB more per 5 kept).
test('a finished job\'s handle, kept, does not keep its rings', async () => {
  const { setFlagsFromString } = await import('node:v8');
  const { runInNewContext } = await import('node:vm');
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const settle = async (): Promise<number> => { for (let i = 0; i < 3; i++) { gc(); await delay(20); } return process.memoryUsage().arrayBuffers; };
  const base = await settle();
  const ringBytes = 8 * 1024 * 1024;
  const kept: JobHandle[] = [];
  for (let i = 0; i < 4; i++) {
    const h = await run(new URL('../../../examples/wordcount.ts', import.meta.url), { parallelism: 2, ringBytes });
    await h.result;
    kept.push(h);
  }
  const grown = (await settle()) - base;
  assert.equal(kept.length, 4);
  // Each job has several channels of 8 MiB: kept, four jobs' rings were over 100 MiB.
  assert.ok(grown < 2 * ringBytes, `${(grown / 2 ** 20).toFixed(1)} MiB of array buffers more after 4 finished jobs kept`);
});
