// Runs on: main thread and every worker thread (the job module builds the graph on each). A stream sent to every
// instance of the operator reading it, with the broadcast states it writes there: `rules.broadcast(descriptor)`,
// then `keyedStream.connect(broadcastStream).process(fn)`, or `stream.connect(broadcastStream).process(fn)` for a
// plain stream (which can then stay chained to the operator before it). `rules.broadcast()` connects the same
// way with no broadcast state, for a function that keeps state of its own or none.

import type { OutputTypeHint } from './functions.js';
import { JobDefinitionError } from './errors.js';
import type { Key } from '../graph/key-groups.js';
import type { UserKey } from '../graph/tuple-key.js';
import type { LogicalEdge, LogicalGraph } from '../graph/logical-graph.js';
import type { BroadcastProcessFunction, KeyedBroadcastProcessFunction } from './co-functions.js';
import type { MapStateDescriptor } from './broadcast-state.js';
import { DataStream, type BroadcastDataStream, type KeyedStream } from './data-stream.js';
import { ConnectedStreams } from './connected-streams.js';
import type { BroadcastProcessSpec } from '../operators/keyed-broadcast-process.js';

export class BroadcastStream<T> {
  /** Phantom: carries the element type. */
  declare readonly __type?: T;
  /** @internal */
  constructor(readonly graph: LogicalGraph, readonly edge: LogicalEdge, readonly descriptors: readonly MapStateDescriptor<Key, unknown>[]) {}
}

/** A plain stream connected to a broadcast stream. */
export class BroadcastConnectedStream<T, B> {
  /** @internal */
  constructor(readonly graph: LogicalGraph, readonly input: LogicalEdge, readonly broadcast: BroadcastStream<B>) {}

  /**
   * `processBroadcastElement` for every broadcast record (on every instance: writes broadcast state),
   * `processElement` for each record of the plain stream (reads it).
   */
  process<R = OutputTypeHint>(fn: BroadcastProcessFunction<T, B, R>): DataStream<R> {
    return new DataStream<R>(this.graph, this.graph.add(broadcastProcessNode(this.input, this.broadcast.edge, this.broadcast.descriptors, fn)));
  }
}

/**
 * A plain stream connected to `rules.broadcast()`: a broadcast process function with no broadcast state, or what
 * any connected streams do (co-map, co-flatMap, keyBy).
 */
export class ConnectedBroadcastStreams<T, B> extends ConnectedStreams<T, B> {
  /** @internal */
  constructor(first: DataStream<T>, second: BroadcastDataStream<B>) {
    super(first, second);
  }

  /** As BroadcastConnectedStream.process; `ctx.getBroadcastState` refuses every descriptor (none was declared). */
  process<R = OutputTypeHint>(fn: BroadcastProcessFunction<T, B, R>): DataStream<R> {
    const graph = this.first.graph;
    return new DataStream<R>(graph, graph.add(broadcastProcessNode(this.first.inputEdge(), this.second.inputEdge(), [], fn)));
  }
}

/**
 * A keyed stream connected to `rules.broadcast()`: a keyed broadcast process function with no broadcast state, or
 * what any connected streams do.
 */
export class KeyedConnectedBroadcastStreams<T, B, K extends UserKey> extends ConnectedStreams<T, B> {
  /** @internal */
  constructor(first: KeyedStream<T, K>, second: BroadcastDataStream<B>) {
    super(first, second);
  }

  /** As KeyedBroadcastConnectedStream.process; `ctx.getBroadcastState` refuses every descriptor (none was declared). */
  process<R = OutputTypeHint>(fn: KeyedBroadcastProcessFunction<K, T, B, R>): DataStream<R> {
    const graph = this.first.graph;
    return new DataStream<R>(graph, graph.add(broadcastProcessNode(this.first.inputEdge(), this.second.inputEdge(), [], fn)));
  }
}

/** A keyed stream connected to a broadcast stream. */
export class KeyedBroadcastConnectedStream<T, B, K extends UserKey> {
  /** @internal */
  constructor(readonly graph: LogicalGraph, readonly input: LogicalEdge, readonly broadcast: BroadcastStream<B>) {}

  /**
   * `processBroadcastElement` for every broadcast record (on every instance: writes broadcast state),
   * `processElement` for each keyed record (reads it, with keyed state and timers).
   */
  process<R = OutputTypeHint>(fn: KeyedBroadcastProcessFunction<K, T, B, R>): DataStream<R> {
    return new DataStream<R>(this.graph, this.graph.add(broadcastProcessNode(this.input, this.broadcast.edge, this.broadcast.descriptors, fn)));
  }
}

function broadcastProcessNode(input: LogicalEdge, broadcast: LogicalEdge, descriptors: readonly MapStateDescriptor<Key, unknown>[], fn: { processElement?: unknown; processBroadcastElement?: unknown }) {
  if (!fn || typeof fn !== 'object' || typeof fn.processElement !== 'function' || typeof fn.processBroadcastElement !== 'function') {
    throw new JobDefinitionError('connect(broadcastStream).process: expected an object with processElement and processBroadcastElement');
  }
  const spec: BroadcastProcessSpec = { kind: 'broadcastProcess', states: descriptors.map((d) => d.name) };
  return { kind: 'broadcastProcess' as const, inputs: [input, broadcast], fn, spec, specFingerprint: `broadcast(${spec.states.join(',')})` };
}
