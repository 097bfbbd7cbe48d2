// A Redis that stops answering, refuses connections or loses a stream under a consumer group: the connectors fail
// with a RedisConnectorError that says why. A stopped server (SIGSTOP: its connections stay up, as behind a
// network that drops packets) used to hold a source's reads and a sink's commit forever, silently: ioredis has no
// command timeout unless one is set.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { startRedis, redisForSpecFile } from '../../../support/redis.js';
import { RedisStreamWriter } from '../../../../core/connectors/redis/redis-stream-writer.js';
import { RedisStreamReader } from '../../../../core/connectors/redis/redis-stream-reader.js';
import { enumerateRedisStreamSplits } from '../../../../core/connectors/redis/redis-stream-split.js';
import { REDIS_COMMAND_TIMEOUT_MS, createRedisClient } from '../../../../core/connectors/redis/redis-client.js';
import { RedisConnectorError, RedisGroupMissingError } from '../../../../core/connectors/errors.js';
import { drive } from '../drive.js';

const db = redisForSpecFile();

// The connection's own commandTimeout (short here, so the spec waits ~2 s, not the default's 30).
const TIMEOUT_MS = 2_000;

test('the command timeout: 30 s by default, the connection\'s own if set, and a blocking read\'s wait on top of either', () => {
  const clients = [createRedisClient('redis://127.0.0.1:1', 'a'), createRedisClient('redis://127.0.0.1:1', 'b', 500), createRedisClient({ port: 1, commandTimeout: 200 }, 'c', 500)];
  assert.deepEqual(clients.map((c) => c.options.commandTimeout), [REDIS_COMMAND_TIMEOUT_MS, REDIS_COMMAND_TIMEOUT_MS + 500, 700]);
  for (const c of clients) c.disconnect();
});

test('a stopped Redis: a source read and a sink commit fail after the command timeout, saying no reply came', { timeout: 60_000 }, async () => {
  const server = await startRedis();
  const connection = { host: '127.0.0.1', port: server.port, commandTimeout: TIMEOUT_MS };
  const reader = new RedisStreamReader<{ i: number }>(await enumerateRedisStreamSplits({ connection, streams: ['s'] }, 1), { connection, blockMs: 50 });
  const writer = new RedisStreamWriter<{ i: number }>({ connection, stream: 'out', subtask: 0 });
  try {
    // The reader is connected and reading (it has read the entry) before the server stops.
    const setup = new Redis(server.url);
    await setup.xadd('s', '*', 'data', JSON.stringify({ i: 0 }));
    setup.disconnect();
    await drive(reader, { until: (d) => d.values.length === 1 });
    writer.write({ i: 1 });
    const tx = writer.prepareCommit(1);
    process.kill(server.pid, 'SIGSTOP');
    const started = performance.now();
    const [read, commit] = await Promise.allSettled([drive(reader, { deadlineMs: 20 * TIMEOUT_MS }), writer.commit([tx])]);
    assert.equal(read.status, 'rejected');
    assert.equal(commit.status, 'rejected');
    const r = (read as PromiseRejectedResult).reason as Error;
    const c = (commit as PromiseRejectedResult).reason as Error;
    assert.ok(r instanceof RedisConnectorError, String(r));
    assert.match(r.message, new RegExp(`^redis source at 127\\.0\\.0\\.1:${server.port}: no reply from Redis within ${TIMEOUT_MS + 50} ms \\(is it stopped, or cut off\\?`));
    assert.ok(c instanceof RedisConnectorError, String(c));
    assert.match(c.message, new RegExp(`^redis sink at 127\\.0\\.0\\.1:${server.port}: cannot connect: no reply from Redis within ${TIMEOUT_MS} ms`));
    // One timeout each, not several (the handshake's commands one after the other, then reconnects).
    assert.ok(performance.now() - started < 3 * TIMEOUT_MS, `${performance.now() - started} ms`);
  } finally {
    process.kill(server.pid, 'SIGCONT');
    await reader.close();
    writer.close();
    await server.stop();
  }
});

test('a refused connection: the message says why the connection closed', async () => {
  const writer = new RedisStreamWriter<{ i: number }>({ connection: { host: '127.0.0.1', port: 1, retryStrategy: () => null }, stream: 'out', subtask: 0 });
  writer.write({ i: 1 });
  await assert.rejects(writer.commit([writer.prepareCommit(1)]), (e: unknown) => e instanceof RedisConnectorError
    && /^redis sink at 127\.0\.0\.1:1: cannot connect: Connection is closed\. \(connect ECONNREFUSED 127\.0\.0\.1:1\)$/.test(e.message));
});

test('a stream deleted under a consumer group: the error says what to do about it', async () => {
  const s = db.key('deleted');
  await db.redis.xadd(s, '*', 'data', JSON.stringify({ i: 0 }));
  const reader = new RedisStreamReader<{ i: number }>(await enumerateRedisStreamSplits({ connection: db.server.url, streams: [s], group: { name: 'g' } }, 1), { connection: db.server.url, group: 'g', blockMs: 50 });
  try {
    await drive(reader, { until: (d) => d.values.length === 1 });
    const [[id]] = await db.redis.xrange(s, '-', '+');
    await db.redis.del(s);
    await assert.rejects(drive(reader), (e: unknown) => e instanceof RedisGroupMissingError && e.stream === s && e.group === 'g'
      && e.message.includes(`consumer group 'g' is not on stream '${s}' (the stream was deleted, or Redis lost its data), so its consumers cannot read on from their positions ('sluice-0' on '${s}' after ${id}), nor can a restart from a checkpoint. To read on, create the group at the id to read after (XGROUP CREATE <stream> g <id> MKSTREAM)`));
  } finally {
    await reader.close();
  }
});
