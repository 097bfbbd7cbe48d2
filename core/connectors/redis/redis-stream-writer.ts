// Runs on: the worker thread of a Redis sink subtask.
//
// Appends records to a Redis stream exactly once, by two-phase commit with a write-ahead transaction: records
// are held in memory between barriers; `prepareCommit` hands them over as the checkpoint's transaction (plain
// data, stored with the checkpoint), and `commit` appends them when the checkpoint completes. Commit runs a Lua
// script per chunk that appends the chunk and records "checkpoint c, n entries done" in a marker key in one atomic
// step, so re-running a commit after any failure appends only what is missing: never a duplicate, never a gap.
//
// Why not deterministic entry ids (XADD with an id made of checkpoint, subtask and sequence)? Redis requires ids
// to grow within a stream, so parallel subtasks (and any other producer using '*') would reject each other's ids.
// Entries here get ordinary server-assigned ids.
//
// Markers are per writer instance (a random id carried in each transaction): a restored job commits its old
// transactions against the old writer's marker and writes new ones under a new marker, so a fresh run of the
// same job never mistakes its output for a previous run's. Markers expire after `markerTtlMs`.

import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { ConnectorOptionError, EncodeError, RedisConnectorError } from '../errors.js';
import type { SinkWriter } from '../sink.js';
import { connectRedis, createRedisClient, describeRedisError } from './redis-client.js';
import { describeConnection, type RedisConnection } from './redis-connection.js';
import { JsonLinesEncoder } from '../formats/jsonl.js';
import { shownValue } from '../../api/shown-value.js';

export interface RedisStreamWriterOptions<T> {
  connection: RedisConnection;
  stream: string;
  subtask: number;
  /** Record to entry fields; default { data: JSON of the record } (what the source's default decoder reads). */
  encode?: (value: T) => Readonly<Record<string, string>>;
  /** Entries per atomic append. Default 500. */
  chunkEntries?: number;
  /** Default 'sluice:stream-sink'. */
  markerPrefix?: string;
  /** How long a commit marker is kept, ms: the oldest checkpoint that can still be committed again. Default 7 days. */
  markerTtlMs?: number;
}

/** What `prepareCommit` returns and a checkpoint stores: plain data. */
export interface RedisStreamTransaction {
  readonly kind: 'redis-stream-sink';
  readonly stream: string;
  /** The writer that prepared it, for its commit marker. */
  readonly writer: string;
  readonly subtask: number;
  readonly checkpointId: number;
  /** Each entry's fields as [name, value, name, value, ...]. */
  readonly entries: readonly (readonly string[])[];
}

// KEYS: stream, marker. ARGV: checkpoint, first entry index, end index, marker ttl ms, then per entry its
// field count followed by the fields. The marker holds "<checkpoint>:<entries done>" of the writer's latest commit.
const APPEND = `
local cp = tonumber(ARGV[1])
local first = tonumber(ARGV[2])
local stop = tonumber(ARGV[3])
local mark = redis.call('GET', KEYS[2])
local mcp, mdone = -1, 0
if mark then
  local sep = string.find(mark, ':', 1, true)
  mcp = tonumber(string.sub(mark, 1, sep - 1))
  mdone = tonumber(string.sub(mark, sep + 1))
end
if mcp > cp or (mcp == cp and mdone >= stop) then return 0 end
local expected = 0
if mcp == cp then expected = mdone end
if first ~= expected then
  return redis.error_reply('SLUICEGAP commit of checkpoint ' .. cp .. ' at entry ' .. first .. ' but the marker says ' .. (mark or 'nothing'))
end
local i = 5
while i <= #ARGV do
  local n = tonumber(ARGV[i])
  redis.call('XADD', KEYS[1], '*', unpack(ARGV, i + 1, i + n))
  i = i + n + 1
end
redis.call('SET', KEYS[2], cp .. ':' .. stop, 'PX', ARGV[4])
return stop - first
`;

type AppendClient = Redis & { sluiceStreamAppend(stream: string, marker: string, ...args: (string | number)[]): Promise<number> };

export class RedisStreamWriter<T> implements SinkWriter<T> {
  /** Random per writer instance: names its commit marker. */
  readonly writerId = randomBytes(8).toString('hex');
  private readonly stream: string;
  private readonly subtask: number;
  private readonly encode: (value: T) => Readonly<Record<string, string>>;
  private readonly chunkEntries: number;
  private readonly markerPrefix: string;
  private readonly markerTtlMs: number;
  private readonly where: string;
  private client: AppendClient | undefined;
  private entries: string[][] = [];
  private lastCheckpoint = -1;
  private uncommitted: RedisStreamTransaction[] = [];
  /**
   * Keep prepared transactions for `finish` and this writer's own `commit`. False when the runtime commits them
   * on the main thread (the stream sink, with checkpoints): then no prepared entries accumulate here.
   */
  retainPrepared = true;

  constructor(private readonly options: RedisStreamWriterOptions<T>) {
    if (typeof options.stream !== 'string' || options.stream.length === 0) throw new ConnectorOptionError('redis sink: stream must be a non-empty key');
    if (!Number.isSafeInteger(options.subtask) || options.subtask < 0) throw new ConnectorOptionError(`redis sink: subtask must be a non-negative integer, got ${shownValue(options.subtask)}`);
    this.stream = options.stream;
    this.subtask = options.subtask;
    // The default: JSON text, refusing (EncodeError) what JSON would write as another value, as jsonLines() does
    // (a dead letter is written whatever its raw record holds).
    const json = new JsonLinesEncoder<T>();
    this.encode = options.encode ?? ((v) => ({ data: json.text(v) }));
    this.chunkEntries = options.chunkEntries ?? 500;
    this.markerPrefix = options.markerPrefix ?? 'sluice:stream-sink';
    this.markerTtlMs = options.markerTtlMs ?? 7 * 24 * 3600 * 1000;
    if (!Number.isSafeInteger(this.chunkEntries) || this.chunkEntries < 1 || !Number.isSafeInteger(this.markerTtlMs) || this.markerTtlMs < 1) {
      throw new ConnectorOptionError(`redis sink: chunkEntries and markerTtlMs must be positive integers, got ${shownValue(this.chunkEntries)} and ${shownValue(this.markerTtlMs)}`);
    }
    this.where = describeConnection(options.connection);
  }

  write(value: T): void {
    let fields: Readonly<Record<string, string>>;
    try {
      fields = this.encode(value);
    } catch (e) {
      throw new EncodeError(`redis sink: encode failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
    if (fields === null || typeof fields !== 'object') throw new EncodeError(`redis sink: encode must return an object of string fields, got ${fields === null ? 'null' : typeof fields}`);
    const flat: string[] = [];
    for (const [k, v] of Object.entries(fields)) {
      if (typeof v !== 'string') throw new EncodeError(`redis sink: field ${JSON.stringify(k)} is ${typeof v}, not a string`);
      flat.push(k, v);
    }
    if (flat.length === 0) throw new EncodeError('redis sink: an entry needs at least one field');
    this.entries.push(flat);
  }

  /**
   * At a barrier: the records since the last barrier become the checkpoint's transaction. At the end of input
   * (checkpointId -1) the transaction takes the number after the last checkpoint: the commit marker only moves
   * forward, so a -1 would count as already committed.
   */
  prepareCommit(checkpointId: number): RedisStreamTransaction {
    const id = checkpointId < 0 ? this.lastCheckpoint + 1 : checkpointId;
    const tx: RedisStreamTransaction = {
      kind: 'redis-stream-sink', stream: this.stream, writer: this.writerId, subtask: this.subtask, checkpointId: id, entries: this.entries,
    };
    this.entries = [];
    this.lastCheckpoint = Math.max(this.lastCheckpoint, id);
    if (this.retainPrepared) this.uncommitted.push(tx);
    return tx;
  }

  /**
   * A checkpoint completed (or a restore): append its transactions' entries. Idempotent. This writer's own
   * earlier transactions still uncommitted go first: a commit of checkpoint n implies every one before it.
   */
  async commit(transactions: unknown[]): Promise<void> {
    const given = transactions.map(checkTransaction);
    const upTo = given.reduce((m, t) => Math.max(m, t.writer === this.writerId ? t.checkpointId : -1), -1);
    const key = (t: RedisStreamTransaction): string => `${t.writer}/${t.checkpointId}`;
    const all = new Map<string, RedisStreamTransaction>();
    for (const t of this.uncommitted) if (t.checkpointId <= upTo) all.set(key(t), t);
    for (const t of given) all.set(key(t), t);
    const txs = [...all.values()].sort((a, b) => a.checkpointId - b.checkpointId);
    if (txs.length === 0) return;
    const client = await this.connection();
    for (const tx of txs) {
      const marker = `${this.markerPrefix}:${tx.writer}`;
      for (let first = 0; first < tx.entries.length; first += this.chunkEntries) {
        const stop = Math.min(tx.entries.length, first + this.chunkEntries);
        const args: (string | number)[] = [tx.checkpointId, first, stop, this.markerTtlMs];
        for (let i = first; i < stop; i++) args.push(tx.entries[i]!.length, ...tx.entries[i]!);
        try {
          await client.sluiceStreamAppend(tx.stream, marker, ...args);
        } catch (e) {
          throw new RedisConnectorError(`redis sink at ${this.where}: committing checkpoint ${tx.checkpointId} to ${tx.stream} failed: ${describeRedisError(client, e)}`, { cause: e });
        }
      }
      this.lastCheckpoint = Math.max(this.lastCheckpoint, tx.checkpointId);
    }
    this.uncommitted = this.uncommitted.filter((t) => !all.has(key(t)));
  }

  /**
   * End of a bounded input: appends everything not yet committed (prepared or not). Asynchronous, unlike a
   * file sink's: the caller must await the promise. With checkpoints, a last checkpoint leaves nothing here.
   */
  async finish(): Promise<{ entries: number }> {
    try {
      const last = this.prepareCommit(-1);
      const entries = this.uncommitted.reduce((a, t) => a + t.entries.length, 0);
      await this.commit([last]);
      return { entries };
    } finally {
      // A failed append too: the connection must not outlive the job (SinkOperator.abort skips an ended sink).
      this.close();
    }
  }

  /** Drops the connection without committing (job failed or cancelled). */
  close(): void {
    this.client?.disconnect();
    this.client = undefined;
  }

  private async connection(): Promise<AppendClient> {
    if (this.client !== undefined) return this.client;
    const c = createRedisClient(this.options.connection, `sluice-sink-${this.subtask}`);
    c.defineCommand('sluiceStreamAppend', { numberOfKeys: 2, lua: APPEND });
    try {
      await connectRedis(c);
    } catch (e) {
      throw new RedisConnectorError(`redis sink at ${this.where}: cannot connect: ${describeRedisError(c, e)}`, { cause: e });
    }
    this.client = c as AppendClient;
    return this.client;
  }
}

function checkTransaction(t: unknown): RedisStreamTransaction {
  const x = t as RedisStreamTransaction | null;
  if (x === null || typeof x !== 'object' || x.kind !== 'redis-stream-sink' || typeof x.stream !== 'string' || typeof x.writer !== 'string'
    || !Number.isSafeInteger(x.checkpointId) || !Array.isArray(x.entries)) {
    throw new RedisConnectorError(`not a Redis stream sink transaction: ${JSON.stringify(t)?.slice(0, 200)}`);
  }
  return x;
}
