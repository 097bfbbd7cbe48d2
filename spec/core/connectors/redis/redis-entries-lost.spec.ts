// Entries deleted from a stream (XTRIM, MAXLEN, XDEL) before the Redis source read them, against a real
// redis-server 7: reported as bad input (StreamEntriesLostError, naming the stream and the ids lost) instead of
// skipped silently, on resume and while reading, plainly and through a consumer group; deletions of entries
// already read are no loss. Deletions that must land before a blocked read is served run in one MULTI.

import { test } from 'node:test';
import { spawnSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { redisForSpecFile } from '../../../support/redis.js';
import { RedisStreamReader } from '../../../../core/connectors/redis/redis-stream-reader.js';
import { enumerateRedisStreamSplits, restoreRedisStreamSplits } from '../../../../core/connectors/redis/redis-stream-split.js';
import { StreamEntriesLostError } from '../../../../core/connectors/errors.js';
import type { BadRecord, SourceSplit } from '../../../../core/connectors/source.js';
import { drive } from '../drive.js';

const db = redisForSpecFile();

async function add(stream: string, ...values: number[]): Promise<string[]> {
  const ids: string[] = [];
  for (const v of values) ids.push((await db.redis.xadd(stream, '*', 'data', JSON.stringify(v)))!);
  return ids;
}

function lost(b: BadRecord | undefined): StreamEntriesLostError {
  assert.ok(b?.error instanceof StreamEntriesLostError, `a StreamEntriesLostError, got ${b?.error.name}: ${b?.error.message}`);
  return b.error;
}

/** The id right after `id` (an explicit id, so one MULTI can add an entry and delete it). */
function after(id: string): string {
  const [ms, seq] = id.split('-');
  return `${ms}-${Number(seq) + 1}`;
}

const range = (n: number, from = 0): number[] => Array.from({ length: n }, (_, i) => from + i);

// Regression: a plain reader restored at its checkpointed id read on from the first entry left, skipping the
// trimmed ones it had never read, silently.
test('plain, resumed after a trim past its position: the entries it never read are reported lost, named by stream and id range', async () => {
  const s = db.key('plain-resume');
  const ids = await add(s, ...range(10));
  const splits = await enumerateRedisStreamSplits({ connection: db.server.url, streams: [s] }, 1);
  const first = new RedisStreamReader<number>(structuredClone(splits), { connection: db.server.url, count: 5, blockMs: 50 });
  const part = await drive(first, { max: 1, until: (x) => x.values.length === 4 });
  const snap = structuredClone(first.snapshot(1)) as SourceSplit[];
  await first.close();
  assert.deepEqual(part.values, range(4));
  await db.redis.xtrim(s, 'MINID', ids[7]!); // deletes 0..6: 4, 5 and 6 were never read
  const second = new RedisStreamReader<number>(snap, { connection: db.server.url, blockMs: 50 });
  try {
    const d = await drive(second, { until: (x) => x.values.length === 3 });
    assert.deepEqual(d.values, [7, 8, 9]);
    assert.equal(d.bad.length, 1, d.bad.map((b) => b.error.message).join(' | '));
    const e = lost(d.bad[0]);
    assert.deepEqual([e.stream, e.after, e.before, e.upTo, e.count], [s, ids[3], ids[7], undefined, 3]);
    assert.equal(d.bad[0]!.position, `${s}/${ids[3]}..${ids[7]}`);
    assert.equal(e.message, `entries lost: stream '${s}' at 127.0.0.1:${db.server.port} lost 3 entries after ${ids[3]} before ${ids[7]}: deleted (XTRIM, MAXLEN, XDEL) before this source read them at ${s}/${ids[3]}..${ids[7]}`);
    // Reported once: the position accounts for the entries lost, so a restore from a later snapshot does not say it again.
    const later = structuredClone(second.snapshot(2)) as SourceSplit[];
    assert.deepEqual(later[0]!.position, { stream: s, lastId: ids[9], added: 10 });
    await add(s, 10);
    const third = new RedisStreamReader<number>(later, { connection: db.server.url, blockMs: 50 });
    try {
      const t = await drive(third, { until: (x) => x.values.length === 1 });
      assert.deepEqual([t.values, t.bad], [[10], []]);
    } finally {
      await third.close();
    }
  } finally {
    await second.close();
  }
});

test('plain, while reading: entries added and trimmed before the waiting read is served are reported; so are ones deleted with none after them', async () => {
  const s = db.key('plain-live');
  const [a] = await add(s, 0);
  const reader = new RedisStreamReader<number>(await enumerateRedisStreamSplits({ connection: db.server.url, streams: [s] }, 1), { connection: db.server.url, blockMs: 50 });
  try {
    const d = await drive(reader, { until: (x) => x.values.length === 1 });
    const tx = await db.redis.multi().xadd(s, '*', 'data', '1').xadd(s, '*', 'data', '2').xadd(s, '*', 'data', '3').xtrim(s, 'MAXLEN', 1).exec();
    const added = tx!.slice(0, 3).map(([, id]) => id as string);
    await drive(reader, { into: d, until: (x) => x.values.length === 2 && x.bad.length === 1 });
    assert.deepEqual(d.values, [0, 3]);
    let e = lost(d.bad[0]);
    // Before the first one kept when the reader's XINFO came after the trim; up to it (read) when before.
    assert.deepEqual([e.after, e.before ?? e.upTo, e.count], [a, added[2], 2], 'after the last entry read, before or up to the first one kept');
    assert.match(e.message, / lost 2 entries after /);
    // The newest entry deleted before any read: nothing follows it, and it is still lost.
    const gone = after(added[2]!);
    await db.redis.multi().xadd(s, gone, 'data', '4').xdel(s, gone).exec();
    await drive(reader, { into: d, until: (x) => x.bad.length === 2, deadlineMs: 5000 });
    e = lost(d.bad[1]);
    assert.deepEqual([e.after, e.upTo, e.count], [added[2], gone, 1]);
    assert.match(e.message, / lost 1 entry after /);
    assert.deepEqual(d.values, [0, 3]);
  } finally {
    await reader.close();
  }
});

test('plain, behind: an entry deleted from the backlog is reported once the reader has caught up, after where it last was', async () => {
  const s = db.key('plain-backlog');
  const ids = await add(s, ...range(20));
  const reader = new RedisStreamReader<number>(await enumerateRedisStreamSplits({ connection: db.server.url, streams: [s] }, 1), { connection: db.server.url, count: 5, highWater: 5, blockMs: 50 });
  try {
    const d = await drive(reader, { max: 1, until: (x) => x.values.length === 2 });
    await db.redis.xdel(s, ids[17]!); // beyond what the loop can hold yet (5 buffered, 5 in a read)
    await drive(reader, { into: d, until: (x) => x.values.length === 19 && x.bad.length === 1 });
    assert.deepEqual(d.values, range(20).filter((v) => v !== 17));
    const e = lost(d.bad[0]);
    assert.deepEqual([e.after, e.upTo, e.count], ['0-0', ids[19], 1], 'after the start (its last exact count), up to the last id when it caught up');
    assert.equal((reader.snapshot(1)[0]!.position as { added: number }).added, 20);
  } finally {
    await reader.close();
  }
});

test('plain: trimming and deleting entries already read is no loss', async () => {
  const s = db.key('plain-behind');
  const ids = await add(s, ...range(10));
  const reader = new RedisStreamReader<number>(await enumerateRedisStreamSplits({ connection: db.server.url, streams: [s] }, 1), { connection: db.server.url, blockMs: 50 });
  try {
    const d = await drive(reader, { until: (x) => x.values.length === 10 });
    await db.redis.xdel(s, ids[9]!);
    await db.redis.xtrim(s, 'MAXLEN', 2);
    await add(s, 10, 11);
    await drive(reader, { into: d, until: (x) => x.values.length === 12 });
    await db.redis.xadd(s, 'MAXLEN', '1', '*', 'data', '12');
    await drive(reader, { into: d, until: (x) => x.values.length === 13 });
    assert.deepEqual(d.values, range(13));
    assert.deepEqual(d.bad, []);
    // The checks did run: a deletion ahead of the reader is seen.
    const last = (await db.redis.xrevrange(s, '+', '-', 'COUNT', 1))[0]![0];
    await db.redis.multi().xadd(s, after(last), 'data', '13').xadd(s, after(after(last)), 'data', '14').xdel(s, after(last)).exec();
    await drive(reader, { into: d, until: (x) => x.values.length === 14 && x.bad.length === 1 });
    assert.deepEqual(d.values.slice(13), [14]);
  } finally {
    await reader.close();
  }
});

// Regression: a caught-up plain reader whose waiting read was served with new entries then asked XINFO STREAM for
// their counts in a round trip of its own. Now that XINFO goes with the read: the server runs it once the read is
// served, while this thread (blocked in spawnSync) could send nothing.
test('plain, caught up: the counts after a read that waited come in its round trip (XINFO sent with it), not one of their own', async () => {
  const s = db.key('round-trips');
  await add(s, 0);
  const splits = await enumerateRedisStreamSplits({ connection: db.server.url, streams: [s] }, 1);
  const reader = new RedisStreamReader<number>(structuredClone(splits), { connection: db.server.url, blockMs: 60_000 });
  const xinfos = (stats: string): number => Number(/cmdstat_xinfo\|stream:calls=(\d+)/.exec(stats)?.[1] ?? 0);
  try {
    const d = await drive(reader, { until: (x) => x.values.length === 1 });
    // Until the reader waits in its read with a command queued behind it on the server (its pipelined XINFO).
    let queued = false;
    for (let k = 0; k < 10_000 && !queued; k++) {
      queued = (await db.redis.client('LIST') as string).split('\n').some((l) => / name=sluice-source /.test(l) && / flags=b /.test(l) && / qbuf=[1-9]/.test(l));
    }
    assert.ok(queued, 'an XINFO queued behind the waiting read');
    const before = xinfos(await db.redis.info('commandstats'));
    const cli = spawnSync('sh', ['-c', `redis-cli -p ${db.server.port} XADD ${s} '*' data 1 >/dev/null && redis-cli -p ${db.server.port} INFO commandstats`], { encoding: 'utf8' });
    assert.equal(cli.status, 0, cli.stderr);
    assert.equal(xinfos(cli.stdout) - before, 1, 'the XINFO after the read ran without this thread');
    await drive(reader, { into: d, until: (x) => x.values.length === 2 });
    assert.deepEqual([d.values, d.bad], [[0, 1], []]);
    assert.deepEqual(reader.snapshot(1)[0]!.position, { stream: s, lastId: (await db.redis.xrevrange(s, '+', '-', 'COUNT', 1))[0]![0], added: 2 });
  } finally {
    await reader.close();
  }
});

// Regression: a consumer's pending entries deleted before a restore delivered them again were skipped silently.
test('group, resumed: pending entries after the checkpoint that were trimmed are reported lost one by one', async () => {
  const s = db.key('group-pending');
  const splits = await enumerateRedisStreamSplits({ connection: db.server.url, streams: [s], group: { name: 'g' } }, 1);
  const ids = await add(s, ...range(10));
  const first = new RedisStreamReader<number>(structuredClone(splits), { connection: db.server.url, group: 'g', blockMs: 50 });
  const part = await drive(first, { max: 1, until: (x) => x.values.length === 4 });
  const snap = structuredClone(first.snapshot(3)) as SourceSplit[];
  await drive(first, { into: part, until: (x) => x.values.length === 10 }); // all pending, then a crash
  await first.close();
  await db.redis.xtrim(s, 'MINID', ids[7]!); // 4, 5, 6: pending after the checkpoint, gone
  const second = new RedisStreamReader<number>(snap, { connection: db.server.url, group: 'g', blockMs: 50 });
  try {
    const d = await drive(second, { until: (x) => x.values.length === 3 });
    assert.deepEqual(d.values, [7, 8, 9]);
    assert.deepEqual(d.bad.map((b) => lost(b).upTo), ids.slice(4, 7));
    assert.deepEqual(d.bad.map((b) => b.position), ids.slice(4, 7).map((id) => `${s}/${id}`));
    assert.match(d.bad[0]!.error.message, new RegExp(`^entries lost: pending entry ${ids[4]} of stream '${s}' was deleted \\(XTRIM, MAXLEN or XDEL\\) before consumer 'sluice-0' of group 'g' delivered it again at ${s}/${ids[4]}$`));
    second.snapshot(4);
    await second.notifyCheckpointComplete(4);
    assert.equal(((await db.redis.xpending(s, 'g')) as [number])[0], 0, 'the lost entries are acknowledged with the checkpoint');
  } finally {
    await second.close();
  }
});

// Regression: on a fresh start at a lower parallelism, XCLAIM (Redis 7) dropped the deleted entries pending under
// the consumers merged away from the pending list without a word: they were never reported. Their report named the
// heir as the consumer that had them pending, and the consumer merged away stayed in the group until a fresh start.
test('group, fresh start at a lower parallelism: deleted entries pending under a consumer merged away are reported lost by its heir, naming that consumer, again until a checkpoint acknowledges them; then the consumer is removed', async () => {
  const s = db.key('group-merged');
  const group = { name: 'g' };
  await enumerateRedisStreamSplits({ connection: db.server.url, streams: [s], group }, 2);
  const ids = await add(s, ...range(8));
  // The last run's consumer sluice-1 read all 8 and crashed before a checkpoint; 2 and 5 were deleted since.
  await db.redis.xreadgroup('GROUP', 'g', 'sluice-1', 'STREAMS', s, '>');
  await db.redis.xdel(s, ids[2]!, ids[5]!);
  const heir = async () => {
    const splits = await enumerateRedisStreamSplits({ connection: db.server.url, streams: [s], group }, 1);
    assert.deepEqual(splits.map((sp) => sp.position.lost), [[{ id: ids[2], consumer: 'sluice-1' }, { id: ids[5], consumer: 'sluice-1' }]]);
    return new RedisStreamReader<number>(structuredClone(splits), { connection: db.server.url, group: 'g', blockMs: 50 });
  };
  const pendingOf = async (consumer: string): Promise<string[]> => ((await db.redis.xpending(s, 'g', '-', '+', 100, consumer)) as [string][]).map(([id]) => id);
  const check = (d: { values: number[]; bad: BadRecord[] }): void => {
    assert.deepEqual(d.values, [0, 1, 3, 4, 6, 7]);
    assert.deepEqual(d.bad.map((b) => lost(b).upTo), [ids[2], ids[5]]);
    assert.deepEqual(d.bad.map((b) => b.position), [`${s}/${ids[2]}`, `${s}/${ids[5]}`]);
    assert.match(d.bad[0]!.error.message, new RegExp(`^entries lost: pending entry ${ids[2]} of stream '${s}' was deleted \\(XTRIM, MAXLEN or XDEL\\) before consumer 'sluice-1' of group 'g' delivered it again \\(its pending entries went to consumer 'sluice-0' on a fresh start at a lower parallelism\\) at ${s}/${ids[2]}$`));
  };
  // A start that fails before a checkpoint: the next fresh start finds them again (they stay pending under sluice-1).
  const first = await heir();
  check(await drive(first, { until: (x) => x.values.length === 6 && x.bad.length === 2 }));
  await first.close();
  assert.deepEqual(await pendingOf('sluice-1'), [ids[2], ids[5]]);
  const second = await heir();
  let snap: SourceSplit[];
  try {
    // In id order among the entries delivered again: a checkpoint after 3 has reported 2, not 5.
    const d = await drive(second, { max: 1, until: (x) => x.values.length === 3 });
    assert.deepEqual([d.values, d.bad.map((b) => lost(b).upTo)], [[0, 1, 3], [ids[2]]]);
    snap = structuredClone(second.snapshot(1)) as SourceSplit[];
    assert.deepEqual(snap[0]!.position, { stream: s, consumer: 'sluice-0', group: 'g', lastId: ids[3], lost: [{ id: ids[2], consumer: 'sluice-1' }, { id: ids[5], consumer: 'sluice-1' }] });
  } finally {
    await second.close();
  }
  // Restored there: 2 is in the checkpoint (acknowledged), 5 is reported; acknowledged with the next checkpoint.
  const third = new RedisStreamReader<number>(snap, { connection: db.server.url, group: 'g', blockMs: 50 });
  try {
    const d = await drive(third, { until: (x) => x.values.length === 3 && x.bad.length === 1 });
    assert.deepEqual([d.values, d.bad.map((b) => lost(b).upTo)], [[4, 6, 7], [ids[5]]]);
    assert.deepEqual(await pendingOf('sluice-1'), [ids[5]]);
    assert.deepEqual(third.snapshot(2)[0]!.position.lost, [{ id: ids[5], consumer: 'sluice-1' }]);
    assert.deepEqual(await consumersOf(s), ['sluice-0', 'sluice-1'], 'kept while it holds a lost entry not acknowledged');
    await third.notifyCheckpointComplete(2);
    assert.deepEqual(await pendingOf('sluice-1'), []);
    // A job that only resumes from here on would otherwise keep the idle consumer for good.
    assert.deepEqual(await consumersOf(s), ['sluice-0'], 'holding nothing, the consumer merged away is removed with the checkpoint');
    assert.equal(third.snapshot(3)[0]!.position.lost, undefined, 'a later checkpoint holds none');
  } finally {
    await third.close();
  }
  // The next fresh start finds nothing to report.
  const last = await enumerateRedisStreamSplits({ connection: db.server.url, streams: [s], group }, 1);
  assert.equal(last[0]!.position.lost, undefined);
  assert.deepEqual(await consumersOf(s), ['sluice-0']);
});

const consumersOf = async (s: string): Promise<string[]> => ((await db.redis.xinfo('CONSUMERS', s, 'g')) as unknown[][]).map((c) => String(c[1]));

// Regression: a consumer merged away stayed in the group after its lost entries were reported and checkpointed
// (only a fresh start removed it); a restore from a checkpoint that includes every report removes it.
test('group, restored from a checkpoint that includes the reports of a merged consumer\'s lost entries: that consumer is removed from the group', async () => {
  const s = db.key('group-merged-restore');
  const group = { name: 'g' };
  await enumerateRedisStreamSplits({ connection: db.server.url, streams: [s], group }, 2);
  const ids = await add(s, ...range(4));
  await db.redis.xreadgroup('GROUP', 'g', 'sluice-1', 'STREAMS', s, '>');
  await db.redis.xdel(s, ids[1]!);
  const splits = await enumerateRedisStreamSplits({ connection: db.server.url, streams: [s], group }, 1);
  const first = new RedisStreamReader<number>(structuredClone(splits), { connection: db.server.url, group: 'g', blockMs: 50 });
  let snap: SourceSplit[];
  try {
    const d = await drive(first, { until: (x) => x.values.length === 3 && x.bad.length === 1 });
    assert.deepEqual(d.bad.map((b) => lost(b).upTo), [ids[1]]);
    snap = structuredClone(first.snapshot(1)) as SourceSplit[];
  } finally {
    await first.close();
  }
  assert.deepEqual(await consumersOf(s), ['sluice-0', 'sluice-1'], 'the checkpoint did not complete: the entry stays pending under sluice-1');
  const second = new RedisStreamReader<number>(snap, { connection: db.server.url, group: 'g', blockMs: 50 });
  try {
    await add(s, 9);
    const d = await drive(second, { until: (x) => x.values.length === 1 });
    assert.deepEqual([d.values, d.bad.length], [[9], 0], 'the report is in the checkpoint: not made again');
    assert.deepEqual(await consumersOf(s), ['sluice-0']);
    assert.equal(second.snapshot(2)[0]!.position.lost, undefined);
  } finally {
    await second.close();
  }
});

// XGROUP DELCONSUMER drops what is pending under the consumer: one that holds entries besides the lost ones (read
// under its name since) is kept, and its entries stay pending.
test('group, a consumer merged away that holds other pending entries is not removed when its lost entries are acknowledged', async () => {
  const s = db.key('group-merged-busy');
  const group = { name: 'g' };
  await enumerateRedisStreamSplits({ connection: db.server.url, streams: [s], group }, 2);
  const ids = await add(s, 0, 1);
  await db.redis.xreadgroup('GROUP', 'g', 'sluice-1', 'STREAMS', s, '>');
  await db.redis.xdel(s, ids[0]!);
  const splits = await enumerateRedisStreamSplits({ connection: db.server.url, streams: [s], group }, 1);
  const [extra] = await add(s, 2);
  await db.redis.xreadgroup('GROUP', 'g', 'sluice-1', 'STREAMS', s, '>');
  const r = new RedisStreamReader<number>(structuredClone(splits), { connection: db.server.url, group: 'g', blockMs: 50 });
  try {
    const d = await drive(r, { until: (x) => x.values.length === 1 && x.bad.length === 1 });
    assert.deepEqual([d.values, d.bad.map((b) => lost(b).upTo)], [[1], [ids[0]]]);
    r.snapshot(1);
    await r.notifyCheckpointComplete(1);
    assert.deepEqual(await consumersOf(s), ['sluice-0', 'sluice-1']);
    assert.deepEqual(((await db.redis.xpending(s, 'g', '-', '+', 100, 'sluice-1')) as [string][]).map(([id]) => id), [extra]);
  } finally {
    await r.close();
  }
});

// Regression: sluice from 19a6488 to ede7ba6 (2026-12-07) wrote position.lost as bare ids; since, each item names its
// consumer, and a resume from such a checkpoint was refused ('not a Redis stream split'). Read, the consumer unknown.
test('group, restored from a checkpoint whose position.lost holds bare ids (19a6488..ede7ba6): reported, saying the consumer is unknown, and acknowledged', async () => {
  const s = db.key('group-merged-bare');
  const group = { name: 'g' };
  await enumerateRedisStreamSplits({ connection: db.server.url, streams: [s], group }, 2);
  const ids = await add(s, ...range(8));
  await db.redis.xreadgroup('GROUP', 'g', 'sluice-1', 'STREAMS', s, '>');
  await db.redis.xdel(s, ids[2]!, ids[5]!);
  await enumerateRedisStreamSplits({ connection: db.server.url, streams: [s], group }, 1); // claims the others for sluice-0
  await db.redis.xreadgroup('GROUP', 'g', 'sluice-0', 'STREAMS', s, '>'); // none new: 0..7 are pending under sluice-0
  // As that sluice wrote it after delivering 0, 1, (2 reported) and 3.
  const old: SourceSplit[] = [{ id: `${s}#sluice-0`, position: { stream: s, consumer: 'sluice-0', group: 'g', lastId: ids[3], lost: [ids[5], ids[2]] } }];
  const restored = await restoreRedisStreamSplits({ connection: db.server.url, streams: [s], group }, structuredClone(old));
  assert.equal(restored.incompatible, undefined);
  assert.deepEqual(restored.splits.map((sp) => sp.position), [{ stream: s, consumer: 'sluice-0', group: 'g', lastId: ids[3], lost: [{ id: ids[2] }, { id: ids[5] }] }]);
  const pendingOf = async (consumer: string): Promise<string[]> => ((await db.redis.xpending(s, 'g', '-', '+', 100, consumer)) as [string][]).map(([id]) => id);
  const r = new RedisStreamReader<number>(structuredClone(restored.splits), { connection: db.server.url, group: 'g', blockMs: 50 });
  try {
    const d = await drive(r, { until: (x) => x.values.length === 3 && x.bad.length === 1 });
    assert.deepEqual([d.values, d.bad.map((b) => lost(b).upTo)], [[4, 6, 7], [ids[5]]]);
    assert.match(d.bad[0]!.error.message, new RegExp(`^entries lost: pending entry ${ids[5]} of stream '${s}' was deleted \\(XTRIM, MAXLEN or XDEL\\) before a consumer of group 'g' delivered it again \\(its pending entries went to consumer 'sluice-0' on a fresh start at a lower parallelism; which consumer is unknown: the checkpoint, of an older sluice, did not say\\) at ${s}/${ids[5]}$`));
    assert.deepEqual(await pendingOf('sluice-1'), [ids[5]], 'the one reported before the checkpoint is acknowledged at the restore');
    assert.deepEqual(r.snapshot(2)[0]!.position.lost, [{ id: ids[5] }]);
    await r.notifyCheckpointComplete(2);
    assert.deepEqual([await pendingOf('sluice-1'), await pendingOf('sluice-0')], [[], []]);
    assert.deepEqual(await consumersOf(s), ['sluice-0', 'sluice-1'], 'whose it was is unknown: kept, as the sluice that wrote the checkpoint did');
  } finally {
    await r.close();
  }
  const fresh = await enumerateRedisStreamSplits({ connection: db.server.url, streams: [s], group }, 1);
  assert.equal(fresh[0]!.position.lost, undefined);
  assert.deepEqual(await consumersOf(s), ['sluice-0'], 'a fresh start removes it, holding nothing');
});
