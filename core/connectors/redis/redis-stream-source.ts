// Runs on: main thread (the spec, split enumeration) and the worker thread of each Redis source subtask (reader).
//
// `env.fromRedisStreams({ connection, streams, ... })`: entries of Redis streams. Plain reading: one split per
// stream, positioned at the id of the last entry delivered, so a restore reads on exactly after it (at most one
// subtask per stream). Consumer group: one consumer per subtask and stream; its entries are acknowledged (XACK)
// when the checkpoint that covers them completes, and on restore its pending entries after the restored position
// are delivered again. Either way exactly-once into the job's state. Unbounded. Entries that do not decode go to
// the source's error policy.

import { ConnectorOptionError } from '../errors.js';
import { SOURCE_END, type SourceSpec } from '../source.js';
import { describeConnection, type RedisConnection } from './redis-connection.js';
import type { EntryDecoder } from './redis-entry.js';
import { RedisStreamReader, checkRedisReadOptions } from './redis-stream-reader.js';
import { checkConnectionOptions } from './redis-client.js';
import { checkKnownOptions } from '../../api/known-options.js';
import { checkStartAt, checkStreams, enumerateRedisStreamSplits, restoreRedisStreamSplits } from './redis-stream-split.js';

export interface RedisStreamsSourceOptions<T> {
  /** A redis:// URL or ioredis options. */
  connection: RedisConnection;
  streams: readonly string[];
  /** Read through a consumer group (created at `startAt` if missing); consumers are `<consumerPrefix>-<subtask>`. */
  group?: string | { name: string; consumerPrefix?: string };
  /** Fresh start: from the first entry ('earliest', default), after the current last ('latest'), or after given ids per stream. */
  startAt?: 'earliest' | 'latest' | Readonly<Record<string, string>>;
  /** Entry to value; default: the JSON in field 'data' (what redisStreamSink writes). Throw for an entry that does not decode. */
  decode?: EntryDecoder<T>;
  /** Entries per stream per read command. Default 500. */
  count?: number;
  /** How long one read waits on the server for new entries, ms. Default 1000. */
  blockMs?: number;
  /** Entries buffered before reading pauses. Default 4 × count. */
  highWater?: number;
}

const SOURCE_KEYS = Object.keys({
  connection: true, streams: true, group: true, startAt: true, decode: true, count: true, blockMs: true, highWater: true,
} satisfies Record<keyof RedisStreamsSourceOptions<unknown>, true>);
const GROUP_KEYS = Object.keys({ name: true, consumerPrefix: true } satisfies Record<keyof Exclude<RedisStreamsSourceOptions<unknown>['group'], string | undefined>, true>);

export function redisStreamsSource<T = unknown>(options: RedisStreamsSourceOptions<T>): SourceSpec<T> {
  if (options === null || typeof options !== 'object') throw new ConnectorOptionError('fromRedisStreams: expected options { connection, streams }');
  checkKnownOptions(options, SOURCE_KEYS, 'fromRedisStreams', (m) => new ConnectorOptionError(m));
  if (typeof options.group === 'object' && options.group !== null) checkKnownOptions(options.group, GROUP_KEYS, 'fromRedisStreams: group', (m) => new ConnectorOptionError(m));
  const streams = checkStreams(options.streams);
  const group = typeof options.group === 'string' ? { name: options.group } : options.group;
  if (group !== undefined && (typeof group.name !== 'string' || group.name.length === 0)) throw new ConnectorOptionError('fromRedisStreams: group must be a non-empty name');
  const { connection, decode, count, blockMs, highWater } = options;
  // At build time: a typo must not read every stream from its start once the job runs.
  const startAt = checkStartAt(options.startAt ?? undefined, streams);
  checkConnectionOptions(connection);
  checkRedisReadOptions(options, 'fromRedisStreams');
  return {
    kind: 'redis-streams',
    fingerprint: `redis-streams(${describeConnection(connection)},${JSON.stringify({ streams, group, startAt, count, blockMs, highWater })},decode=${decode === undefined ? 'json' : 'custom'})`,
    // Plain reading: a stream is one split, so more subtasks than streams would idle.
    maxParallelism: group === undefined ? streams.length : Number.MAX_SAFE_INTEGER,
    bounded: false,
    rewindable: true,
    enumerateSplits: (parallelism) => enumerateRedisStreamSplits({ connection, streams, ...(startAt === undefined ? {} : { startAt }), ...(group === undefined ? {} : { group }) }, parallelism),
    // The streams read are the configured ones, also after a restore (added: from startAt; removed: no longer read).
    restoreSplits: (restored) => restoreRedisStreamSplits({ connection, streams, ...(startAt === undefined ? {} : { startAt }), ...(group === undefined ? {} : { group }) }, restored),
    createReader(_subtask, _parallelism, splits) {
      // Restored at a higher parallelism than the splits: nothing to read here.
      if (splits.length === 0) return { read: () => SOURCE_END, ready: () => Promise.resolve(), snapshot: () => [] };
      return new RedisStreamReader<T>(splits, { connection, ...(group === undefined ? {} : { group: group.name }), ...(decode === undefined ? {} : { decode }), count, blockMs, highWater });
    },
  };
}
