// Runs on: the worker thread of the subtask. A keyed stream connected to a broadcast stream: every instance gets
// every broadcast record and applies it to its broadcast state (identical everywhere, as every instance sees
// the same broadcast records), while the keyed records read that state (the dynamic-rules pattern).
//
// Broadcast state: broadcast-states.ts. Keyed state and timers are the keyed process operator's.

import type { Key } from '../graph/key-groups.js';
import type { UserKey } from '../graph/tuple-key.js';
import type { Collector, OnTimerContext } from '../api/functions.js';
import type { BroadcastContext, KeyedBroadcastProcessFunction, ReadOnlyBroadcastContext } from '../api/co-functions.js';
import type { MapStateDescriptor, ReadOnlyBroadcastState } from '../api/broadcast-state.js';
import { BroadcastStates, broadcastContext } from './broadcast-states.js';
import { notAsync } from './sync-call.js';
import type { KeyedStateStore } from '../api/state.js';
import type { OperatorRestore, OperatorSnapshot } from '../checkpoint/snapshot.js';
import { KeyedProcessOperator } from './keyed-process-operator.js';
import type { Downstream } from './operator.js';
import type { TaskContext } from './task-context.js';
import type { TwoInputOperator } from './create-operator.js';
import { NO_KEY_BROADCAST } from '../state/no-key.js';
import { ownInstance } from './own-instance.js';

/** The broadcast states this operator declares, by name (node spec). */
export interface BroadcastProcessSpec {
  readonly kind: 'broadcastProcess';
  readonly states: readonly string[];
}

export class KeyedBroadcastProcessOperator<K extends UserKey, IN, B, O> extends KeyedProcessOperator<K, IN, O>
  implements TwoInputOperator, ReadOnlyBroadcastContext<K> {
  readonly input2: Downstream<B>;
  private readonly states: BroadcastStates;
  private readonly broadcastCtx: BroadcastContext<K>;

  constructor(name: string, ctx: TaskContext, next: Downstream<O>, key: (v: IN) => UserKey, shared: KeyedBroadcastProcessFunction<K, IN, B, O>, spec: BroadcastProcessSpec, tracking: boolean) {
    const fn = ownInstance(shared);
    super(name, ctx, next, key, {
      open: fn.open === undefined ? undefined : (c) => fn.open!(c),
      processElement: (v, _c, out) => fn.processElement(v, this, out),
      onTimer: fn.onTimer === undefined ? undefined : (ts, c, out) => fn.onTimer!(ts, c as OnTimerContext<K> & ReadOnlyBroadcastContext<K>, out),
    }, tracking);
    this.firstInput = 1;
    this.states = new BroadcastStates(name, spec.states);
    const op = this;
    const out: Collector<O> = this;
    // Onto the base context, not spread from it: a spread would read its timestamp getter once, here.
    // The keys are the stream's (K); the context's signature only decides which callbacks type-check.
    const applyToKeyedState = (stateName: string, f: (key: K, state: KeyedStateStore) => void): void => {
      try {
        for (const k of op.backend.keysOf(stateName)) {
          op.backend.currentKey = k;
          f(op.keys.decode(k) as K, op.backend);
        }
      } finally {
        op.backend.currentKey = NO_KEY_BROADCAST;
      }
    };
    this.broadcastCtx = Object.assign(broadcastContext(ctx, this.states, (tag, value) => op.output(tag, value)), {
      applyToKeyedState: applyToKeyedState as BroadcastContext<K>['applyToKeyedState'],
    });
    this.input2 = {
      push: (value: B) => {
        this.recordsIn++;
        // A handle kept from open() wrote to the last keyed record's key here: a broadcast record has none.
        this.backend.currentKey = NO_KEY_BROADCAST;
        try {
          const r = fn.processBroadcastElement(value, this.broadcastCtx, out);
          if (r !== undefined) notAsync(r, this.name, 'processBroadcastElement');
        } catch (e) { this.rejected(e, value, 2); }
      },
      watermark() {}, idle() {}, finish() {},
    };
  }

  getBroadcastState<MK extends Key, MV>(d: MapStateDescriptor<MK, MV>): ReadOnlyBroadcastState<MK, MV> {
    return this.states.readOnly(d);
  }

  /** Entries of each broadcast state (for tests). */
  broadcastEntries(name: string): [unknown, unknown][] {
    return this.states.entries(name);
  }

  override snapshotState(checkpointId: number, full = false): OperatorSnapshot {
    let operator: unknown[] = [];
    // Packed at the barrier (stateFastPaths; off: cloned): what a checkpoint cannot keep fails the job.
    try { operator = this.states.snapshotItems(this.ctx.stateFastPaths); } catch (e) { this.fail(e); }
    return { ...super.snapshotState(checkpointId, full), operator, redistribute: 'broadcast' };
  }

  override restoreState(state: OperatorRestore): void {
    super.restoreState(state);
    this.states.restore(state.operator);
  }
}
