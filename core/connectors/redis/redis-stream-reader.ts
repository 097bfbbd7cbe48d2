// Runs on: the worker thread of a Redis source subtask.
//
// Reads entries of Redis streams without blocking the thread: a background async loop per connection issues
// XREAD (or XREADGROUP) with COUNT and BLOCK and feeds a buffer; `read()` hands out what is buffered and
// `ready()` resolves when more arrives. The loop pauses while the buffer is over its high-water mark.
//
// Plain reading is rewindable: a split's position is the id of the last entry delivered, and a restored reader
// asks for entries after it. Consumer-group mode: entries delivered to this subtask's consumer are acknowledged
// (XACK) only when a checkpoint that includes them completes; on restore, the consumer's pending entries up to
// the restored position are acknowledged (they are in the checkpoint) and the later ones are delivered again,
// before new entries ('>'). That is exactly-once as long as consumer names stay with their subtasks. With
// per-split watermarks (trackSplits) it says which stream each run of entries comes from.
//
// Entries deleted before they were read (XTRIM, MAXLEN, XDEL) are not skipped silently (StreamEntriesLostError,
// bad input). Plain: each read goes with XINFO STREAM, and the entries-added count (Redis 7) the reader accounts
// for, read or known gone, is compared with the stream's. Group: a pending entry redelivered without fields was
// deleted, and so are the deleted entries a fresh start found pending under consumers merged into this one
// (position.lost); entries deleted before the group delivered them are not seen (Redis moves the group past them, and
// telling them apart needs the stream's and the group's counts read atomically with XREADGROUP: a script).

import type { Redis } from 'ioredis';
import { ConnectorOptionError, RedisConnectorError, RedisGroupMissingError, StreamEntriesLostError } from '../errors.js';
import { SOURCE_MORE, SOURCE_WAIT, type SourceStatus } from '../source.js';
import type { BadRecord, SourceReader, SourceSplit, SplitTracker } from '../source.js';
import { Wakeup } from '../wakeup.js';
import { RecordQueue } from '../record-queue.js';
import { compareStreamIds, connectRedis, createRedisClient, describeRedisError } from './redis-client.js';
import { describeConnection, type RedisConnection } from './redis-connection.js';
import { decodeEntry, jsonField, type EntryDecoder } from './redis-entry.js';
import { groupMissingMessage, streamsWithoutGroup } from './redis-group-missing.js';
import { removeIdleConsumer } from './redis-consumer-removal.js';
import { checkRedisStreamSplit, type RedisLostEntry, type RedisStreamSplit } from './redis-stream-split.js';
import { isNumber } from '../../api/number-option.js';
import { shownValue } from '../../api/shown-value.js';

export interface RedisStreamReaderOptions<T> {
  connection: RedisConnection;
  /** Entry to value; default: the JSON in field 'data' (what the stream sink writes). */
  decode?: EntryDecoder<T>;
  /** Consumer group of the splits' consumers; required when the splits name consumers. */
  group?: string;
  /** Entries per stream per read command. Default 500. */
  count?: number;
  /** How long one read command waits on the server for new entries, ms (> 0). Default 1000. */
  blockMs?: number;
  /** Entries buffered before the loop stops reading. Default 4 × count. */
  highWater?: number;
}

interface SplitState {
  readonly id: string;
  readonly stream: string;
  readonly consumer: string | undefined;
  lastDelivered: string;
  /** Plain: the stream's entries-added count that lastDelivered accounts for (RedisStreamPosition.added). */
  added: number | undefined;
  /** Group mode: delivered and not yet acknowledged, in id order. */
  unacked: string[];
  /** Group mode: deleted entries pending under a consumer merged away, not acknowledged yet (RedisStreamPosition.lost). */
  lost: RedisLostEntry[];
}

interface Fetched {
  readonly state: SplitState;
  readonly id: string;
  /** null: the entry was deleted while pending (trimmed, XDEL); it is reported lost. */
  readonly fields: Buffer[] | null;
  /** A deleted entry that was pending under a consumer merged into this one (position.lost): that entry. */
  readonly from?: RedisLostEntry;
  /** Plain: a range of entries deleted before they were read: reported lost, nothing delivered. */
  readonly lost?: StreamEntriesLostError;
  /** Plain: the entries-added count accounted for once this is delivered, when known. */
  readonly added?: number | undefined;
}

interface Mark {
  readonly checkpointId: number;
  readonly lastIds: ReadonlyMap<SplitState, string>;
}

type StreamReply = [Buffer, [Buffer, Buffer[] | null][]][] | null;

/**
 * Read sizes and the block time, as the reader takes them: `fromRedisStreams` calls this while the job is built, so a
 * bad value fails there rather than in each subtask's reader (where a job that checkpoints restarted on it).
 */
export function checkRedisReadOptions(o: { count?: unknown; blockMs?: unknown; highWater?: unknown }, what: string): void {
  const count = o.count ?? 500;
  const blockMs = o.blockMs ?? 1000;
  const highWater = o.highWater ?? (isNumber(count) ? 4 * count : 1);
  // BLOCK 0 waits forever on a quiet stream: a command timeout would fail it, and without one a dead server
  // holds the source silently; a long blockMs is what it was for.
  if (!(isNumber(count) && count >= 1) || !(isNumber(blockMs) && blockMs > 0) || !(isNumber(highWater) && highWater >= 1)) throw new ConnectorOptionError(`${what}: count and highWater must be >= 1, blockMs > 0 (got count ${shownValue(o.count)}, blockMs ${shownValue(o.blockMs)}, highWater ${shownValue(o.highWater)}; Redis's BLOCK 0 waits forever, which a command timeout cannot tell from a stopped server: give a long blockMs instead)`);
}

export class RedisStreamReader<T> implements SourceReader<T> {
  readonly rewindable = true;
  private readonly states: SplitState[];
  private readonly decode: EntryDecoder<T>;
  private readonly group: string | undefined;
  private readonly count: number;
  private readonly blockMs: number;
  private readonly highWater: number;
  private readonly where: string;
  private readonly clients: Redis[] = [];
  private ackClient: Redis | undefined;
  private readonly wakeup = new Wakeup();
  private readonly room = new Wakeup();
  private readonly queue = new RecordQueue<Fetched>();
  private marks: Mark[] = [];
  private failure: Error | undefined;
  private closed = false;
  private readonly loops: Promise<void>[] = [];
  /** Per-split watermarks: told the stream of each run of entries (trackSplits). */
  private tracker: SplitTracker | undefined;
  /** The split the tracker was last switched to. */
  private trackedAt: SplitState | undefined;

  constructor(splits: readonly SourceSplit[], private readonly options: RedisStreamReaderOptions<T>) {
    const checked = splits.map(checkRedisStreamSplit);
    this.decode = options.decode ?? jsonField<T>('data');
    this.group = options.group;
    this.count = options.count ?? 500;
    this.blockMs = options.blockMs ?? 1000;
    this.highWater = options.highWater ?? 4 * this.count;
    this.where = describeConnection(options.connection);
    checkRedisReadOptions(options, 'redis source');
    const grouped = checked.filter((s) => s.position.consumer !== undefined).length;
    if (grouped !== 0 && grouped !== checked.length) throw new ConnectorOptionError('redis source: splits mix consumer-group and plain reading');
    if (grouped > 0 && (typeof this.group !== 'string' || this.group.length === 0)) throw new ConnectorOptionError('redis source: the splits name consumers, so `group` is required');
    if (grouped === 0 && this.group !== undefined) throw new ConnectorOptionError('redis source: `group` is set but the splits name no consumers (enumerate them with a group)');
    this.states = checked.map((s: RedisStreamSplit) => ({ id: s.id, stream: s.position.stream, consumer: s.position.consumer, lastDelivered: s.position.lastId, added: s.position.added, unacked: [], lost: [...s.position.lost ?? []] }));
    // One connection per consumer (plain reading: one for all): each holds its blocking read.
    const byConsumer = new Map<string | undefined, SplitState[]>();
    for (const st of this.states) {
      const list = byConsumer.get(st.consumer) ?? [];
      if (list.some((o) => o.stream === st.stream)) throw new ConnectorOptionError(`redis source: stream ${st.stream} is assigned twice to one reader`);
      list.push(st);
      byConsumer.set(st.consumer, list);
    }
    for (const [consumer, states] of byConsumer) {
      // Its reads wait up to blockMs on the server by design: beyond that, the command timeout.
      const client = createRedisClient(options.connection, `sluice-source${consumer ? `-${consumer}` : ''}`, this.blockMs);
      this.clients.push(client);
      this.loops.push(this.run(client, consumer, states).catch(async (e: unknown) => this.fail(await this.groupGone(e, client, states), client)));
    }
  }

  /** Every stream is read at once, so each holds event time back from the start (until it idles). */
  trackSplits(tracker: SplitTracker): void {
    this.tracker = tracker;
    for (const st of this.states) tracker.add(st.id);
  }

  read(emit: (v: T) => void, max: number, invalid: (bad: BadRecord) => void): SourceStatus {
    // Per-split watermarks: the tracker hears of each run of one stream's entries (a reply holds them stream by stream).
    const tracker = this.tracker;
    let k = 0;
    while (k < max && this.queue.size > 0) {
      const f = this.queue.take();
      k++;
      if (tracker !== undefined && f.state !== this.trackedAt) {
        this.trackedAt = f.state;
        tracker.switchTo(f.state.id);
      }
      if (f.lost !== undefined) {
        // Plain reading only: the position moves past the range, so a restore does not report it again.
        [f.state.lastDelivered, f.state.added] = [f.id, f.added];
        invalid({ raw: '', error: f.lost, position: f.lost.location.source });
        continue;
      }
      if (f.fields !== null) {
        const d = decodeEntry(f.state.stream, f.id, f.fields, this.decode);
        if (d.ok) emit(d.value);
        else invalid(d.bad);
      } else {
        invalid({ raw: '', error: new StreamEntriesLostError(f.state.stream, { upTo: f.id, count: 1 }, `pending entry ${f.id} of stream '${f.state.stream}' was deleted (XTRIM, MAXLEN or XDEL) before ${this.pendingUnder(f)}`), position: `${f.state.stream}/${f.id}` });
      }
      f.state.lastDelivered = f.id;
      if (f.added !== undefined) f.state.added = f.added;
      if (f.state.consumer !== undefined) f.state.unacked.push(f.id);
    }
    if (this.queue.size < this.highWater) this.room.notify();
    if (k > 0) return SOURCE_MORE;
    if (this.failure !== undefined) throw this.failure;
    return SOURCE_WAIT;
  }

  ready(): Promise<void> {
    if (this.queue.size > 0 || this.failure !== undefined) return Promise.resolve();
    return this.wakeup.wait();
  }

  /** Who had a deleted pending entry: this consumer, or one merged into it (that one read it, not this one). */
  private pendingUnder(f: Fetched): string {
    const group = `group '${this.group}'`;
    if (f.from === undefined) return `consumer '${f.state.consumer}' of ${group} delivered it again`;
    const merged = `its pending entries went to consumer '${f.state.consumer}' on a fresh start at a lower parallelism`;
    if (f.from.consumer !== undefined) return `consumer '${f.from.consumer}' of ${group} delivered it again (${merged})`;
    return `a consumer of ${group} delivered it again (${merged}; which consumer is unknown: the checkpoint, of an older sluice, did not say)`;
  }

  /**
   * Positions after the last delivered entry. In group mode the entries delivered up to here are acknowledged
   * when checkpoint `checkpointId` completes; a final state (-1) acknowledges nothing (they stay pending until a
   * restore sorts them out).
   */
  snapshot(checkpointId: number): RedisStreamSplit[] {
    if (this.group !== undefined && checkpointId >= 0) {
      this.marks.push({ checkpointId, lastIds: new Map(this.states.map((s) => [s, s.lastDelivered])) });
    }
    return this.states.map((s) => ({
      id: s.id,
      position: { stream: s.stream, lastId: s.lastDelivered, ...(s.consumer === undefined ? (s.added === undefined ? {} : { added: s.added }) : { consumer: s.consumer, group: this.group!, ...(s.lost.length === 0 ? {} : { lost: s.lost.map((l) => ({ ...l })) }) }) },
    }));
  }

  /**
   * Group mode: acknowledges the entries that the completed checkpoint (and every earlier one) includes. An
   * acknowledgement cut off by close() is not an error: the entries stay pending, and a restore acknowledges
   * those its checkpoint covers.
   */
  async notifyCheckpointComplete(checkpointId: number): Promise<void> {
    try {
      await this.acknowledge(checkpointId);
    } catch (e) {
      if (this.closed) return;
      if (e instanceof RedisGroupMissingError) throw e;
      const gone = this.ackClient === undefined ? e : await this.groupGone(e, this.ackClient, this.states);
      if (gone instanceof RedisGroupMissingError) throw gone;
      throw new RedisConnectorError(`redis source at ${this.where}: acknowledging checkpoint ${checkpointId} failed: ${describeRedisError(this.ackClient, e)}`, { cause: e });
    }
  }

  private async acknowledge(checkpointId: number): Promise<void> {
    const done = this.marks.filter((m) => m.checkpointId <= checkpointId);
    if (done.length === 0) return;
    this.marks = this.marks.filter((m) => m.checkpointId > checkpointId);
    const mark = done[done.length - 1]!;
    for (const st of this.states) {
      const upTo = mark.lastIds.get(st);
      if (upTo === undefined) continue;
      let n = 0;
      while (n < st.unacked.length && compareStreamIds(st.unacked[n]!, upTo) <= 0) n++;
      if (n > 0) await this.ack(st.stream, st.unacked.splice(0, n), checkpointId);
      // The reported lost entries are among those acknowledged (now or before): a consumer merged away that holds
      // none now goes. Outside `n > 0`, so a removal that failed is tried again at the next checkpoint.
      if (st.lost.length > 0 && compareStreamIds(st.lost[0]!.id, upTo) <= 0) await this.dropReported(await this.ackConnection(), st, upTo);
    }
  }

  /**
   * The lost entries up to `upTo` are acknowledged: each consumer merged away that holds none of the rest is
   * removed from the group, if nothing is pending under it (XGROUP DELCONSUMER would drop what is; checked and
   * removed in one step). Taken from st.lost only then, so a removal that failed is tried again at the next
   * checkpoint or restore.
   */
  private async dropReported(client: Redis, st: SplitState, upTo: string): Promise<void> {
    const rest = st.lost.filter((l) => compareStreamIds(l.id, upTo) > 0);
    const done = new Set(st.lost.filter((l) => compareStreamIds(l.id, upTo) <= 0).map((l) => l.consumer));
    for (const consumer of done) {
      // Unknown (an older sluice's checkpoint): kept, as that sluice did, until a fresh start finds it holding nothing.
      if (consumer === undefined || rest.some((l) => l.consumer === consumer)) continue;
      await removeIdleConsumer(client, st.stream, this.group!, consumer);
    }
    st.lost = rest;
  }

  /** Entries buffered and not yet handed out. */
  get buffered(): number {
    return this.queue.size;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const c of this.clients) c.disconnect();
    this.ackClient?.disconnect();
    this.room.notify();
    await Promise.all(this.loops);
  }

  /**
   * XACK answers 0 for a group that is gone as for ids already acknowledged (claimed by another consumer and
   * acknowledged there): fewer than sent, the group is checked, so a gone one fails the job instead of every
   * later acknowledgement doing nothing.
   */
  private async ack(stream: string, ids: string[], checkpointId: number): Promise<void> {
    const client = await this.ackConnection();
    for (let i = 0; i < ids.length; i += 1000) {
      const chunk = ids.slice(i, i + 1000);
      const acked = await client.xack(stream, this.group!, ...chunk) as number;
      if (acked >= chunk.length) continue;
      const missing = await this.groupMissing(client, this.states.filter((s) => s.stream === stream), `XACK of checkpoint ${checkpointId} acknowledged ${acked} of ${chunk.length} entries`);
      if (missing !== undefined) throw missing;
    }
  }

  private async ackConnection(): Promise<Redis> {
    if (this.ackClient === undefined) {
      this.ackClient = createRedisClient(this.options.connection, 'sluice-source-ack');
      await connectRedis(this.ackClient);
    }
    return this.ackClient;
  }

  private async run(client: Redis, consumer: string | undefined, states: SplitState[]): Promise<void> {
    await connectRedis(client);
    const keys = states.map((s) => s.stream);
    if (consumer !== undefined) {
      for (const st of states) await this.redeliverPending(client, consumer, st);
    }
    const cursors = states.map((s) => s.lastDelivered);
    // Plain: the entries-added count the cursor accounts for (undefined: not known yet), and the cursor when it
    // was last exact (where a loss found later may have begun).
    const accounted = states.map((s) => s.added);
    const checkedAt = states.map((s) => s.lastDelivered);
    // Plain: streams whose last read was not full (caught up), whose next read may wait for entries.
    const waiting = states.map(() => true);
    while (!this.closed) {
      await this.waitForRoom();
      if (this.closed) return;
      const { reply, info, after } = consumer === undefined
        ? await this.readPlain(client, keys, cursors, waiting)
        : { reply: await client.callBuffer('XREADGROUP', 'GROUP', this.group!, consumer, 'COUNT', this.count, 'BLOCK', this.blockMs, 'STREAMS', ...keys, ...keys.map(() => '>')) as StreamReply, info: [], after: [] };
      if (this.closed) return;
      for (let i = 0; i < states.length; i++) {
        const st = states[i]!;
        const entries = reply?.find(([key]) => key.toString() === keys[i])?.[1] ?? [];
        const first = entries[0]?.[0].toString();
        const last = entries[entries.length - 1]?.[0].toString();
        if (consumer === undefined) {
          const at = info[i]!;
          let known = accounted[i];
          if (at.added !== undefined && first !== undefined && first === at.first && at.length !== undefined && (at.maxDeleted === undefined || compareStreamIds(at.maxDeleted, first) < 0)) {
            // The first entry read is the stream's first, with nothing deleted after it: every entry added
            // before it is accounted for now, read or gone (a trim past the cursor is seen at once).
            const before = at.added - at.length;
            if (known !== undefined && before > known) this.queue.push({ state: st, id: cursors[i]!, fields: null, added: before, lost: this.lost(st.stream, { after: checkedAt[i]!, before: first, count: before - known }) });
            known = before;
            checkedAt[i] = cursors[i]!;
          }
          let upTo = at.lastGenerated;
          let added = at.added;
          if (last !== undefined && (upTo === undefined || compareStreamIds(last, upTo) > 0)) {
            // Entries that came while the read waited: the counts of before it do not cover them; those of right
            // after it do if nothing came since (a trim in the same breath as the adds is then said before what
            // follows). Sent with the read when the stream was caught up, else asked now.
            const now = after[i] ?? streamState(await client.call('XINFO', 'STREAM', keys[i]!).then((r) => [null, r] as [null, unknown], (e: Error) => [e, undefined] as [Error, unknown]));
            if (this.closed) return;
            [upTo, added] = now.lastGenerated === last ? [last, now.added] : [undefined, undefined];
          }
          if (upTo !== undefined && added !== undefined && (last === undefined || last === upTo)) {
            // The read reached the last id generated when XINFO ran: every entry counted is read or gone.
            const gone = known === undefined ? 0 : added - known - entries.length;
            const past = compareStreamIds(upTo, cursors[i]!) > 0 ? upTo : cursors[i]!;
            if (gone > 0) this.queue.push({ state: st, id: last === undefined ? past : cursors[i]!, fields: null, added: added - entries.length, lost: this.lost(st.stream, { after: checkedAt[i]!, upTo, count: gone }) });
            known = added - entries.length;
            // With nothing read, the ids up to the last one generated are behind the reader.
            if (last === undefined) cursors[i] = past;
            checkedAt[i] = past;
          }
          for (const [id, fields] of entries) this.queue.push({ state: st, id: id.toString(), fields, added: known === undefined ? undefined : ++known });
          accounted[i] = known;
          if (last !== undefined) cursors[i] = last;
          waiting[i] = entries.length < this.count;
        } else {
          for (const [id, fields] of entries) this.queue.push({ state: st, id: id.toString(), fields });
        }
      }
      if (this.queue.size > 0) this.wakeup.notify();
    }
  }

  private lost(stream: string, range: { after: string; upTo?: string; before?: string; count?: number }): StreamEntriesLostError {
    const { after, upTo, before, count } = range;
    const what = count === undefined ? 'entries' : count === 1 ? '1 entry' : `${count} entries`;
    const to = upTo !== undefined ? `up to ${upTo}` : `before ${before}`;
    return new StreamEntriesLostError(stream, range, `stream '${stream}' at ${this.where} lost ${what} after ${after} ${to}: deleted (XTRIM, MAXLEN, XDEL) before this source read them`);
  }

  /**
   * XINFO STREAM of each stream, then the blocking XREAD after the cursors, in one round trip. The counts are
   * those of before the read: what was added later is read beyond them, what was deleted meanwhile counts as
   * lost, rightly (it was never read). For the streams in `waiting` (caught up: the read may wait for entries),
   * XINFO STREAM again after the read, still in the same round trip: the server runs it once the read is served,
   * so the counts that cover entries that came while it waited need no round trip of their own.
   */
  private async readPlain(client: Redis, keys: readonly string[], cursors: readonly string[], waiting: readonly boolean[]): Promise<{ reply: StreamReply; info: StreamState[]; after: (StreamState | undefined)[] }> {
    // Sent in order on the one connection without awaiting each: ioredis's pipeline object cost a third of the
    // throughput on a reader's busiest path (200,000 small entries: 1.2 s, 2.0 s with it).
    const xinfo = (k: string): Promise<[Error | null, unknown]> => client.call('XINFO', 'STREAM', k).then((r) => [null, r] as [null, unknown], (e: Error) => [e, undefined] as [Error, unknown]);
    const infos = keys.map(xinfo);
    const read = client.callBuffer('XREAD', 'COUNT', this.count, 'BLOCK', this.blockMs, 'STREAMS', ...keys, ...cursors) as Promise<StreamReply>;
    const afters = keys.map((k, i) => (waiting[i] ? xinfo(k) : undefined));
    const reply = await read;
    const replies = await Promise.all(infos);
    const after = await Promise.all(afters);
    return { reply, info: keys.map((_, i) => streamState(replies[i])), after: after.map((r) => (r === undefined ? undefined : streamState(r))) };
  }

  /**
   * Restore in group mode: pending entries up to the restored position are done; later ones go out again. So do
   * the deleted entries of consumers merged into this one (st.lost), in id order among them: reported up to the
   * position (acknowledged here, removing them from the other consumer's pending list, and that consumer once it
   * holds none), to report after it.
   */
  private async redeliverPending(client: Redis, consumer: string, st: SplitState): Promise<void> {
    const reported = st.lost.filter((l) => compareStreamIds(l.id, st.lastDelivered) <= 0);
    if (reported.length > 0) {
      await client.xack(st.stream, this.group!, ...reported.map((l) => l.id));
      await this.dropReported(client, st, st.lastDelivered);
    }
    const lost = [...st.lost];
    const pushLost = (before: string | undefined): void => {
      while (lost.length > 0 && (before === undefined || compareStreamIds(lost[0]!.id, before) < 0)) {
        const l = lost.shift()!;
        this.queue.push({ state: st, id: l.id, fields: null, from: l });
      }
    };
    let from = '0-0';
    while (!this.closed) {
      await this.waitForRoom();
      const reply = await client.callBuffer('XREADGROUP', 'GROUP', this.group!, consumer, 'COUNT', this.count, 'STREAMS', st.stream, from) as StreamReply;
      const entries = reply?.[0]?.[1] ?? [];
      if (entries.length === 0) break;
      const done: string[] = [];
      for (const [idBuf, fields] of entries) {
        const id = idBuf.toString();
        if (compareStreamIds(id, st.lastDelivered) <= 0) done.push(id);
        else {
          pushLost(id);
          this.queue.push({ state: st, id, fields });
        }
        from = id;
      }
      if (done.length > 0) await client.xack(st.stream, this.group!, ...done);
      this.wakeup.notify();
    }
    pushLost(undefined);
    this.wakeup.notify();
  }

  private async waitForRoom(): Promise<void> {
    while (!this.closed && this.queue.size >= this.highWater) await this.room.wait();
  }

  /**
   * Group mode: a read that failed because the group is gone from a stream (NOGROUP, or UNBLOCKED when the key
   * went while a read waited on it) is a RedisGroupMissingError naming the streams, once XINFO GROUPS says so;
   * other errors, and one whose check fails, are as they came. Redis 6 wraps an error raised in a script (the
   * consumer removal's) as "ERR Error running script ...: @user_script:1: NOGROUP ...".
   */
  private async groupGone(e: unknown, client: Redis, states: readonly SplitState[]): Promise<unknown> {
    const m = this.group === undefined || this.closed ? null : /(?:^|: )(NOGROUP) |^(UNBLOCKED) the stream key no longer exists/.exec((e as Error)?.message ?? '');
    if (m === null) return e;
    // A check that fails says nothing of the group: the read's error stands (a restart may get through).
    return await this.groupMissing(client, states, m[1] ?? m[2]!, e).catch(() => undefined) ?? e;
  }

  /** The streams of `states` without the group, as a RedisGroupMissingError saying `why`; undefined: none. A failed check throws. */
  private async groupMissing(client: Redis, states: readonly SplitState[], why: string, cause?: unknown): Promise<RedisGroupMissingError | undefined> {
    const streams = await streamsWithoutGroup(client, [...new Set(states.map((s) => s.stream))], this.group!);
    if (streams.length === 0) return undefined;
    const positions = states.filter((s) => streams.includes(s.stream)).map((s) => ({ stream: s.stream, consumer: s.consumer!, lastId: s.lastDelivered }));
    return new RedisGroupMissingError(streams[0]!, this.group!, `redis source at ${this.where}: ${groupMissingMessage(undefined, streams, this.group!, positions, true)} (${why})`, cause === undefined ? undefined : { cause });
  }

  private fail(e: unknown, client: Redis): void {
    if (this.closed) return;
    this.failure ??= e instanceof RedisGroupMissingError ? e : new RedisConnectorError(`redis source at ${this.where}: ${describeRedisError(client, e)}`, { cause: e });
    this.wakeup.notify();
  }
}

/** What XINFO STREAM said at the read (undefined: no such key, or a Redis before 7 for the counts). */
interface StreamState {
  readonly lastGenerated: string | undefined;
  /** entries-added: every entry ever added. */
  readonly added: number | undefined;
  readonly length: number | undefined;
  /** The first entry's id. */
  readonly first: string | undefined;
  /** max-deleted-entry-id (XDEL; a trim leaves it), undefined when none. */
  readonly maxDeleted: string | undefined;
}

function streamState(result: [Error | null, unknown] | undefined): StreamState {
  const [error, reply] = result ?? [null, undefined];
  // No such key: nothing was added yet that a reader could miss (a stream is created by its first XADD).
  if (error && /no such key/i.test(error.message)) return { lastGenerated: undefined, added: undefined, length: undefined, first: undefined, maxDeleted: undefined };
  if (error) throw error;
  const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
  const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
  const maxDeleted = str(field(reply, 'max-deleted-entry-id'));
  const firstEntry = field(reply, 'first-entry');
  return {
    lastGenerated: str(field(reply, 'last-generated-id')),
    added: num(field(reply, 'entries-added')),
    length: num(field(reply, 'length')),
    first: Array.isArray(firstEntry) ? str(firstEntry[0]) : undefined,
    maxDeleted: maxDeleted === '0-0' ? undefined : maxDeleted,
  };
}

/** A field of an XINFO reply (a flat name, value, ... list). */
function field(flat: unknown, name: string): unknown {
  if (!Array.isArray(flat)) return undefined;
  for (let j = 0; j + 1 < flat.length; j += 2) if (String(flat[j]) === name) return flat[j + 1];
  return undefined;
}
