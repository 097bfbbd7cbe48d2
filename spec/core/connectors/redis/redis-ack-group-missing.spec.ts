// Regression: XACK answers 0 for a consumer group that is gone, so a checkpoint's acknowledgement after the stream
// (and its group) was deleted did nothing without a word. Acknowledging fewer entries than sent, the reader checks
// the group: gone, RedisGroupMissingError (the job fails without restarts); there, as when another consumer
// claimed and acknowledged the entries, it carries on.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { redisForSpecFile } from '../../../support/redis.js';
import { RedisStreamReader } from '../../../../core/connectors/redis/redis-stream-reader.js';
import { enumerateRedisStreamSplits } from '../../../../core/connectors/redis/redis-stream-split.js';
import { RedisGroupMissingError } from '../../../../core/connectors/errors.js';
import { drive } from '../drive.js';

const db = redisForSpecFile();

async function readThree(s: string): Promise<{ reader: RedisStreamReader<number>; ids: string[] }> {
  const splits = await enumerateRedisStreamSplits({ connection: db.server.url, streams: [s], group: { name: 'g' } }, 1);
  const ids: string[] = [];
  for (const v of [0, 1, 2]) ids.push((await db.redis.xadd(s, '*', 'data', String(v)))!);
  const reader = new RedisStreamReader<number>(splits, { connection: db.server.url, group: 'g', blockMs: 50 });
  assert.deepEqual((await drive(reader, { until: (x) => x.values.length === 3 })).values, [0, 1, 2]);
  return { reader, ids };
}

for (const how of ['the stream deleted', 'the group destroyed'] as const) {
  test(`group, ${how} between a checkpoint's read and its acknowledgement: the acknowledgement fails with RedisGroupMissingError`, async () => {
    const s = db.key(how.replace(/ /g, '-'));
    const { reader, ids } = await readThree(s);
    try {
      reader.snapshot(1);
      if (how === 'the stream deleted') await db.redis.del(s);
      else await db.redis.xgroup('DESTROY', s, 'g');
      const e = await reader.notifyCheckpointComplete(1).then(() => undefined, (x: unknown) => x);
      assert.ok(e instanceof RedisGroupMissingError, `a RedisGroupMissingError, got ${String(e)}`);
      assert.deepEqual([e.stream, e.group, e.code], [s, 'g', 'REDIS_GROUP_MISSING']);
      assert.equal(e.message, `redis source at 127.0.0.1:${db.server.port}: consumer group 'g' is not on stream '${s}' (the stream was deleted, or Redis lost its data), so its consumers cannot read on from their positions ('sluice-0' on '${s}' after ${ids[2]}), nor can a restart from a checkpoint. To read on, create the group at the id to read after (XGROUP CREATE <stream> g <id> MKSTREAM) and resume from the checkpoint; to read from the configured start instead, resume with --allow-non-restored-state (allowNonRestoredState) or give the source another uid (XACK of checkpoint 1 acknowledged 0 of 3 entries)`);
    } finally {
      await reader.close();
    }
  });
}

test('group, entries acknowledged by another client before the checkpoint completes (claimed): the acknowledgement carries on', async () => {
  const s = db.key('acked-elsewhere');
  const { reader, ids } = await readThree(s);
  try {
    reader.snapshot(1);
    await db.redis.xclaim(s, 'g', 'other', 0, ids[0]!, ids[1]!, 'JUSTID');
    assert.equal(await db.redis.xack(s, 'g', ids[0]!, ids[1]!), 2);
    await reader.notifyCheckpointComplete(1);
    assert.equal(((await db.redis.xpending(s, 'g')) as [number])[0], 0, 'the third acknowledged by the reader');
    await db.redis.xadd(s, '*', 'data', '3');
    const d = await drive(reader, { until: (x) => x.values.length === 1 });
    assert.deepEqual([d.values, d.bad], [[3], []], 'reads on');
  } finally {
    await reader.close();
  }
});
