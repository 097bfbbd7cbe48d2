// Runs on: the producing thread (ChannelWriter) and the consuming thread (ChannelReader) of one ring.
//
// A channel is an ordered stream of records and in-band control frames (barriers, watermarks, latency markers)
// over one ring. Control frames travel in the same order as records, so a barrier or watermark separates exactly
// the records before it from those after it. End of stream closes the channel on both sides.
//
// A record may carry a timestamp (its event time, a finite number); NaN means none, and a frame of records that
// have none carries no timestamp section (frame.ts).

import { ChannelClosedError, FrameCorruptError, InvalidArgumentError, RecordTooLargeError } from './errors.js';
import type { RecordDecoder, RecordEncoder } from './codec/codec.js';
import { decodeControl, encodeControl, type ControlFrame } from './codec/control.js';
import {
  KIND_CONTROL, KIND_RECORD, KIND_RECORD_BATCH, FRAME_HEADER_BYTES, RECORD_TIMESTAMP_BYTES, batchTimestampBytes, frameLength, readFrame,
  sealFrame, writeFrameHeader, type FrameInfo,
} from './frame.js';
import type { RingConsumer, RingProducer } from './ring.js';
import { waitStrategy, type WaitStrategy } from './wait-strategy.js';

export interface ChannelOptions {
  /** How to wait on a full or empty ring; see WaitStrategy. */
  wait?: Partial<WaitStrategy>;
  /** Append a checksum to every frame and verify it on read (off by default; see frame.ts). */
  checksums?: boolean;
  /**
   * Allow batch frames: many records encoded as one array value, one codec call and one frame for the lot
   * (generic codec only: msgpackr's per-call cost dominates small records). Both ends must agree.
   */
  batches?: boolean;
}

/** Writes records and control frames into a ring. */
export class ChannelWriter<T> {
  readonly producer: RingProducer;
  readonly strategy: WaitStrategy;
  private readonly encoder: RecordEncoder<T>;
  private readonly checksums: boolean;
  private readonly batches: boolean;
  private closed = false;
  /**
   * An async write or control frame is waiting for room. Another write now would race it for the same reservation
   * (two reservations of one write position, the second commit moving it back): refused until it settles.
   */
  private waiting = false;
  /** Records written, for metrics. */
  records = 0;

  constructor(producer: RingProducer, encoder: RecordEncoder<T>, options: ChannelOptions = {}) {
    this.producer = producer;
    this.encoder = encoder;
    this.strategy = waitStrategy(options.wait);
    this.checksums = options.checksums ?? false;
    this.batches = options.batches ?? false;
    // A channel that cannot carry its own end of stream would leave its reader waiting for good.
    const end = frameLength(encodeControl({ type: 'end-of-stream' }).length, this.checksums);
    if (end > producer.ring.maxPayload) {
      throw new InvalidArgumentError(`channel: a ring of ${producer.ring.capacity} bytes cannot carry a control frame of ${end} bytes (its frame limit is half the ring): use a larger ring`);
    }
  }

  /**
   * Writes one record. In 'block' mode it returns when the record is in the ring (parking while the ring is
   * full); in 'async' mode it returns a promise only when it had to wait, so hot loops do
   * `const p = w.write(v); if (p) await p;`.
   */
  write(value: T, timestamp = NaN): void | Promise<void> {
    this.checkOpen();
    return this.writeFrame(value, KIND_RECORD, 1, timestamp, undefined);
  }

  /** Reserves (waiting per the strategy) and fills one record or batch frame. */
  private writeFrame(value: T, kind: number, count: number, ts: number, tss: readonly number[] | undefined): void | Promise<void> {
    const tsBytes = timestampBytes(kind, count, ts, tss);
    const bound = this.boundOf(value, kind, tsBytes);
    const size = bound >= 0 ? bound : this.encoder.size(value);
    const length = frameLength(size, this.checksums, tsBytes);
    const bounded = bound >= 0;
    const at = this.producer.tryReserve(length);
    if (at >= 0) return this.fill(value, at, size, kind, count, ts, tss, bounded);
    if (this.strategy.mode === 'block') return this.fill(value, this.producer.reserve(length, this.strategy), size, kind, count, ts, tss, bounded);
    return this.once(this.producer.reserveAsync(length, this.strategy), (off) => this.fill(value, off, size, kind, count, ts, tss, bounded));
  }

  /**
   * Marks the channel waiting until `reservation` settles (see `waiting`), and fills it in the same turn: a write
   * let in between (a finally() hop) would take the reservation's position again.
   */
  private once(reservation: Promise<number>, fill: (at: number) => void): Promise<void> {
    this.waiting = true;
    return reservation.then((at) => { this.waiting = false; fill(at); }, (e: unknown) => { this.waiting = false; throw e; });
  }

  /**
   * The encoder's upper bound for a record, when it offers one (RecordEncoder.bound) and the bound fits a block;
   * else -1, and the record is measured exactly.
   */
  private boundOf(value: T, kind: number, tsBytes: number): number {
    if (this.encoder.bound === undefined || kind !== KIND_RECORD) return -1;
    const bound = this.encoder.bound(value);
    return frameLength(bound, this.checksums, tsBytes) <= this.producer.ring.maxPayload ? bound : -1;
  }

  /** Fills a reserved frame of `size` body bytes; a bounded one is shrunk to what the encoder wrote. */
  private fill(value: T, at: number, size: number, kind: number, count: number, ts: number, tss: readonly number[] | undefined, bounded: boolean): void {
    const ring = this.producer.ring;
    const view = ring.view;
    const tsBytes = timestampBytes(kind, count, ts, tss);
    writeFrameHeader(view, at, kind, this.checksums, tsBytes > 0);
    let body = at + FRAME_HEADER_BYTES;
    if (tsBytes > 0) {
      if (kind === KIND_RECORD) {
        view.setFloat64(body, ts, true);
      } else {
        view.setUint32(body, count, true);
        for (let i = 0; i < count; i++) view.setFloat64(body + 4 + 8 * i, tss![i]!, true);
      }
      body += tsBytes;
    }
    if (bounded) size = this.encoder.writeBounded!(value, ring.bytes, view, body);
    else this.encoder.write(value, ring.bytes, view, body);
    if (this.checksums) sealFrame(ring.bytes, view, at + FRAME_HEADER_BYTES, tsBytes + size);
    this.producer.commit(bounded ? frameLength(size, this.checksums, tsBytes) : -1);
    this.records += count;
  }

  /** Like `write`, for a batch of records in one frame (the channel must allow batches). */
  writeBatch(values: T[], timestamps?: readonly number[]): void | Promise<void> {
    this.checkBatch(values, timestamps);
    return this.writeFrame(values as unknown as T, KIND_RECORD_BATCH, values.length, NaN, timestamps);
  }

  private checkBatch(values: T[], timestamps: readonly number[] | undefined): void {
    this.checkOpen();
    if (!this.batches) throw new InvalidArgumentError('channel: batch frames are off for this channel (option batches)');
    if (timestamps !== undefined && timestamps.length !== values.length) {
      throw new InvalidArgumentError(`channel: a batch of ${values.length} records with ${timestamps.length} timestamps`);
    }
  }

  /**
   * Like `tryWrite`, for a batch of records in one frame (the channel must allow batches). On false the batch
   * is held like a single record. A batch larger than the ring's frame limit throws RecordTooLargeError; the
   * caller can then send its records one by one.
   */
  tryWriteBatch(values: T[], timestamps?: readonly number[]): boolean {
    this.checkBatch(values, timestamps);
    return this.tryFrame(values as unknown as T, KIND_RECORD_BATCH, values.length, NaN, timestamps);
  }

  /**
   * Never waits: writes the record and returns true, or returns false when the ring is full. After false the
   * record is held (already encoded: a generic encoder may have recorded a structure as sent) and must be
   * completed with `retryPending()` before anything else is written.
   */
  tryWrite(value: T, timestamp = NaN): boolean {
    this.checkOpen();
    return this.tryFrame(value, KIND_RECORD, 1, timestamp, undefined);
  }

  /** Never waits: fills one record or batch frame, or holds it (encoded) and returns false. */
  private tryFrame(value: T, kind: number, count: number, ts: number, tss: readonly number[] | undefined): boolean {
    const tsBytes = timestampBytes(kind, count, ts, tss);
    const bound = this.boundOf(value, kind, tsBytes);
    const size = bound >= 0 ? bound : this.encoder.size(value);
    const at = this.producer.tryReserve(frameLength(size, this.checksums, tsBytes));
    if (at >= 0) {
      this.fill(value, at, size, kind, count, ts, tss, bound >= 0);
      return true;
    }
    this.pendingValue = value;
    this.pendingSize = size;
    this.pendingKind = kind;
    this.pendingCount = count;
    this.pendingTs = ts;
    this.pendingTss = tss;
    this.pendingBounded = bound >= 0;
    this.hasPending = true;
    return false;
  }

  /** Writes the record held by a failed `tryWrite`; true when nothing is held any more. */
  retryPending(): boolean {
    if (!this.hasPending) return true;
    const { pendingKind: kind, pendingCount: count, pendingTs: ts, pendingTss: tss } = this;
    const at = this.producer.tryReserve(frameLength(this.pendingSize, this.checksums, timestampBytes(kind, count, ts, tss)));
    if (at < 0) return false;
    const v = this.pendingValue as T;
    this.hasPending = false;
    this.pendingValue = undefined;
    this.pendingTss = undefined;
    this.fill(v, at, this.pendingSize, kind, count, ts, tss, this.pendingBounded);
    return true;
  }

  /** The item held by a failed `tryWrite` (records and timestamps), for a snapshot of in-flight data. */
  heldItem(): { values: T[]; timestamps: number[] } | undefined {
    if (!this.hasPending) return undefined;
    if (this.pendingKind === KIND_RECORD) return { values: [this.pendingValue as T], timestamps: [this.pendingTs] };
    const values = this.pendingValue as unknown as T[];
    return { values, timestamps: this.pendingTss ? [...this.pendingTss] : values.map(() => NaN) };
  }

  /** A record is held by a failed `tryWrite`. */
  hasPending = false;
  /** The record (or batch) held, if any. */
  get heldValue(): unknown {
    return this.pendingValue;
  }
  private pendingValue: T | undefined = undefined;
  private pendingSize = 0;
  /** Frame kind of the held item, and how many records it carries. */
  private pendingKind = KIND_RECORD;
  private pendingCount = 1;
  private pendingTs = NaN;
  private pendingTss: readonly number[] | undefined = undefined;
  /** The held record's size is its encoder's upper bound (see boundOf). */
  private pendingBounded = false;

  /** Never waits: writes a control frame and publishes, or returns false when the ring is full. */
  tryControl(frame: ControlFrame): boolean {
    this.checkOpen();
    const body = encodeControl(frame);
    const at = this.producer.tryReserve(this.controlLength(frame, body));
    if (at < 0) return false;
    if (frame.type === 'end-of-stream') this.closed = true;
    this.putControl(at, body);
    return true;
  }

  /**
   * Never waits: writes a control frame in the ring's barrier lane, ahead of a record a failed `tryWrite` still
   * holds (an unaligned checkpoint barrier overtaking queued data; RingEndOptions.barrierHeadroom). False when
   * even the lane has no room.
   */
  tryPriorityControl(frame: ControlFrame): boolean {
    if (this.closed) throw new ChannelClosedError();
    if (this.waiting) throw waitingError();
    const body = encodeControl(frame);
    const at = this.producer.tryReserve(this.controlLength(frame, body), true);
    if (at < 0) return false;
    this.putControl(at, body);
    return true;
  }

  /** Refuses a write after end of stream, or while an earlier record is still held (it would be overtaken). */
  private checkOpen(): void {
    if (this.closed) throw new ChannelClosedError();
    if (this.hasPending) throw new InvalidArgumentError('channel: a record from a failed tryWrite is still held; call retryPending() first');
    if (this.waiting) throw waitingError();
  }

  /** A control frame's block length; one the ring can never hold is refused as a control frame, not a record. */
  private controlLength(frame: ControlFrame, body: Uint8Array): number {
    const length = frameLength(body.length, this.checksums);
    const ring = this.producer.ring;
    if (length > ring.maxPayload) throw new RecordTooLargeError(length, ring.maxPayload, ring.capacityOption, frame.type);
    return length;
  }

  private putControl(at: number, body: Uint8Array): void {
    const ring = this.producer.ring;
    writeFrameHeader(ring.view, at, KIND_CONTROL, this.checksums);
    ring.bytes.set(body, at + FRAME_HEADER_BYTES);
    if (this.checksums) sealFrame(ring.bytes, ring.view, at + FRAME_HEADER_BYTES, body.length);
    this.producer.commit();
    this.producer.publish();
  }

  /** Writes a control frame in order with the records, and publishes at once (control frames are never late). */
  control(frame: ControlFrame): void | Promise<void> {
    this.checkOpen();
    const body = encodeControl(frame);
    const length = this.controlLength(frame, body);
    // Closed once its end of stream has room: one that cannot be written (too large) leaves the channel open.
    const put = (at: number): void => {
      if (frame.type === 'end-of-stream') this.closed = true;
      this.putControl(at, body);
    };
    const at = this.producer.tryReserve(length);
    if (at >= 0) return put(at);
    if (this.strategy.mode === 'block') return put(this.producer.reserve(length, this.strategy));
    return this.once(this.producer.reserveAsync(length, this.strategy), put);
  }

  /** Makes every written record visible to the reader now (the buffer-timeout path). */
  flush(): void {
    this.producer.publish();
  }

  /** Writes end of stream and publishes; the channel is closed for writing afterwards. */
  close(): void | Promise<void> {
    return this.control({ type: 'end-of-stream' });
  }

  get isClosed(): boolean {
    return this.closed;
  }
}

function waitingError(): InvalidArgumentError {
  return new InvalidArgumentError('channel: an earlier write is still waiting for room in the ring; await it before writing again');
}

/** Bytes of the timestamp section a frame needs: none when no record in it has a timestamp. */
function timestampBytes(kind: number, count: number, ts: number, tss: readonly number[] | undefined): number {
  if (kind === KIND_RECORD) return ts === ts ? RECORD_TIMESTAMP_BYTES : 0;
  if (tss === undefined) return 0;
  for (let i = 0; i < count; i++) if (tss[i] === tss[i]) return batchTimestampBytes(count);
  return 0;
}

function readTimestamps(view: DataView, at: number, n: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = view.getFloat64(at + 8 * i, true);
  return out;
}

/** What `poll` found. */
export const EMPTY = 0;
export const RECORD = 1;
export const CONTROL = 2;
export const END = 3;
export type PollResult = typeof EMPTY | typeof RECORD | typeof CONTROL | typeof END;

/** One item of a channel as an async iterable yields it. */
export type ChannelItem<T> = { record: T; timestamp: number; control?: undefined } | { control: ControlFrame; record?: undefined };

/**
 * An item decoded ahead of the consumer (ChannelReader.readAhead), with the ring bytes released when it is handed
 * out (its frame's, for the first record of a batch frame and for other frames; 0 for the batch's other records).
 */
type AheadItem<T> = { v: T; t: number; c?: undefined; n: number } | { c: ControlFrame; v?: undefined; t?: undefined; n: number };

/** What a look-ahead does with a control frame it finds: pass it, take it (stop there) or stop before it. */
export type AheadDecision = 'skip' | 'take' | 'stop';

/** Reads records and control frames from a ring, in order. */
export class ChannelReader<T> implements AsyncIterable<ChannelItem<T>> {
  readonly consumer: RingConsumer;
  readonly strategy: WaitStrategy;
  private readonly decoder: RecordDecoder<T>;
  private readonly frame: FrameInfo = { kind: 0, bodyOffset: 0, bodyLength: 0 };
  private readonly checksums: boolean;
  private readonly batches: boolean;
  /** Records of the last batch frame not handed out yet, from `batchAt` on. */
  private batch: T[] | undefined = undefined;
  private batchAt = 0;
  /** Timestamps of the records of `batch`, or undefined when they have none. */
  private batchTs: Float64Array | undefined = undefined;
  private ended = false;
  /**
   * Items decoded ahead of the consumer (readAhead), from `aheadAt` on: served before the ring. Their frames stay
   * in the ring until they are served, so a read-ahead holds no more than the ring does, and the producer cannot
   * refill the space. Invariants while any are left: `batch` is empty (a read-ahead takes the batch's rest first),
   * and the ring from READ to `aheadEnd` is exactly their frames.
   */
  private ahead: AheadItem<T>[] = [];
  private aheadAt = 0;
  /** Ring position after the last frame decoded ahead. */
  private aheadEnd = 0;
  /** Where the last look-ahead stopped (a ring position): the next one goes on from there, not from the start. */
  private scanPos = 0;
  /**
   * `scanPos` is at or ahead of the undecoded data. Cleared as reading passes it: compared mod 2^32, a position
   * passed 4 GiB ago looks ahead again, and a scan from there starts inside a frame (FrameCorruptError).
   */
  private scanLive = false;
  private readonly scanFrame: FrameInfo = { kind: 0, bodyOffset: 0, bodyLength: 0 };
  /** The record found by the last poll that returned RECORD. */
  record: T | undefined = undefined;
  /** Its timestamp (event time), NaN when it has none. */
  timestamp = NaN;
  /** The control frame found by the last poll that returned CONTROL. */
  controlFrame: ControlFrame | undefined = undefined;
  /** Records read, for metrics. */
  records = 0;

  constructor(consumer: RingConsumer, decoder: RecordDecoder<T>, options: ChannelOptions = {}) {
    this.consumer = consumer;
    this.decoder = decoder;
    this.strategy = waitStrategy(options.wait);
    this.checksums = options.checksums ?? false;
    this.batches = options.batches ?? false;
  }

  /** Records of a batch frame are decoded but not all handed out yet (they are ready without the ring). */
  get hasBuffered(): boolean {
    return this.batch !== undefined || this.aheadAt < this.ahead.length || this.endAhead;
  }

  /** End of stream was decoded ahead and not handed out yet (it needs no ring data: a poll returns it). */
  private endAhead = false;

  private nextAhead(): PollResult {
    const item = this.ahead[this.aheadAt]!;
    this.ahead[this.aheadAt++] = undefined as unknown as AheadItem<T>;
    if (this.aheadAt === this.ahead.length) { this.ahead = []; this.aheadAt = 0; }
    if (item.n > 0) {
      this.consumer.skip(item.n);
      // Nothing follows end of stream: hand all space back now.
      if (this.endAhead && this.ahead.length === 0) this.consumer.publishRead();
    }
    if (item.c !== undefined) {
      this.controlFrame = item.c;
      return CONTROL;
    }
    this.record = item.v;
    this.timestamp = item.t;
    return RECORD;
  }

  /** Where the ring's undecoded data starts: after the frames decoded ahead, else at READ. */
  private get undecoded(): number {
    return this.aheadAt < this.ahead.length ? this.aheadEnd : this.consumer.position;
  }

  /**
   * Looks through the published frames not decoded yet, without reading them, for a control frame `decide`
   * takes (end of stream too); returns it, or undefined when it found none (or `decide` said stop, or end of stream
   * comes first and is not taken). Record frames are not decoded. A later call goes on where this one stopped.
   */
  scanFor(decide: (c: ControlFrame) => AheadDecision): ControlFrame | undefined {
    if (this.ended) return undefined;
    const consumer = this.consumer;
    const ring = consumer.ring;
    const from = this.undecoded;
    let pos = this.scanLive ? this.scanPos : from;
    // Past what is published: from the start.
    if (((pos - from) >>> 0) > ((consumer.published() - from) >>> 0)) pos = from;
    this.scanLive = true;
    for (;;) {
      const at = consumer.blockAt(pos);
      if (at < 0) break;
      const f = readFrame(ring.bytes, ring.view, at, consumer.aheadLength, this.checksums, this.scanFrame);
      if (f.kind === KIND_CONTROL) {
        const c = decodeControl(ring.bytes, f.bodyOffset, f.bodyLength);
        const d = decide(c);
        if (c.type === 'end-of-stream' && d !== 'take') break;
        if (d === 'take') { this.scanPos = pos; return c; }
        if (d === 'stop') break;
      }
      pos = consumer.aheadNext;
    }
    this.scanPos = pos;
    return undefined;
  }

  /**
   * Decodes every item before `until` (a barrier or the end of stream that scanFor found published), in order,
   * into memory where polls find them first; a barrier is passed over, not handed out; end of stream comes after
   * them. Frames are decoded once, in ring order, as a stateful decoder needs; their ring space is released as
   * their items are handed out.
   */
  readAhead(until: ControlFrame): void {
    const checkpointId = until.type === 'barrier' ? until.checkpointId : -1;
    // It decodes past where the scan that found `until` stopped.
    this.scanLive = false;
    const consumer = this.consumer;
    let pos = this.undecoded;
    const ahead = this.ahead;
    if (this.aheadAt === ahead.length) {
      ahead.length = 0;
      this.aheadAt = 0;
    }
    // A batch's rest is out of the ring already (and no items are ahead while one is left).
    while (this.batch !== undefined) {
      this.nextBuffered();
      ahead.push({ v: this.record as T, t: this.timestamp, n: 0 });
    }
    for (;;) {
      const at = consumer.blockAt(pos);
      if (at < 0) throw new FrameCorruptError(`channel: the barrier of checkpoint ${checkpointId} found ahead was not there when read`);
      const n = (consumer.aheadNext - pos) >>> 0;
      pos = consumer.aheadNext;
      this.aheadEnd = pos;
      const res = this.decodeFrame(at, consumer.aheadLength);
      if (res === RECORD) {
        ahead.push({ v: this.record as T, t: this.timestamp, n });
        while (this.batch !== undefined) {
          this.nextBuffered();
          ahead.push({ v: this.record as T, t: this.timestamp, n: 0 });
        }
      } else if (res === CONTROL) {
        const c = this.controlFrame!;
        if (c.type === 'barrier' && c.checkpointId === checkpointId) {
          // Its bytes go with the item before it, or now when none is left to hand out.
          if (ahead.length > this.aheadAt) ahead[ahead.length - 1]!.n += n;
          else consumer.skip(n);
          return;
        }
        ahead.push({ c, n });
      } else if (until.type === 'end-of-stream') {
        // Polls hand out END once the items are out (this.ended is set); its bytes go like a barrier's.
        this.endAhead = true;
        if (ahead.length > this.aheadAt) ahead[ahead.length - 1]!.n += n;
        else { consumer.skip(n); consumer.publishRead(); }
        return;
      } else {
        throw new FrameCorruptError(`channel: end of stream before the barrier of checkpoint ${checkpointId} found ahead`);
      }
    }
  }

  /**
   * The records read ahead and not handed out yet, in order, with the watermark and idleness frames among them
   * (channel state of an unaligned checkpoint: restored, they move event time where they did).
   */
  aheadRecords(): { value: T | undefined; timestamp: number; control?: ControlFrame }[] {
    const out: { value: T | undefined; timestamp: number; control?: ControlFrame }[] = [];
    for (let i = this.aheadAt; i < this.ahead.length; i++) {
      const item = this.ahead[i]!;
      if (item.c === undefined) out.push({ value: item.v, timestamp: item.t });
      else if (item.c.type === 'watermark' || item.c.type === 'idleness') out.push({ value: undefined, timestamp: NaN, control: item.c });
    }
    return out;
  }

  private nextBuffered(): PollResult {
    const b = this.batch!;
    const i = this.batchAt++;
    this.record = b[i];
    this.timestamp = this.batchTs === undefined ? NaN : this.batchTs[i]!;
    if (this.batchAt === b.length) this.batch = undefined;
    this.records++;
    return RECORD;
  }

  get isEnded(): boolean {
    return this.ended;
  }

  /** Never waits: RECORD (in `record`), CONTROL (in `controlFrame`), EMPTY, or END after end of stream. */
  poll(): PollResult {
    if (this.aheadAt < this.ahead.length) return this.nextAhead();
    return this.pollRing();
  }

  /** `poll` past the items read ahead. */
  private pollRing(): PollResult {
    if (this.batch !== undefined) return this.nextBuffered();
    if (this.ended) { this.endAhead = false; return END; }
    const at = this.consumer.tryPeek();
    return at < 0 ? EMPTY : this.decodeAt(at);
  }

  /** Waits for the next item ('block' mode: Atomics.wait). */
  take(): PollResult {
    if (this.aheadAt < this.ahead.length) return this.nextAhead();
    if (this.batch !== undefined) return this.nextBuffered();
    if (this.ended) return END;
    return this.decodeAt(this.consumer.peek(this.strategy));
  }

  /** Waits for the next item with Atomics.waitAsync; returns a plain result when no wait was needed. */
  takeAsync(): PollResult | Promise<PollResult> {
    if (this.aheadAt < this.ahead.length) return this.nextAhead();
    if (this.batch !== undefined) return this.nextBuffered();
    if (this.ended) return END;
    const at = this.consumer.tryPeek();
    if (at >= 0) return this.decodeAt(at);
    return this.consumer.peekAsync(this.strategy).then((off) => this.decodeAt(off));
  }

  private decodeAt(at: number): PollResult {
    // Release even when decoding throws, so a reader that handles the error (drop, dead-letter) moves on.
    try {
      return this.decodeFrame(at, this.consumer.length);
    } finally {
      this.consumer.release();
      // Read past where the last look-ahead stopped (by less than a ring, so the int32 difference is exact).
      if (this.scanLive && ((this.consumer.position - this.scanPos) | 0) > 0) this.scanLive = false;
      // Nothing follows end of stream: hand all space back now rather than at the next batch.
      if (this.ended) this.consumer.publishRead();
    }
  }

  /** Decodes the frame whose payload is at `at` (`length` bytes); releases nothing. */
  private decodeFrame(at: number, length: number): PollResult {
    const ring = this.consumer.ring;
    {
      const f = readFrame(ring.bytes, ring.view, at, length, this.checksums, this.frame);
      if (f.kind === KIND_RECORD) {
        this.record = this.decoder.read(ring.bytes, ring.view, f.bodyOffset, f.bodyLength);
        this.timestamp = f.timestampCount === 0 ? NaN : ring.view.getFloat64(f.timestampsOffset!, true);
        this.records++;
        return RECORD;
      }
      if (f.kind === KIND_RECORD_BATCH) {
        if (!this.batches) throw new FrameCorruptError('channel: a batch frame on a channel that did not agree on batches');
        const values = this.decoder.read(ring.bytes, ring.view, f.bodyOffset, f.bodyLength) as unknown;
        if (!Array.isArray(values) || values.length === 0) throw new FrameCorruptError('channel: a batch frame that is not a non-empty array');
        const n = f.timestampCount!;
        if (n !== 0 && n !== values.length) throw new FrameCorruptError(`channel: a batch frame of ${values.length} records with ${n} timestamps`);
        this.batchTs = n === 0 ? undefined : readTimestamps(ring.view, f.timestampsOffset!, n);
        this.batch = values as T[];
        this.batchAt = 0;
        return this.nextBuffered();
      }
      const c = decodeControl(ring.bytes, f.bodyOffset, f.bodyLength);
      if (c.type === 'end-of-stream') {
        this.ended = true;
        return END;
      }
      this.controlFrame = c;
      return CONTROL;
    }
  }

  async *[Symbol.asyncIterator](): AsyncIterator<ChannelItem<T>> {
    for (;;) {
      let r = this.takeAsync();
      if (typeof r !== 'number') r = await r;
      if (r === END) return;
      if (r === RECORD) yield { record: this.record as T, timestamp: this.timestamp };
      else if (r === CONTROL) yield { control: this.controlFrame! };
      else throw new FrameCorruptError('channel: unexpected empty poll after a wait');
    }
  }
}
