// Runs on: the worker thread of the subtask. A keyed stream connected to a broadcast stream: every instance gets
// every broadcast record and applies it to its broadcast state (identical everywhere, as every instance sees
// the same broadcast records), while the keyed records read that state (the dynamic-rules pattern).
//
// Broadcast state is non-keyed operator state: checkpointed as a list of [state, key, value] items with the
// 'broadcast' redistribution (on rescale every instance restores subtask 0's copy). Keyed state and timers are
// the keyed process operator's.

import type { Key } from '../graph/key-groups.js';
import type { Collector, OnTimerContext } from '../api/functions.js';
import type { BroadcastContext, KeyedBroadcastProcessFunction, ReadOnlyBroadcastContext } from '../api/co-functions.js';
import type { BroadcastState, MapStateDescriptor, ReadOnlyBroadcastState } from '../api/broadcast-state.js';
import type { OutputTag } from '../api/output-tag.js';
import type { KeyedStateStore } from '../api/state.js';
import type { OperatorRestore, OperatorSnapshot } from '../checkpoint/snapshot.js';
import { JobDefinitionError } from '../api/errors.js';
import { KeyedProcessOperator } from './keyed.js';
import type { Downstream } from './operator.js';
import type { TaskContext } from './task-context.js';
import type { TwoInputOperator } from './create-operator.js';

/** The broadcast states this operator declares, by name (node spec). */
export interface BroadcastProcessSpec {
  readonly kind: 'broadcastProcess';
  readonly states: readonly string[];
}

class MapBroadcastState<MK, MV> implements BroadcastState<MK, MV> {
  constructor(readonly map: Map<MK, MV>) {}
  get(key: MK): MV | undefined { return this.map.get(key); }
  contains(key: MK): boolean { return this.map.has(key); }
  entries(): [MK, MV][] { return [...this.map]; }
  keys(): MK[] { return [...this.map.keys()]; }
  values(): MV[] { return [...this.map.values()]; }
  get size(): number { return this.map.size; }
  put(key: MK, value: MV): void { this.map.set(key, value); }
  remove(key: MK): void { this.map.delete(key); }
  clear(): void { this.map.clear(); }
}

/** The keyed side's view: no way to write (the keyed records of one instance must not make it differ from the others). */
class ReadOnlyView<MK, MV> implements ReadOnlyBroadcastState<MK, MV> {
  constructor(private readonly s: MapBroadcastState<MK, MV>) {}
  get(key: MK): MV | undefined { return this.s.get(key); }
  contains(key: MK): boolean { return this.s.contains(key); }
  entries(): [MK, MV][] { return this.s.entries(); }
  keys(): MK[] { return this.s.keys(); }
  values(): MV[] { return this.s.values(); }
  get size(): number { return this.s.size; }
}

export class KeyedBroadcastProcessOperator<K extends Key, IN, B, O> extends KeyedProcessOperator<K, IN, O>
  implements TwoInputOperator, ReadOnlyBroadcastContext<K> {
  readonly input2: Downstream<B>;
  private readonly states = new Map<string, MapBroadcastState<unknown, unknown>>();
  private readonly views = new Map<string, ReadOnlyView<unknown, unknown>>();
  private readonly broadcastCtx: BroadcastContext;

  constructor(name: string, ctx: TaskContext, next: Downstream<O>, key: (v: IN) => K, fn: KeyedBroadcastProcessFunction<K, IN, B, O>, spec: BroadcastProcessSpec, tracking: boolean) {
    super(name, ctx, next, key, {
      open: fn.open === undefined ? undefined : (c) => fn.open!(c),
      processElement: (v, _c, out) => fn.processElement(v, this, out),
      onTimer: fn.onTimer === undefined ? undefined : (ts, c, out) => fn.onTimer!(ts, c as OnTimerContext<K> & ReadOnlyBroadcastContext<K>, out),
    }, tracking);
    for (const s of spec.states) {
      const state = new MapBroadcastState<unknown, unknown>(new Map());
      this.states.set(s, state);
      this.views.set(s, new ReadOnlyView(state));
    }
    const op = this;
    const out: Collector<O> = this;
    this.broadcastCtx = {
      get timestamp() { const t = ctx.timestamp; return t === t ? t : undefined; },
      subtask: ctx.subtask,
      currentWatermark: () => ctx.watermark,
      currentProcessingTime: () => Date.now(),
      getBroadcastState: <MK, MV>(d: MapStateDescriptor<MK, MV>) => op.state$(d) as unknown as BroadcastState<MK, MV>,
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

  private state$(d: MapStateDescriptor<unknown, unknown>): MapBroadcastState<unknown, unknown> {
    const s = this.states.get(d?.name);
    if (s === undefined) throw new JobDefinitionError(`operator '${this.name}': broadcast state '${d?.name}' was not declared: pass its descriptor to broadcast(...)`);
    return s;
  }

  getBroadcastState<MK, MV>(d: MapStateDescriptor<MK, MV>): ReadOnlyBroadcastState<MK, MV> {
    this.state$(d as MapStateDescriptor<unknown, unknown>);
    return this.views.get(d.name) as unknown as ReadOnlyBroadcastState<MK, MV>;
  }

  /** Entries of each broadcast state (for tests). */
  broadcastEntries(name: string): [unknown, unknown][] {
    return [...(this.states.get(name)?.map ?? [])];
  }

  override snapshotState(checkpointId: number, full = false): OperatorSnapshot {
    const items: unknown[] = [];
    for (const [name, s] of this.states) for (const [k, v] of s.map) items.push([name, k, v]);
    return { ...super.snapshotState(checkpointId, full), operator: items, redistribute: 'broadcast' };
  }

  override restoreState(state: OperatorRestore): void {
    super.restoreState(state);
    for (const s of this.states.values()) s.map.clear();
    for (const item of state.operator) {
      const [name, k, v] = item as [string, unknown, unknown];
      // A state the job no longer declares is dropped (as Flink drops unregistered broadcast state).
      this.states.get(name)?.map.set(k, v);
    }
  }
}
