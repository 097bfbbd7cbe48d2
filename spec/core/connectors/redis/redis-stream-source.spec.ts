// fromRedisStreams' options, checked when the job is built (no server needed: nothing connects until a reader
// opens). A misspelt option ({ blockMS: 10 }) was ignored.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { redisStreamsSource } from '../../../../core/connectors/redis/redis-stream-source.js';
import { ConnectorOptionError } from '../../../../core/connectors/errors.js';

const refused = (call: () => unknown, message: string): void => {
  assert.throws(call, (e: unknown) => e instanceof ConnectorOptionError && e.message === message, message);
};
const connection = 'redis://127.0.0.1:1';

test('fromRedisStreams refuses misspelt options, its group\'s too, naming the nearest one', () => {
  refused(() => redisStreamsSource({ connection, streams: ['s'], blockMS: 10 } as never),
    "fromRedisStreams: unknown option 'blockMS' (did you mean 'blockMs'?); known: connection, streams, group, startAt, decode, count, blockMs, highWater");
  refused(() => redisStreamsSource({ connection, streams: ['s'], group: { name: 'g', consumerPrefx: 'c' } } as never),
    "fromRedisStreams: group: unknown option 'consumerPrefx' (did you mean 'consumerPrefix'?); known: name, consumerPrefix");
});

test('fromRedisStreams takes its known options, undefined or set', () => {
  assert.equal(redisStreamsSource({ connection, streams: ['s'], group: { name: 'g', consumerPrefix: 'c' }, count: 10, blockMs: undefined }).kind, 'redis-streams');
});
