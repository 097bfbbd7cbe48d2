// Runs on: the worker thread of the subtask. A keyed stream connected to a broadcast stream: every instance gets
// every broadcast record and applies it to its broadcast state (identical everywhere, as every instance sees
// the same broadcast records), while the keyed records read that state (the dynamic-rules pattern).
//
// Broadcast state: broadcast-states.ts. Keyed state and timers are the keyed process operator's.

import type { Key } from '../graph/key-groups.js';
import type { Collector, OnTimerContext } from '../api/functions.js';
import type { BroadcastContext, KeyedBroadcastProcessFunction, ReadOnlyBroadcastContext } from '../api/co-functions.js';
import type { BroadcastState, MapStateDescriptor, ReadOnlyBroadcastState } from '../api/broadcast-state.js';
import { BroadcastStates } from './broadcast-states.js';
import type { OutputTag } from '../api/output-tag.js';
import type { KeyedStateStore } from '../api/state.js';
import type { OperatorRestore, OperatorSnapshot } from '../checkpoint/snapshot.js';
import { KeyedProcessOperator } from './keyed.js';
import type { Downstream } from './operator.js';
import type { TaskContext } from './task-context.js';
import type { TwoInputOperator } from './create-operator.js';

/** The broadcast states this operator declares, by name (node spec). */
export interface BroadcastProcessSpec {
  readonly kind: 'broadcastProcess';
  readonly states: readonly string[];
}

export class KeyedBroadcastProcessOperator<K extends Key, IN, B, O> extends KeyedProcessOperator<K, IN, O>
  implements TwoInputOperator, ReadOnlyBroadcastContext<K> {
  readonly input2: Downstream<B>;
  private readonly states: BroadcastStates;
  private readonly broadcastCtx: BroadcastContext;

  constructor(name: string, ctx: TaskContext, next: Downstream<O>, key: (v: IN) => K, fn: KeyedBroadcastProcessFunction<K, IN, B, O>, spec: BroadcastProcessSpec, tracking: boolean) {
    super(name, ctx, next, key, {
      open: fn.open === undefined ? undefined : (c) => fn.open!(c),
      processElement: (v, _c, out) => fn.processElement(v, this, out),
      onTimer: fn.onTimer === undefined ? undefined : (ts, c, out) => fn.onTimer!(ts, c as OnTimerContext<K> & ReadOnlyBroadcastContext<K>, out),
    }, tracking);
    const states = this.states = new BroadcastStates(name, spec.states);
    const op = this;
    const out: Collector<O> = this;
    this.broadcastCtx = {
      get timestamp() { const t = ctx.timestamp; return t === t ? t : undefined; },
      subtask: ctx.subtask,
      currentWatermark: () => ctx.watermark,
      currentProcessingTime: () => Date.now(),
      getBroadcastState: <MK, MV>(d: MapStateDescriptor<MK, MV>): BroadcastState<MK, MV> => states.writable(d),
      applyToKeyedState: <KK>(stateName: string, f: (key: KK, state: KeyedStateStore) => void) => {
        for (const k of op.backend.keysOf(stateName)) {
          op.backend.currentKey = k;
          f(k as KK, op.backend);
        }
      },
      output: <X>(tag: OutputTag<X>, value: X) => op.output(tag, value),
    };
    this.input2 = {
      push: (value: B) => {
        this.recordsIn++;
        try {
          fn.processBroadcastElement(value, this.broadcastCtx, out);
        } catch (e) { this.fail(e); }
      },
      watermark() {}, idle() {}, finish() {},
    };
  }

  getBroadcastState<MK, MV>(d: MapStateDescriptor<MK, MV>): ReadOnlyBroadcastState<MK, MV> {
    return this.states.readOnly(d);
  }

  /** Entries of each broadcast state (for tests). */
  broadcastEntries(name: string): [unknown, unknown][] {
    return this.states.entries(name);
  }

  override snapshotState(checkpointId: number, full = false): OperatorSnapshot {
    return { ...super.snapshotState(checkpointId, full), operator: this.states.snapshotItems(), redistribute: 'broadcast' };
  }

  override restoreState(state: OperatorRestore): void {
    super.restoreState(state);
    this.states.restore(state.operator);
  }
}
