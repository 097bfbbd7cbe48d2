// A Redis source's consumer group gone from its stream (the stream deleted; a Redis restarted without persistence
// loses both), against a private redis-server: a resume is refused before any thread starts, and a running job
// fails once, without restarts that would each meet NOGROUP again; both name the stream, the group, the positions
// and what to do.

import { after, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { JobDefinitionError, OperatorError, RedisGroupMissingError, run, type RunOptions } from '../../../../core/index.js';
import { Redis } from 'ioredis';
import { redisForSpecFile, startRedis, startRedisOn } from '../../../support/redis.js';
import { redisJob, fillStream } from './redis-job.js';
import { endsWithTest } from '../../../support/ends-with-test.js';

const db = redisForSpecFile();

const job = (params: Record<string, string>): URL => redisJob(db.server.url, params);

const fill = (stream: string, from: number, to: number): Promise<void> => fillStream(db.redis, stream, from, to);

const stateDirs: string[] = [];
after(() => { for (const d of stateDirs) rmSync(d, { recursive: true, force: true }); });

/**
 * Starts the job (in a state directory of its own unless given); `until(cond)` waits checkpoint by checkpoint (or
 * for the job's end) until `cond` holds.
 */
async function start(t: TestContext, url: URL, options: RunOptions) {
  let wake: () => void = () => {};
  const warnings: string[] = [];
  const stateDir = options.stateDir ?? mkdtempSync(path.join(os.tmpdir(), 'sluice-redis-nogroup-'));
  stateDirs.push(stateDir);
  const h = endsWithTest(t, await run(url, { onWarning: (m) => warnings.push(m), onCheckpoint: () => wake(), ...options, stateDir }));
  let ended = false;
  void h.result.finally(() => { ended = true; wake(); }).catch(() => {});
  const until = async (cond: () => Promise<boolean>): Promise<void> => {
    for (;;) {
      // Armed before cond() runs: a checkpoint or the job's end while it awaits Redis still wakes this wait.
      const woken = new Promise<void>((r) => { wake = r; });
      if (ended || await cond()) return;
      await woken;
    }
  };
  return { h, warnings, until, ended: () => ended };
}

const groups = async (s: string): Promise<number> => (await db.redis.exists(s)) === 0 ? 0 : (await db.redis.xinfo('GROUPS', s) as unknown[]).length;

// Regression: the resume started, and every reader (and every restart from the savepoint) failed on NOGROUP.
test('resumed after the stream was deleted and made anew by its producer: refused before any thread starts, naming the stream, the group, the positions and the ways out', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-redis-nogroup-'));
  const [s, out] = ['gone-in', 'gone-out'];
  try {
    const stateDir = path.join(dir, 'state');
    await fill(s, 0, 100);
    const first = await start(t, job({ case: 'eo', in: s, out, group: 'g' }), { parallelism: 1, stateDir, restartStrategy: { type: 'none' } });
    await first.until(async () => (await db.redis.xlen(out)) >= 100);
    assert.equal(first.ended(), false, first.warnings.join(' | '));
    await first.h.stopWithSavepoint('sp');
    await first.h.result;
    const last = (await db.redis.xrevrange(s, '+', '-', 'COUNT', 1))[0]![0];
    await db.redis.del(s);
    await fill(s, 100, 110);
    const url = job({ case: 'eo', in: s, out, group: 'g' });
    await assert.rejects(run(url, { parallelism: 1, stateDir, resume: { savepoint: 'sp' }, onWarning: () => {} }), (e: Error) => {
      assert.ok(e instanceof JobDefinitionError, `${e.name}: ${e.message}`);
      assert.equal(e.message, `checkpoint ${/checkpoint (\d+)/.exec(e.message)![1]} (savepoint 'sp') holds read positions of source 'read' that it cannot resume from: consumer group 'g' is not on stream '${s}' at 127.0.0.1:${db.server.port} (the stream was deleted, or Redis lost its data), so its consumers cannot read on from their positions ('sluice-0' on '${s}' after ${last}), nor can a restart from a checkpoint. To read on, create the group at the id to read after (XGROUP CREATE <stream> g <id> MKSTREAM) and resume from the checkpoint. Give the source another uid, or allow dropping those positions (allowNonRestoredState / --allow-non-restored-state: it then reads from its configured start)`);
      return true;
    });
    assert.equal(await groups(s), 0, 'no reader started (none made the group)');
    assert.equal(await db.redis.xlen(out), 100, 'nothing written');
    // The way out it names: the group made again, the resume reads on after the id given.
    await db.redis.xgroup('CREATE', s, 'g', '0');
    const again = await start(t, url, { parallelism: 1, stateDir, resume: { savepoint: 'sp' }, restartStrategy: { type: 'none' } });
    await again.until(async () => (await db.redis.xlen(out)) >= 110);
    assert.equal(again.ended(), false, again.warnings.join(' | '));
    await again.h.cancel();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// Regression: the job restarted from its checkpoint, and each restart failed on NOGROUP again until the restart
// strategy gave up, with a message about a Redis command failing.
test('the stream deleted while the job runs: the job fails once (no restart), with a RedisGroupMissingError naming the stream, the group and the ways out', async (t) => {
  const [s, out] = ['deleted-in', 'deleted-out'];
  await fill(s, 0, 100);
  const { h, warnings, until } = await start(t, job({ case: 'eo', in: s, out, group: 'g' }), { parallelism: 1, restartStrategy: { type: 'fixed-delay', attempts: 3, delayMs: 0 } });
  await until(async () => (await db.redis.xlen(out)) >= 100);
  await db.redis.del(s);
  const e = await h.result.then(() => assert.fail('the job ended'), (x: unknown) => x as Error);
  assert.ok(e instanceof OperatorError, `${e.name}: ${e.message}`);
  const cause = e.cause as RedisGroupMissingError;
  assert.equal(cause.name, 'RedisGroupMissingError');
  assert.equal(cause.code, 'REDIS_GROUP_MISSING');
  assert.deepEqual([cause.stream, cause.group], [s, 'g']);
  assert.match(cause.message, new RegExp(`^redis source at 127\\.0\\.0\\.1:${db.server.port}: consumer group 'g' is not on stream '${s}' \\(the stream was deleted, or Redis lost its data\\), so its consumers cannot read on from their positions \\('sluice-0' on '${s}' after \\d+-\\d+\\), nor can a restart from a checkpoint\\. To read on, create the group at the id to read after \\(XGROUP CREATE <stream> g <id> MKSTREAM\\) and resume from the checkpoint; to read from the configured start instead, resume with --allow-non-restored-state \\(allowNonRestoredState\\) or give the source another uid \\((NOGROUP|UNBLOCKED)\\)$`));
  assert.deepEqual(warnings.filter((w) => /restart \d/.test(w)), [], 'no restart');
});

// Regression: after a Redis restarted without persistence, every restart failed on NOGROUP until the strategy gave up.
test('Redis restarted without persistence while the job runs: the job fails with RedisGroupMissingError, not after its restarts run out', async (t) => {
  let server = await startRedis();
  const redis = new Redis(server.url);
  try {
    const [s, out] = ['wiped-in', 'wiped-out'];
    const p = redis.pipeline();
    for (let i = 0; i < 100; i++) p.xadd(s, '*', 'data', JSON.stringify({ i }));
    await p.exec();
    const u = new URL('./jobs/redis.ts', import.meta.url);
    for (const [k, v] of Object.entries({ url: server.url, case: 'eo', in: s, out, group: 'g' })) u.searchParams.set(k, v);
    const { h, warnings, until } = await start(t, u, { parallelism: 1, restartStrategy: { type: 'fixed-delay', attempts: 5, delayMs: 0 } });
    await until(async () => (await redis.xlen(out)) >= 100);
    await server.stop();
    server = await startRedisOn(server.port);
    const e = await h.result.then(() => assert.fail('the job ended'), (x: unknown) => x as Error);
    assert.equal((e.cause as Error | undefined)?.name, 'RedisGroupMissingError', `${e.name}: ${e.message} | ${warnings.join(' | ')}`);
    assert.match(e.message, new RegExp(`consumer group 'g' is not on stream '${s}' \\(the stream was deleted, or Redis lost its data\\)`));
    // One restart at most: a commit that met the server down is a restart the runtime tries; NOGROUP is none.
    assert.ok(warnings.filter((w) => /; restart \d+ in /.test(w)).length <= 1, warnings.join(' | '));
  } finally {
    redis.disconnect();
    await server.stop();
  }
});
