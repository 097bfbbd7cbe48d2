// Runs on: main thread and every worker thread (the job module builds the graph on each). A stream sent to every
// instance of the operator reading it, with the broadcast states it writes there: `rules.broadcast(descriptor)`,
// then `keyedStream.connect(broadcastStream).process(fn)`.

import { JobDefinitionError } from './errors.js';
import type { Key } from '../graph/key-groups.js';
import type { LogicalEdge, LogicalGraph } from '../graph/logical-graph.js';
import type { KeyedBroadcastProcessFunction } from './co-functions.js';
import type { MapStateDescriptor } from './broadcast-state.js';
import { DataStream } from './data-stream.js';
import type { BroadcastProcessSpec } from '../operators/keyed-broadcast-process.js';

export class BroadcastStream<T> {
  /** Phantom: carries the element type. */
  declare readonly __type?: T;
  /** @internal */
  constructor(readonly graph: LogicalGraph, readonly edge: LogicalEdge, readonly descriptors: readonly MapStateDescriptor<unknown, unknown>[]) {}
}

export class BroadcastConnectedStream<T, B, K extends Key> {
  /** @internal */
  constructor(private readonly graph: LogicalGraph, private readonly keyed: LogicalEdge, private readonly broadcast: BroadcastStream<B>) {}

  /**
   * `processBroadcastElement` for every broadcast record (on every instance: writes broadcast state),
   * `processElement` for each keyed record (reads it, with keyed state and timers).
   */
  process<R>(fn: KeyedBroadcastProcessFunction<K, T, B, R>): DataStream<R> {
    if (!fn || typeof fn !== 'object' || typeof fn.processElement !== 'function' || typeof fn.processBroadcastElement !== 'function') {
      throw new JobDefinitionError('connect(broadcastStream).process: expected an object with processElement and processBroadcastElement');
    }
    const spec: BroadcastProcessSpec = { kind: 'broadcastProcess', states: this.broadcast.descriptors.map((d) => d.name) };
    return new DataStream<R>(this.graph, this.graph.add({
      kind: 'broadcastProcess', inputs: [this.keyed, this.broadcast.edge], fn, spec, specFingerprint: `broadcast(${spec.states.join(',')})`,
    }));
  }
}
