// Jobs that cannot run fail before any thread starts, naming the operator; a job whose code throws fails with
// the operator, subtask and original stack; no worker thread outlives a job.

import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BadInputError, GraphMismatchError, JobDefinitionError, MalformedJsonError, OperatorError, run } from '../../../core/index.js';
import { osThreads, threadsAfter } from './threads.js';

const bad = (c: string): URL => new URL(`./jobs/bad.ts?case=${c}`, import.meta.url);

describe('bad job definitions are rejected before any thread starts', () => {
  // Regression (a CI run on Node 24 under load): the process's first run() saw one OS thread more after it (12 -> 13)
  // that was none of the engine's: threads the runtime starts lazily at first use. One refused run first, unmeasured.
  before(async () => { await run(bad('parallelism'), { parallelism: 2 }).catch(() => undefined); });

  const cases: [string, RegExp][] = [
    ['parallelism', /operator 'double' \(map\): parallelism must be an integer >= 1, got 0/],
    ['no-sink', /operator 'dangling' \(map\): its output goes nowhere/],
    ['source-only', /the job has no sink/],
    ['keyed-without-keyby', /operator 'sum-all' \(reduce\): a keyed operation needs a keyed input: call keyBy/],
    ['reduce-without-keyby', /^reduce after operator 'plain': a keyed operation needs a keyed stream: call keyBy\(\.\.\.\) first$/],
    ['window-without-keyby', /^window after operator 'numbers': .*call keyBy\(\.\.\.\) first \(or windowAll for one window over the whole stream\)$/],
    ['window-all-parallel', /operator 'pairs' \(window\): a windowAll runs as one subtask \(every record of a window meets there, as in Flink\), got parallelism 2/],
    ['file-sinks-one-dir', /^operator 'second' \(sink\): it writes the part files 'part-\*\.jsonl' in .*sluice-refused-before-any-write, as operator 'first' \(sink\) does; .*give each sink its own directory or prefix$/],
    ['cycle', /operator 'loop-[ab]' \(map\): the graph has a cycle/],
    ['duplicate-name', /operator 'same' \(map\): the name 'same' is used by another operator/],
    ['shared-sink', /operator 'o2' \(sink\): its sink spec is the one operator 'o1' \(sink\) already writes to; give each sink its own/],
  ];
  for (const [c, message] of cases) {
    test(c, async () => {
      const before = osThreads();
      await assert.rejects(run(bad(c), { parallelism: 2 }), (e: unknown) => {
        assert.ok(e instanceof JobDefinitionError, `JobDefinitionError, got ${String(e)}`);
        assert.match(e.message, message);
        return true;
      });
      assert.equal(osThreads(), before, 'no thread was started');
    });
  }

  test('a module without a job export', async () => {
    await assert.rejects(run(new URL('./threads.ts', import.meta.url)), /must export default defineJob/);
  });

  // What an async builder added after its first await was silently missing from the job.
  test('an async job builder', async () => {
    const before = osThreads();
    await assert.rejects(run(new URL('./jobs/async-builder.ts', import.meta.url)), (e: unknown) => e instanceof JobDefinitionError && /async-builder\.ts: the job builder returned a promise; define the job synchronously/.test(e.message));
    assert.equal(osThreads(), before, 'no thread was started');
  });
});

test('a worker that builds a different graph fails the job, naming the first operator that differs', async () => {
  const h = await run(new URL('./jobs/random-graph.ts', import.meta.url), { parallelism: 1 });
  await assert.rejects(h.result, (e: unknown) => {
    assert.equal((e as Error).name, GraphMismatchError.name);
    assert.match((e as Error).message, /operator 'plus-one' \(#1\)/);
    return true;
  });
});

for (const parallelism of [1, 2]) {
  test(`an exception in a map at event 500,000 fails the job naming the operator (parallelism ${parallelism})`, async () => {
    const before = osThreads();
    const h = await run(new URL('./jobs/explode.ts', import.meta.url), { parallelism });
    await assert.rejects(h.result, (e: unknown) => {
      assert.ok(e instanceof OperatorError, `OperatorError, got ${String(e)}`);
      assert.equal(e.operator, 'explode');
      assert.equal(e.subtask, parallelism === 1 ? 0 : 500_000 % parallelism);
      assert.match(e.message, /event 500000 is out of range/);
      // The original stack points into the job module.
      assert.match(e.stack ?? '', /jobs\/explode\.ts/);
      return true;
    });
    const after = await threadsAfter(before);
  assert.ok(after <= before, `threads before ${before}, after ${after}`);
  });
}

// The last failure used to read like the first: nothing said the restarts had run out.
test('a job that fails every attempt: a warning says no restart is left after the strategy\'s restarts', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-restarts-'));
  try {
    const warnings: string[] = [];
    const h = await run(new URL('./jobs/explode.ts', import.meta.url), {
      parallelism: 1, stateDir: join(dir, 'state'), restartStrategy: { type: 'fixed-delay', attempts: 2, delayMs: 0 }, onWarning: (w) => warnings.push(w),
    });
    await assert.rejects(h.result, /event 500000 is out of range/);
    assert.equal(warnings.filter((w) => / restart \d in \d+ ms /.test(w)).length, 2, warnings.join(' | '));
    assert.match(warnings.at(-1)!, /^job failed \(.*event 500000 is out of range\. To drop or dead-letter such records instead: \.onError\('drop' \| 'dead-letter'\) on 'explode'\); no restart left after 2 restarts \(restart strategy fixed-delay\)$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// Regression: such an error came as an OperatorError, and a restart was tried as for a bad record: three restarts
// of the same mistake, then "no restart left".
test('a user function that returns a promise fails a checkpointed job at once: no restart', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-async-map-'));
  try {
    const warnings: string[] = [];
    const h = await run(new URL('./jobs/async-map.ts', import.meta.url), {
      parallelism: 1, stateDir: join(dir, 'state'), restartStrategy: { type: 'fixed-delay', attempts: 3, delayMs: 0 }, onWarning: (w) => warnings.push(w),
    });
    await assert.rejects(h.result, (e: unknown) => e instanceof OperatorError && e.operator === 'async-plus-one' && /returned a promise/.test(e.message));
    assert.deepEqual(warnings.filter((w) => /restart/.test(w)), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// Regression: an option a connector's createWriter (or createReader) refused restarted a checkpointed job until
// the restart strategy gave up, as a record's failure would; refused on the main thread, it failed at once.
test('a ConnectorOptionError from a createWriter fails a checkpointed job at once: no restart', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-writer-option-'));
  try {
    const warnings: string[] = [];
    const h = await run(new URL('./jobs/writer-option.ts', import.meta.url), {
      parallelism: 1, stateDir: join(dir, 'state'), checkpointIntervalMs: 1000, restartStrategy: { type: 'fixed-delay', attempts: 3, delayMs: 0 }, onWarning: (w) => warnings.push(w),
    });
    await assert.rejects(h.result, (e: unknown) => e instanceof OperatorError && e.operator === 'refusing' && (e.cause as Error).name === 'ConnectorOptionError' && /batchSize must be a number, got the string "5"/.test(e.message));
    assert.deepEqual(warnings.filter((w) => /restart/.test(w)), []);
    assert.equal(h.restarts(), 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// Regression (a user trial): keyed state or timers in a process function on a stream that is not keyed failed at the
// first record with "ctx.state is not a function" (or undefined's registerEventTimeTimer), naming no keyBy; under
// 'drop' they would have been dropped record by record. The job's fault: it fails, naming the operator and keyBy.
for (const [use, what] of [['state', 'keyed state \\(ctx\\.state\\)'], ['timer', 'timers \\(ctx\\.timerService\\)'], ['key', 'a key \\(ctx\\.key\\)']] as const) {
  test(`${use} in a process function on a stream that is not keyed fails the job, saying to keyBy first, under the 'drop' policy too`, async () => {
    const u = new URL('./jobs/unkeyed-state.ts', import.meta.url);
    u.searchParams.set('use', use);
    const h = await run(u, { parallelism: 1 });
    await assert.rejects(h.result, (e: unknown) => {
      assert.ok(e instanceof OperatorError, String(e));
      assert.equal(e.operator, 'stateful');
      assert.match(e.message, new RegExp(`^operator 'stateful' \\(subtask 0\\) failed: ${what} needs a keyed stream: call keyBy\\(\\.\\.\\.\\) before process`));
      return true;
    });
  });
}

// Regression (a user trial): a worker's error reached the app as a plain Error named like its class: an embedding
// app could not match sluice's exported classes with instanceof, and a user error's own fields were lost.
test('an error from a worker comes back as its sluice class (instanceof works), and a user error keeps its code and plain fields', async () => {
  const u = (what: string): URL => new URL(`./jobs/typed-errors.ts?what=${what}`, import.meta.url);
  await assert.rejects((await run(u('connector'), { parallelism: 1 })).result, (e: unknown) => {
    assert.ok(e instanceof OperatorError, String(e));
    assert.ok(e.cause instanceof MalformedJsonError && e.cause instanceof BadInputError, `cause ${String(e.cause)}`);
    assert.equal((e.cause as MalformedJsonError).code, 'MALFORMED_JSON');
    assert.match((e.cause as Error).message, /^malformed JSON: Unexpected token at in\.jsonl:3/);
    return true;
  });
  await assert.rejects((await run(u('mine'), { parallelism: 1 })).result, (e: unknown) => {
    assert.ok(e instanceof OperatorError, String(e));
    const cause = e.cause as Error & { code?: string; extra?: number; nested?: unknown };
    assert.deepEqual([cause.name, cause.message, cause.code, cause.extra, cause.nested], ['MineError', 'mine', 'E_MINE', 42, undefined]);
    return true;
  });
});
