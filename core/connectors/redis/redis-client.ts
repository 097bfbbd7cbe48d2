// Runs on: the worker thread of a Redis source or sink subtask.
//
// Clients for the Redis connectors, and stream-id arithmetic. Every reader and writer opens its own connection:
// a blocking XREAD holds its connection for the whole wait. RESP2 is forced so replies have the one shape the
// parsers below expect, whatever ioredis's default protocol is.

import { createRequire } from 'node:module';
import type { Redis, RedisOptions } from 'ioredis';
import { ConnectorOptionError } from '../errors.js';
import type { RedisConnection } from './redis-connection.js';
import { isNumber } from '../../api/number-option.js';
import { shownValue } from '../../api/shown-value.js';

// Loaded on first use: every worker thread imports the public API, and few jobs need this package.
const requireLazy = createRequire(import.meta.url);

/**
 * How long a command may go unanswered (ioredis `commandTimeout`) unless the connection options set one. ioredis
 * has none by default: a Redis that stops answering with its connection up (a stopped process, a network that
 * drops packets) held a source's reads, and a sink's commit with every checkpoint after it, forever and silently.
 */
export const REDIS_COMMAND_TIMEOUT_MS = 30_000;

const lastErrors = new WeakMap<Redis, Error>();

/**
 * ioredis takes '6379' as a port, and a commandTimeout of '5000' was read here as none given (the default). The
 * connectors' builders call this too, so a bad value fails while the job is built.
 */
export function checkConnectionOptions(connection: RedisConnection): void {
  if (typeof connection !== 'string' && (connection === null || typeof connection !== 'object')) {
    throw new ConnectorOptionError(`redis: connection must be a redis:// URL or ioredis options, got ${typeof connection}`);
  }
  if (typeof connection !== 'string') {
    for (const k of ['port', 'db', 'connectTimeout', 'family', 'commandTimeout'] as const) {
      const v = connection[k];
      if (v !== undefined && !isNumber(v)) throw new ConnectorOptionError(`redis: connection option ${k} must be a number, got ${shownValue(v)}`);
    }
  }
}

/** `waitMs`: how long the client's commands may wait on the server by design (a blocking read's BLOCK). */
export function createRedisClient(connection: RedisConnection, name: string, waitMs = 0): Redis {
  const base: RedisOptions = { protocol: 2, lazyConnect: true, connectionName: name };
  checkConnectionOptions(connection);
  // A blocking read waits on the server by design: its wait comes on top of the user's timeout too, else a
  // commandTimeout below blockMs failed every read of an idle stream.
  const own = typeof connection === 'string' ? undefined : (connection as RedisOptions).commandTimeout;
  const timeout: RedisOptions = { commandTimeout: (typeof own === 'number' ? own : REDIS_COMMAND_TIMEOUT_MS) + waitMs };
  const { Redis: Client } = requireLazy('ioredis') as typeof import('ioredis');
  const client = typeof connection === 'string' ? new Client(connection, { ...timeout, ...base }) : new Client({ ...(connection as RedisOptions), ...timeout, ...base });
  // Connection errors reach the connectors as rejected commands (after ioredis's retries); without a listener
  // ioredis would also print each one. The last is kept: the rejection itself says only "Connection is closed.".
  client.on('error', (e: Error) => { lastErrors.set(client, e); });
  return client;
}

/**
 * `client.connect()` within the command timeout: ioredis times out the handshake's commands one by one and then
 * reconnects, so a stopped Redis took several timeouts to refuse a connection. Disconnects on failure.
 */
export async function connectRedis(client: Redis): Promise<void> {
  const connecting = client.connect();
  connecting.catch(() => {}); // may reject after the timer did
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([connecting, new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('Command timed out')), client.options.commandTimeout ?? REDIS_COMMAND_TIMEOUT_MS);
    })]);
  } catch (e) {
    client.disconnect();
    throw e;
  } finally {
    clearTimeout(timer);
  }
}

/** What a connector's message says of a failed command: why the connection closed, what a timeout means. */
export function describeRedisError(client: Redis | undefined, e: unknown): string {
  const message = (e as Error)?.message ?? String(e);
  if (message === 'Command timed out') {
    return `no reply from Redis within ${client?.options.commandTimeout ?? REDIS_COMMAND_TIMEOUT_MS} ms (is it stopped, or cut off? the connection option commandTimeout sets the wait)`;
  }
  const last = client !== undefined ? lastErrors.get(client) : undefined;
  return last !== undefined && last.message !== message ? `${message} (${last.message})` : message;
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
