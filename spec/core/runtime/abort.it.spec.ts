// run(job, { signal }): an abort before run() resolves rejects it with the signal's reason once what it started has
// stopped (threads gone); an abort of a running job cancels it as handle.cancel() does; a signal kept for many runs
// keeps none of their listeners.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run } from '../../../core/index.js';
import { osThreads, threadsAfter } from './threads.js';
import { endsWithTest } from '../../support/ends-with-test.js';
import { polledUntil } from '../../support/polled-until.js';

const UNBOUNDED = new URL('./jobs/unbounded.ts', import.meta.url);

test('a signal aborted before run(): it rejects with the reason at once, starting nothing', async () => {
  const before = osThreads();
  const reason = new Error('not wanted');
  await assert.rejects(run(UNBOUNDED, { parallelism: 2, signal: AbortSignal.abort(reason) }), (e) => e === reason);
  assert.equal(await threadsAfter(before), before);
});

test('an abort while the job module is still loading (a top-level await that never settles) rejects run() with an AbortError', async () => {
  const ac = new AbortController();
  const running = run(new URL('./jobs/hangs-loading.ts', import.meta.url), { signal: ac.signal });
  // The import is under way once run() is called; the abort must end a wait that nothing else ends.
  setImmediate(() => ac.abort());
  await assert.rejects(running, (e: Error) => e.name === 'AbortError');
});

test('an abort once the state directory is open (from a start-up warning): run() rejects with the reason, no thread starts, the directory is free again', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-abort-'));
  try {
    const before = osThreads();
    const ac = new AbortController();
    const stateDir = path.join(dir, 'state');
    // A state directory without an interval is warned about after the store is open, before any thread starts.
    const running = run(UNBOUNDED, { parallelism: 2, stateDir, signal: ac.signal, onWarning: (m) => { if (/no checkpoint interval/.test(m)) ac.abort(new Error('changed my mind')); } });
    await assert.rejects(running, (e: Error) => e.message === 'changed my mind');
    assert.equal(await threadsAfter(before), before, 'threads left after the rejected start');
    assert.deepEqual(getEventListeners(ac.signal, 'abort'), []);
    // The store was closed: LevelDB's lock is free for the next run.
    const h = await run(UNBOUNDED, { parallelism: 1, stateDir, onWarning: () => {} });
    assert.equal((await h.cancel()).cancelled, true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an abort of a running job cancels it: result says cancelled, the records it read are counted, threads are gone, the listener removed', async (t) => {
  const before = osThreads();
  const ac = new AbortController();
  const h = endsWithTest(t, await run(UNBOUNDED, { parallelism: 2, signal: ac.signal }));
  // Running for real: records through the reduce (live metrics), then the abort.
  await polledUntil(() => h.metrics().operators.filter((o) => o.operator === 'sum').reduce((n, o) => n + o.recordsIn, 0) >= 10_000, '10,000 records through the reduce', h, 10);
  ac.abort();
  const r = await h.result;
  assert.equal(r.cancelled, true);
  assert.ok(r.metrics.operators.filter((o) => o.operator === 'sum').reduce((n, o) => n + o.recordsIn, 0) >= 10_000);
  assert.equal(await threadsAfter(before), before);
  assert.deepEqual(getEventListeners(ac.signal, 'abort'), []);
});

test('one signal for many runs that end by themselves: none of their listeners stays on it', async () => {
  const ac = new AbortController();
  for (let i = 0; i < 3; i++) {
    const h = await run(new URL('./jobs/misc.ts?case=union', import.meta.url), { signal: ac.signal, onWarning: () => {} });
    await h.result;
  }
  assert.deepEqual(getEventListeners(ac.signal, 'abort'), []);
});

test('options.signal that is not an AbortSignal is a TypeError, before anything runs', async () => {
  await assert.rejects(run(UNBOUNDED, { signal: {} as AbortSignal }), (e: Error) => e instanceof TypeError && /options\.signal must be an AbortSignal/.test(e.message));
});
