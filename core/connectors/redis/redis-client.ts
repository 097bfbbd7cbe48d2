// Runs on: the worker thread of a Redis source or sink subtask.
//
// Clients for the Redis connectors, and stream-id arithmetic. Every reader and writer opens its own connection:
// a blocking XREAD holds its connection for the whole wait. RESP2 is forced so replies have the one shape the
// parsers below expect, whatever ioredis's default protocol is.

import { createRequire } from 'node:module';
import type { Redis, RedisOptions } from 'ioredis';
import { ConnectorOptionError } from '../errors.js';
import type { RedisConnection } from './redis-connection.js';

// Loaded on first use: every worker thread imports the public API, and few jobs need this package.
const requireLazy = createRequire(import.meta.url);

export function createRedisClient(connection: RedisConnection, name: string): Redis {
  const base: RedisOptions = { protocol: 2, lazyConnect: true, connectionName: name };
  if (typeof connection !== 'string' && (connection === null || typeof connection !== 'object')) {
    throw new ConnectorOptionError(`redis: connection must be a redis:// URL or ioredis options, got ${typeof connection}`);
  }
  const { Redis: Client } = requireLazy('ioredis') as typeof import('ioredis');
  const client = typeof connection === 'string' ? new Client(connection, base) : new Client({ ...(connection as RedisOptions), ...base });
  // Connection errors reach the connectors as rejected commands (after ioredis's retries); without a listener
  // ioredis would also print each one.
  client.on('error', () => {});
  return client;
}

const ID = /^(\d+)-(\d+)$/;

/** A complete stream entry id (ms-seq). '0-0' is "before every entry". */
export function checkStreamId(id: string, what: string): string {
  const m = ID.exec(id);
  if (m === null || BigInt(m[1]!) >= 1n << 64n || BigInt(m[2]!) >= 1n << 64n) throw new ConnectorOptionError(`redis: ${what} must be a stream id like 1700000000000-0, got ${JSON.stringify(id)}`);
  return id;
}

export function compareStreamIds(a: string, b: string): number {
  const [am, as] = a.split('-');
  const [bm, bs] = b.split('-');
  const d = BigInt(am!) - BigInt(bm!);
  if (d !== 0n) return d < 0n ? -1 : 1;
  const e = BigInt(as ?? 0) - BigInt(bs ?? 0);
  return e === 0n ? 0 : e < 0n ? -1 : 1;
}
