// Runs on: the worker thread of the subtask. A plain (non-keyed) stream connected to a broadcast stream: every
// instance applies every broadcast record to its broadcast state, and the plain records read that state. With no
// keyed input, the operator can be chained to the one before it (physical-plan.ts): then its first input arrives
// as calls down the chain and only the second through the input gate, so the two inputs' watermarks, idleness and
// ends arrive separately and this operator merges them (`mergeInputs`).

import type { Key } from '../graph/key-groups.js';
import type { Collector } from '../api/functions.js';
import type { BroadcastProcessContext, BroadcastProcessFunction, ReadOnlyBroadcastProcessContext } from '../api/co-functions.js';
import type { MapStateDescriptor, ReadOnlyBroadcastState } from '../api/broadcast-state.js';
import type { OutputTag } from '../api/output-tag.js';
import type { OperatorRestore, OperatorSnapshot } from '../checkpoint/snapshot.js';
import { WatermarkValve } from '../time/watermark-valve.js';
import { BroadcastStates, broadcastContext } from './broadcast-states.js';
import type { BroadcastProcessSpec } from './keyed-broadcast-process.js';
import { Operator, type Downstream } from './operator.js';
import { SideOutputs } from './side-outputs.js';
import { notAsync } from './sync-call.js';
import type { TaskContext } from './task-context.js';
import type { HasSideOutputs, TwoInputOperator } from './create-operator.js';
import { ownInstance } from './own-instance.js';
import {
  OWN_STATE, OWN_STATE_CLONED, OWN_STATE_PACKED, RestoreRefusedError, broadcastItemsFor, ownStateItems, packOwnState, statesBySubtask, watermarkFor, type OwnStateItem,
} from './own-state.js';
import { MIN_WATERMARK } from '../time/watermark.js';

export class BroadcastProcessOperator<IN, B, O> extends Operator<IN, O>
  implements TwoInputOperator, HasSideOutputs, ReadOnlyBroadcastProcessContext, Collector<O> {
  readonly input2: Downstream<B>;
  readonly sideOutputs = new SideOutputs(this);
  private readonly states: BroadcastStates;
  private readonly broadcastCtx: BroadcastProcessContext;
  /** Merges the inputs' event time when they arrive separately (chained); undefined: the input gate merged them. */
  private valve: WatermarkValve | undefined;
  private endedInputs = 0;
  /** The last watermark onWatermark was called with (event time only rises). */
  private lastAdvanced = MIN_WATERMARK;

  private readonly fn: BroadcastProcessFunction<IN, B, O>;

  constructor(name: string, ctx: TaskContext, next: Downstream<O>, fn: BroadcastProcessFunction<IN, B, O>, spec: BroadcastProcessSpec) {
    super(name, ctx, next);
    this.fn = ownInstance(fn);
    this.states = new BroadcastStates(name, spec.states);
    this.broadcastCtx = broadcastContext(ctx, this.states, (tag, value) => this.output(tag, value));
    this.input2 = {
      push: (value: B) => {
        this.recordsIn++;
        const above = this.enter();
        try {
          const r = this.fn.processBroadcastElement(value, this.broadcastCtx, this);
          if (r !== undefined) notAsync(r, this.name, 'processBroadcastElement');
        } catch (e) { this.rejected(e, value, 2); }
        this.ctx.watermark = above;
      },
      watermark: (wm) => { this.valve?.onWatermark(1, wm); },
      idle: (idle) => { this.valve?.onIdle(1, idle); },
      finish: () => { if (this.valve !== undefined) this.inputEnded(1); },
    };
  }

  /**
   * The task host calls it when input 0 comes down the chain and input 1 from the input gate: from then on each
   * input's event time counts separately, and the end of input is the end of both.
   */
  mergeInputs(): void {
    this.valve = new WatermarkValve(2, {
      // The task's watermark from here on down the chain: the minimum of both inputs.
      watermark: (wm) => { this.ctx.watermark = wm; this.ctx.emittedWatermark = wm; this.advance(wm); this.forwardWatermark(wm); },
      idle: (idle) => { this.forwardIdle(idle); },
    });
  }

  /** Inputs merged here: their merged event time (a snapshot keeps it as the task's); else undefined. */
  get mergedWatermark(): number | undefined {
    return this.valve?.current;
  }

  /**
   * A restore (inputs merged here): event time starts at the checkpoint's. Else, until both inputs had sent a
   * watermark again, currentWatermark() said MIN_WATERMARK, and records late before the failure were not late.
   */
  startWatermarkAt(watermark: number): void {
    this.valve?.startAt(watermark);
  }

  /** Once per parallel instance, before the first record (after a restore). */
  open(): void {
    if (this.fn.open === undefined) return;
    try { notAsync(this.fn.open({ subtask: this.ctx.subtask }), this.name, 'open'); } catch (e) { this.fail(e); }
  }

  push(value: IN): void {
    this.recordsIn++;
    const above = this.enter();
    try {
      const r = this.fn.processElement(value, this, this);
      if (r !== undefined) notAsync(r, this.name, 'processElement');
    } catch (e) { this.rejected(e, value, 1); }
    this.ctx.watermark = above;
  }

  /**
   * Chained (inputs merged here): event time from here down is the merged one, whatever the chain above set
   * (TaskContext.watermark). Returns the watermark to put back.
   */
  private enter(): number {
    const above = this.ctx.watermark;
    if (this.valve !== undefined) this.ctx.watermark = this.valve.current;
    return above;
  }

  collect(value: O): void {
    this.recordsOut++;
    this.next.push(value);
  }

  // ---- ReadOnlyBroadcastProcessContext
  get timestamp(): number | undefined { const t = this.ctx.timestamp; return t === t ? t : undefined; }
  currentWatermark(): number { return this.ctx.watermark; }
  currentProcessingTime(): number { return Date.now(); }
  getBroadcastState<MK extends Key, MV>(d: MapStateDescriptor<MK, MV>): ReadOnlyBroadcastState<MK, MV> { return this.states.readOnly(d); }
  output<X>(tag: OutputTag<X>, value: X): void {
    this.sideOutputs.emit(tag.id, value);
  }

  /** Entries of each broadcast state (for tests). */
  broadcastEntries(name: string): [unknown, unknown][] {
    return this.states.entries(name);
  }

  // ---- input 0 (and both, when the input gate merged them)
  override watermark(watermark: number): void {
    const valve = this.valve;
    if (valve === undefined) { this.advance(watermark); this.forwardWatermark(watermark); return; }
    valve.onWatermark(0, watermark);
    // The chain's timestamps operator set its own watermark before calling down: from here on it is the merged
    // one (a broadcast input behind the source holds it back).
    this.ctx.watermark = valve.current;
    this.ctx.emittedWatermark = valve.current;
  }

  override idle(idle: boolean): void {
    const valve = this.valve;
    if (valve === undefined) { this.forwardIdle(idle); return; }
    valve.onIdle(0, idle);
    this.ctx.watermark = valve.current;
    this.ctx.emittedWatermark = valve.current;
  }

  override finish(): void {
    if (this.valve !== undefined) this.inputEnded(0);
    else this.finishOutputs();
  }

  private inputEnded(input: 0 | 1): void {
    this.valve!.onEnd(input);
    if (++this.endedInputs === 2) this.finishOutputs();
  }

  /** The function's onWatermark, once per rise of event time, before the watermark goes on (its output is not late). */
  private advance(watermark: number): void {
    const onWatermark = this.fn.onWatermark;
    if (onWatermark === undefined || watermark <= this.lastAdvanced) return;
    this.lastAdvanced = watermark;
    const ts = this.ctx.timestamp;
    this.ctx.timestamp = watermark;
    try {
      const r = onWatermark.call(this.fn, watermark, this, this);
      if (r !== undefined) notAsync(r, this.name, 'onWatermark');
    } catch (e) { this.fail(e); }
    this.ctx.timestamp = ts;
  }

  private forwardWatermark(watermark: number): void {
    this.sideOutputs.watermark(watermark);
    this.next.watermark(watermark);
  }

  private forwardIdle(idle: boolean): void {
    this.sideOutputs.idle(idle);
    this.next.idle(idle);
  }

  private finishOutputs(): void {
    this.sideOutputs.finish();
    this.next.finish();
  }

  override snapshotState(): OperatorSnapshot {
    const fn = this.fn;
    // Copies: the snapshot is sent once the checkpoint completes here, and an unaligned one lets records in before
    // then. Packed now, they are encoded once (stateFastPaths; off: structured clones, encoded again when the chunk
    // is written). What a checkpoint cannot keep fails the job.
    const packed = this.ctx.stateFastPaths;
    let broadcast: unknown[] = [];
    let own: unknown;
    try {
      broadcast = this.states.snapshotItems(packed);
      if (fn.snapshotState === undefined && fn.onWatermark === undefined) return { operator: broadcast, redistribute: 'broadcast' };
      // Every instance's own state goes to every new one (union); the broadcast items travel with it, and each new
      // instance takes those of its namesake, as 'broadcast' deals them (own-state.ts).
      const value = fn.snapshotState === undefined ? undefined : fn.snapshotState();
      own = packed ? packOwnState(value) : structuredClone(value);
    } catch (e) { this.fail(e); }
    const item: OwnStateItem = {
      [OWN_STATE]: packed ? OWN_STATE_PACKED : OWN_STATE_CLONED,
      subtask: this.ctx.subtask, parallelism: this.ctx.parallelism, broadcast, own, watermark: this.lastAdvanced,
    };
    return { operator: [item], redistribute: 'union' };
  }

  override restoreState(state: OperatorRestore): void {
    const own = ownStateItems(state.operator);
    if (own === undefined) { this.states.restore(state.operator); return; }
    this.states.restore(broadcastItemsFor(own, this.ctx.subtask, this.ctx.parallelism));
    this.lastAdvanced = watermarkFor(own, this.ctx.subtask, this.ctx.parallelism, MIN_WATERMARK);
    if (this.fn.restoreState === undefined) return;
    const states = statesBySubtask(own);
    try {
      const r = this.fn.restoreState(states, { subtask: this.ctx.subtask, parallelism: this.ctx.parallelism });
      if (r !== undefined) notAsync(r, this.name, 'restoreState');
    } catch (e) { this.fail(e instanceof Error && e.name === 'JobDefinitionError' ? e : new RestoreRefusedError(this.name, e)); }
  }
}
