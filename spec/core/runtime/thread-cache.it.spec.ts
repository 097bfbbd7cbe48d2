// RunOptions.threadCache: a run takes the worker threads an earlier run of the same job left in the cache, when
// they were created as it would create them, and gives its own back only when it ended well. Without a cache,
// every run starts and ends its own threads (the default).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { setTimeout as delay } from 'node:timers/promises';
import { run, ThreadCache, WorkerDiedError, type RunOptions } from '../../../core/index.js';
import { failMarker } from './jobs/thread-ids.js';
import { osThreads, threadsAfter } from './threads.js';
import { endsWithTest } from '../../support/ends-with-test.js';

const JOB = new URL('./jobs/thread-ids.ts', import.meta.url);
interface Row { x: number; thread: number; builds: number }

/** The job's rows; one thread per subtask whatever the machine's cores (threads: parallelism). */
async function where(options: RunOptions, job: URL = JOB): Promise<Row[]> {
  const r = await (await run(job, { threads: options.parallelism, ...options })).result;
  const rows = r.collected['out'] as Row[];
  assert.deepEqual(rows.map((w) => w.x).sort((a, b) => a - b), [1, 2, 3, 4, 5, 6, 7, 8]);
  return rows;
}
const threadsOf = (rows: Row[]): number[] => [...new Set(rows.map((r) => r.thread))].sort((a, b) => a - b);

test('without a thread cache, each run starts threads of its own', async () => {
  const first = threadsOf(await where({ parallelism: 2 }));
  const second = threadsOf(await where({ parallelism: 2 }));
  assert.equal(first.length, 2);
  for (const t of second) assert.ok(!first.includes(t), `thread ${t} of the second run was the first run's too`);
});

test('with a thread cache, a second run of the job runs on the first run\'s threads, with the job module as it left it', async () => {
  const cache = new ThreadCache();
  try {
    const first = await where({ parallelism: 2, threadCache: cache });
    assert.equal(cache.size, 1);
    const second = await where({ parallelism: 2, threadCache: cache });
    assert.deepEqual(threadsOf(second), threadsOf(first));
    assert.equal(threadsOf(first).length, 2);
    // The job module was loaded once per thread: the same copy built the job again.
    assert.deepEqual([...new Set(first.map((r) => r.builds))], [1]);
    assert.deepEqual([...new Set(second.map((r) => r.builds))], [2]);
  } finally {
    await cache.close();
  }
});

test('a failed run does not give its threads back: the next run starts new ones', async () => {
  const cache = new ThreadCache();
  const marker = failMarker(process.pid);
  try {
    const first = threadsOf(await where({ parallelism: 2, threadCache: cache }));
    writeFileSync(marker, 'fail');
    const failed = await (await run(JOB, { parallelism: 2, threadCache: cache })).result.then(() => undefined, (e: Error) => e);
    assert.match(String(failed?.message), /the fail marker is there/);
    assert.equal(cache.size, 0, 'the failed run took the kept threads and ended them');
    rmSync(marker);
    const next = threadsOf(await where({ parallelism: 2, threadCache: cache }));
    for (const t of next) assert.ok(!first.includes(t), `thread ${t} came back after a failed run`);
  } finally {
    rmSync(marker, { force: true });
    await cache.close();
  }
});

test('a cancelled run does not give its threads back', async (t) => {
  const cache = new ThreadCache();
  try {
    const h = endsWithTest(t, await run(new URL('./jobs/unbounded.ts', import.meta.url), { parallelism: 2, threadCache: cache }));
    const deadline = Date.now() + 30_000;
    while (h.metrics().operators.reduce((s, o) => s + o.recordsOut, 0) < 1000) {
      assert.ok(Date.now() < deadline, 'the unbounded job made no progress in 30 s');
      await delay(10);
    }
    assert.equal((await h.cancel()).cancelled, true);
    assert.equal(cache.size, 0);
  } finally {
    await cache.close();
  }
});

test('threads are shared only by runs that create them alike; the longest idle pool makes room', async () => {
  const cache = new ThreadCache({ maxIdlePools: 2 });
  try {
    const one = threadsOf(await where({ parallelism: 1, threadCache: cache }));
    const two = threadsOf(await where({ parallelism: 2, threadCache: cache }));
    assert.equal(cache.size, 2);
    for (const t of two) assert.ok(!one.includes(t), 'a run of another parallelism took the threads');
    assert.deepEqual(threadsOf(await where({ parallelism: 1, threadCache: cache })), one);
    // Another heap limit is another kind of thread: a third pool, and the longest idle one (parallelism 2) ends.
    const heap = threadsOf(await where({ parallelism: 1, workerHeapMb: 512, threadCache: cache }));
    for (const t of heap) assert.ok(!one.includes(t), 'a run with another heap limit took the threads');
    assert.equal(cache.size, 2);
    const twoAgain = threadsOf(await where({ parallelism: 2, threadCache: cache }));
    for (const t of twoAgain) assert.ok(!two.includes(t), 'an ended pool came back');
  } finally {
    await cache.close();
  }
});

test('close() ends the idle threads', async () => {
  const before = osThreads();
  const cache = new ThreadCache();
  await where({ parallelism: 2, threadCache: cache });
  assert.equal(cache.size, 1);
  assert.ok(osThreads() >= before + 2, 'the kept threads are alive while idle');
  await cache.close();
  assert.equal(cache.size, 0);
  const after = await threadsAfter(before);
  assert.ok(after <= before, `threads before ${before}, after close ${after}`);
  // A closed cache keeps nothing more.
  await where({ parallelism: 2, threadCache: cache });
  assert.equal(cache.size, 0);
});

test('cancel() after the result leaves the kept threads to the next run', async () => {
  const cache = new ThreadCache();
  try {
    const h = await run(JOB, { parallelism: 2, threads: 2, threadCache: cache });
    const first = threadsOf((await h.result).collected['out'] as Row[]);
    await h.cancel();
    assert.equal(cache.size, 1);
    assert.deepEqual(threadsOf(await where({ parallelism: 2, threadCache: cache })), first);
  } finally {
    await cache.close();
  }
});

test('a checkpointing job runs on kept threads too', async () => {
  const cache = new ThreadCache();
  const dirs = [mkdtempSync(join(tmpdir(), 'sluice-thread-cache-cp-')), mkdtempSync(join(tmpdir(), 'sluice-thread-cache-cp-'))];
  try {
    const first = threadsOf(await where({ parallelism: 2, threadCache: cache, checkpointIntervalMs: 50, stateDir: dirs[0] }));
    const second = threadsOf(await where({ parallelism: 2, threadCache: cache, checkpointIntervalMs: 50, stateDir: dirs[1] }));
    assert.deepEqual(second, first);
  } finally {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    await cache.close();
  }
});

test('a thread that dies ends its pool: nothing goes back to the cache', async () => {
  const cache = new ThreadCache();
  try {
    const e = await (await run(new URL('./jobs/dies.ts?how=exit', import.meta.url), { parallelism: 2, threadCache: cache })).result.then(() => undefined, (err: Error) => err);
    assert.ok(e instanceof WorkerDiedError, String(e));
    assert.equal(cache.size, 0);
  } finally {
    await cache.close();
  }
});

test('two runs of the job at once: each has threads of its own, and one pool is kept', async () => {
  const cache = new ThreadCache();
  try {
    const [a, b] = await Promise.all([where({ parallelism: 2, threadCache: cache }), where({ parallelism: 2, threadCache: cache })]);
    const ta = threadsOf(a);
    const tb = threadsOf(b);
    for (const t of tb) assert.ok(!ta.includes(t), 'two runs at once shared a thread');
    assert.equal(cache.size, 1);
    const next = threadsOf(await where({ parallelism: 2, threadCache: cache }));
    assert.ok(JSON.stringify(next) === JSON.stringify(ta) || JSON.stringify(next) === JSON.stringify(tb), 'the next run took one of the two pools');
  } finally {
    await cache.close();
  }
});

test('without a bundle, threads are shared by runs of one job URL only', async () => {
  const cache = new ThreadCache();
  try {
    const a = new URL('./jobs/thread-ids.ts?run=a', import.meta.url);
    const b = new URL('./jobs/thread-ids.ts?run=b', import.meta.url);
    const first = threadsOf(await where({ parallelism: 2, bundleWorkers: false, threadCache: cache }, a));
    const other = threadsOf(await where({ parallelism: 2, bundleWorkers: false, threadCache: cache }, b));
    for (const t of other) assert.ok(!first.includes(t), 'another job URL took the threads');
    assert.deepEqual(threadsOf(await where({ parallelism: 2, bundleWorkers: false, threadCache: cache }, a)), first);
  } finally {
    await cache.close();
  }
});

test('a kept thread that throws while idle ends its pool, not the process', async () => {
  const cache = new ThreadCache();
  const dir = mkdtempSync(join(tmpdir(), 'sluice-thread-cache-idle-'));
  const marker = join(dir, 'throw');
  const job = new URL(`./jobs/thread-ids.ts?throwWhenIdle=${encodeURIComponent(marker)}`, import.meta.url);
  try {
    const first = threadsOf(await where({ parallelism: 2, threadCache: cache }, job));
    assert.equal(cache.size, 1);
    writeFileSync(marker, 'now');
    const deadline = Date.now() + 10_000;
    while (cache.size > 0) {
      assert.ok(Date.now() < deadline, 'the pool whose thread threw is still in the cache after 10 s');
      await delay(10);
    }
    rmSync(marker);
    const next = threadsOf(await where({ parallelism: 2, threadCache: cache }, job));
    for (const t of next) assert.ok(!first.includes(t), `thread ${t} came back after its pool failed`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await cache.close();
  }
});

test('idle kept threads do not keep the process alive', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-thread-cache-'));
  try {
    const script = join(dir, 'main.mts');
    const api = pathToFileURL(fileURLToPath(new URL('../../../core/index.ts', import.meta.url))).href;
    writeFileSync(script, [
      `import { run, ThreadCache } from '${api}';`,
      'const cache = new ThreadCache();',
      `const r = await (await run(${JSON.stringify(JOB.href)}, { parallelism: 2, threadCache: cache })).result;`,
      "console.log('rows', r.collected['out'].length, 'kept', cache.size);",
    ].join('\n'));
    const child = spawnSync(process.execPath, ['--import', 'tsx', script], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(child.signal, null, `the process did not exit by itself: ${child.stderr}`);
    assert.equal(child.status, 0, child.stderr);
    assert.match(child.stdout, /rows 8 kept 1/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
