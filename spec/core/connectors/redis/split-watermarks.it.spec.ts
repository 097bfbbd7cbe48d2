// Per-split watermarks in a whole job, against a private redis-server: one subtask reads two streams interleaved,
// one a backlog an hour behind in event time, the other live. With the watermark strategy per split, the backlog
// holds the subtask's watermark back: no record is late and every window's count is the oracle's. With the old
// assignTimestampsAndWatermarks after the same source (one generator for both streams), the live stream's
// watermark makes the backlog's records late: what the feature changes.

import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run } from '../../../../core/index.js';
import { redisForSpecFile } from '../../../support/redis.js';
import type { Ev, Out } from '../../time/jobs/split-watermarks.js';
import { readWindows, windowOracle, type Late } from '../../time/split-windows.js';
import { endsWithTest } from '../../../support/ends-with-test.js';

const JOB = new URL('../../time/jobs/split-watermarks.ts', import.meta.url);
const SIZE = 1000;
const T0 = 1_700_000_000_000;
const HOUR = 3_600_000;
const BACKLOG = 3000;
const LIVE = 300;
const END_TS = T0 + 10 * HOUR;

const db = redisForSpecFile();

/** Stream `s`: n entries 10 ms of event time apart from `from`, then its end. Returns the entries. */
async function fill(s: string, n: number, from: number): Promise<Ev[]> {
  const evs: Ev[] = Array.from({ length: n }, (_, i) => ({ s, i, ts: from + 10 * i }));
  const p = db.redis.pipeline();
  for (const e of [...evs, { s, i: n, ts: END_TS, end: true }]) p.xadd(s, '*', 'data', JSON.stringify(e));
  await p.exec();
  return evs;
}

/** Count per stream and window, as the job's windows count them when no record is late. */
/** Runs the job until every record is in a fired window or late, then cancels it. */
async function runJob(t: TestContext, mode: 'split' | 'subtask', streams: string[]): Promise<{ windows: Map<string, number>; late: Late[] }> {
  const u = new URL(JOB);
  u.searchParams.set('url', db.server.url);
  u.searchParams.set('streams', streams.join(','));
  u.searchParams.set('mode', mode);
  u.searchParams.set('size', String(SIZE));
  const h = endsWithTest(t, await run<{ out: Out[] }>(u, { parallelism: 1 }));
  const { windows, late } = await readWindows(h, BACKLOG + LIVE);
  return { windows, late };
}

test('per split: a backlog read beside a live stream is not late, every window counts what the oracle does', { timeout: 60_000 }, async (t) => {
  const evs = [...await fill('backlog-a', BACKLOG, T0), ...await fill('live-a', LIVE, T0 + HOUR)];
  const { windows, late } = await runJob(t, 'split', ['backlog-a', 'live-a']);
  assert.equal(late.length, 0, `late: ${JSON.stringify(late.slice(0, 3))}`);
  assert.deepEqual([...windows].sort(), [...windowOracle(evs, SIZE)].sort());
});

test('one generator for the subtask (assignTimestampsAndWatermarks after the same source): the backlog goes late', { timeout: 60_000 }, async (t) => {
  const evs = [...await fill('backlog-b', BACKLOG, T0), ...await fill('live-b', LIVE, T0 + HOUR)];
  const { windows, late } = await runJob(t, 'subtask', ['backlog-b', 'live-b']);
  assert.ok(late.length > BACKLOG / 2, `most of the backlog is late once the live stream moved event time: ${late.length} of ${BACKLOG}`);
  assert.ok(late.every((r) => r.s === 'backlog-b'), 'only the backlog\'s');
  const expected = windowOracle(evs, SIZE);
  for (const [k, n] of windows) assert.ok(n <= expected.get(k)!, k);
  assert.equal([...windows.values()].reduce((a, b) => a + b, 0) + late.length, BACKLOG + LIVE);
});

// A restore where the splits move: two subtasks (one stream each) stopped with a savepoint, resumed at parallelism
// 1 (both streams on one subtask). The restored subtask starts at the lowest of the old subtasks' watermarks (the
// backlog's) and its splits start afresh under it: the rest of the backlog is not late. With one generator per
// subtask (mode 'subtask') the live stream's end would make it late: the test fails so.
test('per split, stopped with a savepoint at parallelism 2 and resumed at 1: the rest of the backlog is not late, every window once', { timeout: 120_000 }, async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-split-wm-'));
  const half = BACKLOG / 2;
  try {
    const backlog = Array.from({ length: BACKLOG }, (_, i): Ev => ({ s: 'backlog-c', i, ts: T0 + 10 * i }));
    const live = Array.from({ length: LIVE }, (_, i): Ev => ({ s: 'live-c', i, ts: T0 + HOUR + 10 * i }));
    const add = async (s: string, evs: readonly Ev[]): Promise<void> => {
      const p = db.redis.pipeline();
      for (const e of evs) p.xadd(s, '*', 'data', JSON.stringify(e));
      await p.exec();
    };
    await add('backlog-c', backlog.slice(0, half));
    await add('live-c', live);
    const job = (p: number): URL => {
      const u = new URL(JOB);
      for (const [k, v] of Object.entries({ url: db.server.url, streams: 'backlog-c,live-c', mode: 'split', size: String(SIZE), p: String(p) })) u.searchParams.set(k, v);
      return u;
    };
    const stateDir = path.join(dir, 'state');
    const windows = new Map<string, number>();
    const late: Out[] = [];
    let seen = 0;
    let phase = 'before';
    const from = new Map<string, string>();
    // A collect sink resumed from a savepoint gets the savepoint's own transaction again (README, stopWithSavepoint),
    // and what the reader had not taken at its break is in the result: a window may arrive twice across those
    // boundaries, alike. Within one of them, every window once.
    const take = (o: Out): void => {
      if (o.kind === 'late') { late.push(o); seen++; return; }
      const k = `${o.s}@${o.start}`;
      if (from.has(k) && from.get(k) !== phase && windows.get(k) === o.count) return;
      assert.equal(windows.has(k), false, `window ${k} fired once (${from.get(k)}, then ${phase})`);
      from.set(k, phase);
      windows.set(k, o.count);
      seen += o.count;
    };
    // Before: the backlog's windows fire up to near its first half's end (the live stream's wait for it).
    const before = endsWithTest(t, await run<{ out: Out[] }>(job(2), { parallelism: 2, stateDir, checkpointIntervalMs: 20, onWarning: () => {} }));
    for await (const o of before.output('out')) {
      take(o);
      if (seen >= half - 2 * SIZE / 10) break;
    }
    await before.stopWithSavepoint('sp');
    phase = 'collected';
    for (const o of (await before.result).collected.out ?? []) take(o);
    phase = 'after';
    await add('backlog-c', backlog.slice(half));
    await add('backlog-c', [{ s: 'backlog-c', i: BACKLOG, ts: END_TS, end: true }]);
    await add('live-c', [{ s: 'live-c', i: LIVE, ts: END_TS, end: true }]);
    const after = endsWithTest(t, await run<{ out: Out[] }>(job(1), { parallelism: 1, stateDir, checkpointIntervalMs: 20, resume: { savepoint: 'sp' }, onWarning: () => {} }));
    if (seen < BACKLOG + LIVE) {
      for await (const o of after.output('out')) {
        take(o);
        if (seen === BACKLOG + LIVE) break;
      }
    }
    await after.cancel();
    assert.equal(late.length, 0, `late: ${late.length}, ${JSON.stringify(late.slice(0, 3))}`);
    assert.deepEqual([...windows].sort(), [...windowOracle([...backlog, ...live], SIZE)].sort());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
