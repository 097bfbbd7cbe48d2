// Regression: a group read became a Lua script (EVAL) for one session's loss detection, and a user whose ACL allows
// streams but not scripting then failed with NOPERM. Reading needs stream commands only, plainly and in a group.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { redisForSpecFile } from '../../../support/redis.js';
import { RedisStreamReader } from '../../../../core/connectors/redis/redis-stream-reader.js';
import { enumerateRedisStreamSplits, restoreRedisStreamSplits } from '../../../../core/connectors/redis/redis-stream-split.js';
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

// README lists the commands each mode sends: a user allowed those alone (not all of @stream, nor EVAL: the merged
// consumer's removal falls back to two commands) runs a group through a fresh start that merges a consumer away,
// reading, a checkpoint's acknowledgement and a resume.
test('group source, by a user allowed only the commands README lists', async () => {
  const s = db.key('acl-listed');
  await db.redis.call('ACL', 'SETUSER', 'listed', 'on', '>pw', '~*', '&*', '+xinfo|stream', '+xgroup|create', '+xinfo|consumers', '+xreadgroup', '+xack', '+xinfo|groups', '+xpending', '+xrange', '+xclaim', '+xgroup|delconsumer', '+client|setname', '+info');
  const url = `redis://listed:pw@127.0.0.1:${db.server.port}`;
  const limited = new Redis(url);
  try {
    await assert.rejects(limited.call('XREAD', 'STREAMS', s, '0'), /NOPERM/, 'the user may not run other stream commands');
  } finally { limited.disconnect(); }
  const group = { name: 'g' };
  await enumerateRedisStreamSplits({ connection: db.server.url, streams: [s], group }, 2);
  const a = await db.redis.xadd(s, '*', 'data', '1');
  await db.redis.xadd(s, '*', 'data', '2');
  await db.redis.xreadgroup('GROUP', 'g', 'sluice-1', 'STREAMS', s, '>');
  await db.redis.xdel(s, a!);
  const splits = await enumerateRedisStreamSplits({ connection: url, streams: [s], group }, 1);
  assert.deepEqual(splits[0]!.position.lost, [{ id: a, consumer: 'sluice-1' }]);
  const r = new RedisStreamReader<number>(splits, { connection: url, group: 'g', blockMs: 50 });
  let snap;
  try {
    const d = await drive(r, { until: (x) => x.values.length === 1 && x.bad.length === 1, deadlineMs: 10_000 });
    assert.deepEqual(d.values, [2]);
    snap = r.snapshot(1);
    await r.notifyCheckpointComplete(1);
  } finally { await r.close(); }
  assert.deepEqual(((await db.redis.xinfo('CONSUMERS', s, 'g')) as unknown[][]).map((c) => String(c[1])), ['sluice-0']);
  const restored = await restoreRedisStreamSplits({ connection: url, streams: [s], group }, snap);
  assert.equal(restored.incompatible, undefined);
  await db.redis.xadd(s, '*', 'data', '3');
  const again = new RedisStreamReader<number>(restored.splits, { connection: url, group: 'g', blockMs: 50 });
  try {
    assert.deepEqual((await drive(again, { until: (x) => x.values.length === 1, deadlineMs: 10_000 })).values, [3]);
  } finally { await again.close(); }
});
