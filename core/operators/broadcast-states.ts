// Runs on: the worker thread of a broadcast process subtask (keyed or not). The broadcast states one operator
// instance declares: maps written from the broadcast input only, read from the other input through a read-only
// view. Checkpointed as non-keyed operator state, a list of [state, key, value] items with the 'broadcast'
// redistribution (on rescale every instance restores subtask 0's copy).

import type { Key } from '../graph/key-groups.js';
import type { BroadcastState, MapStateDescriptor, ReadOnlyBroadcastState } from '../api/broadcast-state.js';
import type { BroadcastProcessContext } from '../api/co-functions.js';
import type { OutputTag } from '../api/output-tag.js';
import { JobDefinitionError } from '../api/errors.js';
import type { TaskContext } from './task-context.js';

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

/** The other input's view: no way to write (its records on one instance must not make it differ from the others). */
class ReadOnlyView<MK, MV> implements ReadOnlyBroadcastState<MK, MV> {
  constructor(private readonly s: MapBroadcastState<MK, MV>) {}
  get(key: MK): MV | undefined { return this.s.get(key); }
  contains(key: MK): boolean { return this.s.contains(key); }
  entries(): [MK, MV][] { return this.s.entries(); }
  keys(): MK[] { return this.s.keys(); }
  values(): MV[] { return this.s.values(); }
  get size(): number { return this.s.size; }
}

export class BroadcastStates {
  private readonly states = new Map<string, MapBroadcastState<unknown, unknown>>();
  private readonly views = new Map<string, ReadOnlyView<unknown, unknown>>();

  constructor(private readonly operator: string, names: readonly string[]) {
    for (const name of names) {
      const state = new MapBroadcastState<unknown, unknown>(new Map());
      this.states.set(name, state);
      this.views.set(name, new ReadOnlyView(state));
    }
  }

  writable<MK extends Key, MV>(d: MapStateDescriptor<MK, MV>): BroadcastState<MK, MV> {
    const s = this.states.get(d?.name);
    if (s === undefined && this.states.size === 0) {
      throw new JobDefinitionError(`operator '${this.operator}' has no broadcast state (its broadcast input is broadcast() with no descriptors): getBroadcastState('${d?.name}') needs its descriptor passed to broadcast(...)`);
    }
    if (s === undefined) throw new JobDefinitionError(`operator '${this.operator}': broadcast state '${d?.name}' was not declared: pass its descriptor to broadcast(...)`);
    return s as unknown as BroadcastState<MK, MV>;
  }

  readOnly<MK extends Key, MV>(d: MapStateDescriptor<MK, MV>): ReadOnlyBroadcastState<MK, MV> {
    this.writable(d);
    return this.views.get(d.name) as unknown as ReadOnlyBroadcastState<MK, MV>;
  }

  /** Entries of state `name` (for tests). */
  entries(name: string): [unknown, unknown][] {
    return [...(this.states.get(name)?.map ?? [])];
  }

  /**
   * Every entry of every state, as [state, key, value] items: copies, made now. The snapshot leaves the thread only
   * when the checkpoint completes here (unaligned, or after the alignment timeout, records go on being processed
   * until then), and a value changed in place meanwhile must not reach the checkpoint.
   */
  snapshotItems(): unknown[] {
    const items: unknown[] = [];
    for (const [name, s] of this.states) for (const [k, v] of s.map) items.push(structuredClone([name, k, v]));
    return items;
  }

  restore(items: readonly unknown[]): void {
    for (const s of this.states.values()) s.map.clear();
    for (const item of items) {
      const [name, k, v] = item as [string, unknown, unknown];
      // A state the job no longer declares is dropped (as Flink drops unregistered broadcast state).
      this.states.get(name)?.map.set(k, v);
    }
  }
}

/** The broadcast input's context over `states`: the record's time, the task's watermark, side outputs. */
export function broadcastContext(ctx: TaskContext, states: BroadcastStates, output: <X>(tag: OutputTag<X>, value: X) => void): BroadcastProcessContext {
  return {
    get timestamp() { const t = ctx.timestamp; return t === t ? t : undefined; },
    subtask: ctx.subtask,
    currentWatermark: () => ctx.watermark,
    currentProcessingTime: () => Date.now(),
    getBroadcastState: <MK extends Key, MV>(d: MapStateDescriptor<MK, MV>): BroadcastState<MK, MV> => states.writable(d),
    output,
  };
}
