// The Redis Streams sink against a real redis-server: nothing visible before commit, commits that are
// idempotent whatever failed in between (a commit cut short between chunks, a repeated commit, a restore),
// and a fresh run never suppressed by an old one's markers.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { redisForSpecFile } from '../../../support/redis.js';
import { RedisStreamWriter, type RedisStreamTransaction } from '../../../../core/connectors/redis/redis-stream-writer.js';
import { RedisStreamReader } from '../../../../core/connectors/redis/redis-stream-reader.js';
import { enumerateRedisStreamSplits } from '../../../../core/connectors/redis/redis-stream-split.js';
import { ConnectorOptionError, EncodeError, RedisConnectorError } from '../../../../core/connectors/errors.js';
import { drive } from '../drive.js';

const db = redisForSpecFile();

/** The `data` JSON of every entry in the stream, in stream order. */
async function contents(stream: string): Promise<unknown[]> {
  return (await db.redis.xrange(stream, '-', '+')).map(([, fields]) => JSON.parse(fields[fields.indexOf('data') + 1]!));
}

test('entries appear only at commit, in order, as { data: JSON }; the source reads them back', async () => {
  const s = db.key('out');
  const w = new RedisStreamWriter<{ i: number }>({ connection: db.server.url, stream: s, subtask: 0 });
  for (let i = 0; i < 5; i++) w.write({ i });
  const tx = w.prepareCommit(1);
  assert.deepEqual(JSON.parse(JSON.stringify(tx)), tx, 'the transaction is plain data');
  assert.deepEqual(await contents(s), []);
  await w.commit([tx]);
  assert.deepEqual(await contents(s), [0, 1, 2, 3, 4].map((i) => ({ i })));
  const reader = new RedisStreamReader<{ i: number }>(await enumerateRedisStreamSplits({ connection: db.server.url, streams: [s] }, 1), { connection: db.server.url, blockMs: 50 });
  assert.deepEqual((await drive(reader, { until: (x) => x.values.length === 5 })).values, [0, 1, 2, 3, 4].map((i) => ({ i })));
  await reader.close();
  w.close();
});

test('commit again, and commit after a crash between two chunks: every entry exactly once', async () => {
  const s = db.key('chunks');
  const w = new RedisStreamWriter<number>({ connection: db.server.url, stream: s, subtask: 0, chunkEntries: 2 });
  for (let i = 0; i < 5; i++) w.write(i);
  const tx = w.prepareCommit(3);
  // The state a commit leaves when it dies after its first chunk: the same transaction, cut to that chunk.
  const cut: RedisStreamTransaction = { ...tx, entries: tx.entries.slice(0, 2) };
  const dying = new RedisStreamWriter<number>({ connection: db.server.url, stream: s, subtask: 0, chunkEntries: 2 });
  await dying.commit([cut]);
  dying.close();
  assert.deepEqual(await contents(s), [0, 1]);
  await w.commit([tx]);
  await w.commit([tx]);
  assert.deepEqual(await contents(s), [0, 1, 2, 3, 4]);
  w.close();
});

test('restore: the restored transaction is committed once; a prepared checkpoint that never completed is never written', async () => {
  const s = db.key('restore');
  const crashed = new RedisStreamWriter<number>({ connection: db.server.url, stream: s, subtask: 1 });
  crashed.write(1);
  crashed.write(2);
  const tx1 = structuredClone(crashed.prepareCommit(1));
  crashed.write(3);
  crashed.prepareCommit(2); // checkpoint 2 never completes; the writer dies
  const restored = new RedisStreamWriter<number>({ connection: db.server.url, stream: s, subtask: 1 });
  await restored.commit([tx1]);
  const again = new RedisStreamWriter<number>({ connection: db.server.url, stream: s, subtask: 1 });
  await again.commit([tx1]); // a second restore
  again.close();
  restored.write(3);
  await restored.commit([restored.prepareCommit(2)]);
  assert.deepEqual(await contents(s), [1, 2, 3]);
  restored.close();
});

test("committing checkpoint n commits this writer's earlier uncommitted checkpoints first", async () => {
  const s = db.key('order');
  const w = new RedisStreamWriter<string>({ connection: db.server.url, stream: s, subtask: 0 });
  w.write('a');
  w.prepareCommit(1);
  w.write('b');
  const tx2 = w.prepareCommit(2);
  await w.commit([tx2]);
  assert.deepEqual(await contents(s), ['a', 'b']);
  w.close();
});

test('a fresh run of the same job is not mistaken for an old one: its checkpoint 1 is written too', async () => {
  const s = db.key('fresh');
  for (const run of ['first', 'second']) {
    const w = new RedisStreamWriter<string>({ connection: db.server.url, stream: s, subtask: 0 });
    w.write(run);
    await w.commit([w.prepareCommit(1)]);
    w.close();
  }
  assert.deepEqual(await contents(s), ['first', 'second']);
});

test('finish appends what is left at the end of a bounded input; a custom encoding writes its own fields', async () => {
  const s = db.key('finish');
  const w = new RedisStreamWriter<{ k: string; v: number }>({ connection: db.server.url, stream: s, subtask: 0, encode: (r) => ({ k: r.k, v: String(r.v) }) });
  w.write({ k: 'a', v: 1 });
  w.prepareCommit(1);
  w.write({ k: 'b', v: 2 });
  assert.deepEqual(await w.finish(), { entries: 2 });
  assert.deepEqual((await db.redis.xrange(s, '-', '+')).map(([, f]) => f), [['k', 'a', 'v', '1'], ['k', 'b', 'v', '2']]);
});

test('a gap (a later chunk without the earlier one) is refused; bad options and values are typed errors', async () => {
  const s = db.key('gap');
  const w = new RedisStreamWriter<number>({ connection: db.server.url, stream: s, subtask: 0, chunkEntries: 2 });
  for (let i = 0; i < 4; i++) w.write(i);
  const tx = w.prepareCommit(1);
  const marker = `sluice:stream-sink:${tx.writer}`;
  await db.redis.set(marker, '1:1'); // a marker no commit of this transaction can have left
  await assert.rejects(w.commit([tx]), (e: unknown) => e instanceof RedisConnectorError && /SLUICEGAP/.test(e.message));
  assert.deepEqual(await contents(s), []);
  assert.throws(() => new RedisStreamWriter({ connection: db.server.url, stream: '', subtask: 0 }), ConnectorOptionError);
  const bad = new RedisStreamWriter<unknown>({ connection: db.server.url, stream: s, subtask: 0, encode: (v) => v as Record<string, string> });
  assert.throws(() => bad.write({ n: 1 }), (e: unknown) => e instanceof EncodeError && /field "n" is number/.test(e.message));
  assert.throws(() => bad.write({}), EncodeError);
  // The default JSON encoding refuses what JSON would write as another value, as jsonLines() does.
  const plain = new RedisStreamWriter<unknown>({ connection: db.server.url, stream: s, subtask: 0 });
  assert.throws(() => plain.write({ amount: Number.NaN }), (e: unknown) => e instanceof EncodeError && /\$\.amount is NaN/.test(e.message));
  plain.close();
  w.close();
  await assert.rejects(new RedisStreamWriter<number>({ connection: db.server.url, stream: s, subtask: 0 }).commit([{ kind: 'x' }]), RedisConnectorError);
});
