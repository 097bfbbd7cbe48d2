// Regression: a consumer merged away was removed in two steps, XPENDING (nothing pending) then XGROUP DELCONSUMER,
// which drops whatever is pending under it: a reader outside sluice that read under its name between the two lost
// those entries from the group's pending list for good. Now one script does both. The reader's connection goes
// through a proxy that, before passing on the command that removes the consumer, has such a reader read one entry.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { once } from 'node:events';
import { redisForSpecFile } from '../../../support/redis.js';
import { RedisStreamReader } from '../../../../core/connectors/redis/redis-stream-reader.js';
import { enumerateRedisStreamSplits } from '../../../../core/connectors/redis/redis-stream-split.js';
import { drive } from '../drive.js';

const db = redisForSpecFile();

/** One complete RESP command (an array of bulk strings, as ioredis sends) at the start of `buf`: its args and length. */
function command(buf: Buffer): { args: string[]; length: number } | undefined {
  const line = (at: number): [string, number] | undefined => {
    const end = buf.indexOf('\r\n', at);
    return end < 0 ? undefined : [buf.toString('latin1', at, end), end + 2];
  };
  const head = line(0);
  if (head === undefined) return undefined;
  assert.match(head[0], /^\*\d+$/, 'a multi-bulk command');
  const args: string[] = [];
  let at = head[1];
  for (let k = 0; k < Number(head[0].slice(1)); k++) {
    const len = line(at);
    if (len === undefined) return undefined;
    const n = Number(len[0].slice(1));
    if (buf.length < len[1] + n + 2) return undefined;
    args.push(buf.toString('latin1', len[1], len[1] + n));
    at = len[1] + n + 2;
  }
  return { args, length: at };
}

/** A proxy to the spec's Redis that runs `before` once, ahead of the first command naming DELCONSUMER. */
async function proxy(before: () => Promise<void>): Promise<{ server: Server; url: string; seen: () => string[] }> {
  let done = false;
  const held: string[] = [];
  const sockets: Socket[] = [];
  const server = createServer((client) => {
    const upstream = connect(db.server.port, '127.0.0.1');
    sockets.push(client, upstream);
    upstream.pipe(client);
    let pending = Buffer.alloc(0);
    let chain = Promise.resolve();
    client.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      for (let c = command(pending); c !== undefined; c = command(pending)) {
        const bytes = pending.subarray(0, c.length);
        pending = pending.subarray(c.length);
        const removes = !done && c.args.some((a) => /DELCONSUMER/i.test(a));
        if (removes) {
          done = true;
          held.push(c.args[0]!.toUpperCase());
          chain = chain.then(before);
        }
        chain = chain.then(() => { upstream.write(bytes); });
      }
    });
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.on('close', () => { for (const s of sockets) s.destroy(); });
  return { server, url: `redis://127.0.0.1:${port}`, seen: () => held };
}

test('group: a consumer merged away is removed only if nothing is pending under it at the removal itself (one step); an entry read under its name just before stays pending', async () => {
  const s = db.key('removal-race');
  const group = { name: 'g' };
  await enumerateRedisStreamSplits({ connection: db.server.url, streams: [s], group }, 2);
  const [gone] = [await db.redis.xadd(s, '*', 'data', '0'), await db.redis.xadd(s, '*', 'data', '1')];
  await db.redis.xreadgroup('GROUP', 'g', 'sluice-1', 'STREAMS', s, '>');
  await db.redis.xdel(s, gone!);
  const splits = await enumerateRedisStreamSplits({ connection: db.server.url, streams: [s], group }, 1);
  assert.deepEqual(splits[0]!.position.lost, [{ id: gone, consumer: 'sluice-1' }]);
  let outside: string | undefined;
  // A reader outside sluice, under the name of the consumer merged away, after sluice saw it hold nothing: reads
  // a new entry, or claims it when sluice-0's waiting read was served it first.
  const p = await proxy(async () => {
    outside = (await db.redis.xadd(s, '*', 'data', '2'))!;
    const read = await db.redis.xreadgroup('GROUP', 'g', 'sluice-1', 'COUNT', 1, 'STREAMS', s, '>') as [string, [string, string[]][]][] | null;
    if (read === null) assert.deepEqual(await db.redis.xclaim(s, 'g', 'sluice-1', 0, outside, 'JUSTID'), [outside]);
    else assert.deepEqual(read[0]![1].map(([id]) => id), [outside]);
  });
  const r = new RedisStreamReader<number>(splits, { connection: p.url, group: 'g', blockMs: 50 });
  try {
    const d = await drive(r, { until: (x) => x.values.length === 1 && x.bad.length === 1 });
    assert.deepEqual(d.values, [1]);
    r.snapshot(1);
    await r.notifyCheckpointComplete(1);
    assert.equal(p.seen().length, 1, 'the removal went through the proxy');
    assert.deepEqual(((await db.redis.xpending(s, 'g', '-', '+', 10, 'sluice-1')) as [string][]).map(([id]) => id), [outside], 'what the outside reader read is still pending under its consumer');
    assert.deepEqual(((await db.redis.xinfo('CONSUMERS', s, 'g')) as unknown[][]).map((c) => String(c[1])), ['sluice-0', 'sluice-1'], 'kept: it holds an entry');
  } finally {
    await r.close();
    p.server.close();
  }
});
