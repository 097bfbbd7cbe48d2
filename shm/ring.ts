// Runs on: any thread (a ring is created on one thread, then its producer end is used by exactly one thread and
// its consumer end by exactly one other).
//
// A single-producer single-consumer byte ring on a SharedArrayBuffer, carrying variable-length blocks.
//
//   SharedArrayBuffer
//   ┌──────────────┬──────────────┬──────────────┬──────────────┬──────────────────────────────────────────────┐
//   │ line 0       │ line 1       │ line 2       │ line 3       │ data area: capacity bytes (a power of two)     │
//   │ producer:    │ consumer:    │ capacity,    │ consumer's   │                                              │
//   │ WRITE, ...   │ READ, ...    │ magic, abort │ own doorbell │  ... [len|payload..][len|payload][WRAP] ...  │
//   └──────────────┴──────────────┴──────────────┴──────────────┴──────────────────────────────────────────────┘
//                                                                        ▲ READ & mask        ▲ WRITE & mask
//
// READ and WRITE are free-running uint32 byte counters; a position's offset in the data area is `pos & mask`.
// Full/empty rule: used = (WRITE - READ) mod 2^32. Empty iff used == 0. A block of n bytes fits iff
// used + n <= capacity, so the ring can fill completely (no slot is sacrificed to tell full from empty,
// because the counters never wrap at capacity). capacity <= 2^30 keeps the subtraction unambiguous.
//
// A block is [u32 length][payload][pad to 4 bytes], always contiguous so readers decode in place. When a block
// does not fit before the end of the data area, the producer writes the marker WRAP as the length and continues
// at offset 0; the skipped tail counts as used until the consumer passes it. A block may therefore take at most
// half the ring (tail waste + block <= capacity), which is `maxPayload`.
//
// A reservation may be shrunk when it is committed (an encoder that reserved an upper bound and wrote less):
// the producer rewrites the length prefix and moves its write position past the shorter block only. Nothing of
// the block is visible before its commit, so the consumer only ever sees the final length.
//
// Barrier lane: a producer may keep the last `barrierHeadroom` bytes for priority blocks (unaligned checkpoint
// barriers, which overtake the data queued behind them): other blocks fit only while used + n <= capacity -
// headroom, or when the ring is empty (a block of up to maxPayload plus its wrap waste must always fit somewhere).
// Only the producer knows of it: the consumer reads every block alike.
//
// Publication is batched: the producer moves WRITE once per `publishBytes` of blocks or on an explicit
// publish(); the consumer moves READ once per `releaseBytes` or when it finds the ring empty. A side that is
// about to wait always publishes its own counter first, or both sides could park at once. Waking is held back
// the same way (hysteresis): a producer wakes a parked consumer from a batch publication only once half the ring
// is unread (an explicit publish() always wakes), and a consumer wakes a producer parked for space only once at
// most half the ring is in use.

import { FrameCorruptError, InvalidArgumentError, RecordTooLargeError, ChannelAbortedError } from './errors.js';
import { Doorbell } from './doorbell.js';
import { keptAlive, type WaitStrategy } from './wait-strategy.js';
import { waitAsync } from './wait-async.js';
import {
  BLOCK_ALIGN, BLOCK_PREFIX_BYTES, BLOCK_WRAP, RING_ABORTED, RING_CAPACITY, RING_CONSUMER_PARKS, RING_DOORBELL,
  RING_HEADER_BYTES, RING_MAGIC, RING_MAGIC_VALUE, RING_PRODUCER_FULL, RING_PRODUCER_PARKS, RING_PRODUCER_TIMEOUTS, RING_PRODUCER_WAITING,
  RING_READ, RING_WRITE,
} from './layout.js';

export const MIN_RING_CAPACITY = 64;
export const MAX_RING_CAPACITY = 1 << 30;
/** The barrier lane a task's producers keep when the job checkpoints: room for a few barrier frames. */
export const BARRIER_LANE_BYTES = 256;

function align(n: number): number {
  return (n + (BLOCK_ALIGN - 1)) & ~(BLOCK_ALIGN - 1);
}

/** The shared buffer and its geometry. Cheap to construct on every thread that attaches. */
export class Ring {
  readonly buffer: SharedArrayBuffer;
  readonly capacity: number;
  readonly mask: number;
  readonly header: Int32Array;
  readonly bytes: Uint8Array;
  readonly view: DataView;
  /** Largest payload one block can carry. */
  readonly maxPayload: number;
  /** The option name a user raises when a record exceeds `maxPayload`; named in RecordTooLargeError. */
  readonly capacityOption: string;

  private constructor(buffer: SharedArrayBuffer, capacityOption: string) {
    this.buffer = buffer;
    this.header = new Int32Array(buffer, 0, RING_HEADER_BYTES / 4);
    if (Atomics.load(this.header, RING_MAGIC) !== RING_MAGIC_VALUE) {
      throw new InvalidArgumentError('buffer is not an initialised sluice ring');
    }
    this.capacity = Atomics.load(this.header, RING_CAPACITY);
    if (buffer.byteLength !== RING_HEADER_BYTES + this.capacity) {
      throw new InvalidArgumentError(`ring buffer is ${buffer.byteLength} bytes, its header says ${RING_HEADER_BYTES + this.capacity}`);
    }
    this.mask = this.capacity - 1;
    this.bytes = new Uint8Array(buffer, RING_HEADER_BYTES, this.capacity);
    this.view = new DataView(buffer, RING_HEADER_BYTES, this.capacity);
    this.maxPayload = this.capacity / 2 - BLOCK_PREFIX_BYTES;
    this.capacityOption = capacityOption;
  }

  /** A new ring with a data area of `capacity` bytes (a power of two, 64 B – 1 GiB). */
  static create(capacity: number, capacityOption = 'ringBytes'): Ring {
    if (!Number.isInteger(capacity) || capacity < MIN_RING_CAPACITY || capacity > MAX_RING_CAPACITY || (capacity & (capacity - 1)) !== 0) {
      throw new InvalidArgumentError(`ring capacity must be a power of two between ${MIN_RING_CAPACITY} and ${MAX_RING_CAPACITY} bytes, got ${capacity}`);
    }
    const buffer = new SharedArrayBuffer(RING_HEADER_BYTES + capacity);
    const header = new Int32Array(buffer, 0, RING_HEADER_BYTES / 4);
    Atomics.store(header, RING_CAPACITY, capacity);
    Atomics.store(header, RING_MAGIC, RING_MAGIC_VALUE);
    return new Ring(buffer, capacityOption);
  }

  /** The same ring, seen from another thread that received `buffer`. */
  static attach(buffer: SharedArrayBuffer, capacityOption = 'ringBytes'): Ring {
    return new Ring(buffer, capacityOption);
  }

  /** The doorbell inside this ring, for a consumer that reads only this ring. */
  ownDoorbell(): Doorbell {
    return new Doorbell(this.buffer, RING_DOORBELL);
  }

  get aborted(): boolean {
    return Atomics.load(this.header, RING_ABORTED) !== 0;
  }

  /**
   * Gives up on the ring from any thread; both sides stop waiting and throw ChannelAbortedError.
   * `consumerBell` is the doorbell the consumer parks on, if it is not the ring's own.
   */
  abort(consumerBell?: Doorbell): void {
    Atomics.store(this.header, RING_ABORTED, 1);
    // Wakes a producer parked on READ and a consumer parked on its doorbell; without these a waiter would
    // sleep until its park timeout before noticing. Not airtight for the producer: one that checked ABORTED just
    // before the store still waits on READ, which this cannot move (the consumer's word), and sleeps its park
    // timeout. The engine's task loops never block in these waits; a doorbell of the producer's own would close it.
    Atomics.notify(this.header, RING_READ);
    this.ownDoorbell().ringAlways();
    consumerBell?.ringAlways();
  }

  /** Counters for metrics and tests. Reads published values only. */
  stats(): { producerParks: number; producerFull: number; producerTimeouts: number; consumerParks: number; used: number } {
    return {
      producerParks: Atomics.load(this.header, RING_PRODUCER_PARKS),
      producerTimeouts: Atomics.load(this.header, RING_PRODUCER_TIMEOUTS),
      producerFull: Atomics.load(this.header, RING_PRODUCER_FULL),
      consumerParks: Atomics.load(this.header, RING_CONSUMER_PARKS),
      used: (Atomics.load(this.header, RING_WRITE) - Atomics.load(this.header, RING_READ)) >>> 0,
    };
  }
}

export interface RingEndOptions {
  /** Publish the counter on every block (false) or once per batch of bytes (true, the default). */
  batching?: boolean;
  /** Batch size in bytes; defaults to a quarter of the ring, at most 16 KiB. */
  batchBytes?: number;
  /**
   * Consumer end only: the doorbell of the producer's thread, when that thread waits for space on a doorbell
   * (a task loop with many channels) rather than on this ring's READ.
   */
  producerBell?: Doorbell;
  /**
   * Wake hysteresis (default true): a side woken for a sliver of work does it and parks again, a park/wake round
   * trip per few hundred records. On this 2-vCPU VM a notify that wakes a parked thread costs the notifying
   * thread itself ~40-50 µs at the median when the machine is busy (it loses its CPU for a while), so a faster
   * consumer woken on every batch costs its producer ~10% of its time. Consumer end: wake a producer waiting for
   * space only once at most half the ring is in use (or the ring is empty), not on every release. Producer end,
   * with batching on: a batch publication wakes a parked consumer only once half the ring is unread; publish()
   * (a flush, a control frame, a full ring) always wakes, so a parked consumer waits at most until the
   * producer's next flush.
   */
  hysteresis?: boolean;
  /**
   * Producer end only: bytes kept for priority blocks (see "Barrier lane" above); 0 (the default) keeps none.
   * At most an eighth of the ring.
   */
  barrierHeadroom?: number;
}

function batchBytesFor(ring: Ring, o: RingEndOptions): number {
  if (o.batching === false) return 0;
  const b = o.batchBytes ?? Math.min(ring.capacity / 4, 16 * 1024);
  if (!(b >= 0) || b > ring.capacity) throw new InvalidArgumentError(`batchBytes must be between 0 and the ring capacity, got ${b}`);
  return b;
}

/** The writing end. Exactly one thread uses it. */
export class RingProducer {
  readonly ring: Ring;
  /** Doorbell the consumer parks on; rung after every publication that it may be waiting for. */
  readonly consumerBell: Doorbell;
  private readonly header: Int32Array;
  private readonly view: DataView;
  private readonly capacity: number;
  private readonly mask: number;
  private readonly publishBytes: number;
  /** A batch publication rings the consumer's doorbell only when at least this many bytes are unread (0: always). */
  private readonly wakeUnread: number;
  /** A batch publication held its wake back: the next publish() rings even if it has nothing new to publish. */
  private wakeHeld = false;
  /** Local write position: blocks up to here are written but maybe not yet published. */
  private writePos: number;
  private published: number;
  /** Last READ seen; refreshed only when the ring looks full (saves a shared-line load per block). */
  private cachedRead: number;
  /** Bytes of the block reserved and not yet committed (-1: none), and the offset of its length prefix. */
  private pending = -1;
  private pendingAt = 0;
  /** Bytes only priority blocks may use (the barrier lane). */
  private readonly headroom: number;

  constructor(ring: Ring, consumerBell: Doorbell = ring.ownDoorbell(), options: RingEndOptions = {}) {
    this.ring = ring;
    this.consumerBell = consumerBell;
    const headroom = options.barrierHeadroom ?? 0;
    if (!(Number.isInteger(headroom) && headroom >= 0 && headroom <= ring.capacity / 8)) {
      throw new InvalidArgumentError(`barrierHeadroom must be a whole number of bytes between 0 and an eighth of the ring (${ring.capacity / 8}), got ${headroom}`);
    }
    this.headroom = headroom;
    this.header = ring.header;
    this.view = ring.view;
    this.capacity = ring.capacity;
    this.mask = ring.mask;
    this.publishBytes = batchBytesFor(ring, options);
    this.wakeUnread = this.publishBytes > 0 && options.hysteresis !== false ? ring.capacity / 2 : 0;
    this.writePos = Atomics.load(this.header, RING_WRITE) >>> 0;
    this.published = this.writePos;
    this.cachedRead = Atomics.load(this.header, RING_READ) >>> 0;
  }

  /** Free bytes as far as this side knows (may be stale-low, never high). */
  private free(): number {
    return this.capacity - ((this.writePos - this.cachedRead) >>> 0);
  }

  /**
   * Reserves a block of `length` payload bytes; returns the payload's offset in `ring.bytes`, or -1 when the
   * ring has no room now. Throws RecordTooLargeError for a block that can never fit. `priority`: the block may
   * use the barrier lane.
   */
  tryReserve(length: number, priority = false): number {
    const total = align(BLOCK_PREFIX_BYTES + length);
    if (length > this.ring.maxPayload) throw new RecordTooLargeError(length, this.ring.maxPayload, this.ring.capacityOption);
    let offset = this.writePos & this.mask;
    const tail = this.capacity - offset;
    const needed = total <= tail ? total : tail + total;
    const kept = priority ? 0 : this.headroom;
    if (this.free() < needed + kept) {
      this.cachedRead = Atomics.load(this.header, RING_READ) >>> 0;
      const free = this.free();
      // An empty ring takes any block: with the lane kept, a block of maxPayload plus its wrap waste might never fit.
      if (free < needed + kept && !(free === this.capacity && free >= needed)) return -1;
    }
    if (total > tail) {
      this.view.setUint32(offset, BLOCK_WRAP, true);
      this.writePos = (this.writePos + tail) >>> 0;
      offset = 0;
    }
    this.view.setUint32(offset, length, true);
    this.pending = total;
    this.pendingAt = offset;
    return offset + BLOCK_PREFIX_BYTES;
  }

  /**
   * Completes the block last reserved; publishes when a batch is full (or always, batching off). `length`, when
   * given, shrinks the block to that many payload bytes (at most the reserved length): the rest of the
   * reservation goes back to the ring.
   */
  commit(length = -1): void {
    let total = this.pending;
    // Without a reservation it would move the write position back by one.
    if (total < 0) throw new InvalidArgumentError('ring: commit without a reservation');
    if (length >= 0) {
      const shrunk = align(BLOCK_PREFIX_BYTES + length);
      if (shrunk > total) throw new InvalidArgumentError(`ring: cannot commit ${length} bytes of a smaller reservation`);
      this.view.setUint32(this.pendingAt, length, true);
      total = shrunk;
    }
    this.writePos = (this.writePos + total) >>> 0;
    this.pending = -1;
    if (((this.writePos - this.published) >>> 0) >= this.publishBytes) this.publishBatch();
  }

  /** Makes every committed block visible to the consumer and rings its doorbell if it is parked. */
  publish(): void {
    if (this.writePos !== this.published) {
      this.published = this.writePos;
      Atomics.store(this.header, RING_WRITE, this.writePos | 0);
    } else if (!this.wakeHeld) {
      return;
    }
    // Also when only a held wake is pending: a producer about to park on a full ring must not leave the consumer
    // parked on blocks that a batch publication made visible without waking it (both would wait).
    this.wakeHeld = false;
    this.consumerBell.ring();
  }

  /**
   * Publication of a full batch. With hysteresis it wakes a parked consumer only once half the ring is unread.
   * Not a lost wake-up: the consumer re-checks after arming its doorbell, so it either sees this WRITE or stays
   * parked with its doorbell armed, and a later batch past the threshold, or publish() (flush, control frame,
   * full ring: it rings a held wake even with nothing new to publish), wakes it.
   */
  private publishBatch(): void {
    this.published = this.writePos;
    Atomics.store(this.header, RING_WRITE, this.writePos | 0);
    // READ is the consumer's published position: where it parked, when it parked on an empty ring.
    if (this.wakeUnread > 0 && ((this.writePos - (Atomics.load(this.header, RING_READ) >>> 0)) >>> 0) < this.wakeUnread) {
      this.wakeHeld = true;
      return;
    }
    this.wakeHeld = false;
    this.consumerBell.ring();
  }

  /**
   * Thread-level parking (a task loop waiting on its doorbell for space in any of several rings): announce
   * that this producer waits, so the consumer rings the producer's doorbell when it frees space. The caller
   * must arm its doorbell before announcing and re-check for space after, the mirror of the doorbell protocol.
   */
  announceWaiting(): void {
    Atomics.store(this.header, RING_PRODUCER_WAITING, 1);
  }

  clearWaiting(): void {
    Atomics.store(this.header, RING_PRODUCER_WAITING, 0);
  }

  /** Bytes committed but not yet visible to the consumer. */
  get unpublished(): number {
    return (this.writePos - this.published) >>> 0;
  }

  /** Reserves, spinning then parking with Atomics.wait while the ring is full. */
  reserve(length: number, strategy: WaitStrategy): number {
    let at = this.tryReserve(length);
    if (at >= 0) return at;
    this.noteFull();
    for (let i = 0; i < strategy.spin; i++) {
      at = this.tryReserve(length);
      if (at >= 0) return at;
    }
    for (;;) {
      const seen = this.prepareToPark();
      at = this.tryReserve(length);
      if (at >= 0) { this.unpark(); return at; }
      // Lost wake-up: returns at once if the consumer moved READ since `seen` (WAITING was stored first: prepareToPark).
      const woke = Atomics.wait(this.header, RING_READ, seen, strategy.parkTimeoutMs);
      this.unpark(woke);
      at = this.tryReserve(length);
      if (at >= 0) return at;
    }
  }

  /** Like `reserve`, but parks with Atomics.waitAsync so the thread's event loop keeps running. */
  async reserveAsync(length: number, strategy: WaitStrategy): Promise<number> {
    let at = this.tryReserve(length);
    if (at >= 0) return at;
    this.noteFull();
    for (let i = 0; i < strategy.spin; i++) {
      at = this.tryReserve(length);
      if (at >= 0) return at;
    }
    for (;;) {
      const seen = this.prepareToPark();
      at = this.tryReserve(length);
      if (at >= 0) { this.unpark(); return at; }
      // Lost wake-up, as in `reserve`: READ moved since `seen` resolves at once.
      const r = waitAsync(this.header, RING_READ, seen, strategy.parkTimeoutMs);
      this.unpark(r.async ? await keptAlive(strategy, r.value) : r.value);
      at = this.tryReserve(length);
      if (at >= 0) return at;
    }
  }

  private noteFull(): void {
    if (this.ring.aborted) throw new ChannelAbortedError();
    Atomics.add(this.header, RING_PRODUCER_FULL, 1);
    // The consumer may be parked waiting for exactly the blocks we have not published yet.
    this.publish();
  }

  /**
   * Announces the park, then snapshots READ. Order matters (the race it prevents: the consumer frees space
   * between our last check and our wait, sees no waiter and never notifies): WAITING is stored before READ is
   * loaded, and the consumer stores READ before loading WAITING.
   */
  private prepareToPark(): number {
    if (this.ring.aborted) throw new ChannelAbortedError();
    Atomics.store(this.header, RING_PRODUCER_WAITING, 1);
    Atomics.add(this.header, RING_PRODUCER_PARKS, 1);
    return Atomics.load(this.header, RING_READ);
  }

  private unpark(woke?: 'ok' | 'not-equal' | 'timed-out'): void {
    Atomics.store(this.header, RING_PRODUCER_WAITING, 0);
    if (woke === 'timed-out') Atomics.add(this.header, RING_PRODUCER_TIMEOUTS, 1);
    if (this.ring.aborted) throw new ChannelAbortedError();
  }
}

/** The reading end. Exactly one thread uses it. */
export class RingConsumer {
  readonly ring: Ring;
  readonly bell: Doorbell;
  private readonly producerBell: Doorbell | undefined;
  private readonly wakeAtOrBelow: number;
  private readonly header: Int32Array;
  private readonly view: DataView;
  private readonly capacity: number;
  private readonly mask: number;
  private readonly releaseBytes: number;
  private readPos: number;
  private releasedPublished: number;
  /** Last WRITE seen; refreshed only when the ring looks empty. */
  private cachedWrite: number;
  private currentTotal = 0;
  /** Payload length of the block returned by the last successful `tryPeek`. */
  length = 0;

  constructor(ring: Ring, bell: Doorbell = ring.ownDoorbell(), options: RingEndOptions = {}) {
    this.ring = ring;
    this.bell = bell;
    this.header = ring.header;
    this.view = ring.view;
    this.capacity = ring.capacity;
    this.mask = ring.mask;
    this.releaseBytes = batchBytesFor(ring, options);
    this.producerBell = options.producerBell;
    this.wakeAtOrBelow = options.hysteresis === false ? ring.capacity : ring.capacity / 2;
    this.readPos = Atomics.load(this.header, RING_READ) >>> 0;
    this.releasedPublished = this.readPos;
    this.cachedWrite = Atomics.load(this.header, RING_WRITE) >>> 0;
  }

  /**
   * Offset in `ring.bytes` of the next block's payload (its length in `this.length`), or -1 when none is
   * published. The block stays valid until `release()`.
   */
  tryPeek(): number {
    if (this.readPos === this.cachedWrite) {
      this.cachedWrite = Atomics.load(this.header, RING_WRITE) >>> 0;
      if (this.readPos === this.cachedWrite) {
        // Empty: hand back all consumed space now, or a producer waiting for it would wait for us while we
        // wait for it.
        this.publishRead();
        return -1;
      }
    }
    let offset = this.readPos & this.mask;
    let len = this.view.getUint32(offset, true);
    if (len === BLOCK_WRAP) {
      this.readPos = (this.readPos + this.capacity - offset) >>> 0;
      offset = 0;
      // The padding may be published before the block that follows it (a publish between reserve and commit).
      if (this.readPos === this.cachedWrite) return -1;
      len = this.view.getUint32(0, true);
    }
    const total = align(BLOCK_PREFIX_BYTES + len);
    if (len > this.ring.maxPayload || total > ((this.cachedWrite - this.readPos) >>> 0)) {
      throw new FrameCorruptError(`ring: block length ${len} at offset ${offset} exceeds the published data`);
    }
    this.currentTotal = total;
    this.length = len;
    return offset + BLOCK_PREFIX_BYTES;
  }

  /** Where the next block starts (a free-running byte position, like READ). */
  get position(): number {
    return this.readPos;
  }

  /** The producer's published position, WRITE (refreshes the cached one). */
  published(): number {
    this.cachedWrite = Atomics.load(this.header, RING_WRITE) >>> 0;
    return this.cachedWrite;
  }

  /**
   * Frees `bytes` of blocks found by `blockAt` and decoded since (a read-ahead's frames, as their items are
   * handed out): the counterpart of `release` for blocks not read through `tryPeek`.
   */
  skip(bytes: number): void {
    this.readPos = (this.readPos + bytes) >>> 0;
    if (((this.readPos - this.releasedPublished) >>> 0) >= this.releaseBytes) this.publishRead();
  }

  /**
   * Looks ahead without reading: the payload offset of the published block at byte position `pos` (at or after
   * `position`, on a block boundary), its length in `aheadLength` and the next block's position in `aheadNext`;
   * -1 when nothing is published there. Nothing is released: the blocks stay for `tryPeek`.
   */
  blockAt(pos: number): number {
    const unread = (this.cachedWrite - this.readPos) >>> 0;
    if (((pos - this.readPos) >>> 0) >= unread) {
      this.cachedWrite = Atomics.load(this.header, RING_WRITE) >>> 0;
      if (((pos - this.readPos) >>> 0) >= ((this.cachedWrite - this.readPos) >>> 0)) return -1;
    }
    let offset = pos & this.mask;
    let len = this.view.getUint32(offset, true);
    if (len === BLOCK_WRAP) {
      pos = (pos + this.capacity - offset) >>> 0;
      offset = 0;
      if (((pos - this.readPos) >>> 0) >= ((this.cachedWrite - this.readPos) >>> 0)) return -1;
      len = this.view.getUint32(0, true);
    }
    const total = align(BLOCK_PREFIX_BYTES + len);
    if (len > this.ring.maxPayload || total > ((this.cachedWrite - pos) >>> 0)) {
      throw new FrameCorruptError(`ring: block length ${len} at offset ${offset} exceeds the published data`);
    }
    this.aheadLength = len;
    this.aheadNext = (pos + total) >>> 0;
    return offset + BLOCK_PREFIX_BYTES;
  }

  /** Of the block last found by `blockAt`: its payload length, and where the block after it starts. */
  aheadLength = 0;
  aheadNext = 0;

  /** Frees the block last returned by `tryPeek`. */
  release(): void {
    this.readPos = (this.readPos + this.currentTotal) >>> 0;
    this.currentTotal = 0;
    if (((this.readPos - this.releasedPublished) >>> 0) >= this.releaseBytes) this.publishRead();
  }

  /**
   * Makes consumed space visible to the producer, and wakes it if it is parked. Store READ, then load
   * WAITING: the mirror of the producer's order, so one of the two always sees the other.
   */
  publishRead(): void {
    if (this.readPos === this.releasedPublished) return;
    this.releasedPublished = this.readPos;
    Atomics.store(this.header, RING_READ, this.readPos | 0);
    // A stale cachedWrite only makes `used` look smaller, so the producer is woken early, never late; and a
    // consumer that drains the ring publishes with used == 0, which always wakes.
    if (Atomics.load(this.header, RING_PRODUCER_WAITING) !== 0 && ((this.cachedWrite - this.readPos) >>> 0) <= this.wakeAtOrBelow) {
      // A producer parked on the old READ sleeps until its park timeout unless notified (it stored WAITING first).
      Atomics.notify(this.header, RING_READ);
      this.producerBell?.ring();
    }
  }

  /** True when a block is published and not yet read (refreshes the cached WRITE). */
  hasData(): boolean {
    if (this.readPos !== this.cachedWrite) return true;
    this.cachedWrite = Atomics.load(this.header, RING_WRITE) >>> 0;
    return this.readPos !== this.cachedWrite;
  }

  /** Counts a park on this ring (the park itself happens on the doorbell, maybe shared with other inputs). */
  notePark(): void {
    Atomics.add(this.header, RING_CONSUMER_PARKS, 1);
  }

  /** Waits (spin, then Atomics.wait on the doorbell) until a block is published; returns its payload offset. */
  peek(strategy: WaitStrategy): number {
    let at = this.tryPeek();
    if (at >= 0) return at;
    for (let i = 0; i < strategy.spin; i++) {
      at = this.tryPeek();
      if (at >= 0) return at;
    }
    for (;;) {
      if (this.ring.aborted) throw new ChannelAbortedError();
      const seq = this.bell.arm();
      at = this.tryPeek();
      if (at >= 0) { this.bell.disarm(); return at; }
      this.notePark();
      // Lost wake-up: a publication since arm() moved the doorbell, so the park returns at once (doorbell.ts).
      this.bell.park(seq, strategy.parkTimeoutMs);
      this.bell.disarm();
      at = this.tryPeek();
      if (at >= 0) return at;
    }
  }

  /** Like `peek`, with Atomics.waitAsync so the event loop keeps running while the ring is empty. */
  async peekAsync(strategy: WaitStrategy): Promise<number> {
    let at = this.tryPeek();
    if (at >= 0) return at;
    for (let i = 0; i < strategy.spin; i++) {
      at = this.tryPeek();
      if (at >= 0) return at;
    }
    for (;;) {
      if (this.ring.aborted) throw new ChannelAbortedError();
      const seq = this.bell.arm();
      at = this.tryPeek();
      if (at >= 0) { this.bell.disarm(); return at; }
      this.notePark();
      // Lost wake-up, as in `peek`: a publication since arm() resolves at once.
      const pending = this.bell.parkAsync(seq, strategy.parkTimeoutMs);
      if (pending) await keptAlive(strategy, pending);
      this.bell.disarm();
      at = this.tryPeek();
      if (at >= 0) return at;
    }
  }
}
