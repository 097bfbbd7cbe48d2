// Per-split watermarks in a whole job, against a private redis-server: one subtask reads two streams interleaved,
// one a backlog an hour behind in event time, the other live. With the watermark strategy per split, the backlog
// holds the subtask's watermark back: no record is late and every window's count is the oracle's. With the old
// assignTimestampsAndWatermarks after the same source (one generator for both streams), the live stream's
// watermark makes the backlog's records late: what the feature changes.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { run } from '../../../../core/index.js';
import { startRedis, type RedisServer } from '../../../support/redis.js';
import type { Ev, Out } from '../../time/jobs/split-watermarks.js';

const JOB = new URL('../../time/jobs/split-watermarks.ts', import.meta.url);
const SIZE = 1000;
const T0 = 1_700_000_000_000;
const HOUR = 3_600_000;
const BACKLOG = 3000;
const LIVE = 300;
const END_TS = T0 + 10 * HOUR;

let server: RedisServer;
let redis: Redis;

before(async () => {
  server = await startRedis();
  redis = new Redis(server.url);
});
after(async () => {
  redis.disconnect();
  await server.stop();
});

/** Stream `s`: n entries 10 ms of event time apart from `from`, then its end. Returns the entries. */
async function fill(s: string, n: number, from: number): Promise<Ev[]> {
  const evs: Ev[] = Array.from({ length: n }, (_, i) => ({ s, i, ts: from + 10 * i }));
  const p = redis.pipeline();
  for (const e of [...evs, { s, i: n, ts: END_TS, end: true }]) p.xadd(s, '*', 'data', JSON.stringify(e));
  await p.exec();
  return evs;
}

/** Count per stream and window, as the job's windows count them when no record is late. */
function oracle(evs: readonly Ev[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const e of evs) {
    const k = `${e.s}@${e.ts - (e.ts % SIZE)}`;
    m.set(k, (m.get(k) ?? 0) + 1);
  }
  return m;
}

/** Runs the job until every record is in a fired window or late, then cancels it. */
async function runJob(mode: 'split' | 'subtask', streams: string[]): Promise<{ windows: Map<string, number>; late: Extract<Out, { kind: 'late' }>[] }> {
  const u = new URL(JOB);
  u.searchParams.set('url', server.url);
  u.searchParams.set('streams', streams.join(','));
  u.searchParams.set('mode', mode);
  u.searchParams.set('size', String(SIZE));
  const h = await run<{ out: Out[] }>(u, { parallelism: 1 });
  const windows = new Map<string, number>();
  const late: Extract<Out, { kind: 'late' }>[] = [];
  let seen = 0;
  for await (const o of h.output('out')) {
    if (o.kind === 'late') {
      late.push(o);
      seen++;
    } else {
      const k = `${o.s}@${o.start}`;
      assert.equal(windows.has(k), false, `window ${k} fired once`);
      windows.set(k, o.count);
      seen += o.count;
    }
    if (seen === BACKLOG + LIVE) break;
  }
  await h.cancel();
  return { windows, late };
}

test('per split: a backlog read beside a live stream is not late, every window counts what the oracle does', { timeout: 60_000 }, async () => {
  const evs = [...await fill('backlog-a', BACKLOG, T0), ...await fill('live-a', LIVE, T0 + HOUR)];
  const { windows, late } = await runJob('split', ['backlog-a', 'live-a']);
  assert.equal(late.length, 0, `late: ${JSON.stringify(late.slice(0, 3))}`);
  assert.deepEqual([...windows].sort(), [...oracle(evs)].sort());
});

test('one generator for the subtask (assignTimestampsAndWatermarks after the same source): the backlog goes late', { timeout: 60_000 }, async () => {
  const evs = [...await fill('backlog-b', BACKLOG, T0), ...await fill('live-b', LIVE, T0 + HOUR)];
  const { windows, late } = await runJob('subtask', ['backlog-b', 'live-b']);
  assert.ok(late.length > BACKLOG / 2, `most of the backlog is late once the live stream moved event time: ${late.length} of ${BACKLOG}`);
  assert.ok(late.every((r) => r.s === 'backlog-b'), 'only the backlog\'s');
  const expected = oracle(evs);
  for (const [k, n] of windows) assert.ok(n <= expected.get(k)!, k);
  assert.equal([...windows.values()].reduce((a, b) => a + b, 0) + late.length, BACKLOG + LIVE);
});
