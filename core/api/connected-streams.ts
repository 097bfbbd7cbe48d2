// Runs on: main thread and every worker thread (the job module builds the graph on each). Two streams of
// possibly different types read by one operator: `a.connect(b)`, keyed with `keyBy(k1, k2)`, then processed by
// a keyed co-process function that sees both inputs' records of a key with shared state and timers.

import { JobDefinitionError } from './errors.js';
import type { Key } from '../graph/key-groups.js';
import type { LogicalEdge, LogicalGraph } from '../graph/logical-graph.js';
import type { KeySelector, OutputTypeHint } from './functions.js';
import type { KeyedCoProcessFunction } from './co-functions.js';
import { DataStream } from './data-stream.js';

export class ConnectedStreams<A, B> {
  /** @internal */
  constructor(readonly first: DataStream<A>, readonly second: DataStream<B>) {}

  /** Partitions both inputs by key: records of either input with equal keys meet on one subtask. */
  keyBy<K extends Key>(key1: KeySelector<A, K>, key2: KeySelector<B, K>): KeyedConnectedStreams<A, B, K> {
    if (typeof key1 !== 'function' || typeof key2 !== 'function') throw new JobDefinitionError('connect(...).keyBy: expected two key selectors (one per input)');
    return new KeyedConnectedStreams<A, B, K>(this.first.graph, this.first.keyBy(key1).inputEdge(), this.second.keyBy(key2).inputEdge());
  }
}

export class KeyedConnectedStreams<A, B, K extends Key> {
  /** @internal */
  constructor(private readonly graph: LogicalGraph, private readonly edge1: LogicalEdge, private readonly edge2: LogicalEdge) {}

  /** `processElement1` / `processElement2` per record of each input, `onTimer` per timer: one key's state and timers for both. */
  process<R = OutputTypeHint>(fn: KeyedCoProcessFunction<K, A, B, R>): DataStream<R> {
    if (!fn || typeof fn !== 'object' || typeof fn.processElement1 !== 'function' || typeof fn.processElement2 !== 'function') {
      throw new JobDefinitionError('connect(...).keyBy(...).process: expected an object with processElement1 and processElement2');
    }
    if (fn.onTimer !== undefined && typeof fn.onTimer !== 'function') throw new JobDefinitionError('connect(...).keyBy(...).process: onTimer must be a function');
    return new DataStream<R>(this.graph, this.graph.add({ kind: 'coProcess', inputs: [this.edge1, this.edge2], fn }));
  }
}
