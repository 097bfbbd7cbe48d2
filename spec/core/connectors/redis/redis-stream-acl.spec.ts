// Regression: a group read became a Lua script (EVAL) for one session's loss detection, and a user whose ACL allows
// streams but not scripting then failed with NOPERM. Reading needs stream commands only, plainly and in a group.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { redisForSpecFile } from '../../../support/redis.js';
import { RedisStreamReader } from '../../../../core/connectors/redis/redis-stream-reader.js';
import { enumerateRedisStreamSplits } from '../../../../core/connectors/redis/redis-stream-split.js';
import { drive } from '../drive.js';

const db = redisForSpecFile();

for (const group of [undefined, 'g']) {
  test(`${group === undefined ? 'plain' : 'group'} read by a user allowed stream commands but not scripting`, async () => {
    const s = db.key(`acl-${group ?? 'plain'}`);
    const user = `reader-${group ?? 'plain'}`;
    await db.redis.call('ACL', 'SETUSER', user, 'on', '>pw', '~*', '&*', '+@stream', '+@connection', '+exists', '+info', '+client', '+ping');
    const url = `redis://${user}:pw@127.0.0.1:${db.server.port}`;
    const limited = new Redis(url);
    try {
      await assert.rejects(limited.call('EVAL', 'return 1', 0), /NOPERM/, 'the user may not run scripts');
    } finally { limited.disconnect(); }
    const splits = await enumerateRedisStreamSplits({ connection: url, streams: [s], ...(group === undefined ? {} : { group: { name: group } }) }, 1);
    await db.redis.xadd(s, '*', 'data', '1');
    const r = new RedisStreamReader<number>(splits, { connection: url, ...(group === undefined ? {} : { group }), blockMs: 50 });
    try {
      const d = await drive(r, { until: (x) => x.values.length === 1, deadlineMs: 10_000 });
      assert.deepEqual(d.values, [1]);
      assert.equal(d.bad.length, 0);
    } finally { await r.close(); }
  });
}
