// A Redis that is down when the job starts: the source cannot list its splits, and the first attempt is a failed
// attempt the restart strategy decides on. It used to fail the run at once (run() rejected), whatever the strategy.
// Here the server comes up on the port the job points at once run() has returned, and the job reads everything.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { run } from '../../../../core/index.js';
import { freePort, startRedisOn, type RedisServer } from '../../../support/redis.js';
import { endsWithTest } from '../../../support/ends-with-test.js';

test('a Redis down at launch: the restarts ride it out, and once it is up every entry reaches the output stream once', { timeout: 120_000 }, async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-redis-down-'));
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let server: RedisServer | undefined;
  let redis: Redis | undefined;
  try {
    const u = new URL('./jobs/redis.ts', import.meta.url);
    for (const [k, v] of Object.entries({ case: 'eo', url, in: 's', out: 'o', group: '' })) u.searchParams.set(k, v);
    const warnings: string[] = [];
    let wake: () => void = () => {};
    const h = endsWithTest(t, await run(u, {
      parallelism: 1, stateDir: path.join(dir, 'state'), restartStrategy: { type: 'fixed-delay', attempts: 1000, delayMs: 20 },
      onWarning: (m) => warnings.push(m), onCheckpoint: () => wake(),
    }));
    let ended = false;
    void h.result.finally(() => { ended = true; wake(); }).catch(() => {});
    // Nothing listens on the port yet: run() returned with the first attempt failed.
    assert.equal(h.lastFailure()?.name, 'SourceSplitsError');
    server = await startRedisOn(port);
    redis = new Redis(server.url);
    const p = redis.pipeline();
    for (let i = 0; i < 200; i++) p.xadd('s', '*', 'data', JSON.stringify({ i }));
    await p.exec();
    for (;;) {
      // Armed before the count: a checkpoint or the job's end while it awaits Redis still wakes this wait.
      const woken = new Promise<void>((r) => { wake = r; });
      if (ended || (await redis.xlen('o')) >= 200) break;
      await woken;
    }
    const r = await h.cancel();
    assert.ok(r.restarts >= 1, `${r.restarts} restarts`);
    const out = (await redis.xrange('o', '-', '+')).map(([, f]) => Number(f[f.indexOf('i') + 1]));
    assert.deepEqual(out.sort((a, b) => a - b), Array.from({ length: 200 }, (_, i) => i));
    const down = new RegExp(`^job failed \\(source 'read' \\(redis-streams\\): enumerateSplits failed: redis source at 127\\.0\\.0\\.1:${port}: enumerating splits failed: .*ECONNREFUSED.*\\); restart 1 in 20 ms from the beginning$`);
    assert.ok(warnings.some((w) => down.test(w)), warnings.join(' | '));
  } finally {
    redis?.disconnect();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
