// Runs on: main thread and every worker thread (the job module builds the graph on each).
//
// The fluent, typed DataStream API. Each call adds a node to the logical graph; the types of records (and of
// keys, after keyBy) flow through the chain.

import { JobDefinitionError } from './errors.js';
import type { Key } from '../graph/key-groups.js';
import type { LogicalGraph, LogicalNode, Partitioner } from '../graph/logical-graph.js';
import type { RecordCodec } from '../../shm/codec/codec.js';
import { collectSink, discardSink, printSink, type SinkSpec } from '../connectors/sink.js';
import type { FilterFunction, FlatMapFunction, KeyedProcessFunction, KeySelector, MapFunction, ReduceFunction } from './functions.js';

function requireFunction(fn: unknown, what: string): void {
  if (typeof fn !== 'function') throw new JobDefinitionError(`${what}: expected a function, got ${typeof fn}`);
}

export class DataStream<T> {
  /** @internal */
  readonly graph: LogicalGraph;
  /** @internal The node producing this stream. */
  readonly node: LogicalNode;
  /** @internal How the next operator reads this stream. */
  protected readonly partitioner: Partitioner;

  /** @internal */
  constructor(graph: LogicalGraph, node: LogicalNode, partitioner: Partitioner = 'forward') {
    this.graph = graph;
    this.node = node;
    this.partitioner = partitioner;
  }

  protected edge(): { from: number; partitioner: Partitioner } {
    return { from: this.node.id, partitioner: this.partitioner };
  }

  /** Names the operator that produces this stream (names appear in metrics and errors; must be unique). */
  name(name: string): this {
    if (typeof name !== 'string' || name.length === 0) throw new JobDefinitionError(`name: expected a non-empty string for operator '${this.node.name}'`);
    this.node.name = name;
    return this;
  }

  /** A stable id for the operator's state across job versions. */
  uid(uid: string): this {
    this.node.uid = uid;
    return this;
  }

  /** Parallel instances of the operator that produces this stream. */
  setParallelism(parallelism: number): this {
    this.node.parallelism = parallelism;
    return this;
  }

  /** Encodes this stream's records with `codec` when they cross threads (e.g. `typedCodec(schema)`). */
  withCodec(codec: RecordCodec<T>): this {
    this.node.codec = codec as RecordCodec<unknown>;
    return this;
  }

  map<R>(fn: MapFunction<T, R>): DataStream<R> {
    requireFunction(fn, 'map');
    return new DataStream<R>(this.graph, this.graph.add({ kind: 'map', inputs: [this.edge()], fn }));
  }

  filter(fn: FilterFunction<T>): DataStream<T> {
    requireFunction(fn, 'filter');
    return new DataStream<T>(this.graph, this.graph.add({ kind: 'filter', inputs: [this.edge()], fn }));
  }

  flatMap<R>(fn: FlatMapFunction<T, R>): DataStream<R> {
    requireFunction(fn, 'flatMap');
    return new DataStream<R>(this.graph, this.graph.add({ kind: 'flatMap', inputs: [this.edge()], fn }));
  }

  /** Partitions by key: records with equal keys go to the same parallel instance. */
  keyBy<K extends Key>(key: KeySelector<T, K>): KeyedStream<T, K> {
    requireFunction(key, 'keyBy');
    return new KeyedStream<T, K>(this.graph, this.node, key);
  }

  /** Round-robin redistribution to the next operator's instances. */
  rebalance(): DataStream<T> {
    return new DataStream<T>(this.graph, this.node, 'rebalance');
  }

  /** Every record to every instance of the next operator. */
  broadcast(): DataStream<T> {
    return new DataStream<T>(this.graph, this.node, 'broadcast');
  }

  /** Merges streams of the same type. */
  union(...others: DataStream<T>[]): DataStream<T> {
    for (const o of others) {
      if (!(o instanceof DataStream) || o.graph !== this.graph) throw new JobDefinitionError('union: every stream must come from the same job');
    }
    const inputs = [this.edge(), ...others.map((o) => o.edge())].map((e) => ({ ...e, partitioner: e.partitioner === 'forward' ? 'rebalance' as const : e.partitioner }));
    return new DataStream<T>(this.graph, this.graph.add({ kind: 'union', inputs }));
  }

  sink(spec: SinkSpec<T>): DataStream<never> {
    if (!spec || typeof spec.createWriter !== 'function') throw new JobDefinitionError('sink: expected a sink spec (e.g. collectSink())');
    return new DataStream<never>(this.graph, this.graph.add({ kind: 'sink', inputs: [this.edge()], sink: spec as SinkSpec<unknown> }));
  }

  /** Every record back to the caller: `result.collected[name]`. */
  collect(): DataStream<never> {
    return this.sink(collectSink<T>());
  }

  print(format?: (value: T) => string): DataStream<never> {
    return this.sink(printSink<T>(format));
  }

  discard(): DataStream<never> {
    return this.sink(discardSink<T>());
  }
}

export class KeyedStream<T, K extends Key> extends DataStream<T> {
  private readonly key: KeySelector<T, K>;

  /** @internal */
  constructor(graph: LogicalGraph, node: LogicalNode, key: KeySelector<T, K>) {
    super(graph, node, 'hash');
    this.key = key;
  }

  protected override edge(): { from: number; partitioner: Partitioner; key: (value: unknown) => Key } {
    return { from: this.node.id, partitioner: 'hash', key: this.key as (value: unknown) => Key };
  }

  /** Rolling reduce: emits the updated accumulator of the record's key for every record. */
  reduce(fn: ReduceFunction<T>): DataStream<T> {
    requireFunction(fn, 'reduce');
    return new DataStream<T>(this.graph, this.graph.add({ kind: 'reduce', inputs: [this.edge()], fn }));
  }

  /** A function of each record with its key and per-key state. */
  process<R>(fn: KeyedProcessFunction<K, T, R>): DataStream<R> {
    requireFunction(fn, 'process');
    return new DataStream<R>(this.graph, this.graph.add({ kind: 'process', inputs: [this.edge()], fn }));
  }
}
