// Runs on: main thread (enumeration on a fresh start) and the worker thread of a Redis source subtask (restore).
//
// Splits of a Redis Streams source. Plain reading: one split per stream, positioned at the id of the last entry
// delivered, so a restore reads on from exactly there (streams are append-only and ids only grow). Consumer
// groups: one split per (stream, consumer), consumers named `<prefix>-<i>` for i < parallelism, so each subtask
// is one stable consumer; its position is the last id it delivered, which sorts its pending entries on restore
// into "already in the checkpoint" (acknowledged) and "to deliver again". A fresh start delivers every pending
// entry again, those of consumers beyond its parallelism too (adoptPending); deleted ones among the latter are
// reported by the consumer that takes the others over (position.lost).

import { ConnectorOptionError, RedisConnectorError } from '../errors.js';
import type { SourceSplit, SplitRestore } from '../source.js';
import { checkStreamId, compareStreamIds, connectRedis, createRedisClient, describeRedisError } from './redis-client.js';
import { describeConnection, type RedisConnection } from './redis-connection.js';
import { groupMissingMessage, streamsWithoutGroup } from './redis-group-missing.js';
import { removeIdleConsumer } from './redis-consumer-removal.js';
import { shownValue } from '../../api/shown-value.js';

export interface RedisStreamPosition {
  readonly stream: string;
  /** Consumer-group mode: this split's consumer name. */
  readonly consumer?: string;
  /** Consumer-group mode: the group (positions of an older sluice have none). A restore into another is refused. */
  readonly group?: string;
  /** Id of the last entry delivered; '0-0' before the first. */
  readonly lastId: string;
  /**
   * Plain reading: the stream's entries-added count (Redis 7) that `lastId` accounts for: entries delivered up to
   * it, or gone before the start. Entries added and not delivered when the reader catches up were deleted before
   * it read them. Absent: not known yet (an explicit startAt, an older sluice's position, Redis 6).
   */
  readonly added?: number;
  /**
   * Consumer-group mode: deleted entries that were pending under a consumer merged into this one on a fresh start
   * at a lower parallelism (XCLAIM would drop them without a word), in id order. They stay pending under that
   * consumer until this one reports them (StreamEntriesLostError) and a checkpoint that includes the report
   * completes (XACK; then the consumer, holding nothing, is removed from the group): those up to `lastId` are
   * reported, the later ones are to be. Absent: none.
   */
  readonly lost?: readonly RedisLostEntry[];
}

/**
 * A deleted entry pending under a consumer merged away: its id and that consumer (the report names it; removed once
 * it holds nothing). No consumer: a checkpoint of 19a6488..ede7ba6 (2026-12-07) stored bare ids, not saying whose.
 */
export interface RedisLostEntry {
  readonly id: string;
  readonly consumer?: string;
}

export interface RedisStreamSplit extends SourceSplit {
  position: RedisStreamPosition;
}

export interface RedisStreamSplitOptions {
  connection: RedisConnection;
  streams: readonly string[];
  /** Plain reading, fresh start: from the first entry ('earliest', default), after the current last ('latest'), or after given ids. */
  startAt?: 'earliest' | 'latest' | Readonly<Record<string, string>>;
  /** Consumer-group mode: the group (created at `startAt` if missing) and the consumers' name prefix (default 'sluice'). */
  group?: { name: string; consumerPrefix?: string };
}

export async function enumerateRedisStreamSplits(options: RedisStreamSplitOptions, parallelism: number): Promise<RedisStreamSplit[]> {
  const streams = checkStreams(options.streams);
  if (!Number.isSafeInteger(parallelism) || parallelism < 1) throw new ConnectorOptionError(`redis source: parallelism must be >= 1, got ${shownValue(parallelism)}`);
  const startAt = checkStartAt(options.startAt ?? 'earliest', streams);
  const client = createRedisClient(options.connection, 'sluice-enumerate');
  try {
    await connectRedis(client);
    const start: Record<string, string> = {};
    const added: Record<string, number | undefined> = {};
    for (const s of streams) {
      if (startAt === 'earliest' || startAt === 'latest') {
        // The concrete id of the current last entry: '$' would mean "whatever is last when read", which a restore
        // cannot repeat. With it (one reply), the entries-added count accounted for: every entry before the
        // start, also those deleted before it (earliest: all but the `length` there; latest: all).
        const info = await streamInfo(client, s);
        const last = info.get('last-entry');
        start[s] = startAt === 'earliest' || !Array.isArray(last) ? '0-0' : String(last[0]);
        const [total, length] = [info.get('entries-added'), info.get('length')];
        if (typeof total === 'number' && typeof length === 'number') added[s] = startAt === 'earliest' ? total - length : total;
        else if (info.size === 0) added[s] = 0; // no stream yet: nothing was added
      } else {
        start[s] = checkStreamId(startAt[s] ?? '0-0', `startAt[${JSON.stringify(s)}]`);
      }
    }
    if (options.group === undefined) return streams.map((s) => ({ id: s, position: { stream: s, lastId: start[s]!, ...(added[s] === undefined ? {} : { added: added[s] }) } }));
    const { name, consumerPrefix = 'sluice' } = options.group;
    if (typeof name !== 'string' || name.length === 0) throw new ConnectorOptionError('redis source: group.name must be a non-empty string');
    for (const s of streams) {
      try {
        await client.xgroup('CREATE', s, name, start[s]!, 'MKSTREAM');
      } catch (e) {
        if (!/BUSYGROUP/.test(String(e))) throw e;
      }
    }
    const splits: RedisStreamSplit[] = [];
    for (const s of streams) {
      const lost = await adoptPending(client, s, name, consumerPrefix, parallelism);
      for (let i = 0; i < parallelism; i++) {
        const consumer = `${consumerPrefix}-${i}`;
        const entries = lost.get(consumer);
        splits.push({ id: `${s}#${consumer}`, position: { stream: s, consumer, group: name, lastId: '0-0', ...(entries === undefined ? {} : { lost: entries.sort((a, b) => compareStreamIds(a.id, b.id)) }) } });
      }
    }
    return splits;
  } catch (e) {
    if (e instanceof ConnectorOptionError) throw e;
    throw new RedisConnectorError(`redis source at ${describeConnection(options.connection)}: enumerating splits failed: ${describeRedisError(client, e)}`, { cause: e });
  } finally {
    client.disconnect();
  }
}

/**
 * On restore: the configured streams, not the restored splits, say what is read. A restored split of a stream still
 * configured keeps its position; a stream added is read from its configured start (in group mode: by each of the
 * restored consumers, so the consumers stay with their subtasks); a stream removed is no longer read (noted). Plain
 * and group reading cannot take each other's positions (incompatible).
 */
export async function restoreRedisStreamSplits(options: RedisStreamSplitOptions, restored: readonly SourceSplit[]): Promise<SplitRestore> {
  const streams = checkStreams(options.streams);
  const splits = restored.map(checkRedisStreamSplit);
  const consumers = [...new Set(splits.map((s) => s.position.consumer).filter((c): c is string => c !== undefined))];
  if (consumers.length > 0 && splits.some((s) => s.position.consumer === undefined)) {
    return { splits: [], incompatible: 'its splits mix consumer-group and plain reading' };
  }
  const group = options.group?.name;
  if (group === undefined && consumers.length > 0) {
    return { splits: [], incompatible: `they are consumer-group positions (consumers ${consumers.map((c) => `'${c}'`).join(', ')}), and the source now reads without a group (\`group\` is not set)` };
  }
  if (group !== undefined && consumers.length === 0 && splits.length > 0) {
    return { splits: [], incompatible: `they are positions of plain reading (no consumer group), and the source now reads through group '${group}'` };
  }
  // Another group's consumers are other consumers: their pending entries are that group's, and acknowledging them
  // up to the restored positions would take entries from whoever reads that group.
  const groups = [...new Set(splits.map((s) => s.position.group).filter((g): g is string => g !== undefined))];
  if (group !== undefined && groups.some((g) => g !== group)) {
    return { splits: [], incompatible: `they are positions of consumer group ${groups.map((g) => `'${g}'`).join(', ')}, and the source now reads through group '${group}'` };
  }
  const kept = splits.filter((s) => streams.includes(s.position.stream));
  // Group gone with its stream (deleted, or a Redis that lost its data): every reader would fail on NOGROUP, and
  // every restart from this checkpoint again. Refused before any thread starts, saying what to do.
  if (group !== undefined && kept.length > 0) {
    const missing = await keptWithoutGroup(options.connection, [...new Set(kept.map((s) => s.position.stream))], group);
    if (missing.length > 0) {
      const positions = kept.filter((s) => missing.includes(s.position.stream)).map((s) => ({ stream: s.position.stream, consumer: s.position.consumer!, lastId: s.position.lastId }));
      return { splits: [], incompatible: groupMissingMessage(describeConnection(options.connection), missing, group, positions, false) };
    }
  }
  const notes: string[] = [];
  // A changed consumerPrefix: the restored consumers keep their names, since the entries they read and did not
  // acknowledge are pending under those names (renamed, they would never be delivered again); said, not silent.
  const prefix = options.group?.consumerPrefix ?? 'sluice';
  const foreign = consumers.filter((c) => !(c.startsWith(`${prefix}-`) && /^(0|[1-9]\d*)$/.test(c.slice(prefix.length + 1))));
  if (group !== undefined && foreign.length > 0) {
    notes.push(`its restored consumers (${foreign.map((c) => `'${c}'`).join(', ')}) are not named by consumerPrefix '${prefix}': they keep their names, as entries they read and did not acknowledge are pending under them in group '${group}'; the prefix names the consumers of a fresh start`);
  }
  notes.push(...[...new Set(splits.filter((s) => !streams.includes(s.position.stream)).map((s) => s.position.stream))]
    .map((s) => `stream '${s}' is no longer in \`streams\`: it is not read any more, and its read position is dropped${group !== undefined ? ` (entries its consumers had read and not acknowledged stay pending in group '${group}')` : ''}`));
  const had = new Set(splits.map((s) => s.position.stream));
  const added = streams.filter((s) => !had.has(s));
  if (added.length === 0) return { splits: kept, notes };
  // Start positions (and, in group mode, the group on each added stream) as a fresh start has them.
  const startAt = options.startAt;
  const only = startAt !== undefined && typeof startAt === 'object' ? Object.fromEntries(Object.entries(startAt).filter(([s]) => added.includes(s))) : startAt;
  const fresh = await enumerateRedisStreamSplits({ ...options, streams: added, ...(only === undefined ? {} : { startAt: only }) }, Math.max(1, consumers.length));
  // Group mode: the restored consumers read the added streams too (each is one subtask's; nothing of them is in the
  // checkpoint, so their pending entries there are all delivered again), and report what adoptPending found deleted.
  const lostBy = new Map(fresh.map((f) => [f.id, f.position.lost]));
  const more: RedisStreamSplit[] = group === undefined
    ? fresh
    : added.flatMap((s) => consumers.map((c) => {
      const lost = lostBy.get(`${s}#${c}`);
      return { id: `${s}#${c}`, position: { stream: s, consumer: c, group, lastId: '0-0', ...(lost === undefined ? {} : { lost }) } };
    }));
  return { splits: [...kept, ...more], notes };
}

/** The streams without consumer group `group` (a failure to ask is a RedisConnectorError: a restart may get through). */
async function keptWithoutGroup(connection: RedisConnection, streams: readonly string[], group: string): Promise<string[]> {
  const client = createRedisClient(connection, 'sluice-restore');
  try {
    await connectRedis(client);
    return await streamsWithoutGroup(client, streams, group);
  } catch (e) {
    throw new RedisConnectorError(`redis source at ${describeConnection(connection)}: checking consumer group '${group}' failed: ${describeRedisError(client, e)}`, { cause: e });
  } finally {
    client.disconnect();
  }
}

/** XINFO STREAM's fields (numbers as numbers); empty for no such key. */
async function streamInfo(client: ReturnType<typeof createRedisClient>, stream: string): Promise<Map<string, unknown>> {
  let flat: unknown[];
  try {
    flat = await client.call('XINFO', 'STREAM', stream) as unknown[];
  } catch (e) {
    if (/no such key/i.test(String(e))) return new Map();
    throw e;
  }
  const fields = new Map<string, unknown>();
  for (let k = 0; k + 1 < flat.length; k += 2) fields.set(String(flat[k]), flat[k + 1]);
  return fields;
}

/**
 * A fresh start at a lower parallelism than the group's last run: consumers `<prefix>-<i>` with i >= parallelism
 * have no subtask now, and their pending entries (delivered, never covered by a checkpoint) would stay pending for
 * good. They are moved to consumer `<prefix>-<i mod parallelism>`, which delivers its pending entries again when
 * it starts, and the old consumer is removed from the group. Entries deleted since (XTRIM, XDEL) are not moved:
 * Redis 7's XCLAIM drops them from the pending list and its reply without a word. They stay pending under the old
 * consumer (kept in the group while it holds any) and are returned by heir, which reports them and acknowledges
 * them with its checkpoint, then removes the consumer; a start that fails before that finds them again.
 */
async function adoptPending(client: ReturnType<typeof createRedisClient>, stream: string, group: string, prefix: string, parallelism: number): Promise<Map<string, RedisLostEntry[]>> {
  const lost = new Map<string, RedisLostEntry[]>();
  const consumers = await client.xinfo('CONSUMERS', stream, group) as unknown[][];
  for (const info of consumers) {
    const fields = new Map<string, unknown>();
    for (let k = 0; k + 1 < info.length; k += 2) fields.set(String(info[k]), info[k + 1]);
    const consumer = String(fields.get('name'));
    const m = consumer.startsWith(`${prefix}-`) ? /^(0|[1-9]\d*)$/.exec(consumer.slice(prefix.length + 1)) : null;
    if (m === null || Number(m[1]) < parallelism) continue;
    const heir = `${prefix}-${Number(m[1]) % parallelism}`;
    const gone: string[] = [];
    // Paged by id: the deleted ones stay pending under `consumer`.
    for (let from = '-'; ;) {
      const pending = await client.xpending(stream, group, from, '+', 1000, consumer) as [string, ...unknown[]][];
      if (pending.length === 0) break;
      const ids = pending.map((p) => String(p[0]));
      from = nextStreamId(ids[ids.length - 1]!);
      const exists = await entriesExist(client, stream, ids);
      const live = ids.filter((_, j) => exists[j]);
      gone.push(...ids.filter((_, j) => !exists[j]));
      if (live.length === 0) continue;
      const claimed = new Set((await client.xclaim(stream, group, heir, 0, ...live, 'JUSTID') as string[]).map(String));
      // Not claimed: deleted since the check (XCLAIM dropped it, so it is reported once only) or acknowledged.
      const missed = live.filter((id) => !claimed.has(id));
      if (missed.length > 0) {
        const still = await entriesExist(client, stream, missed);
        gone.push(...missed.filter((_, j) => !still[j]));
      }
    }
    if (gone.length > 0) lost.set(heir, [...(lost.get(heir) ?? []), ...gone.map((id) => ({ id, consumer }))]);
    // Checked again with the removal, in one step: a reader outside sluice may have read under its name since.
    else await removeIdleConsumer(client, stream, group, consumer);
  }
  return lost;
}

/** Whether each entry is still in the stream (one round trip). */
async function entriesExist(client: ReturnType<typeof createRedisClient>, stream: string, ids: readonly string[]): Promise<boolean[]> {
  const p = client.pipeline();
  for (const id of ids) p.xrange(stream, id, id);
  const replies = (await p.exec()) ?? [];
  return ids.map((_, j) => {
    const [error, entries] = replies[j] ?? [new Error('no reply'), undefined];
    if (error) throw error;
    return Array.isArray(entries) && entries.length > 0;
  });
}

/** The id right after `id` (an exclusive range start that Redis before 6.2 understands too). */
function nextStreamId(id: string): string {
  const [ms, seq] = id.split('-');
  const s = BigInt(seq ?? 0);
  return s < (1n << 64n) - 1n ? `${ms}-${s + 1n}` : `${BigInt(ms!) + 1n}-0`;
}

export function checkStreams(streams: readonly string[]): string[] {
  if (!Array.isArray(streams) || streams.length === 0) throw new ConnectorOptionError('redis source: streams must be a non-empty array of keys');
  for (const s of streams) if (typeof s !== 'string' || s.length === 0) throw new ConnectorOptionError(`redis source: a stream key must be a non-empty string, got ${JSON.stringify(s)}`);
  if (new Set(streams).size !== streams.length) throw new ConnectorOptionError('redis source: a stream is listed twice');
  return [...streams];
}

/**
 * Checks `startAt` against the streams read (when the job is built, and again before it reads): anything else,
 * such as 'Latest' or a map naming a stream not read (a typo of its key), read the streams from their start.
 */
export function checkStartAt<S extends RedisStreamSplitOptions['startAt']>(startAt: S, streams: readonly string[]): S {
  if (startAt === undefined || startAt === 'earliest' || startAt === 'latest') return startAt;
  if (startAt === null || typeof startAt !== 'object' || Array.isArray(startAt)) {
    throw new ConnectorOptionError(`redis source: startAt must be 'earliest', 'latest' or a map of stream ids by stream, got ${JSON.stringify(startAt)}`);
  }
  const unknown = Object.keys(startAt).filter((k) => !streams.includes(k));
  if (unknown.length > 0) {
    throw new ConnectorOptionError(`redis source: startAt names ${unknown.map((k) => JSON.stringify(k)).join(', ')}, not among the streams read (${streams.map((s) => JSON.stringify(s)).join(', ')}); a stream startAt does not name starts at its first entry`);
  }
  for (const [s, id] of Object.entries(startAt)) checkStreamId(id, `startAt[${JSON.stringify(s)}]`);
  return startAt;
}

/** Checks a split that came back from a checkpoint. */
export function checkRedisStreamSplit(split: SourceSplit): RedisStreamSplit {
  const p = split.position as Partial<RedisStreamPosition> | null;
  if (p === null || typeof p !== 'object' || typeof p.stream !== 'string' || typeof p.lastId !== 'string'
    || (p.consumer !== undefined && typeof p.consumer !== 'string') || (p.group !== undefined && typeof p.group !== 'string')
    || (p.added !== undefined && !(Number.isSafeInteger(p.added) && p.added >= 0))
    || (p.lost !== undefined && (p.consumer === undefined || !Array.isArray(p.lost) || !p.lost.every(isLostEntry)))) {
    throw new ConnectorOptionError(`not a Redis stream split: ${JSON.stringify(split)}`);
  }
  checkStreamId(p.lastId, `position of split ${split.id}`);
  // A bare id: written by 19a6488..ede7ba6, which did not store the consumer.
  const lost = ((p.lost ?? []) as readonly (RedisLostEntry | string)[]).map((l): RedisLostEntry => (typeof l === 'string' ? { id: l } : { id: l.id, ...(l.consumer === undefined ? {} : { consumer: l.consumer }) }));
  for (const l of lost) checkStreamId(l.id, `lost entry of split ${split.id}`);
  return { id: split.id, position: { stream: p.stream, lastId: p.lastId, ...(p.consumer === undefined ? {} : { consumer: p.consumer }), ...(p.group === undefined ? {} : { group: p.group }), ...(p.added === undefined ? {} : { added: p.added }), ...(lost.length === 0 ? {} : { lost: lost.sort((a, b) => compareStreamIds(a.id, b.id)) }) } };
}

/** A position.lost item: { id, consumer }, or a bare id (a checkpoint of 19a6488..ede7ba6). */
function isLostEntry(l: unknown): boolean {
  if (typeof l === 'string') return true;
  if (l === null || typeof l !== 'object') return false;
  const { id, consumer } = l as { id?: unknown; consumer?: unknown };
  return typeof id === 'string' && (consumer === undefined || typeof consumer === 'string');
}
