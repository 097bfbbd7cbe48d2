// Runs on: main thread (the spec; commits) and the worker thread of each Redis sink subtask (writer).
//
// `redisStreamSink({ connection, stream })`: appends records to a Redis stream (XADD), each as { data: JSON }
// by default (what fromRedisStreams reads). With checkpoints, exactly-once by two-phase commit: writers hand the
// records of each checkpoint over as its transaction, and the main thread appends them once the checkpoint is
// complete, through a Lua script that appends and moves a commit marker in one atomic step, so a commit repeated
// after any failure appends only what is missing. Without checkpoints, each writer appends when its input ends.

import { ConnectorOptionError } from '../errors.js';
import type { SinkSpec, SinkWriter } from '../sink.js';
import { describeConnection, type RedisConnection } from './redis-connection.js';
import { RedisStreamWriter, type RedisStreamTransaction } from './redis-stream-writer.js';
import { checkConnectionOptions } from './redis-client.js';
import { checkKnownOptions } from '../../api/known-options.js';

export interface RedisStreamSinkOptions<T> {
  /** A redis:// URL or ioredis options. */
  connection: RedisConnection;
  stream: string;
  /** Record to entry fields (strings); default { data: JSON of the record }. */
  encode?: (value: T) => Readonly<Record<string, string>>;
  /** Entries per atomic append. Default 500. */
  chunkEntries?: number;
  /** Key prefix of the commit markers. Default 'sluice:stream-sink'. */
  markerPrefix?: string;
  /** How long a commit marker is kept, ms: a restore older than this could append again. Default 7 days. */
  markerTtlMs?: number;
}

const SINK_KEYS = Object.keys({
  connection: true, stream: true, encode: true, chunkEntries: true, markerPrefix: true, markerTtlMs: true,
} satisfies Record<keyof RedisStreamSinkOptions<unknown>, true>);

export function redisStreamSink<T>(options: RedisStreamSinkOptions<T>): SinkSpec<T> {
  if (options === null || typeof options !== 'object') throw new ConnectorOptionError('redisStreamSink: expected options { connection, stream }');
  checkKnownOptions(options, SINK_KEYS, 'redisStreamSink', (m) => new ConnectorOptionError(m));
  const { connection, stream, encode, chunkEntries, markerPrefix, markerTtlMs } = options;
  const settings = { connection, stream, chunkEntries, markerPrefix, markerTtlMs };
  // Checks the options here, while the job is built.
  checkConnectionOptions(connection);
  new RedisStreamWriter<T>({ ...settings, subtask: 0 });
  return {
    kind: 'redis-stream',
    writesAtEndWithoutCheckpoints: true,
    fingerprint: `redis-stream(${describeConnection(connection)},${JSON.stringify({ stream, chunkEntries, markerPrefix, markerTtlMs })},encode=${encode === undefined ? 'json' : 'custom'})`,
    createWriter(subtask): SinkWriter<T> {
      const writer = new RedisStreamWriter<T>({ ...settings, subtask, ...(encode === undefined ? {} : { encode }) });
      let transactional = false;
      return {
        write: (v) => writer.write(v),
        prepareCommit(checkpointId) {
          // Called only when the job checkpoints: the main thread commits, so nothing prepared is kept here.
          transactional = true;
          writer.retainPrepared = false;
          return writer.prepareCommit(checkpointId);
        },
        // Checkpointing: the main thread appends the end-of-input transaction with the final checkpoint.
        // Otherwise: append everything now (a promise the worker awaits before it reports done).
        finish: () => (transactional ? undefined : writer.finish()),
        abort: () => writer.close(),
      };
    },
    async commit(transactions) {
      const txs = transactions.map((t) => t.transaction).filter((t) => (t as Partial<RedisStreamTransaction>)?.entries?.length !== 0);
      if (txs.length === 0) return;
      // A connection per commit: the main thread holds none between checkpoints (nor after the job).
      const committer = new RedisStreamWriter<T>({ ...settings, subtask: 0 });
      try {
        await committer.commit(txs);
      } finally {
        committer.close();
      }
    },
  };
}
