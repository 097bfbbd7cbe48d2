// Splits of the Redis Streams source: the checks of the stream list and of splits that come back from a checkpoint
// (typed errors, nothing but the position's fields kept), and enumeration against a real redis-server: one split
// per stream at a concrete start id, or one per (stream, consumer) in a consumer group, created if missing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { redisForSpecFile } from '../../../support/redis.js';
import { checkRedisStreamSplit, checkStreams, enumerateRedisStreamSplits, restoreRedisStreamSplits } from '../../../../core/connectors/redis/redis-stream-split.js';
import { ConnectorOptionError, RedisConnectorError } from '../../../../core/connectors/errors.js';
import { redisStreamsSource, type RedisStreamsSourceOptions } from '../../../../core/connectors/redis/redis-stream-source.js';

const db = redisForSpecFile();

test('checkStreams: a non-empty list of distinct non-empty keys, returned as a copy', () => {
  const given = ['a', 'b'];
  const checked = checkStreams(given);
  assert.deepEqual(checked, ['a', 'b']);
  assert.notEqual(checked, given);
  for (const bad of [[], undefined, 'a', [''], ['a', 5], ['a', null], ['a', 'b', 'a']]) {
    assert.throws(() => checkStreams(bad as never), (e: Error) => e instanceof ConnectorOptionError && /^redis source: /.test(e.message), JSON.stringify(bad));
  }
  assert.throws(() => checkStreams(['a', 'a']), /a stream is listed twice/);
});

test('checkRedisStreamSplit: plain and consumer-group positions pass, with only their own fields', () => {
  assert.deepEqual(checkRedisStreamSplit({ id: 's', position: { stream: 's', lastId: '0-0', extra: 1 } }), { id: 's', position: { stream: 's', lastId: '0-0' } });
  const group = checkRedisStreamSplit({ id: 's#c-0', position: { stream: 's', consumer: 'c-0', lastId: '1700000000000-3' } });
  assert.deepEqual(group, { id: 's#c-0', position: { stream: 's', consumer: 'c-0', lastId: '1700000000000-3' } });
  // The group, where the position says it (an older sluice's do not).
  assert.deepEqual(checkRedisStreamSplit({ id: 's#c-0', position: { stream: 's', consumer: 'c-0', group: 'g', lastId: '0-0' } }).position, { stream: 's', consumer: 'c-0', group: 'g', lastId: '0-0' });
  // No consumer key at all in plain mode (not `consumer: undefined`): positions are compared and packed.
  assert.equal('consumer' in checkRedisStreamSplit({ id: 's', position: { stream: 's', lastId: '0-0', consumer: undefined } }).position, false);
  // The entries-added count a plain position accounts for, where it says it (an older sluice's do not).
  assert.deepEqual(checkRedisStreamSplit({ id: 's', position: { stream: 's', lastId: '1-0', added: 7 } }).position, { stream: 's', lastId: '1-0', added: 7 });
});

test('checkRedisStreamSplit: anything else is a ConnectorOptionError', () => {
  for (const position of [
    null, undefined, 'x', 5,
    {}, { stream: 's' }, { lastId: '0-0' }, { stream: 5, lastId: '0-0' }, { stream: 's', lastId: 0 },
    { stream: 's', lastId: '0-0', consumer: 1 }, { stream: 's', lastId: '0-0', consumer: null },
    { stream: 's', lastId: '0-0', added: -1 }, { stream: 's', lastId: '0-0', added: 1.5 }, { stream: 's', lastId: '0-0', added: '3' },
    // Ids that are not complete stream ids.
    { stream: 's', lastId: '' }, { stream: 's', lastId: '5' }, { stream: 's', lastId: '$' }, { stream: 's', lastId: '-1-0' },
    { stream: 's', lastId: '18446744073709551616-0' },
  ]) {
    assert.throws(() => checkRedisStreamSplit({ id: 'x', position }), ConnectorOptionError, JSON.stringify(position));
  }
});

test('plain reading: one split per stream, in the order given, at 0-0 by default', async () => {
  const [a, b] = [db.key('a'), db.key('b')];
  await db.redis.xadd(b, '*', 'data', '1');
  const splits = await enumerateRedisStreamSplits({ connection: db.server.url, streams: [b, a] }, 3);
  // added: the entries-added count accounted for before the start (none: every entry there is still to read).
  assert.deepEqual(splits, [{ id: b, position: { stream: b, lastId: '0-0', added: 0 } }, { id: a, position: { stream: a, lastId: '0-0', added: 0 } }]);
  // Plain reading creates nothing.
  assert.equal(await db.redis.exists(a), 0);
});

test("startAt 'latest': the current last entry's id (0-0 for an empty or missing stream); explicit ids per stream, 0-0 for the others", async () => {
  const [a, b] = [db.key('a'), db.key('b')];
  await db.redis.xadd(a, '*', 'data', '1');
  const last = (await db.redis.xadd(a, '*', 'data', '2'))!;
  const latest = await enumerateRedisStreamSplits({ connection: db.server.url, streams: [a, b], startAt: 'latest' }, 1);
  assert.deepEqual(latest.map((s) => s.position.lastId), [last, '0-0']);
  const given = await enumerateRedisStreamSplits({ connection: db.server.url, streams: [a, b], startAt: { [b]: '5-1' } }, 1);
  assert.deepEqual(given.map((s) => s.position.lastId), ['0-0', '5-1']);
});

test('bad arguments are ConnectorOptionErrors, not wrapped as connection failures', async () => {
  const s = db.key('bad');
  for (const p of [0, -1, 1.5, NaN]) {
    await assert.rejects(enumerateRedisStreamSplits({ connection: db.server.url, streams: [s] }, p), (e: Error) => e instanceof ConnectorOptionError && /parallelism must be >= 1/.test(e.message), String(p));
  }
  await assert.rejects(enumerateRedisStreamSplits({ connection: db.server.url, streams: [s], startAt: { [s]: 'nope' } }, 1), (e: Error) => e instanceof ConnectorOptionError && e.message.includes(`startAt[${JSON.stringify(s)}]`));
  await assert.rejects(enumerateRedisStreamSplits({ connection: db.server.url, streams: [s], group: { name: '' } }, 1), /group.name must be a non-empty string/);
  await assert.rejects(enumerateRedisStreamSplits({ connection: db.server.url, streams: [s, s] }, 1), ConnectorOptionError);
});

test('regression: a startAt that is neither earliest, latest nor a map of ids is refused (a typo read every stream from its start)', async () => {
  const s = db.key('typo');
  for (const startAt of ['Latest', 'earlist', 5, ['1-0']]) {
    await assert.rejects(enumerateRedisStreamSplits({ connection: db.server.url, streams: [s], startAt: startAt as never }, 1),
      (e: Error) => e instanceof ConnectorOptionError && /startAt/.test(e.message), JSON.stringify(startAt));
  }
  // A map key that names no stream read (a typo): that stream would start at its first entry.
  await assert.rejects(enumerateRedisStreamSplits({ connection: db.server.url, streams: [s], startAt: { [`${s}x`]: '5-1' } }, 1),
    (e: Error) => e instanceof ConnectorOptionError && e.message.includes(`startAt names "${s}x", not among the streams read ("${s}")`));
});

test('startAt is checked when the job is built: a wrong one fails fromRedisStreams, before anything runs', () => {
  const bad: unknown[] = ['Latest', 5, ['1-0'], { other: '1-0' }, { s: 'nope' }];
  for (const startAt of bad) {
    assert.throws(() => redisStreamsSource({ connection: 'redis://127.0.0.1:1', streams: ['s'], startAt: startAt as never }),
      (e: Error) => e instanceof ConnectorOptionError && /startAt/.test(e.message), JSON.stringify(startAt));
  }
  const good: (RedisStreamsSourceOptions<unknown>['startAt'])[] = [undefined, 'earliest', 'latest', { s: '5-1' }, {}];
  for (const startAt of good) {
    assert.equal(redisStreamsSource({ connection: 'redis://127.0.0.1:1', streams: ['s'], ...(startAt === undefined ? {} : { startAt }) }).kind, 'redis-streams');
  }
  // null, as options read from JSON give it: the default, as before.
  assert.equal(redisStreamsSource({ connection: 'redis://127.0.0.1:1', streams: ['s'], startAt: null as never }).kind, 'redis-streams');
});

test('a server that cannot be reached is a RedisConnectorError naming it', async () => {
  await assert.rejects(enumerateRedisStreamSplits({ connection: { host: '127.0.0.1', port: 1, retryStrategy: () => null }, streams: ['s'] }, 1),
    (e: Error) => e instanceof RedisConnectorError && /redis source at 127\.0\.0\.1:1: enumerating splits failed/.test(e.message));
});

test('consumer group: a split per stream and consumer <prefix>-<i>, the group created at startAt (the stream too), an existing one kept', async () => {
  const [a, b] = [db.key('a'), db.key('b')];
  const first = (await db.redis.xadd(a, '*', 'data', '1'))!;
  const splits = await enumerateRedisStreamSplits({ connection: db.server.url, streams: [a, b], startAt: 'latest', group: { name: 'g', consumerPrefix: 'job' } }, 2);
  assert.deepEqual(splits, [
    { id: `${a}#job-0`, position: { stream: a, consumer: 'job-0', group: 'g', lastId: '0-0' } },
    { id: `${a}#job-1`, position: { stream: a, consumer: 'job-1', group: 'g', lastId: '0-0' } },
    { id: `${b}#job-0`, position: { stream: b, consumer: 'job-0', group: 'g', lastId: '0-0' } },
    { id: `${b}#job-1`, position: { stream: b, consumer: 'job-1', group: 'g', lastId: '0-0' } },
  ]);
  const groupOf = async (s: string): Promise<Map<string, unknown>> => {
    const [info] = await db.redis.xinfo('GROUPS', s) as unknown[][];
    const m = new Map<string, unknown>();
    for (let i = 0; i + 1 < info!.length; i += 2) m.set(String(info![i]), info![i + 1]);
    return m;
  };
  assert.equal((await groupOf(a)).get('last-delivered-id'), first, 'created at the latest entry');
  assert.equal((await groupOf(b)).get('last-delivered-id'), '0-0', 'MKSTREAM: the missing stream created');
  // Again (a restart): the group exists and keeps its position; the default prefix is 'sluice'.
  await db.redis.xadd(a, '*', 'data', '2');
  const again = await enumerateRedisStreamSplits({ connection: db.server.url, streams: [a], group: { name: 'g' } }, 1);
  assert.deepEqual(again.map((s) => s.id), [`${a}#sluice-0`]);
  assert.equal((await groupOf(a)).get('last-delivered-id'), first);
});

test('consumer group, lower parallelism: only consumers named <prefix>-<n> with n beyond it are merged away', async () => {
  const s = db.key('adopt');
  await db.redis.xgroup('CREATE', s, 'g', '0', 'MKSTREAM');
  for (let i = 0; i < 6; i++) await db.redis.xadd(s, '*', 'data', String(i));
  // Each consumer reads one entry and leaves it pending.
  const names = ['p-0', 'p-3', 'p-03', 'p-x', 'other-5', 'p-'];
  for (const c of names) await db.redis.xreadgroup('GROUP', 'g', c, 'COUNT', 1, 'STREAMS', s, '>');
  await enumerateRedisStreamSplits({ connection: db.server.url, streams: [s], group: { name: 'g', consumerPrefix: 'p' } }, 2);
  const consumers = (await db.redis.xinfo('CONSUMERS', s, 'g') as unknown[][]).map((c) => [c[1], c[3]]).sort();
  // p-3 went to p-1 (3 mod 2); p-03, p-x, p- and other-5 are not this prefix's numbered consumers and stay.
  assert.deepEqual(consumers, [['other-5', 1], ['p-', 1], ['p-0', 1], ['p-03', 1], ['p-1', 1], ['p-x', 1]]);
});

// Regression (a review): a consumerPrefix changed between a savepoint and its resume went unnoticed; the restored
// consumers read on under their old names (they must: their unacknowledged entries are pending under them).
test('restore with another consumerPrefix: the restored consumers keep their names and positions, and a note says so; the same prefix, no note', async () => {
  const s = db.key('prefix');
  await db.redis.xgroup('CREATE', s, 'g', '0', 'MKSTREAM'); // a restore refuses positions of a group not there
  const restored = [
    { id: `${s}#old-0`, position: { stream: s, consumer: 'old-0', group: 'g', lastId: '1-0' } },
    { id: `${s}#old-1`, position: { stream: s, consumer: 'old-1', group: 'g', lastId: '2-0' } },
  ];
  const renamed = await restoreRedisStreamSplits({ connection: db.server.url, streams: [s], group: { name: 'g', consumerPrefix: 'new' } }, restored);
  assert.deepEqual(renamed.splits, restored);
  assert.equal(renamed.notes?.length, 1, String(renamed.notes));
  assert.match(renamed.notes![0]!, /^its restored consumers \('old-0', 'old-1'\) are not named by consumerPrefix 'new': they keep their names, as entries they read and did not acknowledge are pending under them in group 'g'/);
  const same = await restoreRedisStreamSplits({ connection: db.server.url, streams: [s], group: { name: 'g', consumerPrefix: 'old' } }, restored);
  assert.deepEqual(same.splits, restored);
  assert.deepEqual(same.notes, []);
  // The default prefix is 'sluice': 'sluice-0' is its own, 'sluice-x' and 'sluicey-0' are not.
  const mixed = await restoreRedisStreamSplits({ connection: db.server.url, streams: [s], group: { name: 'g' } }, ['sluice-0', 'sluice-x', 'sluicey-0'].map((c) => ({ id: `${s}#${c}`, position: { stream: s, consumer: c, group: 'g', lastId: '0-0' } })));
  assert.match(mixed.notes![0]!, /^its restored consumers \('sluice-x', 'sluicey-0'\) are not named by consumerPrefix 'sluice'/);
});
