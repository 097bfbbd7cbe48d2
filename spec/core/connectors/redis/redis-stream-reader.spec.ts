// The Redis Streams source against a real redis-server: non-blocking reads from several streams, bad entries
// with stream/id positions, exact resume from a snapshot, start positions, buffer bounds, and consumer groups
// with acknowledgement on checkpoint completion and redelivery on restore.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { redisForSpecFile } from '../../../support/redis.js';
import { RedisStreamReader } from '../../../../core/connectors/redis/redis-stream-reader.js';
import { enumerateRedisStreamSplits } from '../../../../core/connectors/redis/redis-stream-split.js';
import { entryAsIs, type StreamEntry } from '../../../../core/connectors/redis/redis-entry.js';
import { ConnectorOptionError, EntryUndecodableError, InvalidUtf8Error, RedisConnectorError } from '../../../../core/connectors/errors.js';
import { SOURCE_WAIT } from '../../../../core/connectors/source.js';
import type { SourceSplit } from '../../../../core/connectors/source.js';
import { drive } from '../drive.js';

const db = redisForSpecFile();

async function add(stream: string, ...values: unknown[]): Promise<string[]> {
  const ids: string[] = [];
  for (const v of values) ids.push((await db.redis.xadd(stream, '*', 'data', JSON.stringify(v)))!);
  return ids;
}

test('reads several streams without blocking; a read before any entry is WAIT', async () => {
  const [a, b] = [db.key('a'), db.key('b')];
  const splits = await enumerateRedisStreamSplits({ connection: db.server.url, streams: [a, b] }, 1);
  const reader = new RedisStreamReader<number>(splits, { connection: db.server.url, blockMs: 50 });
  assert.equal(reader.read(() => assert.fail('empty'), 10, () => assert.fail()), SOURCE_WAIT);
  await add(a, 1, 2);
  await add(b, 10);
  const d = await drive(reader, { until: (x) => x.values.length === 3 });
  assert.deepEqual(d.values.slice().sort((x, y) => x - y), [1, 2, 10]);
  await add(a, 3);
  await drive(reader, { into: d, until: (x) => x.values.length === 4 });
  assert.equal(d.values[3], 3);
  await reader.close();
});

test('entries that do not decode are bad input positioned by stream/id; the rest arrive in order', async () => {
  const s = db.key('bad');
  await add(s, { ok: 1 });
  const notJson = (await db.redis.xadd(s, '*', 'data', '{nope'))!;
  const noField = (await db.redis.xadd(s, '*', 'other', '1'))!;
  const badUtf8 = (await db.redis.xadd(s, '*', 'data', Buffer.from([0x22, 0xff, 0x22])))!;
  await add(s, { ok: 2 });
  const reader = new RedisStreamReader(await enumerateRedisStreamSplits({ connection: db.server.url, streams: [s] }, 1), { connection: db.server.url, blockMs: 50 });
  const d = await drive(reader, { until: (x) => x.values.length === 2 });
  assert.deepEqual(d.values, [{ ok: 1 }, { ok: 2 }]);
  assert.deepEqual(d.bad.map((b) => b.position), [`${s}/${notJson}`, `${s}/${noField}`, `${s}/${badUtf8}`]);
  assert.ok(d.bad[0]!.error instanceof EntryUndecodableError);
  assert.match(d.bad[0]!.error.message, /field "data" is not JSON/);
  assert.equal(d.bad[0]!.raw, '["data","{nope"]');
  assert.match(d.bad[1]!.error.message, /no field "data" \(fields: other\)/);
  assert.ok(d.bad[2]!.error instanceof InvalidUtf8Error);
  assert.ok(d.bad[2]!.raw instanceof Uint8Array, 'bytes that are not text stay bytes (msgpack of the fields)');
  await reader.close();
});

test('snapshot and restore: a new reader resumes after the last delivered entry, none lost, none repeated', async () => {
  const s = db.key('resume');
  await add(s, ...Array.from({ length: 50 }, (_, i) => i));
  const splits = await enumerateRedisStreamSplits({ connection: db.server.url, streams: [s] }, 1);
  const first = new RedisStreamReader<number>(structuredClone(splits), { connection: db.server.url, count: 7, blockMs: 50 });
  const part = await drive(first, { max: 3, until: (x) => x.values.length >= 20 });
  const snap = structuredClone(first.snapshot(1));
  await first.close();
  await add(s, 50, 51);
  const second = new RedisStreamReader<number>(snap, { connection: db.server.url, count: 7, blockMs: 50 });
  const rest = await drive(second, { until: (x) => x.values.length + part.values.length === 52 });
  assert.deepEqual([...part.values, ...rest.values], Array.from({ length: 52 }, (_, i) => i));
  await second.close();
});

test("startAt 'latest' and explicit ids: concrete positions, so a restore repeats exactly", async () => {
  const s = db.key('latest');
  const ids = await add(s, 'old1', 'old2');
  const latest = await enumerateRedisStreamSplits({ connection: db.server.url, streams: [s], startAt: 'latest' }, 1);
  assert.deepEqual(latest[0]!.position, { stream: s, lastId: ids[1], added: 2 }); // both entries accounted for (redis-entries-lost.spec)
  const fromFirst = await enumerateRedisStreamSplits({ connection: db.server.url, streams: [s], startAt: { [s]: ids[0]! } }, 1);
  await add(s, 'new');
  const r1 = new RedisStreamReader<string>(latest, { connection: db.server.url, blockMs: 50 });
  assert.deepEqual((await drive(r1, { until: (x) => x.values.length === 1 })).values, ['new']);
  await r1.close();
  const r2 = new RedisStreamReader<string>(fromFirst, { connection: db.server.url, blockMs: 50 });
  assert.deepEqual((await drive(r2, { until: (x) => x.values.length === 2 })).values, ['old2', 'new']);
  await r2.close();
});

test('the buffer stays bounded: the loop stops fetching at the high-water mark', async () => {
  const s = db.key('bounded');
  await add(s, ...Array.from({ length: 300 }, (_, i) => i));
  const reader = new RedisStreamReader<number>(await enumerateRedisStreamSplits({ connection: db.server.url, streams: [s] }, 1), { connection: db.server.url, count: 10, highWater: 30, blockMs: 50 });
  let peak = 0;
  const d = await drive({
    read: (e, m, i) => { peak = Math.max(peak, reader.buffered); return reader.read(e, m, i); },
    ready: () => reader.ready(),
  }, { max: 5, until: (x) => x.values.length === 300 });
  assert.deepEqual(d.values, Array.from({ length: 300 }, (_, i) => i));
  assert.ok(peak <= 30 + 10, `buffered up to ${peak} entries`);
  await reader.close();
});

test('entryAsIs hands out { stream, id, fields }', async () => {
  const s = db.key('asis');
  const id = (await db.redis.xadd(s, '*', 'k', 'v', '__proto__', 'x'))!;
  const reader = new RedisStreamReader<StreamEntry>(await enumerateRedisStreamSplits({ connection: db.server.url, streams: [s] }, 1), { connection: db.server.url, decode: entryAsIs, blockMs: 50 });
  const d = await drive(reader, { until: (x) => x.values.length === 1 });
  assert.deepEqual(d.values[0], { stream: s, id, fields: Object.fromEntries([['k', 'v'], ['__proto__', 'x']]) });
  await reader.close();
});

test('consumer group: two subtasks share a stream, every entry goes to one of them; acks follow completed checkpoints', async () => {
  const s = db.key('group');
  const splits = await enumerateRedisStreamSplits({ connection: db.server.url, streams: [s], group: { name: 'g' } }, 2);
  assert.deepEqual(splits.map((x) => x.id), [`${s}#sluice-0`, `${s}#sluice-1`]);
  await add(s, ...Array.from({ length: 40 }, (_, i) => i));
  const readers = splits.map((sp) => new RedisStreamReader<number>([sp], { connection: db.server.url, group: 'g', count: 5, blockMs: 50 }));
  const got: number[][] = [[], []];
  // Alternate between the two until everything is delivered.
  while (got[0]!.length + got[1]!.length < 40) {
    await Promise.race(readers.map((r) => r.ready()));
    readers.forEach((r, i) => r.read((v) => got[i]!.push(v), 1000, () => assert.fail()));
  }
  assert.deepEqual([...got[0]!, ...got[1]!].sort((a, b) => a - b), Array.from({ length: 40 }, (_, i) => i));
  const pending = async (): Promise<number> => ((await db.redis.xpending(s, 'g')) as [number])[0];
  assert.equal(await pending(), 40, 'nothing is acknowledged before a checkpoint completes');
  readers[0]!.snapshot(1);
  readers[1]!.snapshot(1);
  await readers[0]!.notifyCheckpointComplete(1);
  await readers[1]!.notifyCheckpointComplete(1);
  assert.equal(await pending(), 0);
  await Promise.all(readers.map((r) => r.close()));
});

test('consumer group restore: pending entries up to the checkpoint are acknowledged, later ones delivered again, then new ones', async () => {
  const s = db.key('grestore');
  const splits = await enumerateRedisStreamSplits({ connection: db.server.url, streams: [s], group: { name: 'g' } }, 1);
  await add(s, ...Array.from({ length: 10 }, (_, i) => i));
  const first = new RedisStreamReader<number>(structuredClone(splits), { connection: db.server.url, group: 'g', blockMs: 50 });
  const part = await drive(first, { max: 1, until: (x) => x.values.length === 6 });
  const snap = structuredClone(first.snapshot(7)) as SourceSplit[];
  await drive(first, { into: part, until: (x) => x.values.length === 10 }); // delivered after the checkpoint, then a crash
  await first.close();
  assert.equal(((await db.redis.xpending(s, 'g')) as [number])[0], 10, 'checkpoint 7 never completed: nothing acknowledged');
  await add(s, 10, 11);
  const second = new RedisStreamReader<number>(snap, { connection: db.server.url, group: 'g', blockMs: 50 });
  const rest = await drive(second, { until: (x) => x.values.length === 6 });
  assert.deepEqual([...part.values.slice(0, 6), ...rest.values], Array.from({ length: 12 }, (_, i) => i));
  second.snapshot(8);
  await second.notifyCheckpointComplete(8);
  assert.equal(((await db.redis.xpending(s, 'g')) as [number])[0], 0);
  await second.close();
});

// Regression: after a crash before any checkpoint, a fresh start at a lower parallelism left the
// entries pending for the consumers it no longer has undelivered for good.
test('consumer group, fresh start at a lower parallelism: entries pending for consumers beyond it are delivered again', async () => {
  const s = db.key('gshrink');
  const wide = await enumerateRedisStreamSplits({ connection: db.server.url, streams: [s], group: { name: 'g' } }, 3);
  await add(s, ...Array.from({ length: 30 }, (_, i) => i));
  const readers = wide.map((sp) => new RedisStreamReader<number>([sp], { connection: db.server.url, group: 'g', count: 4, blockMs: 50 }));
  while (((await db.redis.xpending(s, 'g')) as [number])[0] < 30) {
    await Promise.race(readers.map((r) => r.ready()));
    for (const r of readers) r.read(() => {}, 1000, () => assert.fail());
  }
  await Promise.all(readers.map((r) => r.close())); // a crash: no checkpoint completed, all 30 pending
  const perConsumer = ((await db.redis.xpending(s, 'g')) as [number, string, string, [string, string][]])[3];
  assert.ok(perConsumer.filter(([, count]) => Number(count) > 0).length >= 2, `entries spread over the consumers: ${JSON.stringify(perConsumer)}`);
  const narrow = await enumerateRedisStreamSplits({ connection: db.server.url, streams: [s], group: { name: 'g' } }, 1);
  const reader = new RedisStreamReader<number>(narrow, { connection: db.server.url, group: 'g', blockMs: 50 });
  const got = await drive(reader, { until: (x) => x.values.length === 30, deadlineMs: 5000 });
  assert.deepEqual([...got.values].sort((a, b) => a - b), Array.from({ length: 30 }, (_, i) => i));
  reader.snapshot(1);
  await reader.notifyCheckpointComplete(1);
  assert.equal(((await db.redis.xpending(s, 'g')) as [number])[0], 0, 'all acknowledged by the new consumer');
  const consumers = (await db.redis.xinfo('CONSUMERS', s, 'g')) as unknown[][];
  assert.deepEqual(consumers.map((c) => c[1]), ['sluice-0'], 'the consumers beyond the parallelism are gone');
  await reader.close();
});

test('misconfiguration is a typed error; a server that goes away fails the read with RedisConnectorError', async () => {
  const s = db.key('cfg');
  const plain = await enumerateRedisStreamSplits({ connection: db.server.url, streams: [s] }, 1);
  assert.throws(() => new RedisStreamReader(plain, { connection: db.server.url, group: 'g' }), ConnectorOptionError);
  await assert.rejects(enumerateRedisStreamSplits({ connection: db.server.url, streams: [] }, 1), ConnectorOptionError);
  assert.throws(() => new RedisStreamReader([{ id: s, position: { stream: s, lastId: 'x' } }], { connection: db.server.url }), ConnectorOptionError);
  // BLOCK 0 waits forever: with the command timeout, every read of a quiet stream failed after 30 s (the review).
  assert.throws(() => new RedisStreamReader(plain, { connection: db.server.url, blockMs: 0 }), (e: unknown) => e instanceof ConnectorOptionError && /blockMs > 0 .*BLOCK 0 waits forever/.test(e.message));
  const reader = new RedisStreamReader(plain, { connection: { host: '127.0.0.1', port: 1, retryStrategy: () => null }, blockMs: 50 });
  await assert.rejects(drive(reader), (e: unknown) => e instanceof RedisConnectorError && /redis source at 127\.0\.0\.1:1/.test(e.message));
  await reader.close();
});

test('trackSplits: every stream added at once; a switch before each run of one stream\'s entries, not per entry', async () => {
  const [a, b] = [db.key('track-a'), db.key('track-b')];
  await add(a, ...Array.from({ length: 40 }, (_, i) => ({ s: 'a', i })));
  await add(b, ...Array.from({ length: 40 }, (_, i) => ({ s: 'b', i })));
  const splits = await enumerateRedisStreamSplits({ connection: db.server.url, streams: [a, b] }, 1);
  const reader = new RedisStreamReader<{ s: string; i: number }>(splits, { connection: db.server.url, count: 10, blockMs: 50 });
  const events: string[] = [];
  let current = '';
  reader.trackSplits({ add: (id) => events.push(`add ${id}`), switchTo: (id) => { current = id; events.push(`switch ${id}`); }, end: (id) => events.push(`end ${id}`) });
  assert.deepEqual(events, [`add ${a}`, `add ${b}`]);
  const wrong: string[] = [];
  const tracked = { read: (emit: (v: { s: string; i: number }) => void, max: number, invalid: Parameters<typeof reader.read>[2]) => reader.read((v) => { if (current !== (v.s === 'a' ? a : b)) wrong.push(`${v.s}${v.i} under ${current}`); emit(v); }, max, invalid), ready: () => reader.ready() };
  try {
    const d = await drive(tracked, { max: 15, until: (x) => x.values.length === 80 });
    assert.deepEqual(wrong.slice(0, 3), []);
    const switches = events.filter((e) => e.startsWith('switch')).length;
    assert.ok(switches >= 2 && switches <= 80 / 10, `one per run of up to 10 entries (count), not per entry: ${switches}`);
    assert.equal(d.values.length, 80);
  } finally {
    await reader.close();
  }
});
