// Options that must be numbers, given a string that coerces to a valid one. Regression: checks written as
// `x > 0` or `x >= 1` let '100' through (the comparison coerces), so the option went on as a string; and checks
// that did refuse it said "got 5", which reads as a valid value. Each is refused now, saying it got a string.
// The run() options (checkpoint interval and timeout, ring sizes, ...) are in runtime/lifecycle.it.spec.ts.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ContinuousProcessingTimeTrigger, CountTrigger, JobDefinitionError, serveMetrics, StreamEnvironment, TumblingEventTimeWindows, TumblingProcessingTimeWindows,
  WatermarkStrategy, fileSink, jsonLines, redisStreamSink, type JobHandle,
} from '../../../core/index.js';
import { ConnectorOptionError } from '../../../core/connectors/errors.js';
import { FileGrowth } from '../../../core/connectors/file/file-growth.js';
import { FileLineReader } from '../../../core/connectors/file/file-line-reader.js';
import { RollingFileWriter } from '../../../core/connectors/file/rolling-file-writer.js';
import { RedisStreamReader } from '../../../core/connectors/redis/redis-stream-reader.js';
import { RedisStreamWriter } from '../../../core/connectors/redis/redis-stream-writer.js';
import { createRedisClient } from '../../../core/connectors/redis/redis-client.js';
import { SocketTextReader } from '../../../core/connectors/socket/socket-text-reader.js';
import { LineFramer } from '../../../core/connectors/formats/line-framer.js';
import { checkRestartStrategy, type RestartStrategy } from '../../../core/checkpoint/restart-strategy.js';
import { ttlConfig } from '../../../core/state/ttl.js';
import { isNumber } from '../../../core/api/number-option.js';

/** `call` throws a `type` whose message includes `said`. */
function refused(call: () => unknown, type: abstract new (...a: never[]) => Error, said: string): void {
  assert.throws(call, (e: unknown) => e instanceof type && e.message.includes(said), said);
}

const S = <T>(v: string): T => v as unknown as T;

test('isNumber: a number, not NaN; no string, however numeric', () => {
  assert.deepEqual([0, -1.5, Infinity, Number.NaN, '5', '', 5n, null, undefined, [5]].map(isNumber), [true, true, true, false, false, false, false, false, false, false]);
});

test("built into the job: a generator's rate and an asyncMap's times refuse a numeric string", () => {
  const env = new StreamEnvironment(1);
  refused(() => env.fromGenerator({ count: 1, ratePerSec: S('100') }, (i) => i), JobDefinitionError, 'generator: ratePerSec must be > 0, got the string "100"');
  const src = env.fromCollection([1]);
  refused(() => src.asyncMap(async (x) => x, { timeoutMs: S('100') }), JobDefinitionError, 'timeoutMs must be > 0, got the string "100"');
  refused(() => src.asyncMap(async (x) => x, { retries: 1, retryDelayMs: S('10') }), JobDefinitionError, 'retryDelayMs must be a number of ms >= 0, got the string "10"');
});

test('a restart strategy refuses numeric strings, naming the field and what it got', () => {
  const cases: [RestartStrategy, string][] = [
    [{ type: 'fixed-delay', attempts: S('3'), delayMs: 10 }, 'attempts must be >= 0, got the string "3"'],
    [{ type: 'fixed-delay', attempts: 3, delayMs: S('10') }, 'delayMs must be >= 0, got the string "10"'],
    [{ type: 'exponential-backoff', initialDelayMs: S('1'), maxDelayMs: 10 }, 'got the string "1" and 10'],
    [{ type: 'exponential-backoff', initialDelayMs: 1, maxDelayMs: S('10') }, 'got 1 and the string "10"'],
    [{ type: 'exponential-backoff', initialDelayMs: 1, maxDelayMs: 10, multiplier: S('2') }, 'multiplier must be >= 1, got the string "2"'],
    [{ type: 'exponential-backoff', initialDelayMs: 1, maxDelayMs: 10, attempts: S('3') }, 'attempts must be >= 0, got the string "3"'],
    [{ type: 'exponential-backoff', initialDelayMs: 1, maxDelayMs: 10, resetAfterMs: S('5') }, 'resetAfterMs must be >= 0, got the string "5"'],
  ];
  for (const [s, said] of cases) refused(() => checkRestartStrategy(s), JobDefinitionError, said);
});

test('connector options refuse numeric strings when their reader or writer is made', async () => {
  refused(() => new FileGrowth('/nowhere', async () => ({ size: 0, linked: true }), { pollIntervalMs: S('100') }), ConnectorOptionError, 'pollIntervalMs and safetyPollMs must be > 0, got the string "100" and 2000');
  refused(() => new FileGrowth('/nowhere', async () => ({ size: 0, linked: true }), { safetyPollMs: S('100') }), ConnectorOptionError, 'got 250 and the string "100"');
  refused(() => new FileLineReader('/nowhere', { offset: 0, line: 1 }, { prefetchBytes: S('4096') }), ConnectorOptionError, 'prefetchBytes must be >= 1, got the string "4096"');
  refused(() => new LineFramer(0, 1, { maxLineBytes: S('100') }), ConnectorOptionError, 'maxLineBytes must be a positive integer, got the string "100"');
  const dir = mkdtempSync(join(tmpdir(), 'sluice-number-option-'));
  try {
    for (const [k, min] of [['rollBytes', 1], ['rollRecords', 1], ['bufferBytes', 0]] as const) {
      refused(() => new RollingFileWriter({ dir, subtask: 0, encode: String, [k]: '1000' } as never), ConnectorOptionError, `file sink: ${k} must be a number >= ${min}, got the string "1000"`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  for (const [k, said] of [['count', 'got count the string "10"'], ['blockMs', 'blockMs the string "10"'], ['highWater', 'highWater the string "10"']] as const) {
    refused(() => new RedisStreamReader([], { connection: 'redis://127.0.0.1:1', [k]: '10' }), ConnectorOptionError, said);
  }
  refused(() => new RedisStreamWriter({ connection: 'redis://127.0.0.1:1', stream: 's', subtask: 0, chunkEntries: S('10') } as never), ConnectorOptionError, 'chunkEntries and markerTtlMs must be positive integers, got the string "10" and 604800000');
  for (const k of ['port', 'db', 'connectTimeout', 'commandTimeout']) {
    refused(() => createRedisClient({ host: '127.0.0.1', [k]: '5' }, 'test'), ConnectorOptionError, `redis: connection option ${k} must be a number, got the string "5"`);
  }
  refused(() => new SocketTextReader({ host: '127.0.0.1', port: 1, reconnect: { delayMs: S('10') } }), ConnectorOptionError, 'reconnect needs delayMs >= 0 and maxAttempts >= 1, got the string "10" and Infinity');
  refused(() => new SocketTextReader({ host: '127.0.0.1', port: 1, reconnect: { maxAttempts: S('3') } }), ConnectorOptionError, 'got 500 and the string "3"');
  // Node's listen would take '9090' as a port; the handle is not reached.
  await assert.rejects(serveMetrics(undefined as unknown as JobHandle, { port: S('9090') }), (e: unknown) => e instanceof RangeError && e.message.includes('port must be an integer from 0 to 65535 (0: any free port), got the string "9090"'));
});

// Regression: these were checked only when a subtask made its reader or writer, so the job started, and one that
// checkpoints restarted on the bad value until its restart strategy gave up (fileSink's rollBytes: '5', 3 restarts
// a second apart, then an OperatorError); `sluice run` exited 1, a failed run. Now the builder refuses it.
test('connector builders refuse numeric strings while the job is built, as their readers and writers would', () => {
  const env = new StreamEnvironment(1);
  const format = jsonLines();
  for (const k of ['rollBytes', 'rollRecords', 'bufferBytes'] as const) {
    refused(() => fileSink({ dir: '/nowhere', format, [k]: S('1000') }), ConnectorOptionError, `fileSink: ${k} must be a number >= ${k === 'bufferBytes' ? 0 : 1}, got the string "1000"`);
  }
  refused(() => fileSink({ dir: '/nowhere', format, rollIntervalMs: S('1000') }), ConnectorOptionError, 'fileSink: rollIntervalMs must be a finite number >= 0 (0: roll at every checkpoint), got the string "1000"');
  refused(() => env.fromFiles('/nowhere/*.jsonl', format, { chunkBytes: S('4096') }), ConnectorOptionError, 'fromFiles: chunkBytes must be a positive integer, got the string "4096"');
  refused(() => env.fromFiles('/nowhere/*.jsonl', format, { prefetchBytes: S('4096') }), ConnectorOptionError, 'fromFiles: prefetchBytes must be >= 1, got the string "4096"');
  refused(() => env.fromFiles('/nowhere/*.jsonl', format, { maxLineBytes: S('100') }), ConnectorOptionError, 'fromFiles: maxLineBytes must be a positive integer, got the string "100"');
  refused(() => env.fromFiles('/nowhere/*.jsonl', format, { follow: { pollIntervalMs: S('100') } }), ConnectorOptionError, 'fromFiles: follow: pollIntervalMs and safetyPollMs must be > 0, got the string "100" and 2000');
  for (const k of ['count', 'blockMs', 'highWater'] as const) {
    refused(() => env.fromRedisStreams({ connection: 'redis://127.0.0.1:1', streams: ['s'], [k]: S('10') }), ConnectorOptionError, `${k} the string "10"`);
  }
  refused(() => env.fromRedisStreams({ connection: 'redis://127.0.0.1:1', streams: ['s'], count: S('10') }), ConnectorOptionError, 'fromRedisStreams: count and highWater must be >= 1, blockMs > 0 (got count the string "10"');
  refused(() => env.fromRedisStreams({ connection: { host: '127.0.0.1', port: S('6379') }, streams: ['s'] }), ConnectorOptionError, 'redis: connection option port must be a number, got the string "6379"');
  refused(() => redisStreamSink({ connection: { host: '127.0.0.1', port: S('6379') }, stream: 's' }), ConnectorOptionError, 'redis: connection option port must be a number, got the string "6379"');
  refused(() => env.socketTextStream('127.0.0.1', 1, { reconnect: { delayMs: S('10') } }), ConnectorOptionError, 'socketTextStream: reconnect needs delayMs >= 0 and maxAttempts >= 1, got the string "10" and Infinity');
  refused(() => env.socketTextStream('127.0.0.1', 1, { highWaterBytes: S('1024') }), ConnectorOptionError, 'socketTextStream: highWaterBytes must be a positive integer, got the string "1024"');
  refused(() => env.socketTextStream('127.0.0.1', 1, { maxLineBytes: S('100') }), ConnectorOptionError, 'socketTextStream: maxLineBytes must be a positive integer, got the string "100"');
  // The defaults and valid values still build.
  fileSink({ dir: '/nowhere', format, rollBytes: 1, rollRecords: Infinity, bufferBytes: 0, rollIntervalMs: 0 });
  env.fromFiles('/nowhere/*.jsonl', format, { chunkBytes: 1, prefetchBytes: 1, maxLineBytes: 1, follow: { pollIntervalMs: 1 } });
  env.fromRedisStreams({ connection: { host: '127.0.0.1', port: 1 }, streams: ['s'], count: 1, blockMs: 1, highWater: 1 });
  env.socketTextStream('127.0.0.1', 1, { reconnect: { delayMs: 0, maxAttempts: 1 }, highWaterBytes: 1, maxLineBytes: 1 });
});

// Regression: enableCheckpointing took them as given, and run() refused them later as if they were its own options
// ('alignmentTimeoutMs must be ...'), not saying the job had set them.
test('enableCheckpointing refuses a bad alignmentTimeoutMs or mode while the job is built, saying so', () => {
  const env = new StreamEnvironment(1);
  refused(() => env.enableCheckpointing(1000, { alignmentTimeoutMs: S('5') }), JobDefinitionError, 'enableCheckpointing: alignmentTimeoutMs must be a number of ms >= 0 (Infinity: never), got the string "5"');
  refused(() => env.enableCheckpointing(1000, { mode: S('exactly-once') }), JobDefinitionError, `enableCheckpointing: mode must be 'aligned' or 'unaligned', got the string "exactly-once"`);
  env.enableCheckpointing(1000, { alignmentTimeoutMs: Infinity, mode: 'unaligned' });
  assert.equal(env.graph.checkpointing?.alignmentTimeoutMs, Infinity);
  // null is unset here as in run() (a review: the build-time check refused what run() took as the default).
  env.enableCheckpointing(1000, { alignmentTimeoutMs: null as unknown as number, mode: null as unknown as 'aligned' });
});

// These refused a string already (Number.isSafeInteger coerces nothing), but said "got 5": now what they got.
test('time and count options that refused a string say it was one', () => {
  const said = 'got the string "5"';
  refused(() => TumblingEventTimeWindows.of(1000, S('5')), JobDefinitionError, `offset must be an integer with |offset| < size, ${said}`);
  refused(() => TumblingProcessingTimeWindows.of(1000, S('5')), JobDefinitionError, said);
  refused(() => CountTrigger.of(S('5')), JobDefinitionError, said);
  refused(() => ContinuousProcessingTimeTrigger.of(S('5')), JobDefinitionError, said);
  const env = new StreamEnvironment(1);
  const keyed = env.fromCollection([1]).keyBy((x) => x);
  refused(() => keyed.window(TumblingEventTimeWindows.of(1000)).allowedLateness(S('5')), JobDefinitionError, `expected an integer number of ms >= 0, ${said}`);
  refused(() => WatermarkStrategy.forBoundedOutOfOrderness(S('5')), JobDefinitionError, said);
  refused(() => WatermarkStrategy.forMonotonousTimestamps().withIdleness(S('5')), JobDefinitionError, said);
  refused(() => WatermarkStrategy.forMonotonousTimestamps().withWatermarkAlignment('g', S('5')), JobDefinitionError, `maxDriftMs must be a number of ms >= 0, ${said}`);
  refused(() => WatermarkStrategy.forMonotonousTimestamps().withWatermarkAlignment('g', 5, S('5')), JobDefinitionError, `updateIntervalMs must be a number of ms > 0, ${said}`);
  refused(() => env.enableCheckpointing(1000, { tolerableFailures: S('5') }), JobDefinitionError, `expected an integer >= 0 (or Infinity), ${said}`);
  refused(() => ttlConfig({ ttlMs: S('5') }, 'state'), JobDefinitionError, `ttl.ttlMs must be a positive number of ms, ${said}`);
});
