// Runs on: the worker thread of a two-input operator. The shapes of user functions that read two inputs:
// keyed co-process functions (two keyed streams sharing keyed state and timers), and broadcast process functions
// (a keyed or plain stream reading the broadcast state a broadcast stream writes).

import type { Key } from '../graph/key-groups.js';
import type { UserKey } from '../graph/tuple-key.js';
import type { Collector, KeyedContext, OnTimerContext, Sync } from './functions.js';
import type { BroadcastState, MapStateDescriptor, ReadOnlyBroadcastState } from './broadcast-state.js';
import type { OutputTag } from './output-tag.js';
import type { KeyedStateStore } from './state.js';

/** Two keyed inputs, one key space: both sides' records of a key meet on one subtask, with its state and timers. */
export interface KeyedCoProcessFunction<K extends UserKey, I1, I2, O> {
  /** Once per parallel instance, before the first record or timer. */
  open?(ctx: KeyedContext<K>): Sync;
  processElement1(value: I1, ctx: KeyedContext<K>, out: Collector<O>): Sync;
  processElement2(value: I2, ctx: KeyedContext<K>, out: Collector<O>): Sync;
  onTimer?(timestamp: number, ctx: OnTimerContext<K>, out: Collector<O>): Sync;
}

/** Flink's CoMapFunction: one function per input, one output type. */
export interface CoMapFunction<I1, I2, O> {
  map1(value: I1): O;
  map2(value: I2): O;
}

/** Flink's CoFlatMapFunction: per input, outputs returned (any iterable) or emitted through `out`. */
export interface CoFlatMapFunction<I1, I2, O> {
  flatMap1(value: I1, out: Collector<O>): Iterable<O> | void;
  flatMap2(value: I2, out: Collector<O>): Iterable<O> | void;
}

/** A CoMapFunction over two keyed inputs: `ctx` is the key's state (shared by both inputs) and timers. */
export interface KeyedCoMapFunction<K extends UserKey, I1, I2, O> {
  /** Once per parallel instance, before the first record. */
  open?(ctx: KeyedContext<K>): Sync;
  map1(value: I1, ctx: KeyedContext<K>): O;
  map2(value: I2, ctx: KeyedContext<K>): O;
}

/** A CoFlatMapFunction over two keyed inputs (Flink's `connect(...).keyBy(...).flatMap(RichCoFlatMapFunction)`). */
export interface KeyedCoFlatMapFunction<K extends UserKey, I1, I2, O> {
  /** Once per parallel instance, before the first record. */
  open?(ctx: KeyedContext<K>): Sync;
  flatMap1(value: I1, out: Collector<O>, ctx: KeyedContext<K>): Iterable<O> | void;
  flatMap2(value: I2, out: Collector<O>, ctx: KeyedContext<K>): Iterable<O> | void;
}

/** The keyed input's context: keyed state and timers of the record's key, and broadcast state to read. */
export interface ReadOnlyBroadcastContext<K> extends KeyedContext<K>, ReadOnlyBroadcastProcessContext {
  getBroadcastState<MK extends Key, MV>(descriptor: MapStateDescriptor<MK, MV>): ReadOnlyBroadcastState<MK, MV>;
}

/** What either input of a broadcast process function sees besides broadcast state. */
interface BroadcastProcessContextBase {
  /** The record's event time, or undefined. */
  readonly timestamp: number | undefined;
  readonly subtask: number;
  currentWatermark(): number;
  currentProcessingTime(): number;
  output<X>(tag: OutputTag<X>, value: X): void;
}

/** The broadcast input's context (keyed or not): broadcast state to write. */
export interface BroadcastProcessContext extends BroadcastProcessContextBase {
  getBroadcastState<MK extends Key, MV>(descriptor: MapStateDescriptor<MK, MV>): BroadcastState<MK, MV>;
}

/** The plain (non-keyed) input's context: broadcast state to read. */
export interface ReadOnlyBroadcastProcessContext extends BroadcastProcessContextBase {
  getBroadcastState<MK extends Key, MV>(descriptor: MapStateDescriptor<MK, MV>): ReadOnlyBroadcastState<MK, MV>;
}

/** The broadcast input's context next to a keyed input (keyed by K): no current key; every key's keyed state too. */
export interface BroadcastContext<K extends UserKey = Key> extends BroadcastProcessContext {
  /**
   * Calls `fn` for every key of this instance that has keyed state `stateName`, with that key current: `state`
   * reads and writes that key's state (by name, as a keyed context does). The keys are the stream's, of type K;
   * a type argument, if given, must be K or wider (it was once free, and anything was accepted). A context typed
   * without K (`BroadcastContext`, K = Key: the key type unknown here) takes any key type, as it always did.
   */
  applyToKeyedState<KK = K>(stateName: string, fn: [Key] extends [K] ? (key: KK, state: KeyedStateStore) => void : [K] extends [KK] ? (key: K, state: KeyedStateStore) => void : never): void;
}

export interface KeyedBroadcastProcessFunction<K extends UserKey, IN, B, O> {
  /** Once per parallel instance, before the first record or timer: keyed state handles kept on `this` here are the instance's own. No key is set: declare handles, do not read state. */
  open?(ctx: KeyedContext<K>): Sync;
  processElement(value: IN, ctx: ReadOnlyBroadcastContext<K>, out: Collector<O>): Sync;
  processBroadcastElement(value: B, ctx: BroadcastContext<K>, out: Collector<O>): Sync;
  onTimer?(timestamp: number, ctx: OnTimerContext<K> & ReadOnlyBroadcastContext<K>, out: Collector<O>): Sync;
}

/**
 * A plain stream read beside a broadcast stream (`stream.connect(rules.broadcast(descriptor)).process(fn)`): no
 * keys or timers; its own state goes through snapshotState/restoreState, its event time through onWatermark.
 * Chained to the operator before it (a source, say), its records reach it as calls and only the broadcast records
 * cross threads.
 */
export interface BroadcastProcessFunction<IN, B, O> {
  /** Once per parallel instance, before the first record (after a restore): set up caches here. */
  open?(ctx: { readonly subtask: number }): Sync;
  processElement(value: IN, ctx: ReadOnlyBroadcastProcessContext, out: Collector<O>): Sync;
  processBroadcastElement(value: B, ctx: BroadcastProcessContext, out: Collector<O>): Sync;
  /**
   * The operator's event time moved on to `watermark` (the lower of its two inputs'), and the watermark goes
   * downstream after this returns: what is emitted here carries `watermark` as its time and is not late there.
   * Called with MAX_WATERMARK once both inputs end. The plain function's clock: it has no timers.
   */
  onWatermark?(watermark: number, ctx: ReadOnlyBroadcastProcessContext, out: Collector<O>): Sync;
  /**
   * This instance's own state (structured-clonable and msgpack-able), copied into each checkpoint and savepoint at
   * the barrier, after every record before it. Broadcast state is kept without it; this is for what differs between
   * instances. The onWatermark clock is kept too: a restore does not call it again for event time it had seen.
   */
  snapshotState?(): unknown;
  /**
   * On a restore, before open(): what each instance's snapshotState returned, indexed by its subtask then
   * (`states.length` is the old parallelism; an entry is undefined where that instance had not started). Every new
   * instance gets all of them, so one restored at another parallelism can take its share (Flink's union list state),
   * or throw: the run then fails at once (RestoreRefusedError), since a restart would hand it the same states.
   */
  restoreState?(states: readonly unknown[], ctx: { readonly subtask: number; readonly parallelism: number }): Sync;
}
