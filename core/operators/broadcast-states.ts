// Runs on: the worker thread of a broadcast process subtask (keyed or not). The broadcast states one operator
// instance declares: maps written from the broadcast input only, read from the other input through a read-only
// view. Checkpointed as non-keyed operator state with the 'broadcast' redistribution (each new instance restores one
// old instance's items whole: checkpoint/snapshot.ts broadcastStateSource).
//
// Each state is packed at the barrier (format 2: one item per state holding its map's msgpack bytes, barrier-pack.ts),
// so the chunk write copies the bytes as they are; stateFastPaths off takes format 1, a [state, key, value] item per
// entry, each a structured clone, which msgpack encodes again on the main thread. Both restore.

import type { Key } from '../graph/key-groups.js';
import type { BroadcastState, MapStateDescriptor, ReadOnlyBroadcastState } from '../api/broadcast-state.js';
import type { BroadcastProcessContext } from '../api/co-functions.js';
import type { OutputTag } from '../api/output-tag.js';
import { JobDefinitionError } from '../api/errors.js';
import type { TaskContext } from './task-context.js';
import { chunkPackr } from '../checkpoint/chunk-packr.js';
import { packAtBarrier } from './barrier-pack.js';

/** Marks a packed state's item (format 2); format 1's items are [state, key, value] arrays. */
export const BROADCAST_STATE = '__sluiceBroadcastState';
export const BROADCAST_STATE_PACKED = 2;

/** One state's entries, packed at the barrier: the msgpack bytes of its Map. */
export interface PackedBroadcastState {
  readonly [BROADCAST_STATE]: typeof BROADCAST_STATE_PACKED;
  readonly state: string;
  readonly entries: Uint8Array;
}

function isPacked(item: unknown): item is PackedBroadcastState {
  return typeof item === 'object' && item !== null && (item as Record<string, unknown>)[BROADCAST_STATE] === BROADCAST_STATE_PACKED;
}

/** [state, key, value] of every entry `items` hold, whichever format wrote them. */
export function broadcastItemEntries(items: readonly unknown[]): [string, unknown, unknown][] {
  const out: [string, unknown, unknown][] = [];
  for (const item of items) {
    if (!isPacked(item)) { out.push(item as [string, unknown, unknown]); continue; }
    for (const [k, v] of chunkPackr().unpack(item.entries) as Map<unknown, unknown>) out.push([item.state, k, v]);
  }
  return out;
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
   * Every entry of every state, copied now: packed, an item per state that has entries; else (stateFastPaths off)
   * a cloned [state, key, value] item per entry. The snapshot leaves the thread only when the checkpoint completes
   * here (unaligned, or after the alignment timeout, records go on being processed until then), and a value changed
   * in place meanwhile must not reach the checkpoint. What msgpack cannot keep is a JobDefinitionError naming the
   * state.
   */
  snapshotItems(packed: boolean): unknown[] {
    const items: unknown[] = [];
    for (const [name, s] of this.states) {
      if (!packed) { for (const [k, v] of s.map) items.push(structuredClone([name, k, v])); continue; }
      if (s.map.size === 0) continue;
      const entries = packAtBarrier(s.map, `broadcast state '${name}'`, 'put data in it (objects, arrays, Maps, Sets, Dates, bigints, typed arrays)');
      items.push({ [BROADCAST_STATE]: BROADCAST_STATE_PACKED, state: name, entries } satisfies PackedBroadcastState);
    }
    return items;
  }

  /**
   * Replaces every state with the items' entries (either format). A state the job no longer declares is dropped, as
   * Flink drops unregistered broadcast state.
   */
  restore(items: readonly unknown[]): void {
    for (const s of this.states.values()) s.map.clear();
    for (const item of items) {
      if (!isPacked(item)) {
        const [name, k, v] = item as [string, unknown, unknown];
        this.states.get(name)?.map.set(k, v);
        continue;
      }
      const map = this.states.get(item.state)?.map;
      if (map === undefined) continue;
      for (const [k, v] of chunkPackr().unpack(item.entries) as Map<unknown, unknown>) map.set(k, v);
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
