// Runs on: main thread and every worker thread (descriptors are part of the job definition); the state itself
// lives on the worker thread of each broadcast-process subtask. Broadcast state: a map every parallel instance
// holds identically, written only from the broadcast input (so every instance applies the same writes), read
// by the keyed input: Flink's pattern for rules, thresholds or models that change while the job runs.

import { JobDefinitionError } from './errors.js';
import type { Key } from '../graph/key-groups.js';

/** Names a broadcast map state and carries its key and value types. */
export class MapStateDescriptor<MK extends Key, MV> {
  /** Phantom: carries the types. */
  declare readonly __types?: [MK, MV];
  constructor(readonly name: string) {
    if (typeof name !== 'string' || name.length === 0) throw new JobDefinitionError('MapStateDescriptor: expected a non-empty name');
  }
}

/** What the keyed input may do with broadcast state: read it. */
export interface ReadOnlyBroadcastState<MK, MV> {
  get(key: MK): MV | undefined;
  contains(key: MK): boolean;
  /** Entries in insertion order (a copy, safe to keep). */
  entries(): [MK, MV][];
  keys(): MK[];
  values(): MV[];
  readonly size: number;
}

/** What the broadcast input may do with it: read and write (every instance sees the same broadcast records). */
export interface BroadcastState<MK, MV> extends ReadOnlyBroadcastState<MK, MV> {
  put(key: MK, value: MV): void;
  remove(key: MK): void;
  clear(): void;
}
