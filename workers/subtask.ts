// Runs on: the worker thread the subtask is placed on.
//
// One parallel instance of a task: a source, an input gate or both (a source chained to a broadcast process
// operator, whose broadcast input comes through the gate), the chain of operators, and the output gates.
// `step` does a bounded amount of work and never waits, so many subtasks can share a thread. Checkpoints: a
// source subtask starts one when the coordinator's trigger moves (it records its position, snapshots its chain
// and sends the barrier on); other subtasks when their input gate has aligned the barrier, a source beside a gate
// too (then the source's position is recorded at that point), unless every channel of the gate has ended.

import type { SourceAlignment } from '../core/time/watermark-alignment.js';
import type { TimestampsOperator } from '../core/time/timestamps-operator.js';
import { streamIdle } from '../core/time/stream-status.js';
import { holdsRecords, type Downstream, type HoldsRecords, type Operator } from '../core/operators/operator.js';
import type { SinkOperator } from '../core/operators/sink-operator.js';
import type { TaskContext } from '../core/operators/task-context.js';
import { SOURCE_END, SOURCE_WAIT, type BadRecord, type SourceReader, type SourceSplit, type SplitTracker } from '../core/connectors/source.js';
import { OperatorError } from '../core/api/errors.js';
import { unsendableState } from './unsendable-state.js';
import { SourceSlice } from './source-slice.js';
import type { ControlFrame } from '../shm/codec/control.js';
import { OUTPUT, SOURCE_HELD, type InFlightRecord, type SubtaskSnapshot } from '../core/checkpoint/messages.js';
import { JOB_CHECKPOINT_SAVEPOINT, JOB_CHECKPOINT_UNALIGNED, OUTPUT_HOLD_LIMIT, OUTPUT_HOLD_ON, OUTPUT_HOLD_TAKEN, unalignedTriggerId } from '../shm/layout.js';
import { MAX_WATERMARK } from '../core/time/watermark.js';
import type { BarrierHandler, InputGate } from './input-gate.js';
import type { OutputGate } from './output-gate.js';
import type { LatencyMarker, LatencyTracking } from './latency-markers.js';

// A subtask's life, one phase after the other (advanceEnd moves it on and returns the next):
//   RUNNING ──every input ended──▶ DRAINING ──holders empty──▶ OUTPUTS_ENDED ──drained──▶ LETTERS_ENDED ──drained──▶ FINISHED
// The dead-letter outputs end last: draining the others may still reject records into them.
export const RUNNING = 0;
/** Every input has ended, the chain too; operators holding records (async I/O) still emit theirs. */
export const DRAINING = 1;
/** Every output but the dead letters' has its end of stream; they are still writing it. */
export const OUTPUTS_ENDED = 2;
/** The dead-letter outputs have their end of stream too; the last of it is still being written. */
export const LETTERS_ENDED = 3;
/** All is out; the final state was reported (with checkpoints on). */
export const FINISHED = 4;
export type Phase = typeof RUNNING | typeof DRAINING | typeof OUTPUTS_ENDED | typeof LETTERS_ENDED | typeof FINISHED;

// A source subtask's reader, within RUNNING:
//   READING ⇄ WAITING (it said WAIT: woken by its ready() promise, or at the due time it told)
//   READING ──END──▶ ENDED, or READING ──END with records held──▶ END_DUE ──held records pushed on──▶ ENDED
const SOURCE_READING = 0;
const SOURCE_WAITING = 1;
const SOURCE_END_DUE = 2;
const SOURCE_ENDED = 3;
type SourcePhase = typeof SOURCE_READING | typeof SOURCE_WAITING | typeof SOURCE_END_DUE | typeof SOURCE_ENDED;

/**
 * Least wait for a source that told its due time, ms. A paced source at 600 K records/s has its next record due
 * in under 2 µs: waking for each would spend more on the loop's rounds than on records. In q1 latency runs at
 * 1.3 M events/s, 0.05 ms gave a worse p99 than 0.1 ms (batches of ~30 records instead of ~65).
 */
export const SOURCE_WAIT_QUANTUM_MS = 0.1;

/** Longest a step fires the final watermark's timers before the thread's other work gets a turn, ms. */
const DUE_SLICE_MS = 10;

/**
 * Without checkpoints, how often a source that acknowledges upstream (a Redis consumer group) is told that what it
 * has read is done, ms: as Kafka's auto-commit does. Else nothing would ever acknowledge it, and the consumer's
 * pending list (and the reader's own list of it) grew for good.
 */
export const AUTO_ACK_MS = 1000;
/**
 * How long the ended sources of a thread may take for their last notifications before the job fails (Kafka's
 * consumer close waits 30 s).
 */
export const SOURCE_NOTIFY_WAIT_MS = 30_000;

type Barrier = ControlFrame & { type: 'barrier' };

/**
 * A split tracker call made while source records are held (sourceHeld): kept among them as (marker, split id), so
 * it takes effect in order with them. Only a source whose reader tracks splits has them.
 */
const SPLIT_ADD = Symbol('split add');
const SPLIT_SWITCH = Symbol('split switch');
const SPLIT_END = Symbol('split end');
type SplitMark = typeof SPLIT_ADD | typeof SPLIT_SWITCH | typeof SPLIT_END;

function isSplitMark(v: unknown): v is SplitMark {
  return v === SPLIT_SWITCH || v === SPLIT_ADD || v === SPLIT_END;
}

/** Where a subtask reports its checkpoint work (workers/checkpoint-link.ts, or nothing when the job does not checkpoint). */
export interface CheckpointSink {
  /** `unaligned`: the snapshot was taken at an unaligned barrier (checkpointMode 'unaligned', or switched at the alignment timeout). */
  ack(checkpointId: number, snapshot: SubtaskSnapshot, syncMs: number, unaligned?: boolean): void;
  /** A snapshot taken for a checkpoint given up since: only its keyed chunks (see WorkerMessage 'abandoned'). */
  abandoned(checkpointId: number, snapshot: SubtaskSnapshot): void;
  decline(checkpointId: number, task: number, subtask: number, reason: string): void;
  finished(snapshot: SubtaskSnapshot): void;
}

/** The operators of a chain, with the uid their state is stored under. */
export interface ChainOperator {
  readonly uid: string;
  readonly op: Operator<unknown, unknown>;
}

export class Subtask implements BarrierHandler {
  state: Phase = RUNNING;
  /**
   * Source only: where its reader is (SOURCE_READING). WAITING ends when its `ready()` promise resolves
   * (`sourceReady` turns true) or, when it told its due time, at `sourceDueAt` (performance.now() ms; NaN: not known).
   * A subtask with a source and an input gate runs on until both have ended.
   */
  private sourcePhase: SourcePhase = SOURCE_READING;
  private sourceReady = false;
  private sourceDueAt = NaN;
  /**
   * Wake a waiting source at its `readyAt()` rather than by its `ready()` promise (set by the task host from
   * RuntimeOptions.fineWaitMs; false: always the promise).
   */
  fineSourceWaits = false;
  /**
   * RunOptions.alignmentTimeoutMs (set by the task host): an aligned checkpoint triggered this long ago and not
   * taken here yet is taken unaligned (triggerSwitchInMs).
   */
  alignmentTimeoutMs = Infinity;
  /** The aligned trigger last seen pending, and since when (performance.now()): see triggerSwitchInMs. */
  private triggerSeenId = 0;
  private triggerSeenAt = 0;
  /** Operators of the chain that hold records across steps (async I/O): polled every step, gate the input. */
  private readonly holders: HoldsRecords[];
  /** Operators whose final watermark's timers fire in slices, a step at a time (fireDue). */
  private readonly dueOps: Operator<unknown, unknown>[];
  private readonly stopWhenBlocked: () => boolean;
  private readonly emit: (v: unknown, ts?: number) => void;
  private readonly invalid: (bad: BadRecord) => void;
  /** The heads the input gate pushes into, by input index (a two-input operator has two). */
  private readonly heads: Downstream<unknown>[];
  /** The last checkpoint whose barrier this subtask sent (or that was given up): a trigger at or below it is old. */
  private lastBarrier = 0;
  /** The input gate delivered every channel's end and the replay is done. */
  private inputFinished = false;
  /** Snapshot taken at a barrier whose channels are still delivering it (unaligned). */
  private pendingSnapshot: { id: number; snapshot: SubtaskSnapshot; syncMs: number; unaligned: boolean } | undefined;
  /** Earliest processing time an operator of the chain waits for (Date.now() ms), refreshed every step. */
  private nextTimer = Infinity;
  /**
   * Records handed over from a restored unaligned checkpoint, replayed before the inputs, from `replayAt` on (an
   * index: `shift()` is linear on large arrays, 19 s for 100 K records here).
   */
  private replay: InFlightRecord[] = [];
  private replayAt = 0;
  busyMs = 0;
  /** Work done by the last step (the task loop's accounting). */
  lastWork = 0;
  /**
   * The task loop's accounting of its last round: its step's span (performance.now() ms), and how it stood
   * (task-loop.ts READY, BACKPRESSURED, IDLE) at the round's start and after its step.
   */
  stepFrom = 0;
  stepTo = 0;
  standingBefore = 0;
  standingAfter = 0;
  backpressuredMs = 0;
  idleMs = 0;
  sourceRecords = 0;
  /** The reader got none of its source's splits, another subtask some, and it has emitted no record (set by the task host). */
  givenNoSplits = false;
  private readonly sourceSlice = new SourceSlice();
  /** The chain's sinks whose writers do work per batch (SinkWriter.batchEnd), told after each step. */
  private readonly batchSinks: SinkOperator<unknown>[];
  /**
   * Source records read while the chain could take no more (value, timestamp, value, timestamp, ...), pushed on
   * in order before anything else moves: a reader emits a whole batch per read, and a fanning-out operator
   * behind it would otherwise queue the batch's whole output in the output gates (1024 records times the
   * fan-out, gigabytes). Held here, one record's output at most waits there. A barrier waits until none are held: the
   * reader's position already counts them.
   */
  private readonly sourceHeld: unknown[] = [];
  private sourceHeldAt = 0;
  /** The per-split watermarks its reader tells which split it reads (trackSplits): held records may have marks among them. */
  private splitTracker: SplitTracker | undefined;
  badRecords = 0;
  /** Latency markers: set by the task host when the job tracks latency (RunOptions.latencyTrackingIntervalMs). */
  latency: LatencyTracking | undefined;
  /** Watermark alignment of an aligned source (align()), and the operator whose watermark it publishes. */
  private alignment: SourceAlignment | undefined;
  private aligned: TimestampsOperator<unknown> | undefined;
  /** An aligned source ahead of its group, at this watermark (NaN: not held): it reads nothing until it is not. */
  private heldAt = Number.NaN;
  /** Of idleMs, the time it was held (the task loop counts it). */
  alignmentHeldMs = 0;
  /** Waiting for async operators' requests with nothing else to do (awaitsResults): not in idleMs. */
  asyncWaitMs = 0;
  /**
   * A two-input operator chained behind the source that merges its inputs' event time itself (the gate brings
   * only its second input): its merged watermark is the task's.
   */
  merging: { readonly mergedWatermark: number | undefined } | undefined;
  /**
   * A source subtask of a checkpointed run with an output bound: the output-hold buffer (shm/layout.ts) and the
   * lines of the collect sinks downstream of it.
   */
  outputHold: { lines: Int32Array; bases: number[] } | undefined;

  constructor(
    readonly taskId: number,
    readonly name: string,
    readonly ctx: TaskContext,
    readonly head: Downstream<unknown>,
    readonly chain: ChainOperator[],
    readonly outputs: OutputGate<unknown>[],
    readonly sinks: SinkOperator<unknown>[],
    readonly input: InputGate | undefined,
    readonly source: SourceReader<unknown> | undefined,
    /** Rings the thread's doorbell: a source's pending promise resolved. */
    private readonly wake: () => void,
    private readonly sourceName: string,
    private readonly checkpoints: CheckpointSink | undefined,
    /** The coordinator's trigger word (job control buffer) and where it is; undefined without checkpoints. */
    private readonly trigger: { control: Int32Array; index: number } | undefined,
    head2?: Downstream<unknown>,
  ) {
    this.heads = head2 === undefined ? [head] : [head, head2];
    this.batchSinks = sinks.filter((s) => s.endsBatches);
    const letters = outputs.filter((o) => o.carriesDeadLetters);
    if (letters.length > 0) for (const o of outputs) if (!o.carriesDeadLetters) o.letters = letters;
    this.letterGates = letters;
    this.holders = chain.map((c) => c.op).filter((op) => holdsRecords(op));
    // Asked as holdsRecords asks: a stand-in operator (tests) may lack it.
    this.dueOps = chain.map((c) => c.op).filter((op) => (op as Partial<Operator<unknown, unknown>>).sliceDueTimers?.() === true);
    // Chains without a holder keep the one check per record they always had.
    this.stopWhenBlocked = this.holders.length === 0 ? () => this.blocked() : () => this.blocked() || !this.holdersAccept();
    const held = this.sourceHeld;
    // The check per record costs a chained job several percent: the usual shapes get a cheaper one.
    const only = outputs.length === 1 && this.holders.length === 0 ? outputs[0]! : undefined;
    this.emit = outputs.length === 0 && this.holders.length === 0
      ? (v, ts) => {
        this.sourceRecords++;
        ctx.timestamp = ts === undefined ? NaN : ts;
        head.push(v);
      }
      : only !== undefined
        ? (v, ts) => {
          this.sourceRecords++;
          if (held.length > 0 || only.blocked) { held.push(v, ts); return; }
          ctx.timestamp = ts === undefined ? NaN : ts;
          head.push(v);
        }
        : (v, ts) => {
          this.sourceRecords++;
          if (held.length > 0 || this.stopWhenBlocked()) { held.push(v, ts); return; }
          ctx.timestamp = ts === undefined ? NaN : ts;
          head.push(v);
        };
    // The source's error policy (on its place-holding operator, the chain's first) decides about bad input.
    const sourceOp = source ? chain[0]?.op : undefined;
    this.invalid = (bad) => {
      this.badRecords++;
      if (sourceOp === undefined || sourceOp.errorPolicy === 'fail') {
        // Connector errors already say where (file:line, stream/id); others get the position here.
        const error = bad.error.message.includes(bad.position) ? bad.error : Object.assign(new Error(`bad input at ${bad.position}: ${bad.error.message}`), { cause: bad.error });
        throw new OperatorError(this.sourceName, ctx.subtask, error, undefined, sourceOp?.onErrorTarget);
      }
      ctx.timestamp = NaN;
      sourceOp.reject(bad.error, bad.raw, bad.position);
    };
  }

  get index(): number {
    return this.ctx.subtask;
  }

  /**
   * Closes the source's reader as the thread's run ends. What its close throws is said through `warn`, naming the
   * source: a close may acknowledge, commit or release upstream what was read, and its failure then goes unseen
   * otherwise. Not thrown: the job's outcome (its own failure first of all) stands.
   */
  async closeSource(warn: (message: string) => void): Promise<void> {
    try {
      await this.source?.close?.();
    } catch (e) {
      warn(`source '${this.sourceName}' (subtask ${this.ctx.subtask}) failed in close: ${e instanceof Error ? e.message : String(e)}. What it does on close (acknowledging, committing or releasing upstream what it read) may not be done`);
    }
  }

  get operators(): Operator<unknown, unknown>[] {
    return this.chain.map((c) => c.op);
  }

  /**
   * A restored unaligned checkpoint's channel state: records to replay before reading the inputs, records the
   * source had read (pushed on before it reads again), and what the output gates had not written (sent first).
   * `recode`: a record of an input as it would cross that input's exchange now (its codec's encode and decode),
   * or a throw when the exchange's record schema no longer fits it.
   */
  setReplay(records: InFlightRecord[], recode: (input: number, value: unknown) => unknown = (_input, value) => value): void {
    const changed = (what: string): OperatorError => new OperatorError(this.name, this.ctx.subtask, new Error(`the unaligned checkpoint holds ${what}: the job's chaining changed since it was taken; restore it with the same chaining, or restore an aligned checkpoint or a savepoint`));
    const replay: InFlightRecord[] = [];
    for (const r of records) {
      if (r.input === OUTPUT) {
        const gate = this.outputs[r.output ?? -1];
        if (gate === undefined || !(r.writer! >= 0 && r.writer! < gate.writers.length)) throw changed(`records not yet sent by output ${r.output} to channel ${r.writer}, which is not here`);
        gate.restoreQueued(r.writer!, r);
        continue;
      }
      if (r.input === SOURCE_HELD) {
        if (this.source === undefined) throw changed('records its source had read, and this task has no source');
        this.sourceHeld.push(r.value, r.timestamp === r.timestamp ? r.timestamp : undefined);
        continue;
      }
      // The input they came through must be an input gate's here too: with other chaining (chaining off, or a
      // broadcast process operator chained to its source or not) they would be replayed into the wrong operator,
      // or never.
      if (this.input === undefined || r.input >= this.heads.length || (this.source !== undefined && r.input === 0)) {
        throw changed(`in-flight records of input ${r.input}, which has no input channels here`);
      }
      // A watermark or idleness frame among them (restore.ts keeps them only where the channels are as they were).
      if (r.control !== undefined) { replay.push(r); continue; }
      // Written before a change of the exchange's record schema, they would be replayed in their old shape,
      // never checked against the new one: they cross the exchange's codec here as they would now.
      try {
        replay.push({ ...r, value: recode(r.input, r.value) });
      } catch (e) {
        throw new OperatorError(this.name, this.ctx.subtask, new Error(`the unaligned checkpoint holds records of input ${r.input} that its record schema no longer fits (${(e as Error).message}): the schema changed since it was taken; restore a savepoint or an aligned checkpoint taken before the change, or keep the schema`, { cause: e }));
      }
    }
    this.replay = replay;
    this.replayAt = 0;
  }

  private replaying(): boolean {
    return this.replayAt < this.replay.length;
  }

  /** The task's watermark as its chain sends it on (the metric): its outputs' last, else the chain's own. */
  emittedWatermark(): number {
    let wm = Number.NaN;
    for (let i = 0; i < this.outputs.length; i++) {
      const w = this.outputs[i]!.lastWatermark;
      if (!(w <= wm)) wm = w;
    }
    if (wm === wm) return wm;
    const e = this.ctx.emittedWatermark;
    return e === e ? e : this.ctx.watermark;
  }

  /** The stream it sends on is marked idle (the metric): every end of its chain that was told a status, told idleness. */
  watermarkIdle(): boolean {
    return streamIdle(this.outputs, this.sinks);
  }

  blocked(): boolean {
    for (let i = 0; i < this.outputs.length; i++) if (this.outputs[i]!.blocked) return true;
    return false;
  }

  /** Every record-holding operator has room for input. */
  private holdersAccept(): boolean {
    for (let i = 0; i < this.holders.length; i++) if (!this.holders[i]!.canAcceptInput()) return false;
    return true;
  }

  /** Every record-holding operator has emitted all it holds. */
  private holdersDrained(): boolean {
    for (let i = 0; i < this.holders.length; i++) if (!this.holders[i]!.drained) return false;
    return true;
  }

  private holdersPending(): boolean {
    for (let i = 0; i < this.holders.length; i++) if (this.holders[i]!.hasPendingWork()) return true;
    return false;
  }

  /** Emits finished results of record-holding operators, upstream first, while the outputs take them. */
  private pollHolders(budget: number): number {
    let done = 0;
    for (let i = 0; i < this.holders.length && !this.blocked(); i++) done += this.holders[i]!.pollPending(budget);
    return done;
  }

  private drain(): boolean {
    let clear = true;
    const letters = this.letterGates;
    for (let i = 0; i < this.outputs.length; i++) if (!this.outputs[i]!.carriesDeadLetters && !this.outputs[i]!.drain()) clear = false;
    if (letters.length === 0) return clear;
    // The dead letters last: the other gates' drains may have made some, and sent barriers that release theirs.
    let deferring = false;
    for (let i = 0; i < letters.length; i++) if (letters[i]!.deferring) deferring = true;
    if (deferring) {
      let pending = Infinity;
      for (let i = 0; i < this.outputs.length; i++) if (!this.outputs[i]!.carriesDeadLetters) pending = Math.min(pending, this.outputs[i]!.pendingBarrier());
      for (let i = 0; i < letters.length; i++) letters[i]!.release(pending);
    }
    for (let i = 0; i < letters.length; i++) if (!letters[i]!.drain()) clear = false;
    return clear;
  }

  /** The outputs carrying dead letters (OutputGate.letters). */
  private readonly letterGates: OutputGate<unknown>[];

  /** Does up to `budget` records of work; returns how much it did (0: nothing could be done now). */
  step(budget: number): number {
    const done = this.stepOnce(budget);
    // Whatever the step wrote to a sink that asked arrived in it: the writer's per-batch work (SinkWriter.batchEnd).
    const batchSinks = this.batchSinks;
    for (let i = 0; i < batchSinks.length; i++) batchSinks[i]!.batchEnd();
    return done;
  }

  private stepOnce(budget: number): number {
    if (this.state === FINISHED) return 0;
    if (this.asyncFailure !== undefined) throw this.asyncFailure;
    // Before anything that returns early (a full output or async operator): canProgress says true once it is due, and
    // a step that did not do it would have the loop spin. A quiet stream's last reads are acknowledged too.
    if (this.unacked && performance.now() >= this.autoAckAt) this.autoAcknowledge(this.source!);
    if (this.blocked() && !this.drain()) return this.overtake();
    if (this.state !== RUNNING) {
      // End of input passed the chain up to an operator still holding records: it ends once they are out.
      if (this.state === DRAINING && !this.holdersDrained()) return this.pollHolders(budget);
      this.state = this.advanceEnd();
      return 1;
    }
    let done = this.fireTimers();
    if (this.holders.length > 0) {
      done += this.pollHolders(budget);
      if (!this.holdersAccept()) {
        // Full: the input waits (backpressure) until a completion rings the doorbell. A source still starts
        // checkpoints: the snapshot holds what is in flight; an unaligned barrier is still taken ahead.
        if ((this.source || this.firingEnd()) && this.trigger !== undefined && !this.blocked()) done += this.maybeTrigger();
        // A source's due latency marker goes out on time, to wait in the async operator behind what it holds. Left
        // due, canProgress said so at every park and the loop spun without an event-loop turn: no request settled.
        if (this.source !== undefined && this.latency !== undefined && this.sourceHeld.length === 0) done += this.latency.emitDue(this.outputs, this.enterMarker);
        return done + this.overtake();
      }
    }
    if (this.blocked()) return done || 1;
    if (this.dueOps.length > 0 && this.timersDue()) {
      // The final watermark's timers, a slice per step, as Flink's interruptible timers fire in the mailbox: the
      // gate goes on bringing barriers between slices, and once every input has ended (no barrier will come), the
      // coordinator's trigger starts checkpoints here, as at a source. The chain ends once they have all fired.
      // The trigger before the slice, blocked or not (its barrier queues behind the output's backlog, in order):
      // under backpressure a slice ends blocked nearly every step, and a trigger taken after it only when not
      // blocked waited for the last timer.
      if (this.inputFinished && this.trigger !== undefined) done += this.maybeTrigger();
      done += this.fireDue(budget);
      if (this.inputFinished && !this.timersDue() && this.source === undefined) {
        this.end();
        return done + 1;
      }
      if (this.blocked()) return done || 1;
    }
    // Held source records first: before the gate (its barrier would snapshot the reader past them) and the reader.
    if (this.sourceHeld.length > 0) {
      done += this.pushSourceHeld();
      if (this.sourceHeld.length > 0) return done || 1;
      if (this.sourcePhase === SOURCE_END_DUE) return done + this.sourceEnd();
    }
    // The gate first: beside a source, it brings the barriers that start checkpoints, and a source that fills
    // the outputs each step would leave it a record per step under backpressure.
    if (this.input !== undefined) done += this.stepInput(budget);
    if (this.source !== undefined && this.sourcePhase !== SOURCE_ENDED && this.state === RUNNING && (this.input === undefined || !this.blocked())) done += this.stepSource(budget);
    return done;
  }

  /**
   * Blocked on a full output, it reads nothing; an unaligned checkpoint still passes: barriers found ahead in the
   * input rings, or a source's trigger (its held records become channel state). Returns the barriers taken.
   */
  private overtake(): number {
    if (this.state !== RUNNING || this.trigger === undefined) return 0;
    let n = this.input !== undefined && !this.replaying() ? this.input.overtake() : 0;
    if (this.source !== undefined && this.sourcePhase !== SOURCE_ENDED && this.mayPassHeld()) n += this.maybeTrigger();
    // Inputs ended, the final watermark's timers firing: no gate barrier will come, and a slow consumer keeps the
    // output full until the last timer; the coordinator's trigger is taken here, aligned or not.
    else if (this.firingEnd()) n += this.maybeTrigger();
    return n;
  }

  /** Every input has ended and the final watermark's timers are still firing (the coordinator triggers it). */
  private firingEnd(): boolean {
    return this.source === undefined && this.inputFinished && this.dueOps.length > 0 && this.timersDue();
  }

  /**
   * A collect sink downstream has taken a bound more than its reader has read (core/runtime/output-hold.ts): rung
   * when the reader raises the limit or stops.
   */
  private outputHeld(): boolean {
    const hold = this.outputHold;
    if (hold === undefined) return false;
    const lines = hold.lines;
    for (const b of hold.bases) {
      if (Atomics.load(lines, b + OUTPUT_HOLD_ON) !== 1) continue;
      // TAKEN before LIMIT: the main thread stores a raised limit, then loads TAKEN to decide whether to ring.
      // Loaded after LIMIT, a TAKEN grown past the old limit since the main thread's load would park this source
      // on the old limit, unrung.
      const taken = Atomics.load(lines, b + OUTPUT_HOLD_TAKEN);
      if (((taken - Atomics.load(lines, b + OUTPUT_HOLD_LIMIT)) | 0) >= 0) return true;
    }
    return false;
  }

  /** The coordinator's latest trigger is of an unaligned checkpoint. */
  private unalignedTriggered(): boolean {
    return unalignedTriggerId(Atomics.load(this.trigger!.control, this.trigger!.index)) !== 0;
  }

  /**
   * The barrier of the pending trigger may go out ahead of held records and queued output (their place taken as
   * channel state): an unaligned checkpoint, or an aligned one switched at the alignment timeout.
   */
  private mayPassHeld(): boolean {
    return this.unalignedTriggered() || this.triggerSwitchInMs() <= 0;
  }

  /**
   * In how many ms the pending aligned checkpoint switches to unaligned here (<= 0: it has), Infinity for none (no
   * alignmentTimeoutMs, a savepoint, or nothing pending). Under backpressure a source's aligned barrier waits for its
   * held records to drain at the consumers' pace: as Flink's aligned checkpoint timeout, counted from the checkpoint's
   * start, turns a barrier still in a task's output into an unaligned one, it goes ahead of them after the timeout.
   */
  private triggerSwitchInMs(): number {
    if (this.alignmentTimeoutMs === Infinity || this.trigger === undefined) return Infinity;
    const word = Atomics.load(this.trigger.control, this.trigger.index);
    const id = word >>> 2;
    if (id <= this.lastBarrier || (word & (JOB_CHECKPOINT_UNALIGNED | JOB_CHECKPOINT_SAVEPOINT)) !== 0) return Infinity;
    const now = performance.now();
    if (id !== this.triggerSeenId) { this.triggerSeenId = id; this.triggerSeenAt = now; }
    return this.triggerSeenAt + this.alignmentTimeoutMs - now;
  }

  /** Pushes held source records on while the chain takes them; returns how many. */
  private pushSourceHeld(): number {
    if (this.splitTracker !== undefined) return this.pushSourceHeldTracked(this.splitTracker);
    const held = this.sourceHeld;
    const ctx = this.ctx;
    let i = this.sourceHeldAt;
    let n = 0;
    while (i < held.length && !this.stopWhenBlocked()) {
      const v = held[i];
      const ts = held[i + 1] as number | undefined;
      i += 2;
      ctx.timestamp = ts === undefined ? NaN : ts;
      this.head.push(v);
      n++;
    }
    if (i >= held.length) { held.length = 0; this.sourceHeldAt = 0; } else this.sourceHeldAt = i;
    return n;
  }

  /** pushSourceHeld with split marks among the records: each takes effect in turn, even while blocked. */
  private pushSourceHeldTracked(tracker: SplitTracker): number {
    const held = this.sourceHeld;
    const ctx = this.ctx;
    let i = this.sourceHeldAt;
    let n = 0;
    while (i < held.length) {
      const v = held[i];
      if (isSplitMark(v)) {
        const id = held[i + 1] as string;
        i += 2;
        if (v === SPLIT_SWITCH) tracker.switchTo(id);
        else if (v === SPLIT_ADD) tracker.add(id);
        else tracker.end(id);
        continue;
      }
      if (this.stopWhenBlocked()) break;
      const ts = held[i + 1] as number | undefined;
      i += 2;
      ctx.timestamp = ts === undefined ? NaN : ts;
      this.head.push(v);
      n++;
    }
    if (i >= held.length) { held.length = 0; this.sourceHeldAt = 0; } else this.sourceHeldAt = i;
    return n;
  }

  /** Held source records (not split marks). */
  private heldRecordCount(): number {
    const held = this.sourceHeld;
    if (this.splitTracker === undefined) return (held.length - this.sourceHeldAt) / 2;
    let n = 0;
    for (let k = this.sourceHeldAt; k < held.length; k += 2) if (!isSplitMark(held[k])) n++;
    return n;
  }

  /**
   * Tells the source's reader to say which split it reads, to `tracker` (the per-split watermarks chained behind
   * it). A call made while records are held waits among them, so it applies to the records around it.
   */
  trackSplits(tracker: SplitTracker): void {
    const source = this.source;
    if (source?.trackSplits === undefined) return;
    this.splitTracker = tracker;
    const held = this.sourceHeld;
    const mark = (m: SplitMark, id: string, now: (id: string) => void): void => {
      if (held.length > 0) held.push(m, id);
      else now(id);
    };
    try {
      source.trackSplits({
        add: (id) => mark(SPLIT_ADD, id, (x) => tracker.add(x)),
        switchTo: (id) => mark(SPLIT_SWITCH, id, (x) => tracker.switchTo(x)),
        end: (id) => mark(SPLIT_END, id, (x) => tracker.end(x)),
      });
    } catch (e) {
      throw new OperatorError(this.sourceName, this.ctx.subtask, e, 'trackSplits');
    }
  }

  private stepSource(budget: number): number {
    const source = this.source!;
    let done = 0;
    // With an input gate too, its barriers start checkpoints, unless no input is left to bring one.
    if (this.trigger !== undefined) done += this.maybeTrigger();
    if (this.latency !== undefined) done += this.latency.emitDue(this.outputs, this.holders.length > 0 ? this.enterMarker : undefined);
    const alignment = this.alignment;
    // Before any wait returns: a waiting source's watermark still moves (periodic emits, idleness, its end).
    const progress = alignment !== undefined ? this.aligned!.progressWatermark() : NaN;
    if (alignment !== undefined) alignment.publish(progress, this.aligned!.isIdleNow);
    if (this.sourcePhase === SOURCE_WAITING) {
      if (!this.sourceReady && !(performance.now() >= this.sourceDueAt)) return done;
      this.sourcePhase = SOURCE_READING;
      this.sourceReady = false;
      this.ctx.sourceSettled = false;
      this.sourceDueAt = NaN;
    }
    // Held by a reader of the job's output that is behind (checkpointed runs): its barriers above still go out,
    // so the checkpoint that lets the reader go on completes. Held is not idle, as below.
    if (this.outputHeld()) {
      this.ctx.sourceIdleSince = NaN;
      return done;
    }
    // A source of the group that moves on rings this thread. Held is not idle: an empty read just before (a
    // polling source between bursts) must not mark the stream idle while it is held back with data to read.
    if (alignment !== undefined) {
      if (alignment.holds(progress)) {
        this.heldAt = progress;
        this.ctx.sourceIdleSince = NaN;
        return done;
      }
      this.heldAt = NaN;
    }
    let status;
    const before = this.sourceRecords;
    this.ctx.sourceReads++;
    const asked = this.sourceSlice.next(budget);
    const startedAt = performance.now();
    try {
      status = source.read(this.emit, asked, this.invalid);
    } catch (e) {
      if (e instanceof OperatorError) throw e;
      throw new OperatorError(this.sourceName, this.ctx.subtask, e);
    }
    const read = this.sourceRecords - before;
    this.sourceSlice.took(asked, read, performance.now() - startedAt);
    done += read;
    if (read > 0 && this.autoAcks) this.unacked = true;
    if (read > 0) {
      this.ctx.sourceIdleSince = NaN;
      this.ctx.sourceHoldsNoSplit = false;
      this.givenNoSplits = false;
    }
    if (status === SOURCE_WAIT) {
      if (read === 0) {
        if (this.ctx.sourceIdleSince !== this.ctx.sourceIdleSince) this.ctx.sourceIdleSince = performance.now();
        this.ctx.sourceHoldsNoSplit = !this.readerHasSplits(source);
      }
      this.sourcePhase = SOURCE_WAITING;
      const at = this.fineSourceWaits && source.readyAt !== undefined ? this.readyAt(source) : NaN;
      // At least a quantum later: each wake-up pays a round's fixed costs, so it should find a batch.
      if (at === at) this.sourceDueAt = Math.max(at, performance.now() + SOURCE_WAIT_QUANTUM_MS);
      else source.ready().then(() => { this.settled(); }, () => { this.settled(); });
    } else if (status === SOURCE_END) {
      if (this.sourceHeld.length > 0) this.sourcePhase = SOURCE_END_DUE;
      else done += this.sourceEnd();
    }
    return done;
  }

  /** Whether the reader holds a split: as it says, else whether it was given one or has emitted a record. */
  private readerHasSplits(source: SourceReader<unknown>): boolean {
    if (source.hasSplits === undefined) return !this.givenNoSplits;
    try {
      return source.hasSplits();
    } catch (e) {
      throw new OperatorError(this.sourceName, this.ctx.subtask, e, 'hasSplits');
    }
  }

  private readyAt(source: SourceReader<unknown>): number {
    try {
      return source.readyAt!();
    } catch (e) {
      throw new OperatorError(this.sourceName, this.ctx.subtask, e, 'readyAt');
    }
  }

  /** The waiting source's ready() has settled: it is read at its next step (and is not idle meanwhile). */
  private settled(): void {
    this.sourceReady = true;
    this.ctx.sourceSettled = true;
    this.wake();
  }

  /** The source has ended and every record it read is in the chain. */
  private sourceEnd(): number {
    this.sourcePhase = SOURCE_ENDED;
    // Its last reads, which no later step would acknowledge (and whose due time would keep waking the thread).
    if (this.unacked) this.autoAcknowledge(this.source!);
    this.head.watermark(MAX_WATERMARK);
    // Its last publish: an ended source holds no one back (stepSource is not called again).
    this.alignment?.publish(MAX_WATERMARK, true);
    if (this.input === undefined) this.end();
    else {
      // Chained to an operator whose other input is the gate's: the chain ends when both have.
      this.head.finish();
      if (this.inputFinished) this.end(false);
    }
    return 1;
  }

  private stepInput(budget: number): number {
    let done = 0;
    if (this.replaying()) {
      done += this.replayInFlight(budget);
      // The channels' own records follow their in-flight ones (and no barrier may come before those are in).
      if (this.replaying()) return done;
    }
    const input = this.input!;
    done += input.pump(this.heads, budget, this.stopWhenBlocked);
    if (input.allEnded && !this.replaying() && !this.inputFinished) {
      this.inputFinished = true;
      // With the final watermark's timers still firing, the end waits for them (step).
      if (this.source === undefined) { if (!this.timersDue()) this.end(); } else {
        this.heads[1]!.finish();
        if (this.sourcePhase === SOURCE_ENDED) this.end(false);
      }
      done++;
    }
    return done;
  }

  private replayInFlight(budget: number): number {
    let k = 0;
    const replay = this.replay;
    this.input?.wire(this.heads);
    while (k < budget && this.replayAt < replay.length && !this.blocked()) {
      const r = replay[this.replayAt++]!;
      k++;
      if (r.control !== undefined) { this.input!.replayControl(this.heads, r.channel!, r.control); continue; }
      this.ctx.timestamp = r.timestamp;
      this.heads[r.input]!.push(r.value);
    }
    if (this.replayAt === replay.length) {
      this.replay = [];
      this.replayAt = 0;
    }
    return k;
  }

  /** Some operator has timers of the final watermark left to fire (dueOps). */
  private timersDue(): boolean {
    for (let i = 0; i < this.dueOps.length; i++) if (this.dueOps[i]!.hasDueTimers()) return true;
    return false;
  }

  /**
   * Fires a slice of the final watermark's timers, upstream operators first: up to `budget`, while the outputs
   * take them, for DUE_SLICE_MS at most (a slow onTimer must not hold the thread's other subtasks). Returns how many.
   */
  private fireDue(budget: number): number {
    const until = performance.now() + DUE_SLICE_MS;
    // The clock after every timer: one onTimer (a big window's function) can take ms, and 16 of them a slice's many.
    const stop = (): boolean => this.stopWhenBlocked() || performance.now() > until;
    let done = 0;
    for (let i = 0; i < this.dueOps.length && done < budget; i++) {
      const op = this.dueOps[i]!;
      if (!op.hasDueTimers()) continue;
      done += op.fireDueTimers(budget - done, stop);
      if (op.hasDueTimers()) break;
    }
    return done;
  }

  /** Fires processing-time callbacks that are due; returns 1 if any ran. */
  private fireTimers(): number {
    let next = Infinity;
    for (let i = 0; i < this.chain.length; i++) {
      const t = this.chain[i]!.op.nextProcessingTime();
      if (t < next) next = t;
    }
    this.nextTimer = next;
    if (next === Infinity) return 0;
    const now = Date.now();
    if (now < next) return 0;
    next = Infinity;
    for (let i = 0; i < this.chain.length; i++) {
      const op = this.chain[i]!.op;
      if (op.nextProcessingTime() <= now) op.onProcessingTime(now);
      const t = op.nextProcessingTime();
      if (t < next) next = t;
    }
    // What is left due after these ran: a stale time would read as work waiting to hasWork (busy time) and
    // canProgress until the next step.
    this.nextTimer = next;
    return 1;
  }

  /** Whether it is an aligned source held back by its group (it read nothing since, so its watermark is heldAt). */
  get held(): boolean {
    return this.heldAt === this.heldAt;
  }

  /** Makes this source subtask hold back while `timestamps` (chained behind it) is ahead of its group. */
  align(alignment: SourceAlignment, timestamps: TimestampsOperator<unknown>): void {
    this.alignment = alignment;
    this.aligned = timestamps;
  }

  /** Waits on a promise (a source's ready(), async I/O in flight): its thread must not block its event loop. */
  awaitsEventLoop(): boolean {
    return this.holders.length > 0 || (this.sourcePhase === SOURCE_WAITING && !this.sourceReady && this.sourceDueAt !== this.sourceDueAt);
  }

  /**
   * When this source's next latency marker is due (Date.now() time), or Infinity while it cannot go out: the source
   * ended (no marker follows), or its held records wait behind a full async operator (the marker goes after them,
   * once a completion rings the doorbell). Counted as due then, every park returned at once: the thread spun.
   */
  markerDueAt(): number {
    const at = this.latency?.nextMarkerAt ?? Infinity;
    if (at === Infinity || this.sourcePhase === SOURCE_ENDED) return Infinity;
    return this.sourceHeld.length > 0 && this.holders.length > 0 && !this.holdersAccept() ? Infinity : at;
  }

  /** In how many ms the loop must wake this subtask even if nothing arrives (<= 0: now), or Infinity. */
  wakeInMs(): number {
    // Blocked on a full output, it can fire nothing (step returns at once); the consumer's ring wakes it. A due
    // timer here made every park return at once: the thread spun until the output drained.
    // But an unaligned checkpoint under way may need it to take a barrier ahead once OVERTAKE_AFTER_MS have passed.
    if (this.state !== RUNNING) return Infinity;
    if (this.blocked()) {
      // A source's aligned checkpoint switches at the alignment timeout, its barrier then going ahead. Not beside an
      // input gate still open: the gate's barrier starts that checkpoint (maybeTrigger), so a switch due here could
      // not be taken and every park would return at once (the thread spun until the barrier came).
      const triggers = this.source !== undefined && this.sourcePhase !== SOURCE_ENDED && (this.input === undefined || this.inputFinished);
      const w = triggers ? this.triggerSwitchInMs() : Infinity;
      return Math.min(w, this.input !== undefined && this.trigger !== undefined && !this.replaying() ? this.input.overtakeWakeInMs() : Infinity);
    }
    const at = Math.min(this.nextTimer, this.markerDueAt());
    let w = at === Infinity ? Infinity : at - Date.now();
    if (this.unacked) w = Math.min(w, this.autoAckAt - performance.now());
    // An alignment times out even when the channels not blocked bring nothing.
    if (this.input !== undefined && this.trigger !== undefined && !this.replaying()) w = Math.min(w, this.input.alignmentTimeoutInMs());
    // A full record holder reads no input either, so it must not wake only on a completion.
    if (this.holders.length > 0 && this.input !== undefined && this.trigger !== undefined && !this.replaying() && !this.holdersAccept()) w = Math.min(w, this.input.overtakeWakeInMs());
    // A held source is rung when its group moves on; it also looks again every updateIntervalMs, as a backstop.
    if (this.held) return Math.min(w, this.alignment!.updateIntervalMs);
    return this.sourcePhase === SOURCE_WAITING && this.sourceDueAt === this.sourceDueAt ? Math.min(w, this.sourceDueAt - performance.now()) : w;
  }

  /** The input gate passes a latency marker on (in order with the records). */
  latencyMarker(marker: LatencyMarker): void {
    if (this.holders.length > 0) this.passMarker(marker, 0);
    else this.latency?.onMarker(marker, this.outputs);
  }

  private readonly enterMarker = (marker: LatencyMarker): void => this.passMarker(marker, 0);

  /**
   * A latency marker goes down the chain through each async operator from `from` on, in order with the records
   * (each holds it until the inputs taken before it are out), then to the sinks and outputs. Other operators it
   * skips, as Flink's markers do (a window's held records are not what a marker measures).
   */
  private passMarker(marker: LatencyMarker, from: number): void {
    for (let i = from; i < this.holders.length; i++) {
      const h = this.holders[i]!;
      if (h.holdMarker !== undefined) {
        h.holdMarker(marker, (m) => this.passMarker(m, i + 1));
        return;
      }
    }
    this.latency?.onMarker(marker, this.outputs);
  }

  // ---- checkpoints

  /**
   * Source subtasks, and subtasks whose inputs ended while the final watermark's timers fire: a trigger the
   * coordinator wrote since our last barrier starts a checkpoint here.
   */
  private maybeTrigger(): number {
    // The reader's position counts held records: an aligned barrier goes out after them; an unaligned one keeps
    // them as channel state (they are pushed on after a restore, before the source reads).
    if (this.sourceHeld.length > 0 && !this.mayPassHeld()) return 0;
    // Beside an input gate, the gate's barriers start checkpoints, unless no input is left to bring one (and
    // every in-flight record of a restore is in: a snapshot before that would lose the rest).
    if (this.input !== undefined && !this.inputFinished) return 0;
    const word = Atomics.load(this.trigger!.control, this.trigger!.index);
    const id = word >>> 2;
    if (id <= this.lastBarrier || this.state !== RUNNING) return 0;
    const switched = this.triggerSwitchInMs() <= 0;
    this.lastBarrier = id;
    const barrier: Barrier = { type: 'barrier', checkpointId: id, timestampMs: Date.now(), unaligned: (word & 1) !== 0 || switched, savepoint: (word & 2) !== 0 };
    this.snapshot(barrier);
    this.complete(id, []);
    return 1;
  }

  /** A pending trigger a source subtask has not acted on (the re-check before parking). */
  private triggerPending(): boolean {
    // With records held, an aligned trigger waits for them (maybeTrigger): not pending yet, or a loop would spin on it.
    if (this.trigger === undefined || !this.source || this.state !== RUNNING || this.sourcePhase === SOURCE_ENDED) return false;
    if (this.sourceHeld.length > 0 && !this.mayPassHeld()) return false;
    if (this.input !== undefined && !this.inputFinished) return false;
    return this.newTrigger();
  }

  /** The coordinator has written a trigger since this subtask's last barrier (a subtask with a trigger word). */
  private newTrigger(): boolean {
    return (Atomics.load(this.trigger!.control, this.trigger!.index) >>> 2) > this.lastBarrier;
  }

  /**
   * Snapshot the chain now and send the barrier on (InputGate calls it once the barrier is aligned). A source
   * beside an input gate records its position here: its barrier goes out at this point of its stream.
   */
  snapshot(barrier: Barrier): void {
    const t0 = performance.now();
    // Also where the gate brought it: a subtask whose inputs ended takes the coordinator's trigger (step), never twice.
    if (barrier.checkpointId > this.lastBarrier) this.lastBarrier = barrier.checkpointId;
    const snap: SubtaskSnapshot = { task: this.taskId, subtask: this.ctx.subtask, operators: [] };
    const held = this.sourceHeld;
    let from: SourceSplit[] | undefined;
    try {
      for (const { uid, op } of this.chain) {
        const s = op.snapshotState(barrier.checkpointId, barrier.savepoint);
        if (s !== undefined) snap.operators.push({ uid, snapshot: s });
      }
      if (this.source) {
        // Named after the source, not the task (which chains other operators).
        const source = this.source;
        snap.source = this.sourceCall('snapshot', () => source.snapshot(barrier.checkpointId));
        // Held records are counted and go into the checkpoint as its in-flight state: covered too.
        snap.sourceRecords = this.sourceRecords;
        // Where its held records began in their splits, if the reader can say: a restore hands them back there.
        if (held.length > this.sourceHeldAt && source.unread !== undefined) from = this.sourceCall('unread', () => source.unread!(this.heldRecordCount()));
      }
      const wm = this.merging !== undefined ? this.merging.mergedWatermark : this.input?.watermark;
      if (wm !== undefined && wm < MAX_WATERMARK) snap.watermark = wm;
      // Where each channel stood before the channel state recorded from here on (kept with an unaligned one's).
      if (this.input !== undefined && !barrier.savepoint) snap.channels = this.input.channelTimes();
    } catch (e) {
      this.checkpoints?.decline(barrier.checkpointId, this.taskId, this.ctx.subtask, e instanceof Error ? e.message : String(e));
      throw e instanceof OperatorError ? e : new OperatorError(this.name, this.ctx.subtask, e);
    }
    const state: InFlightRecord[] = [];
    // Held source records (only an unaligned barrier passes them): past the reader's position, not in the chain.
    for (let k = this.sourceHeldAt; k < held.length; k += 2) {
      if (this.splitTracker !== undefined && isSplitMark(held[k])) continue;
      const ts = held[k + 1] as number | undefined;
      state.push({ input: SOURCE_HELD, value: held[k], timestamp: ts === undefined ? NaN : ts });
      if (state.length === 1 && snap.source !== undefined) {
        state[state.length - 1]!.splits = snap.source.map((sp) => sp.id);
        if (from !== undefined) state[state.length - 1]!.from = from;
      }
    }
    if (barrier.unaligned && !barrier.savepoint) {
      for (let i = 0; i < this.outputs.length; i++) this.outputs[i]!.overtake(barrier, i, state);
    } else {
      // The dead-letter gates last: one whose barrier went out while another gate still holds records from before
      // it would get their letters (rejected as they drain) after it, outside the checkpoint (OutputGate.letters).
      let behind = false;
      for (let i = 0; i < this.outputs.length; i++) {
        const o = this.outputs[i]!;
        if (o.carriesDeadLetters) continue;
        o.control(barrier);
        if (o.blocked) behind = true;
      }
      for (let i = 0; i < this.letterGates.length; i++) {
        if (behind) this.letterGates[i]!.controlDeferred(barrier);
        else this.letterGates[i]!.control(barrier);
      }
    }
    if (state.length > 0) snap.inFlight = state;
    this.pendingSnapshot = { id: barrier.checkpointId, snapshot: snap, syncMs: performance.now() - t0, unaligned: barrier.unaligned && !barrier.savepoint };
  }

  private sourceCall<R>(hook: string, call: () => R): R {
    try {
      return call();
    } catch (e) {
      throw new OperatorError(this.sourceName, this.ctx.subtask, e, hook);
    }
  }

  complete(id: number, inFlight: InFlightRecord[]): void {
    const p = this.pendingSnapshot;
    if (p === undefined || p.id !== id) return;
    this.pendingSnapshot = undefined;
    if (inFlight.length > 0) p.snapshot.inFlight = p.snapshot.inFlight === undefined ? inFlight : p.snapshot.inFlight.concat(inFlight);
    try { this.checkpoints?.ack(id, p.snapshot, p.syncMs, p.unaligned); } catch (e) { throw unsendableState(e, p.snapshot, this.chain, this.ctx.subtask, id); }
  }

  abandon(id: number): void {
    const p = this.pendingSnapshot;
    if (p === undefined || p.id !== id) return;
    this.pendingSnapshot = undefined;
    // Keyed state moved its change tracking past this snapshot when it was taken (incremental chunks): dropping
    // its keyed chunks would leave their changes out of every later checkpoint. The coordinator adds them to the
    // chains, as it does for a late ack; the rest (operator state, positions, channel state) is of no use now.
    const keyed = p.snapshot.operators
      .filter((o) => o.snapshot.keyed !== undefined && o.snapshot.keyed.length > 0)
      .map((o) => ({ uid: o.uid, snapshot: { keyed: o.snapshot.keyed!, keyedEntries: o.snapshot.keyedEntries } }));
    if (keyed.length > 0) this.checkpoints?.abandoned(id, { task: p.snapshot.task, subtask: p.snapshot.subtask, operators: keyed });
  }

  /** The coordinator gave up checkpoint `id`. */
  abortCheckpoint(id: number): void {
    this.input?.abort(id);
    if (id > this.lastBarrier) this.lastBarrier = id;
  }

  /** Checkpoint `id` is complete everywhere. */
  checkpointComplete(id: number): void {
    for (const { op } of this.chain) op.notifyCheckpointComplete(id);
    if (this.source?.notifyCheckpointComplete) this.notifySource(this.source, id);
  }

  private notifySource(source: SourceReader<unknown>, id: number): void {
    // Asynchronous (a Redis XACK): a failure fails the task at its next step, never as an unhandled rejection.
    // Called at once; one that throws rather than rejects is caught the same way (not thrown into the port's handler).
    const done = new Promise<unknown>((resolve) => { resolve(source.notifyCheckpointComplete!(id)); }).then(() => {}, (e: unknown) => {
      this.asyncFailure ??= new OperatorError(this.sourceName, this.ctx.subtask, e, 'notifyCheckpointComplete');
      this.wake();
    }).finally(() => this.notifying.delete(done));
    this.notifying.add(done);
  }

  /** The source's notifications still settling: its close must not cut them off. */
  private readonly notifying = new Set<Promise<void>>();

  /**
   * Once the task loop has ended: resolves when the source's last notifications have settled (the acknowledgement
   * of its last reads, made as it ended, included), or throws the one that failed. Its close comes after.
   */
  async sourceNotified(waitMs = SOURCE_NOTIFY_WAIT_MS): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    // Bounded: a notification that never settles (a broker gone quiet) must not keep an ended job from ending.
    const late = new Promise<'late'>((r) => { timer = setTimeout(() => r('late'), waitMs); });
    try {
      while (this.notifying.size > 0) {
        if (await Promise.race([Promise.all([...this.notifying]), late]) === 'late') {
          throw new OperatorError(this.sourceName, this.ctx.subtask, new Error(`its source ended, and its acknowledgement upstream of what it read last had not settled ${waitMs} ms later: the records it covers may be delivered again`));
        }
      }
    } finally {
      clearTimeout(timer);
    }
    if (this.asyncFailure !== undefined) throw this.asyncFailure;
  }

  /**
   * Without checkpoints: what the source has read is acknowledged as if a checkpoint covered it, at most every
   * AUTO_ACK_MS (the first time at once).
   */
  private autoAcknowledge(source: SourceReader<unknown>): void {
    this.unacked = false;
    this.autoAckAt = performance.now() + AUTO_ACK_MS;
    const id = ++this.autoAckId;
    this.sourceCall('snapshot', () => source.snapshot(id));
    this.notifySource(source, id);
  }

  /** A source that acknowledges upstream, in a job without checkpoints (autoAcknowledge). */
  private get autoAcks(): boolean {
    return this.trigger === undefined && this.source?.notifyCheckpointComplete !== undefined;
  }

  /** It has read since its last acknowledgement (performance.now() ms: autoAckAt, when the next may be). */
  private unacked = false;
  private autoAckAt = 0;
  private autoAckId = 0;

  /** An asynchronous source callback failed; thrown by the next step. */
  private asyncFailure: OperatorError | undefined;

  // ---- end

  /** Every input has ended. `finishHead` false: the chain's inputs were finished one by one (a source beside an input gate). */
  private end(finishHead = true): void {
    if (finishHead) this.head.finish();
    this.state = DRAINING;
    this.state = this.advanceEnd();
  }

  /** Moves the end on from the current phase as far as it goes now (see RUNNING); returns the phase reached. */
  private advanceEnd(): Phase {
    let phase = this.state;
    if (phase === DRAINING) {
      if (!this.holdersDrained()) return DRAINING;
      // Side outputs too, which the chain's own end does not reach (the main outputs already have it: ending twice
      // is a no-op).
      for (let i = 0; i < this.outputs.length; i++) if (!this.outputs[i]!.carriesDeadLetters) this.outputs[i]!.finish();
      phase = OUTPUTS_ENDED;
    }
    if (phase === OUTPUTS_ENDED) {
      // A record another output's codec rejects while it drains becomes a dead letter: the letters' gate must not
      // have sent its end of stream yet, or the channel refuses the letter.
      if (!this.drain()) return OUTPUTS_ENDED;
      for (let i = 0; i < this.outputs.length; i++) if (this.outputs[i]!.carriesDeadLetters) this.outputs[i]!.finish();
      phase = LETTERS_ENDED;
    }
    if (phase === LETTERS_ENDED) return this.drain() ? this.finished() : LETTERS_ENDED;
    return phase;
  }

  /** Reports the final state (with checkpoints on) and marks the subtask finished. */
  private finished(): typeof FINISHED {
    if (this.checkpoints !== undefined && this.state !== FINISHED) {
      const snap: SubtaskSnapshot = { task: this.taskId, subtask: this.ctx.subtask, operators: [] };
      for (const { uid, op } of this.chain) {
        const s = op.snapshotState(-1, false);
        if (s !== undefined) snap.operators.push({ uid, snapshot: s });
      }
      const source = this.source;
      if (source) { snap.source = this.sourceCall('snapshot', () => source.snapshot(-1)); snap.sourceRecords = this.sourceRecords; }
      try { this.checkpoints.finished(snap); } catch (e) { throw unsendableState(e, snap, this.chain, this.ctx.subtask, -1); }
    }
    this.state = FINISHED;
    return FINISHED;
  }

  /**
   * Could `step` do something right now? The re-check before the thread parks. Draining here may write records
   * after the loop's last flush: then it reports progress, so the loop runs on and flushes them before parking.
   */
  canProgress(): boolean {
    if (this.state === FINISHED) return false;
    if (this.asyncFailure !== undefined) return true;
    if (this.blocked()) {
      const before = this.drainedCount();
      return this.drain() || this.drainedCount() !== before || this.overtakeReady();
    }
    if (this.holders.length > 0 && this.holdersPending()) return true;
    // Not behind a full record holder: step fires nothing until a completion rings the doorbell (the thread spun).
    if (this.state === RUNNING && this.dueOps.length > 0 && this.timersDue() && (this.holders.length === 0 || this.holdersAccept())) return true;
    if (this.sourceHeld.length > 0) return !this.stopWhenBlocked();
    if (this.state !== RUNNING) return this.holdersDrained();
    if (this.nextTimer <= Date.now() || this.markerDueAt() <= Date.now()) return true;
    if (this.unacked && performance.now() >= this.autoAckAt && this.sourcePhase !== SOURCE_ENDED) return true;
    // A full record holder waits for a completion (which rings the doorbell), not for input.
    if (this.holders.length > 0 && !this.holdersAccept()) return this.triggerPending() || this.overtakeReady();
    if (this.source && this.sourcePhase !== SOURCE_ENDED && (this.sourcePhase !== SOURCE_WAITING || this.sourceReady || performance.now() >= this.sourceDueAt)
      && !(this.held && this.alignment!.holds(this.heldAt)) && !this.outputHeld()) return true;
    if (this.triggerPending()) return true;
    if (this.input === undefined) return false;
    return this.replaying() || this.input.hasData() || (this.input.allEnded && !this.inputFinished)
      || (this.trigger !== undefined && this.input.alignmentTimeoutInMs() <= 0);
  }

  /**
   * Has it work it could do now: input, held records, finished async results or due timers, and room for output (a
   * full output is backpressure). Asked twice per subtask and round for busy time (task-loop.ts), so it only loads:
   * unlike canProgress it never drains or reads a clock (`now`: performance.now(), `wall`: Date.now() ms). A full
   * output whose consumer has freed room since counts as full until the next step drains it; checkpoint triggers,
   * acknowledgements and latency markers are moments, not work waiting.
   */
  hasWork(now: number, wall: number): boolean {
    if (this.state === FINISHED || this.blocked()) return false;
    if (this.holders.length > 0) {
      if (this.holdersPending()) return true;
      if (!this.holdersAccept()) return false;
    }
    if (this.state !== RUNNING) return this.holdersDrained();
    if (this.sourceHeld.length > 0 || this.nextTimer <= wall || (this.dueOps.length > 0 && this.timersDue())) return true;
    if (this.source !== undefined && this.sourcePhase !== SOURCE_ENDED && (this.sourcePhase !== SOURCE_WAITING || this.sourceReady || now >= this.sourceDueAt)
      && !(this.held && this.alignment!.holds(this.heldAt)) && !this.outputHeld()) return true;
    const input = this.input;
    return input !== undefined && (this.replaying() || input.hasData() || (input.allEnded && !this.inputFinished));
  }

  /**
   * Nothing to do but wait for an async operator's requests (asked when hasWork and blocked() said no): the task
   * loop counts that time as async wait, not idle.
   */
  awaitsResults(): boolean {
    for (let i = 0; i < this.holders.length; i++) if ((this.holders[i]!.inFlight ?? 0) > 0) return true;
    return false;
  }

  /** Blocked, it could still take an unaligned checkpoint's barrier (overtake). */
  private overtakeReady(): boolean {
    if (this.state !== RUNNING || this.trigger === undefined) return false;
    if (this.input !== undefined && !this.replaying() && this.input.overtakeReady()) return true;
    if (this.source !== undefined) return this.mayPassHeld() && this.triggerPending();
    return this.firingEnd() && this.newTrigger();
  }

  private drainedCount(): number {
    let n = 0;
    for (let i = 0; i < this.outputs.length; i++) n += this.outputs[i]!.drained;
    return n;
  }

  flush(): void {
    for (let i = 0; i < this.outputs.length; i++) this.outputs[i]!.flush();
    // Without checkpoints, a collect sink's records go to the main thread as the outputs' batches go downstream.
    for (let i = 0; i < this.sinks.length; i++) this.sinks[i]!.flushLive();
  }

  announceBlocked(on: boolean): void {
    for (let i = 0; i < this.outputs.length; i++) this.outputs[i]!.announceBlocked(on);
  }
}
