// Runs on: any thread. Where a Redis connector connects: the type users write, and how messages name it.
//
// The options are sluice's own type, not ioredis's: the public declarations must not import ioredis's, whose
// newer versions import a package it does not depend on, so a user's strict type check (without skipLibCheck)
// would fail in them. They are passed to ioredis as they are.

/** ioredis connection options: the usual ones typed; any other ioredis option is passed on as it is. */
export interface RedisConnectionOptions {
  host?: string;
  port?: number;
  /** A Unix socket path instead of host and port. */
  path?: string;
  username?: string;
  password?: string;
  db?: number;
  /** Node's `tls.connect` options: TLS on. */
  tls?: object;
  connectTimeout?: number;
  family?: number;
  readonly [option: string]: unknown;
}

/** A redis:// (or rediss://) URL, or ioredis connection options. */
export type RedisConnection = string | RedisConnectionOptions;

/** Where a connection points, for messages (no credentials). */
export function describeConnection(connection: RedisConnection): string {
  if (typeof connection === 'string') {
    try {
      const u = new URL(connection);
      return `${u.hostname}:${u.port || 6379}`;
    } catch {
      return 'redis';
    }
  }
  return typeof connection.path === 'string' ? connection.path : `${connection.host ?? '127.0.0.1'}:${connection.port ?? 6379}`;
}
