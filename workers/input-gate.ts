// Runs on: the worker thread of the consuming subtask.
//
// All input channels of a subtask, read fairly: up to FAIR_SHARE records from one channel, then the next, so a
// busy input cannot starve the others. Never waits: the thread parks on its doorbell when no input has data.
// Control frames are handled here, in order with the records: watermarks and idleness go through the watermark
// valve (the task's event time is the minimum over its inputs), checkpoint barriers through the aligner (a
// channel that delivered barrier n is not read until every channel has, unless the checkpoint is unaligned),
// latency markers to the subtask, which records them at its sinks and passes them on (workers/latency-markers.ts).
// Unaligned checkpoints do not wait for a barrier to be read: the gate looks ahead in the rings for it and takes
// it at once (overtake), keeping the records before it, read into memory, as channel state. With an alignment
// timeout, an aligned checkpoint's barrier is taken ahead the same way once it is older than the timeout (Flink's
// timeout counts from the checkpoint's start: a barrier stuck that long behind a full ring switches to unaligned),
// and so is a barrier an upstream whose alignment timed out sent on unaligned.
// Channel state keeps the watermark and idleness frames among its records, by channel, and the snapshot keeps where
// each channel's event time stood before them (channelTimes): a restore at the same channels (restoreChannels,
// replayControl) moves event time through the replay as it moved the first time, so lateness comes out the same
// (per channel exactly; across channels the replay's interleaving is one the gate could have read them in: records
// taken ahead come as a block, where they may have been read between another channel's).
// All of it is this thread's: the valve, the recording and the replay run on the subtask's worker.

import { CONTROL, EMPTY, END, RECORD, type AheadDecision, type ChannelReader } from '../shm/channel.js';
import { JOB_CHECKPOINT_SAVEPOINT, unalignedTriggerId } from '../shm/layout.js';
import type { ControlFrame } from '../shm/codec/control.js';
import type { Downstream } from '../core/operators/operator.js';
import type { InFlightRecord } from '../core/checkpoint/messages.js';
import type { TaskContext } from '../core/operators/task-context.js';
import { WatermarkValve, type ChannelTimes } from '../core/time/watermark-valve.js';
import {
  alignmentDeadline, initialAligner, isStale, onAbort, onAlignmentTimeout, onBarrier, onEnd, type AlignerEffects, type AlignerState,
} from '../core/checkpoint/barrier-aligner.js';

const FAIR_SHARE = 256;
/**
 * Records between two looks at the clock and the checkpoint trigger while pumping: a slow operator (20 ms a
 * record) took its whole budget, 1024 records, in one step, and the subtasks sharing its thread (its own source)
 * waited 20 s for a turn.
 */
const LOOK_EVERY = 16;
/** Longest a pump runs before it gives the thread's other subtasks a turn, ms. */
const PUMP_SLICE_MS = 10;
/**
 * A barrier is taken ahead only once its checkpoint has been under way here this long, ms: in a job that keeps up,
 * it arrives sooner by itself, and a checkpoint then carries no channel state (taken at once, a job checkpointing
 * every 200 ms kept every ring's contents, and ran 10-30% slower).
 */
export const OVERTAKE_AFTER_MS = 10;


/** What the gate asks of its subtask when a barrier is aligned. */
export interface BarrierHandler {
  /** Take snapshot `id` (the barrier frame that started it) and forward the barrier. */
  snapshot(barrier: ControlFrame & { type: 'barrier' }): void;
  /** Every channel delivered the barrier; `inFlight` holds the channel state recorded since the snapshot. */
  complete(id: number, inFlight: InFlightRecord[]): void;
  abandon(id: number): void;
  /** A latency marker arrived (in order with the records): record it at sinks, pass it on. */
  latencyMarker?(marker: ControlFrame & { type: 'latency-marker' }): void;
}

export class InputGate implements AlignerEffects {
  private readonly ended: boolean[];
  /** Channels that will bring no more barriers: ended, or their end of stream found ahead (what the aligner counts). */
  private readonly barrierless: boolean[];
  private readonly blocked: boolean[];
  private readonly recording: boolean[];
  private endedCount = 0;
  private blockedCount = 0;
  private cursor = 0;
  private aligner: AlignerState = initialAligner;
  private barrier: (ControlFrame & { type: 'barrier' }) | undefined;
  private inFlight: InFlightRecord[] = [];
  /** Channel state a barrier taken ahead brings to the snapshot it starts (snapshot() begins with it). */
  private carried: InFlightRecord[] | undefined;
  /**
   * Whether a look-ahead now may take an end of stream (dueIn sets it for decide). Not derived in decide: a pass of
   * overtake() decides every channel under the state it was found due in, while a barrier it takes moves the aligner
   * (a timed-out aligned one starts collecting) and the coordinator may write the trigger meanwhile.
   */
  private endsAhead = true;
  /** When the earliest aligned barrier the last look-ahead found times out (Date.now() ms; Infinity: none). */
  private agesAt = Infinity;
  /** Records pumped since the last look at the clock and the trigger. */
  private sinceLook = 0;
  /** The checkpoint last found under way here, and since when (performance.now()): see OVERTAKE_AFTER_MS. */
  private dueId = 0;
  private dueSince = 0;
  private readonly valve: WatermarkValve;
  recordsIn = 0;
  /** The head the current pump pushes into (the valve's output writes through it). */
  private heads: Downstream<unknown>[] = [];
  /** Restored channel times not yet said downstream (wire). */
  private reannounce = false;

  constructor(
    readonly readers: ChannelReader<unknown>[],
    /** Which input of the head operator each reader feeds (0, or 1 for a two-input operator's second input). */
    private readonly inputOf: number[],
    private readonly ctx: TaskContext,
    private readonly barriers: BarrierHandler,
    /** Aligned checkpoints switch to unaligned after this long (Infinity: never). */
    private readonly alignmentTimeoutMs: number,
    /**
     * The head input the merged watermark and idleness go to. 1: the gate feeds only the second input of an
     * operator chained behind a source, which merges it with the chain's own event time (and sets the task's).
     */
    private readonly eventTimeInput: 0 | 1 = 0,
    /**
     * The coordinator's trigger word (job control buffer): an unaligned checkpoint triggered and not finished
     * here sends the gate looking ahead for its barrier. Undefined: barriers are taken only as they are read.
     */
    private readonly trigger?: { control: Int32Array; index: number },
    /** How long a checkpoint is under way here before its barriers are taken ahead (OVERTAKE_AFTER_MS). */
    private readonly overtakeAfterMs = OVERTAKE_AFTER_MS,
  ) {
    this.ended = readers.map(() => false);
    this.barrierless = readers.map(() => false);
    this.blocked = readers.map(() => false);
    this.recording = readers.map(() => false);
    this.valve = new WatermarkValve(readers.length, {
      watermark: (wm) => {
        if (eventTimeInput === 0) this.ctx.watermark = wm;
        this.heads[eventTimeInput]!.watermark(wm);
      },
      idle: (idle) => { this.heads[eventTimeInput]!.idle(idle); },
    });
  }

  get allEnded(): boolean {
    return this.endedCount === this.readers.length;
  }

  /** The event time of the head's input (a snapshot keeps it); undefined when the gate feeds a chained second input. */
  get watermark(): number | undefined {
    return this.eventTimeInput === 0 ? this.valve.current : undefined;
  }

  /** A restore: the head's event time starts at the checkpoint's (WatermarkValve.startAt). */
  startWatermarkAt(watermark: number): void {
    if (this.eventTimeInput !== 0) return;
    this.valve.startAt(watermark);
    this.ctx.watermark = this.valve.current;
  }

  /**
   * Pushes up to `max` records into `heads[input]`, stopping early when `stop()` says the outputs are blocked.
   * Returns the number of records and control frames consumed.
   */
  pump(heads: Downstream<unknown>[], max: number, stop: () => boolean): number {
    this.wire(heads);
    this.checkAlignmentTimeout();
    const n = this.readers.length;
    let done = 0;
    const overtaking = this.trigger !== undefined;
    if (overtaking) done += this.overtake();
    const until = performance.now() + PUMP_SLICE_MS;
    let idleInputs = 0;
    while (done < max && idleInputs < n && !this.allEnded) {
      const i = this.cursor;
      this.cursor = i + 1 === n ? 0 : i + 1;
      if (this.ended[i] || this.blocked[i]) { idleInputs++; continue; }
      const r = this.readers[i]!;
      const head = heads[this.inputOf[i]!]!;
      let got = 0;
      for (; got < FAIR_SHARE && done < max; got++, done++) {
        const res = r.poll();
        if (res === RECORD) {
          this.recordsIn++;
          const ts = r.timestamp;
          this.ctx.timestamp = ts;
          if (this.recording[i]) this.inFlight.push({ input: this.inputOf[i]!, value: r.record, timestamp: ts });
          head.push(r.record);
          if (++this.sinceLook === LOOK_EVERY) {
            this.sinceLook = 0;
            if (overtaking) this.overtake();
            if (performance.now() > until) return done + 1;
          }
          if (stop()) return done + 1;
        } else if (res === EMPTY) {
          break;
        } else if (res === END) {
          this.ended[i] = true;
          this.barrierless[i] = true;
          this.endedCount++;
          this.valve.onEnd(i);
          this.aligner = onEnd(this.aligner, i, this);
          done++;
          break;
        } else if (res === CONTROL) {
          this.control(i, r.controlFrame!);
          if (this.blocked[i]) { done++; break; }
          if (stop()) return done + 1;
        }
      }
      idleInputs = got === 0 ? idleInputs + 1 : 0;
    }
    return done;
  }

  /** Switches an alignment that has taken alignmentTimeoutMs to unaligned (barrier-aligner.ts). */
  private checkAlignmentTimeout(): void {
    if (this.aligner.kind === 'aligning' && this.alignmentTimeoutMs !== Infinity) {
      this.aligner = onAlignmentTimeout(this.aligner, performance.now(), this.alignmentTimeoutMs, this);
    }
  }

  /**
   * In how many ms the alignment under way times out (<= 0: now), Infinity when none can: a subtask blocked on its
   * outputs, or with nothing to read on the channels not blocked, must still wake for it.
   */
  alignmentTimeoutInMs(): number {
    if (this.alignmentTimeoutMs === Infinity) return Infinity;
    const at = alignmentDeadline(this.aligner, this.alignmentTimeoutMs);
    return at === 0 ? Infinity : at - performance.now();
  }

  private control(i: number, c: ControlFrame): void {
    switch (c.type) {
      case 'watermark':
        if (this.recording[i]) this.recordControl(i, c);
        this.valve.onWatermark(i, c.timestamp);
        return;
      case 'idleness':
        if (this.recording[i]) this.recordControl(i, c);
        this.valve.onIdle(i, c.idle);
        return;
      case 'barrier':
        // A stale barrier (of a checkpoint aborted while it waited behind this channel's data) must not end this
        // channel's recording for the current checkpoint, nor become the barrier its snapshot is taken under.
        if (isStale(this.aligner, c.checkpointId)) return;
        this.barrier = c;
        this.aligner = onBarrier(this.aligner, i, c.checkpointId, c.unaligned, this.barrierlessFor(c), performance.now(), this, c.savepoint);
        if (this.recording[i]) this.recording[i] = false;
        return;
      case 'latency-marker': this.barriers.latencyMarker?.(c); return;
      default: return;
    }
  }

  /**
   * An unaligned checkpoint is under way: triggered by the coordinator and not finished here, or collecting
   * channel state (also after an aligned one timed out); or, with an alignment timeout, an aligned one (its barriers
   * may have switched upstream, or have waited past the timeout: timedOut).
   */
  private overtakeDue(): boolean {
    return this.dueIn() <= 0;
  }

  /** In how many ms a barrier may be taken ahead (<= 0: now), Infinity when no checkpoint that may overtake is under way. */
  private dueIn(): number {
    const s = this.aligner;
    let id: number;
    let after = this.overtakeAfterMs;
    // Whether the records before an end of stream found ahead may become channel state (decide).
    this.endsAhead = true;
    if (s.kind === 'collecting') {
      id = s.id;
    } else {
      if (this.trigger === undefined || (s.kind === 'aligning' && s.savepoint)) return Infinity;
      const word = Atomics.load(this.trigger.control, this.trigger.index);
      id = unalignedTriggerId(word);
      if (s.kind === 'aligning' || id === 0) {
        // An aligned checkpoint: only barriers that switched to unaligned are taken ahead, and none switches before it
        // has been under way for the timeout: looking earlier would only cost the pump its scans.
        if (this.alignmentTimeoutMs === Infinity) return Infinity;
        id = s.kind === 'aligning' ? s.id : word >>> 2;
        if (s.kind === 'idle' && (word & JOB_CHECKPOINT_SAVEPOINT) !== 0) return Infinity;
        after = Math.max(after, this.alignmentTimeoutMs);
        this.endsAhead = false;
      }
      if (s.kind === 'idle' && id <= s.lastId) return Infinity;
    }
    const now = performance.now();
    if (id !== this.dueId) { this.dueId = id; this.dueSince = now; }
    return this.dueSince + after - now;
  }

  /**
   * A barrier of an aligned checkpoint that has been under way longer than the alignment timeout (since its source
   * sent it): taken ahead, it switches the checkpoint to unaligned here.
   */
  private timedOut(c: ControlFrame & { type: 'barrier' }): boolean {
    if (c.savepoint || this.alignmentTimeoutMs === Infinity) return false;
    const at = c.timestampMs + this.alignmentTimeoutMs;
    if (Date.now() >= at) return true;
    // A subtask blocked on its outputs parks: it wakes when this one times out (overtakeWakeInMs).
    if (at < this.agesAt) this.agesAt = at;
    return false;
  }

  /**
   * When a subtask blocked on its outputs must look again for a barrier to take ahead, ms: when the delay ends.
   * Infinity once it has (a barrier arriving after rings the doorbell; a 0 here made the thread spin).
   */
  overtakeWakeInMs(): number {
    const d = this.dueIn();
    return Math.min(d > 0 ? d : this.agesAt - Date.now(), this.alignmentTimeoutInMs());
  }

  /** Which barrier a look-ahead may take: one of the checkpoint under way that may overtake data. */
  private readonly decide = (c: ControlFrame): AheadDecision => {
    // An upstream that finished sends no more barriers: the records before its end are channel state from now on
    // (not while an aligned checkpoint is under way: it carries none; taken then, an alignment ended by it would
    // snapshot without them).
    if (c.type === 'end-of-stream') return this.endsAhead ? 'take' : 'stop';
    if (c.type !== 'barrier' || isStale(this.aligner, c.checkpointId)) return 'skip';
    const s = this.aligner;
    if ((c.unaligned && !c.savepoint) || (s.kind === 'collecting' && s.id === c.checkpointId) || this.timedOut(c)) return 'take';
    return 'stop';
  };

  /** Channel i may be looked ahead in: open, its barrier not in yet. */
  private mayLookAhead(i: number): boolean {
    const s = this.aligner;
    return !this.barrierless[i] && (s.kind === 'idle' || !s.seen[i]);
  }

  /** A barrier the gate could take ahead now (the re-check before parking, for a subtask blocked on its outputs). */
  overtakeReady(): boolean {
    if (this.alignmentTimeoutInMs() <= 0) return true;
    if (!this.overtakeDue()) return false;
    this.agesAt = Infinity;
    if (this.barrierlessDue() !== 0) return true;
    for (let i = 0; i < this.readers.length; i++) {
      if (this.mayLookAhead(i) && this.readers[i]!.scanFor(this.decide) !== undefined) return true;
    }
    return false;
  }

  /**
   * Unaligned checkpoints: looks in the rings of the channels that have not delivered the barrier of the
   * checkpoint under way, and takes each one found at once, before the records ahead of it are processed: they
   * are read into memory (processed later, in order) and become channel state. Flink's barriers overtake
   * buffered data the same way; waiting behind full rings, a slow consumer would make checkpoints of 5-10 s, then
   * timeouts. Returns the barriers taken.
   */
  overtake(): number {
    // Blocked on its outputs, a subtask does not pump: its alignment times out here.
    const before = this.aligner;
    this.checkAlignmentTimeout();
    let taken = this.aligner !== before ? 1 : 0;
    if (!this.overtakeDue()) return taken;
    this.agesAt = Infinity;
    for (let i = 0; i < this.readers.length; i++) {
      if (!this.mayLookAhead(i)) continue;
      const r = this.readers[i]!;
      const c = r.scanFor(this.decide);
      if (c === undefined) continue;
      r.readAhead(c);
      const records = this.aheadState(i);
      const s = this.aligner;
      if (c.type === 'end-of-stream') {
        // From now on every snapshot counts this channel's records ahead as channel state (snapshot()).
        this.barrierless[i] = true;
        if (s.kind === 'collecting' && !s.seen[i]) for (let k = 0; k < records.length; k++) this.inFlight.push(records[k]!);
        this.aligner = onEnd(s, i, this);
        this.recording[i] = false;
        taken++;
        continue;
      }
      if (c.type !== 'barrier') continue;
      if (s.kind === 'collecting' && s.id === c.checkpointId) {
        for (let k = 0; k < records.length; k++) this.inFlight.push(records[k]!);
      } else {
        this.carried = records;
      }
      // An aligned barrier is taken ahead only once timed out: it overtook records, so the checkpoint is unaligned.
      const b = c.unaligned || (s.kind === 'collecting' && s.id === c.checkpointId) ? c : { ...c, unaligned: true };
      this.barrier = b;
      this.aligner = onBarrier(s, i, b.checkpointId, b.unaligned, this.barrierlessFor(b), performance.now(), this, b.savepoint);
      this.carried = undefined;
      // Its records ahead are channel state already: processed later, they are not recorded again.
      this.recording[i] = false;
      taken++;
    }
    return taken + this.startBarrierless();
  }

  /**
   * Every channel's end was found ahead (its upstream finished) but its records are not processed yet: no barrier
   * will come, so the gate takes a triggered unaligned checkpoint itself, with those records as channel state.
   */
  private startBarrierless(): number {
    const id = this.barrierlessDue();
    if (id === 0) return 0;
    this.barrier = { type: 'barrier', checkpointId: id, timestampMs: Date.now(), unaligned: true, savepoint: false };
    this.aligner = onBarrier(this.aligner, 0, id, true, this.barrierless, performance.now(), this, false);
    return 1;
  }

  /** The id of a triggered unaligned checkpoint the gate must take itself (startBarrierless), else 0. */
  private barrierlessDue(): number {
    const s = this.aligner;
    if (s.kind !== 'idle' || this.allEnded || this.trigger === undefined || !this.barrierless.every((b) => b)) return 0;
    const id = unalignedTriggerId(Atomics.load(this.trigger.control, this.trigger.index));
    return id > s.lastId ? id : 0;
  }

  /**
   * Which channels a barrier's checkpoint counts as having delivered it already. An end of stream found ahead
   * counts only for an unaligned one: an aligned checkpoint or a savepoint carries no channel state, so it waits for
   * the end itself (the channel is read on meanwhile), else a savepoint carries the records ahead.
   */
  private barrierlessFor(c: ControlFrame & { type: 'barrier' }): readonly boolean[] {
    return c.unaligned && !c.savepoint ? this.barrierless : this.ended;
  }

  /** The records read ahead on channel i and not processed yet, with the watermarks among them, as channel state. */
  private aheadState(i: number): InFlightRecord[] {
    const input = this.inputOf[i]!;
    return this.readers[i]!.aheadRecords().map((x) => (x.control === undefined
      ? { input, value: x.value, timestamp: x.timestamp }
      : { input, value: undefined, timestamp: NaN, control: x.control, channel: i }));
  }

  /** A watermark or idleness frame that came on recording channel i: channel state, at its place among the records. */
  private recordControl(i: number, c: ControlFrame): void {
    this.inFlight.push({ input: this.inputOf[i]!, value: undefined, timestamp: NaN, control: c, channel: i });
  }

  /** Where each channel's event time stands (a checkpoint's snapshot keeps it with the channel state after it). */
  channelTimes(): ChannelTimes {
    return this.valve.channelTimes();
  }

  /**
   * A restore at the channels the checkpoint was taken with: each where it stood at the snapshot, so the watermark
   * frames of the channel state (replayControl) move event time as they did.
   */
  restoreChannels(t: ChannelTimes): void {
    this.valve.restoreChannels(t);
    if (this.eventTimeInput === 0) this.ctx.watermark = this.valve.current;
    this.reannounce = true;
  }

  /**
   * The operators the gate feeds; the first time after restoreChannels, they hear where event time stood (before
   * any replayed record or new input: WatermarkValve.reannounce).
   */
  wire(heads: Downstream<unknown>[]): void {
    this.heads = heads;
    if (this.reannounce) {
      this.reannounce = false;
      this.valve.reannounce();
    }
  }

  /** A watermark or idleness frame of the restored channel state, in its place among the replayed records. */
  replayControl(heads: Downstream<unknown>[], channel: number, c: ControlFrame): void {
    this.wire(heads);
    if (c.type === 'watermark') this.valve.onWatermark(channel, c.timestamp);
    else if (c.type === 'idleness') this.valve.onIdle(channel, c.idle);
  }

  /** The coordinator gave up checkpoint `id`. */
  abort(id: number): void {
    this.aligner = onAbort(this.aligner, id, this);
  }

  /** Some input has published data not read yet (the re-check before parking). */
  hasData(): boolean {
    for (let i = 0; i < this.readers.length; i++) {
      const r = this.readers[i]!;
      // Records left from a batch frame are ready without the ring: parking on them would stall the task.
      if (!this.ended[i] && !this.blocked[i] && (r.hasBuffered || r.consumer.hasData())) return true;
    }
    return false;
  }

  // ---- AlignerEffects

  block(channel: number): void {
    if (!this.blocked[channel]) { this.blocked[channel] = true; this.blockedCount++; }
  }

  unblockAll(): void {
    if (this.blockedCount === 0) return;
    this.blocked.fill(false);
    this.blockedCount = 0;
  }

  snapshot(_id: number, recording: readonly number[], unaligned: boolean): void {
    for (const i of recording) this.recording[i] = true;
    this.inFlight = this.carried ?? [];
    this.carried = undefined;
    // Channels whose end was found ahead: their records before it are not processed yet (an unaligned checkpoint
    // counted them as delivered; an aligned one waits for their end: barrierlessFor). One that switched at the
    // timeout records them as they are read (its alignment counted such a channel as missing: `recording`).
    if (unaligned) {
      for (let i = 0; i < this.readers.length; i++) {
        if (this.barrierless[i] && !this.ended[i] && !this.recording[i]) for (const r of this.aheadState(i)) this.inFlight.push(r);
      }
    }
    // Sent on unaligned where the checkpoint switched here (barrier-aligner.ts): it overtakes the full outputs.
    const b = this.barrier!;
    this.barriers.snapshot(unaligned && !b.unaligned ? { ...b, unaligned: true } : b);
  }

  complete(id: number): void {
    this.recording.fill(false);
    const inFlight = this.inFlight;
    this.inFlight = [];
    this.barriers.complete(id, inFlight);
  }

  abandon(id: number): void {
    this.recording.fill(false);
    this.inFlight = [];
    this.barriers.abandon(id);
  }
}
