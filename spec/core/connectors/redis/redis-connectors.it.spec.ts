// The Redis Streams source and sink in whole jobs, against a private redis-server: exactly-once from input
// streams to an output stream across a failure and restore (consumer group with acknowledgements on checkpoint
// completion, and plain reading from restored ids), entries that do not decode dropped or dead-lettered (the dead
// letters exactly once too), and a sink without checkpoints whose asynchronous finish the worker awaits.

import { test, before, after, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { run, type DeadLetter, type JobMetrics } from '../../../../core/index.js';
import { startRedis, type RedisServer } from '../../../support/redis.js';
import { tally } from '../../checkpoint/ledger.js';
import { endsWithTest } from '../../../support/ends-with-test.js';

const JOB = new URL('./jobs/redis.ts', import.meta.url);
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

function job(params: Record<string, string | number>): URL {
  const u = new URL(JOB);
  u.searchParams.set('url', server.url);
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, String(v));
  return u;
}

/** Adds ids 0..n-1 round-robin to `streams` as { data: JSON }, with `bad` undecodable entries among them. */
async function fill(streams: string[], n: number): Promise<number> {
  const p = redis.pipeline();
  for (let i = 0; i < n; i++) {
    const s = streams[i % streams.length]!;
    p.xadd(s, '*', 'data', JSON.stringify({ i }));
    if (i === 100) p.xadd(s, '*', 'data', '{not json');
    if (i === 200) p.xadd(s, '*', 'other', 'no data field');
    if (i === 300) p.xaddBuffer(s, '*', 'data', Buffer.from([0x22, 0xc3, 0x28, 0x22]));
  }
  await p.exec();
  return 3;
}

/** In = out + dropped + dead letters + `failed`: records that failed an attempt (counters cover every attempt). */
function addsUp(m: JobMetrics, operator: string, failed = 0): void {
  const c = m.operators.filter((o) => o.operator === operator)
    .reduce((a, o) => ({ in: a.in + o.recordsIn, out: a.out + o.recordsOut, dropped: a.dropped + o.dropped, dead: a.dead + o.deadLettered }), { in: 0, out: 0, dropped: 0, dead: 0 });
  assert.equal(c.in, c.out + c.dropped + c.dead + failed, `${operator}: ${JSON.stringify(c)}`);
}

/**
 * Runs the job until `done()` holds after a checkpoint (checked on the main thread after each completed one),
 * then cancels it. Returns the result.
 */
async function runUntil(t: TestContext, url: URL, stateDir: string, done: () => Promise<boolean>) {
  let wake: () => void = () => {};
  const warnings: string[] = [];
  const h = endsWithTest(t, await run(url, {
    parallelism: 2, stateDir, restartStrategy: { type: 'fixed-delay', attempts: 3, delayMs: 0 }, onWarning: (m) => warnings.push(m),
    onCheckpoint: () => wake(),
  }));
  let ended = false;
  void h.result.finally(() => { ended = true; wake(); }).catch(() => {});
  for (;;) {
    // Armed before done() runs: a checkpoint or the job's end while it awaits Redis still wakes this wait.
    const woken = new Promise<void>((r) => { wake = r; });
    if (ended || await done()) break;
    await woken;
  }
  const result = await h.cancel();
  return { result, warnings };
}

const ids = async (stream: string, field: string): Promise<number[]> => (await redis.xrange(stream, '-', '+')).map(([, f]) => Number(f[f.indexOf(field) + 1]));

for (const [mode, crash] of [['group', 'throw'], ['plain', 'throw'], ['group', 'exit']] as const) {
  const policy = mode === 'group' ? 'dead-letter' : 'drop';
  test(`${mode === 'group' ? 'consumer group' : 'plain reading'}, ${crash === 'exit' ? 'a worker thread dying' : 'a failure'} mid-stream, undecodable entries (${policy}): every record reaches the output stream exactly once`, async (t) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-redis-'));
    try {
      const n = 4000;
      const streams = [`${mode}-${crash}-in-1`, `${mode}-${crash}-in-2`];
      const bad = await fill(streams, n);
      const out = `${mode}-${crash}-out`;
      const dead = `${mode}-${crash}-dead`;
      const marker = path.join(dir, 'marker');
      const { result, warnings } = await runUntil(
        t,
        job({ case: 'eo', in: streams.join(','), out, dead, group: mode === 'group' ? 'g' : '', policy, failAt: n / 2, marker, crash }),
        path.join(dir, 'state'),
        async () => (await redis.xlen(out)) >= n && (policy !== 'dead-letter' || (await redis.xlen(dead)) >= bad),
      );
      assert.ok(existsSync(marker), 'the failure happened');
      assert.equal(result.restarts, 1, warnings.join(' | '));
      assert.deepEqual(tally(await ids(out, 'i'), n), { lost: 0, duplicated: 0, unexpected: 0 });
      addsUp(result.metrics, 'read');
      // A thread that dies takes its last counts with it: the record that killed it was never counted in.
      addsUp(result.metrics, 'inject', crash === 'exit' ? 0 : 1);
      if (policy === 'dead-letter') {
        const letters = (await redis.xrange(dead, '-', '+')).map(([, f]) => JSON.parse(f[1]!) as DeadLetter);
        assert.deepEqual(letters.map((d) => d.error.code).sort(), ['ENTRY_UNDECODABLE', 'ENTRY_UNDECODABLE', 'INVALID_UTF8']);
        assert.ok(letters.every((d) => d.operator === 'read' && /^group-(throw|exit)-in-[12]\/\d+-\d+$/.test(d.position!)), JSON.stringify(letters));
        assert.ok(letters.some((d) => d.raw === '["data","{not json"]'), 'the raw entry, as its fields');
        // Acknowledged on checkpoint completion: what the job has read and checkpointed is no longer pending.
        const pending = await redis.xpending(streams[0]!, 'g') as [number, ...unknown[]];
        assert.ok(pending[0] < n / 2, `pending entries after the job: ${pending[0]}`);
      } else {
        assert.equal(await redis.exists(dead), 0);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('a Redis sink without checkpoints appends when its input ends; the worker awaits it before the job is done', async () => {
  const out = 'plain-sink-out';
  await (await run(job({ case: 'plain-sink', out, n: 500 }), { parallelism: 2 })).result;
  assert.equal(await redis.xlen(out), 500, 'every entry is there as soon as the job is done');
  const values = (await redis.xrange(out, '-', '+')).map(([, f]) => (JSON.parse(f[1]!) as { i: number }).i);
  assert.deepEqual(tally(values, 500), { lost: 0, duplicated: 0, unexpected: 0 });
});

// Behind a source that never ends, such a sink held every record in memory and wrote none, unwarned.
test('a Redis sink without checkpoints behind a source that never ends: a warning names both', async () => {
  const warnings: string[] = [];
  const h = await run(job({ case: 'unbounded-plain-sink', out: 'never-written' }), { parallelism: 1, onWarning: (w) => warnings.push(w) });
  await h.cancel();
  assert.ok(warnings.some((w) => /^sink 'out' \(redis-stream\) writes only when its input ends in a job that does not checkpoint, and source 'gen' \(generator\) never ends/.test(w)), warnings.join(' | '));
  const bounded: string[] = [];
  await (await run(job({ case: 'plain-sink', out: 'plain-sink-out-2', n: 5 }), { parallelism: 1, onWarning: (w) => bounded.push(w) })).result;
  assert.deepEqual(bounded, [], 'not for a bounded source');
});

// Regression: without checkpoints nothing acknowledged a consumer group's entries: its pending list (and the
// reader's list of them) grew with every entry ever read.
test('a consumer group without checkpoints acknowledges what it read', { timeout: 60_000 }, async () => {
  const stream = 'group-no-checkpoints';
  await fill([stream], 3000);
  const h = await run(job({ case: 'group-no-checkpoints', in: stream, group: 'g' }), { parallelism: 1 });
  try {
    const read = (): number => h.metrics().operators.filter((o) => o.operator === 'read').reduce((n, o) => n + o.recordsOut + o.deadLettered + o.dropped, 0);
    let pending = -1;
    // Everything read and nothing pending: within a few acknowledgement intervals (AUTO_ACK_MS) after the last read.
    for (let k = 0; k < 500; k++) {
      await new Promise((r) => setTimeout(r, 20));
      pending = Number((await redis.xpending(stream, 'g') as [number])[0]);
      if (read() >= 3000 && pending === 0) break;
    }
    assert.ok(read() >= 3000, `read ${read()}`);
    assert.equal(pending, 0, 'every entry read was acknowledged');
  } finally {
    await h.cancel();
  }
});
