// Runs on: the worker thread of the producing subtask.
//
// The end of a chain that feeds another task: routes each record to a consumer subtask (forward, hash by key
// group, rebalance or broadcast) and writes it into that subtask's ring without ever waiting. When a ring is
// full the record is held, later ones queue behind it in order, and the subtask reports itself blocked: the
// thread runs its other tasks and parks on its doorbell until the consumer frees space. A record's timestamp
// (TaskContext.timestamp) travels with it; watermarks and idle status go to every consumer, in order. An
// unaligned checkpoint barrier is the exception: it goes ahead of everything waiting (overtake), in the rings'
// barrier lane, and what it passed is the checkpoint's channel state.

import type { ChannelWriter } from '../shm/channel.js';
import type { TaskContext } from '../core/operators/task-context.js';
import { MIN_WATERMARK } from '../core/time/watermark.js';
import { STREAM_ACTIVE, STREAM_IDLE, STREAM_UNTOLD } from '../core/time/stream-status.js';
import type { ControlFrame } from '../shm/codec/control.js';
import type { Downstream } from '../core/operators/operator.js';
import type { Partitioner } from '../core/graph/logical-graph.js';
import { hashKey, subtaskForKeyGroup } from '../core/graph/key-groups.js';
import { canonicalKey, type UserKey } from '../core/graph/tuple-key.js';
import { RecordTooLargeError, SchemaMismatchError } from '../shm/errors.js';
import { OUTPUT, type InFlightRecord } from '../core/checkpoint/messages.js';

/**
 * Where the exchange rejected a record: its keyBy's key selector threw, its partitionCustom's key selector or
 * partitioner threw or named no subtask, or its typed codec did not fit it.
 */
export type BadRecordAt = 'key' | 'partition' | 'codec';

type Queued =
  | { v: unknown; t: number; c?: undefined; b?: undefined; p?: undefined; d?: undefined }
  /**
   * `p`: an unaligned barrier, always at the queue's front, written in the barrier lane before the held record.
   * `d`: a dead-letter gate's aligned barrier deferred until the subtask's other gates have sent theirs (release).
   */
  | { c: ControlFrame; p?: boolean; d?: boolean; v?: undefined; b?: undefined }
  | { b: unknown[]; ts: number[]; v?: undefined; c?: undefined; p?: undefined; d?: undefined };

export class OutputGate<T> implements Downstream<T> {
  /** Writers indexed by consumer subtask (forward: the one writer at index 0). */
  readonly writers: ChannelWriter<T>[];
  private readonly queues: Queued[][];
  /** Records gathered per writer for the next batch frame (batching on); not yet encoded, not backlog. */
  private readonly open: T[][];
  /** Their timestamps (NaN where none). */
  private readonly openTs: number[][];
  /** The last watermark sent on (what the chain emits: the task's watermark metric). */
  lastWatermark = MIN_WATERMARK;
  /** Whether the last status sent on was idleness (core/time/stream-status.ts: the task's idle metric). */
  streamStatus = STREAM_UNTOLD;
  private backlog = 0;
  private next: number;
  /** The channel controlOne sends to next. */
  private nextControl = 0;
  /** Writers whose rings we asked to ring our doorbell (cleared exactly, so no flag stays set). */
  private readonly announced: boolean[];
  recordsOut = 0;
  /** Items written out of the backlog so far: lets the park re-check tell that draining did work. */
  drained = 0;
  /**
   * A record too large for the ring: handled by the emitting operator's error policy when set (drop or dead
   * letter, wired by the task host), else the RecordTooLargeError fails the task. Nothing of the record is held.
   */
  onTooLarge: ((value: unknown, error: RecordTooLargeError) => void) | undefined = undefined;
  /**
   * A record the exchange cannot take (BadRecordAt): set by the task host, so the error names the operator that
   * emitted it and that operator's error policy decides; unset, the error fails the task as it is.
   */
  onBadRecord: ((value: unknown, error: unknown, at: BadRecordAt) => void) | undefined = undefined;
  /**
   * A record too large for the ring or that its codec rejects is written as what this returns, in its place
   * (dead letters: a preview of the record). Before `onTooLarge` and `onBadRecord`. In place, since pushing the
   * replacement anew could put it behind an end of stream already queued (the channel then refuses it).
   */
  substitute: ((value: unknown, error: RecordTooLargeError | SchemaMismatchError) => unknown) | undefined = undefined;
  /**
   * The gate carries dead letters, which the other gates of its subtask make while they drain: the subtask ends it
   * after them (Subtask.endLetters).
   */
  carriesDeadLetters = false;
  /**
   * The subtask's dead-letter gates (set on its other gates). A record this gate rejects while it drains may have
   * been emitted before an aligned barrier still queued behind it (a batch split at the barrier): its dead letter
   * must reach the dead-letter gate ahead of that barrier too, or a restore from the checkpoint loses it. Those gates
   * then defer the barrier (controlDeferred) and take such letters before it.
   */
  letters: OutputGate<unknown>[] = [];
  /** Dead-letter gate: deferred barrier items in its queues. */
  private deferred = 0;
  /** Dead-letter gate: the letter being pushed now belongs before this checkpoint's deferred barrier. */
  private letterBefore: number | undefined = undefined;
  /** While draining: the writer and queue index of the item being written (where a rejection came from). */
  private drainWriter = -1;
  private drainAt = -1;

  constructor(
    private readonly ctx: TaskContext,
    writers: ChannelWriter<T>[],
    private readonly partitioner: Partitioner,
    /** The selector as the user wrote it: its key is hashed in canonical form (a tuple as one string). */
    private readonly key: ((v: T) => UserKey) | undefined,
    private readonly maxParallelism: number,
    subtask: number,
    /** Records per batch frame; 1 sends every record in its own frame (the writers must allow batches if > 1). */
    private readonly batchMax = 1,
    /** 'custom': the consumer subtask of a key (partitionCustom). */
    private readonly partition?: (key: UserKey, parallelism: number) => number,
  ) {
    this.writers = writers;
    this.queues = writers.map(() => []);
    this.open = writers.map(() => []);
    this.openTs = writers.map(() => []);
    this.announced = writers.map(() => false);
    this.next = subtask % writers.length;
  }

  /** True while some record or control frame waits for ring space. */
  get blocked(): boolean {
    return this.backlog > 0;
  }

  push(value: T): void {
    this.recordsOut++;
    const w = this.writers;
    switch (this.partitioner) {
      case 'forward':
        this.send(0, value);
        return;
      case 'hash': {
        let kg: number;
        try {
          kg = hashKey(canonicalKey(this.key!(value))) % this.maxParallelism;
        } catch (e) {
          this.badRecord(value, e, 'key');
          return;
        }
        this.send(subtaskForKeyGroup(kg, this.maxParallelism, w.length), value);
        return;
      }
      case 'rebalance':
        this.send(this.next, value);
        this.next = this.next + 1 === w.length ? 0 : this.next + 1;
        return;
      case 'broadcast':
        for (let i = 0; i < w.length; i++) this.send(i, value);
        return;
      case 'shuffle':
        this.send(Math.floor(Math.random() * w.length), value);
        return;
      case 'global':
        this.send(0, value);
        return;
      case 'custom': {
        let to: number;
        try {
          to = this.partition!(this.key!(value), w.length);
        } catch (e) {
          this.badRecord(value, e, 'partition');
          return;
        }
        if (!(Number.isInteger(to) && to >= 0 && to < w.length)) {
          this.badRecord(value, new Error(`the partitioner returned ${String(to)}, not a subtask from 0 to ${w.length - 1}`), 'partition');
          return;
        }
        this.send(to, value);
      }
    }
  }

  private send(i: number, value: T): void {
    if (this.deferred > 0 && this.letterBefore !== undefined && this.insertBefore(i, value, this.letterBefore)) return;
    if (this.batchMax > 1) {
      const o = this.open[i]!;
      o.push(value);
      this.openTs[i]!.push(this.ctx.timestamp);
      if (o.length >= this.batchMax) this.sendOpen(i);
      return;
    }
    this.sendOne(i, value, this.ctx.timestamp);
  }

  private sendOne(i: number, value: T, ts: number): void {
    const w = this.writers[i]!;
    if (this.queues[i]!.length > 0 || w.hasPending) {
      this.queues[i]!.push({ v: value, t: ts });
      this.backlog++;
    } else if (!this.tryWrite(w, value, ts)) {
      this.backlog++;
    }
  }

  /**
   * `w.tryWrite`, with a record too large for the ring handed to `onTooLarge`, and one its codec rejects to
   * `onBadRecord` (then: true, nothing held).
   */
  private tryWrite(w: ChannelWriter<T>, value: T, ts: number): boolean {
    try {
      return w.tryWrite(value, ts);
    } catch (e) {
      this.ctx.timestamp = ts;
      if (this.substitute !== undefined && (e instanceof SchemaMismatchError || e instanceof RecordTooLargeError)) {
        return this.tryWrite(w, this.substitute(value, e) as T, ts);
      }
      if (e instanceof SchemaMismatchError && this.onBadRecord !== undefined) {
        this.badRecord(value, e, 'codec');
        return true;
      }
      if (!(e instanceof RecordTooLargeError) || this.onTooLarge === undefined) throw e;
      this.tooLarge(value, e);
      return true;
    }
  }

  /** `w.retryPending`, with a held record its codec rejects (found only now, as it is written) to `onBadRecord`. */
  private retryHeld(w: ChannelWriter<T>): boolean {
    const held = w.heldValue;
    try {
      return w.retryPending();
    } catch (e) {
      if (!(e instanceof SchemaMismatchError) || this.onBadRecord === undefined) throw e;
      this.badRecord(held, e, 'codec');
      return true;
    }
  }

  private badRecord(value: unknown, e: unknown, at: BadRecordAt): void {
    this.recordsOut--;
    if (this.onBadRecord === undefined) throw e;
    const onBadRecord = this.onBadRecord;
    this.rejectDrained(() => onBadRecord(value, e, at));
  }

  private tooLarge(value: unknown, e: RecordTooLargeError): void {
    this.recordsOut--;
    const onTooLarge = this.onTooLarge!;
    this.rejectDrained(() => onTooLarge(value, e));
  }

  /** Runs a rejection; while draining, its dead letter goes ahead of the barrier queued behind the item (`letters`). */
  private rejectDrained(reject: () => void): void {
    const before = this.barrierBehind();
    if (before === undefined) {
      reject();
      return;
    }
    for (const l of this.letters) l.letterBefore = before;
    try {
      reject();
    } finally {
      for (const l of this.letters) l.letterBefore = undefined;
    }
  }

  /**
   * While draining, the checkpoint of the first aligned barrier queued behind the item being written: a record
   * rejected now was emitted before it, and so must its dead letter be sent (see `letters`).
   */
  private barrierBehind(): number | undefined {
    if (this.letters.length === 0 || this.drainWriter < 0) return undefined;
    const q = this.queues[this.drainWriter]!;
    for (let k = this.drainAt + 1; k < q.length; k++) {
      const item = q[k]!;
      if (item.c !== undefined && item.c.type === 'barrier' && item.p !== true) return item.c.checkpointId;
    }
    return undefined;
  }

  /** Sends the records gathered for writer i as one batch frame, behind anything already waiting. */
  private sendOpen(i: number): void {
    const batch = this.open[i]!;
    if (batch.length === 0) return;
    const ts = this.openTs[i]!;
    this.open[i] = [];
    this.openTs[i] = [];
    const w = this.writers[i]!;
    if (this.queues[i]!.length > 0 || w.hasPending) {
      this.queues[i]!.push({ b: batch, ts });
      this.backlog++;
      return;
    }
    const r = this.tryBatch(w, i, batch, ts, 0);
    if (r === false) this.backlog++;
  }

  /**
   * Writes a batch frame: true written, false held by the writer. A batch over the ring's frame limit, or with a
   * record its codec rejects, is split into single-record items queued at `at`: each then fits on its own, or
   * goes alone to `onTooLarge` / `onBadRecord` (a rejected batch used to fail the task, whatever the policy).
   * Batches are generic-codec only, which rejects a record in size(), before anything is reserved or sent.
   */
  private tryBatch(w: ChannelWriter<T>, i: number, batch: unknown[], ts: number[], at: number): boolean | 'split' {
    try {
      return w.tryWriteBatch(batch as T[], ts);
    } catch (e) {
      const rejected = e instanceof SchemaMismatchError && (this.onBadRecord !== undefined || this.substitute !== undefined);
      if (!(e instanceof RecordTooLargeError) && !rejected) throw e;
      if (batch.length === 1) {
        this.ctx.timestamp = ts[0]!;
        if (this.substitute !== undefined) return this.tryWrite(w, this.substitute(batch[0], e as RecordTooLargeError | SchemaMismatchError) as T, ts[0]!);
        if (rejected) {
          this.badRecord(batch[0], e, 'codec');
          return true;
        }
        if (this.onTooLarge === undefined) throw e;
        this.tooLarge(batch[0], e as RecordTooLargeError);
        return true;
      }
      this.queues[i]!.splice(at, 0, ...batch.map((v, k) => ({ v, t: ts[k]! })));
      this.backlog += batch.length;
      return 'split';
    }
  }

  /** Event time reached `watermark`: tell every consumer (only when it moved). */
  watermark(watermark: number): void {
    if (watermark <= this.lastWatermark) return;
    this.lastWatermark = watermark;
    this.streamStatus = STREAM_ACTIVE;
    this.control({ type: 'watermark', timestamp: watermark });
  }

  idle(idle: boolean): void {
    this.streamStatus = idle ? STREAM_IDLE : STREAM_ACTIVE;
    this.control({ type: 'idleness', idle });
  }

  /** Sends a control frame to every consumer subtask, in order with the records. */
  control(frame: ControlFrame): void {
    for (let i = 0; i < this.open.length; i++) this.sendOpen(i);
    for (let i = 0; i < this.writers.length; i++) {
      const w = this.writers[i]!;
      if (this.queues[i]!.length > 0 || w.hasPending || !w.tryControl(frame)) {
        this.queues[i]!.push({ c: frame });
        this.backlog++;
      }
    }
  }

  /**
   * Dead-letter gate: queues an aligned barrier that stays until `release`, while the subtask's other gates still
   * hold records emitted before it (their rejections become letters that belong ahead of it: `letters`).
   */
  controlDeferred(barrier: ControlFrame): void {
    for (let i = 0; i < this.open.length; i++) this.sendOpen(i);
    for (let i = 0; i < this.writers.length; i++) {
      this.queues[i]!.push({ c: barrier, d: true });
      this.backlog++;
      this.deferred++;
    }
  }

  /** Dead-letter gate: deferred barriers of checkpoints below `checkpointId` may go out now. */
  release(checkpointId: number): void {
    if (this.deferred === 0) return;
    for (const q of this.queues) {
      for (const item of q) {
        if (item.d === true && item.c!.type === 'barrier' && item.c!.checkpointId < checkpointId) {
          item.d = false;
          this.deferred--;
        }
      }
    }
  }

  /** Dead-letter gate: some barrier is deferred. */
  get deferring(): boolean {
    return this.deferred > 0;
  }

  /** The lowest checkpoint whose aligned barrier still waits in a queue here (Infinity: none). */
  pendingBarrier(): number {
    let min = Infinity;
    if (this.backlog === 0) return min;
    for (const q of this.queues) {
      for (const item of q) {
        if (item.c !== undefined && item.c.type === 'barrier' && item.p !== true && item.c.checkpointId < min) min = item.c.checkpointId;
      }
    }
    return min;
  }

  /** Dead-letter gate: queues a letter ahead of the deferred barrier of checkpoint `before`; false if none waits. */
  private insertBefore(i: number, value: T, before: number): boolean {
    const q = this.queues[i]!;
    for (let k = 0; k < q.length; k++) {
      const item = q[k]!;
      if (item.d === true && item.c!.type === 'barrier' && item.c!.checkpointId >= before) {
        q.splice(k, 0, { v: value, t: this.ctx.timestamp });
        this.backlog++;
        return true;
      }
    }
    return false;
  }

  /**
   * Sends a control frame to one consumer subtask, round-robin, in order with that channel's records: latency
   * markers, which sample the paths through the job rather than flood every channel (Flink's randomEmit).
   */
  controlOne(frame: ControlFrame): void {
    const i = this.nextControl;
    this.nextControl = i + 1 === this.writers.length ? 0 : i + 1;
    this.sendOpen(i);
    const w = this.writers[i]!;
    if (this.queues[i]!.length > 0 || w.hasPending || !w.tryControl(frame)) {
      this.queues[i]!.push({ c: frame });
      this.backlog++;
    }
  }

  /**
   * Sends an unaligned checkpoint barrier ahead of everything waiting for ring space: the record a writer holds,
   * the queue, the open batch. Those were emitted before the snapshot but reach the consumer after the barrier,
   * so they are the checkpoint's channel state: appended to `state` as OUTPUT items of gate `gate`, in order
   * (barriers and latency markers among them are not: a restore must not send an old checkpoint's barrier).
   */
  overtake(barrier: ControlFrame, gate: number, state: InFlightRecord[]): void {
    for (let i = 0; i < this.writers.length; i++) {
      const w = this.writers[i]!;
      const held = w.heldItem();
      if (held !== undefined) {
        for (let k = 0; k < held.values.length; k++) state.push({ input: OUTPUT, output: gate, writer: i, value: held.values[k], timestamp: held.timestamps[k]! });
      }
      const q = this.queues[i]!;
      for (const item of q) {
        if (item.b !== undefined) {
          for (let k = 0; k < item.b.length; k++) state.push({ input: OUTPUT, output: gate, writer: i, value: item.b[k], timestamp: item.ts[k]! });
        } else if (item.c !== undefined) {
          if (item.c.type === 'watermark' || item.c.type === 'idleness') state.push({ input: OUTPUT, output: gate, writer: i, value: null, timestamp: NaN, control: item.c });
        } else {
          state.push({ input: OUTPUT, output: gate, writer: i, value: item.v, timestamp: item.t });
        }
      }
      const open = this.open[i]!;
      const openTs = this.openTs[i]!;
      for (let k = 0; k < open.length; k++) state.push({ input: OUTPUT, output: gate, writer: i, value: open[k], timestamp: openTs[k]! });
      // The lane holds a few barriers: full while earlier ones wait unread, or while one large record took the
      // whole ring (an empty ring takes any block). Then the barrier waits at the queue's front, still ahead of
      // the held record (drain writes it first).
      if ((q.length > 0 && q[0]!.p === true) || !w.tryPriorityControl(barrier)) {
        let at = 0;
        while (at < q.length && q[at]!.p === true) at++;
        q.splice(at, 0, { c: barrier, p: true });
        this.backlog++;
      }
    }
  }

  /** A restored unaligned checkpoint's OUTPUT items for writer `writer`: queued to go out before anything else. */
  restoreQueued(writer: number, item: InFlightRecord): void {
    this.queues[writer]!.push(item.control !== undefined ? { c: item.control } : { v: item.value, t: item.timestamp });
    this.backlog++;
  }

  /** End of stream, once: side-output gates are ended by the subtask after the chain's main output. */
  finish(): void {
    if (this.ended) return;
    this.ended = true;
    this.control({ type: 'end-of-stream' });
  }

  private ended = false;

  /** Writes as much of the backlog as fits; true when nothing is held any more. */
  drain(): boolean {
    if (this.backlog === 0) return true;
    for (let i = 0; i < this.writers.length; i++) {
      const w = this.writers[i]!;
      const q = this.queues[i]!;
      // Unaligned barriers first, in the barrier lane: they overtake the held record.
      while (q.length > 0 && q[0]!.p === true) {
        if (!w.tryPriorityControl(q[0]!.c!)) break;
        q.shift();
        this.backlog--;
        this.drained++;
      }
      if (q.length > 0 && q[0]!.p === true) continue;
      this.drainWriter = i;
      this.drainAt = -1;
      if (w.hasPending) {
        if (!this.retryHeld(w)) continue;
        this.backlog--;
        this.drained++;
      }
      let k = 0;
      for (; k < q.length; k++) {
        const item = q[k]!;
        this.drainAt = k;
        if (item.b) {
          const r = this.tryBatch(w, i, item.b, item.ts, k + 1);
          // Split: its records now follow it in the queue, each counted; the batch item itself is done.
          if (r === 'split') { this.backlog--; continue; }
          if (r) { this.backlog--; this.drained++; continue; }
          // Held by the writer: it leaves the queue but stays in the backlog.
          k++;
          break;
        } else if (item.c) {
          if (item.d === true || !w.tryControl(item.c)) break;
          this.backlog--;
          this.drained++;
        } else if (this.tryWrite(w, item.v as T, item.t)) {
          this.backlog--;
          this.drained++;
        } else {
          // Held by the writer now (encoded), so it leaves the queue but stays in the backlog.
          k++;
          break;
        }
      }
      if (k > 0) q.splice(0, k);
    }
    this.drainWriter = -1;
    return this.backlog === 0;
  }

  flush(): void {
    for (let i = 0; i < this.open.length; i++) this.sendOpen(i);
    for (const w of this.writers) w.flush();
  }

  /** Asks the consumers of the rings this gate is blocked on to ring our doorbell when they free space. */
  announceBlocked(on: boolean): void {
    for (let i = 0; i < this.writers.length; i++) {
      const w = this.writers[i]!;
      if (on && (w.hasPending || this.queues[i]!.length > 0)) {
        w.producer.announceWaiting();
        this.announced[i] = true;
      } else if (!on && this.announced[i]) {
        w.producer.clearWaiting();
        this.announced[i] = false;
      }
    }
  }
}
