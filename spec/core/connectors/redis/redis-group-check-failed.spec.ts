// Regression: a group read that failed with NOGROUP asks XINFO GROUPS whether the group is gone; when that check
// itself failed, every stream counted as without its group, and a transient error became the permanent
// RedisGroupMissingError (the job failed without restarts). A failed check leaves the read's own error.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { redisForSpecFile } from '../../../support/redis.js';
import { RedisStreamReader } from '../../../../core/connectors/redis/redis-stream-reader.js';
import { enumerateRedisStreamSplits } from '../../../../core/connectors/redis/redis-stream-split.js';
import { RedisConnectorError, RedisGroupMissingError } from '../../../../core/connectors/errors.js';
import { drive } from '../drive.js';

const db = redisForSpecFile();

test('group read failing with NOGROUP whose group check fails (here: XINFO refused) fails with the read\'s error, not RedisGroupMissingError', async () => {
  const s = db.key('check-fails');
  // May read a group but not ask about it: the check after NOGROUP fails (NOPERM).
  await db.redis.call('ACL', 'SETUSER', 'noinfo', 'on', '>pw', '~*', '&*', '+@stream', '-xinfo', '+@connection', '+client', '+ping', '+info');
  const url = `redis://noinfo:pw@127.0.0.1:${db.server.port}`;
  const splits = await enumerateRedisStreamSplits({ connection: db.server.url, streams: [s], group: { name: 'g' } }, 1);
  await db.redis.xadd(s, '*', 'data', '1');
  const r = new RedisStreamReader<number>(splits, { connection: url, group: 'g', blockMs: 50 });
  try {
    assert.deepEqual((await drive(r, { until: (x) => x.values.length === 1 })).values, [1]);
    await db.redis.xgroup('DESTROY', s, 'g');
    const e = await drive(r, { deadlineMs: 10_000 }).then(() => undefined, (x: unknown) => x);
    assert.ok(e instanceof RedisConnectorError, `a RedisConnectorError, got ${String(e)}`);
    assert.ok(!(e instanceof RedisGroupMissingError), `not a RedisGroupMissingError: ${(e as Error).message}`);
    assert.match((e as Error).message, /NOGROUP|UNBLOCKED/);
  } finally {
    await r.close();
  }
  // The check tells a group really gone when it can ask (the same destroyed group, an allowed user).
  const admin = new RedisStreamReader<number>(splits, { connection: db.server.url, group: 'g', blockMs: 50 });
  try {
    const e = await drive(admin, { deadlineMs: 10_000 }).then(() => undefined, (x: unknown) => x);
    assert.ok(e instanceof RedisGroupMissingError, `a RedisGroupMissingError, got ${String(e)}`);
  } finally {
    await admin.close();
  }
});
