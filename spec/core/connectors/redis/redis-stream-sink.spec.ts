// redisStreamSink's options, checked when the job is built (nothing connects until a writer writes). A misspelt
// option ({ chunkEntry: 10 }) was ignored.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { redisStreamSink } from '../../../../core/connectors/redis/redis-stream-sink.js';
import { ConnectorOptionError } from '../../../../core/connectors/errors.js';

const connection = 'redis://127.0.0.1:1';

test('redisStreamSink refuses a misspelt option, naming the nearest one', () => {
  assert.throws(() => redisStreamSink({ connection, stream: 's', chunkEntry: 10 } as never), (e: unknown) =>
    e instanceof ConnectorOptionError && e.message === "redisStreamSink: unknown option 'chunkEntry' (did you mean 'chunkEntries'?); known: connection, stream, encode, chunkEntries, markerPrefix, markerTtlMs");
  assert.equal(redisStreamSink({ connection, stream: 's', chunkEntries: 10, markerPrefix: undefined }).kind, 'redis-stream');
});
