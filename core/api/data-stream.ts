// Runs on: main thread and every worker thread (the job module builds the graph on each).
//
// The fluent, typed DataStream API. Each call adds a node to the logical graph; the types of records (and of
// keys, after keyBy) flow through the chain.

import { afterOperators, JobDefinitionError } from './errors.js';
import { isVirtualUnion } from '../graph/physical-plan.js';
import type { Key } from '../graph/key-groups.js';
import type { UserKey } from '../graph/tuple-key.js';
import { ERROR_POLICY_KINDS, type LogicalEdge, type LogicalGraph, type LogicalNode, type Partitioner } from '../graph/logical-graph.js';
import type { RecordCodec } from '../../shm/codec/codec.js';
import type { SinkSpec } from '../connectors/sink.js';
import { collectSink } from '../connectors/collect-sink.js';
import { printSink } from '../connectors/print-sink.js';
import { discardSink } from '../connectors/discard-sink.js';
import type { FilterFunction, FlatMapFunction, KeyedProcessFunction, KeySelector, MapFunction, OutputTypeHint, ProcessFunction, ReduceFunction } from './functions.js';
import { OutputTag } from './output-tag.js';
import { WatermarkStrategy } from '../time/watermark-strategy.js';
import { WindowedStream } from './windowed-stream.js';
import { AllWindowedStream, ALL_KEY } from './all-windowed-stream.js';
import { fieldReducer, type NumericField } from './field-aggregations.js';
import type { WindowAssigner } from '../windows/window-assigner.js';
import type { GlobalWindow, Window } from '../windows/window.js';
import { GlobalWindows } from '../windows/global-windows.js';
import { CountTrigger } from '../windows/count-trigger.js';
import { PurgingTrigger } from '../windows/purging-trigger.js';
import { CountEvictor } from '../windows/evictor.js';
import { ConnectedStreams, KeyedConnectedStreams } from './connected-streams.js';
import { BroadcastConnectedStream, BroadcastStream, ConnectedBroadcastStreams, KeyedBroadcastConnectedStream, KeyedConnectedBroadcastStreams } from './broadcast-stream.js';
import { MapStateDescriptor } from './broadcast-state.js';
import { JoinedStreams, type CoGroupedStreams } from './joined-streams.js';
import { IntervalJoin } from './interval-join.js';
import { DEAD_LETTERS, DEAD_LETTERS_ID, ERROR_POLICIES, type DeadLetter, type ErrorPolicy } from './dead-letters.js';
import { stateSchemaFields, stateSchemaFingerprint } from '../state/typed-state-table.js';
import type { FieldDef, Infer, RecordSchema } from '../../shm/codec/schema.js';
import { asyncMapFingerprint, checkAsyncMapOptions, type AsyncMapFunction, type AsyncMapOptions } from './async-map.js';
import { checkKnownOptions } from './known-options.js';
import { shownValue } from './shown-value.js';

/** `after`: the operator the call follows, so the error says where in the job it is. */
function requireFunction(fn: unknown, what: string, after: string): void {
  if (typeof fn !== 'function') throw new JobDefinitionError(`${what}${afterOperators(after)}: expected a function, got ${typeof fn}`);
}

export class DataStream<T> {
  /** @internal */
  readonly graph: LogicalGraph;
  /** @internal The node producing this stream. */
  readonly node: LogicalNode;
  /** @internal How the next operator reads this stream. */
  protected readonly partitioner: Partitioner;
  /** @internal The side output of `node` this stream is (undefined: its main output). */
  protected readonly tag: string | undefined;

  /** @internal */
  constructor(graph: LogicalGraph, node: LogicalNode, partitioner: Partitioner = 'forward', tag?: string) {
    this.graph = graph;
    this.node = node;
    this.partitioner = partitioner;
    this.tag = tag;
  }

  protected edge(): { from: number; partitioner: Partitioner; key?: (value: unknown) => UserKey; tag?: string } {
    return this.tag === undefined ? { from: this.node.id, partitioner: this.partitioner } : { from: this.node.id, partitioner: this.partitioner, tag: this.tag };
  }

  /** @internal The edge an operator reading this stream gets (windows, joins and two-input operators build on it). */
  inputEdge(): LogicalEdge {
    return this.edge();
  }

  /**
   * A stream after keyBy, rebalance or broadcast, or a side output, is a view of its operator's output, not an
   * operator: naming or configuring it would silently change the operator before it (and a renamed operator's
   * default uid, which its state is restored by).
   */
  private checkOperator(what: string): void {
    if (this.partitioner === 'forward' && this.tag === undefined) return;
    const view = this.tag !== undefined ? 'a side output' : this.partitioner === 'hash' ? 'keyBy(...)' : `${this.partitioner}()`;
    throw new JobDefinitionError(`${what}: ${view} is not an operator; call ${what} on the operator before it ('${this.node.name}') or on the one after it`);
  }

  /** Names the operator that produces this stream (names appear in metrics and errors; must be unique). */
  name(name: string): this {
    this.checkOperator('name');
    if (typeof name !== 'string' || name.length === 0) throw new JobDefinitionError(`name: expected a non-empty string for operator '${this.node.name}'`);
    this.node.name = name;
    if (this.node.companion) this.node.companion.name = `${name}.combine`;
    const co = this.node.coFunctions;
    if (co !== undefined) {
      // Their uids stay what they were (the union took the name before, and they kept their own as uid).
      for (const n of co) n.uid ??= n.name;
      co[0].name = `${name}.1`;
      co[1].name = `${name}.2`;
    }
    return this;
  }

  /** A stable id for the operator's state across job versions. */
  uid(uid: string): this {
    this.checkOperator('uid');
    if (typeof uid !== 'string' || uid.length === 0) throw new JobDefinitionError(`uid: expected a non-empty string for operator '${this.node.name}'`);
    this.node.uid = uid;
    if (this.node.companion) this.node.companion.uid = `${uid}.combine`;
    const co = this.node.coFunctions;
    if (co !== undefined) { co[0].uid = `${uid}.1`; co[1].uid = `${uid}.2`; }
    return this;
  }

  /** Parallel instances of the operator that produces this stream. */
  setParallelism(parallelism: number): this {
    this.checkOperator('setParallelism');
    const co = this.node.coFunctions;
    if (co !== undefined) {
      for (const n of co) new DataStream(this.graph, n).setParallelism(parallelism);
      return this;
    }
    // Else taken and ignored: a union of plain inputs is no task of its own, its consumers read its inputs. (One
    // with an input partitioned by hand, keyBy or global, is a task, and takes it.)
    if (isVirtualUnion(this.node)) throw new JobDefinitionError(`setParallelism: union '${this.node.name}' runs nothing of its own (the operators after it read its inputs); set the parallelism of the operators before or after it`);
    this.node.parallelism = parallelism;
    return this;
  }

  /**
   * What the operator producing this stream does when its user function throws (a source: with input it cannot
   * decode): 'fail' (default) fails the job; 'drop' skips the record, counted in the metrics; 'dead-letter' sends
   * it with the error to the DEAD_LETTERS side output (`getSideOutput(DEAD_LETTERS)`), or to `deadLetterSink`.
   */
  onError(policy: ErrorPolicy, deadLetterSink?: SinkSpec<DeadLetter>): this {
    this.checkOperator('onError');
    const co = this.node.coFunctions;
    if (co !== undefined) {
      // An unkeyed co-map / co-flatMap: both per-input operators, their dead letters to one sink.
      for (const n of co) new DataStream(this.graph, n).onError(policy);
      if (deadLetterSink !== undefined) this.getSideOutput(DEAD_LETTERS).sink(deadLetterSink);
      return this;
    }
    if (!ERROR_POLICIES.includes(policy)) throw new JobDefinitionError(`onError: the policy must be 'fail', 'drop' or 'dead-letter', got ${JSON.stringify(policy)} (operator '${this.node.name}')`);
    if (!ERROR_POLICY_KINDS.has(this.node.kind)) throw new JobDefinitionError(`onError: operator '${this.node.name}' (${this.node.kind}) runs no user function that can fail; set the policy on a source, map, filter, flatMap, reduce, process (one or two inputs, broadcast), interval or window join, coGroup, asyncMap or sink`);
    if (deadLetterSink !== undefined && policy !== 'dead-letter') throw new JobDefinitionError(`onError: a dead-letter sink needs the 'dead-letter' policy (operator '${this.node.name}')`);
    this.node.errorPolicy = policy;
    if (deadLetterSink !== undefined) new DataStream<DeadLetter>(this.graph, this.node, 'forward', DEAD_LETTERS_ID).sink(deadLetterSink);
    return this;
  }

  /** Encodes this stream's records with `codec` when they cross threads (e.g. `typedCodec(schema)`). */
  withCodec(codec: RecordCodec<T>): this {
    // On a side output it would set the operator's main output codec (side outputs always use the generic one).
    if (this.tag !== undefined) throw new JobDefinitionError(`withCodec: side outputs always use the generic codec; call withCodec on the operator's main output ('${this.node.name}') or on the operator after the side output`);
    // Else {} passes and fails in run() with a bare TypeError, and null is taken for the default.
    const c = codec as Partial<RecordCodec<unknown>> | null;
    if (c === null || typeof c !== 'object' || (c.kind !== 'typed' && c.kind !== 'generic') || typeof c.encoder !== 'function' || typeof c.decoder !== 'function' || typeof c.fingerprint !== 'string') {
      throw new JobDefinitionError(`withCodec on operator '${this.node.name}': expected a codec (typedCodec(schema) or genericCodec()), got ${c === null ? 'null' : typeof c}`);
    }
    this.node.codec = codec as RecordCodec<unknown>;
    return this;
  }

  map<R>(fn: MapFunction<T, R>): DataStream<R> {
    requireFunction(fn, 'map', this.node.name);
    return new DataStream<R>(this.graph, this.graph.add({ kind: 'map', inputs: [this.edge()], fn }));
  }

  /** Keeps the records `fn` accepts; a type guard (`(x): x is S => ...`) narrows the stream to S. */
  filter<S extends T>(fn: (value: T) => value is S): DataStream<S>;
  filter(fn: FilterFunction<T>): DataStream<T>;
  filter(fn: FilterFunction<T>): DataStream<T> {
    requireFunction(fn, 'filter', this.node.name);
    return new DataStream<T>(this.graph, this.graph.add({ kind: 'filter', inputs: [this.edge()], fn }));
  }

  flatMap<R = OutputTypeHint>(fn: FlatMapFunction<T, R>): DataStream<R> {
    requireFunction(fn, 'flatMap', this.node.name);
    return new DataStream<R>(this.graph, this.graph.add({ kind: 'flatMap', inputs: [this.edge()], fn }));
  }

  /**
   * Async I/O: `fn` starts a request per record (a lookup, an HTTP call) and its result is emitted, in input
   * order (`ordered`, default) or as requests complete; at most `capacity` requests run at once, beyond that the
   * input waits (backpressure). Timeouts and rejections are retried (`retries`), then handled by `onTimeout` and
   * the operator's error policy (`.onError`). Requests in flight at a checkpoint are issued again on restore.
   */
  asyncMap<R>(fn: AsyncMapFunction<T, R>, options: AsyncMapOptions<T, R> = {}): DataStream<R> {
    requireFunction(fn, 'asyncMap', this.node.name);
    checkAsyncMapOptions(options as AsyncMapOptions<unknown, unknown>, this.node.name);
    return new DataStream<R>(this.graph, this.graph.add({ kind: 'async', inputs: [this.edge()], fn, spec: options, specFingerprint: asyncMapFingerprint(options as AsyncMapOptions<unknown, unknown>) }));
  }

  /**
   * Gives every record its event time and generates watermarks (chain it right behind the source, so idleness
   * can be decided from the source's reads). Downstream event-time windows and timers run on these watermarks.
   * `perSplit`, right on a source: the strategy runs per split of the source (Flink's `fromSource(source, strategy)`,
   * Kafka's per-partition watermarks), so a split far ahead in event time does not make another's records late;
   * a subtask's watermark is the lowest of its active splits', idleness is per split. For readers that say which
   * split they read (Redis streams, files); with any other, one generator per subtask, as without it.
   */
  assignTimestampsAndWatermarks(strategy: WatermarkStrategy<T>, options: { perSplit?: boolean } = {}): DataStream<T> {
    if (!(strategy instanceof WatermarkStrategy)) throw new JobDefinitionError(`assignTimestampsAndWatermarks${afterOperators(this.node.name)}: expected a WatermarkStrategy`);
    checkOptionsObject(options, ['perSplit'], `assignTimestampsAndWatermarks${afterOperators(this.node.name)}`);
    if (options.perSplit === true) {
      if (this.node.kind !== 'source' || this.partitioner !== 'forward' || this.tag !== undefined) {
        throw new JobDefinitionError(`assignTimestampsAndWatermarks${afterOperators(this.node.name)}: perSplit runs the strategy inside a source, so it must be called right on the source's stream`);
      }
      strategy = strategy.forSplits();
    }
    return new DataStream<T>(this.graph, this.graph.add({ kind: 'timestamps', inputs: [this.edge()], spec: strategy, specFingerprint: strategy.fingerprint }));
  }

  /**
   * A function of each record with its time and side outputs (`ctx.output(tag, x)`): a function
   * `(value, ctx, out) => void`, or an object with `processElement` and optionally `open`. State and timers are per
   * key: on a keyed stream, `process` has them.
   */
  process<R = OutputTypeHint>(fn: ProcessFunction<T, R>): DataStream<R> {
    checkProcessFunction(fn, this.node.name);
    return new DataStream<R>(this.graph, this.graph.add({ kind: 'streamProcess', inputs: [this.edge()], fn }));
  }

  /** The records this stream's operator emitted to side output `tag` (a process function's `ctx.output`, late window data). */
  getSideOutput<X>(tag: OutputTag<X>): DataStream<X> {
    if (!(tag instanceof OutputTag)) throw new JobDefinitionError(`getSideOutput: expected an OutputTag for operator '${this.node.name}'`);
    if (this.tag !== undefined) throw new JobDefinitionError(`getSideOutput: '${this.tag}' is already a side output of operator '${this.node.name}'`);
    const co = this.node.coFunctions;
    if (co !== undefined && tag.id === DEAD_LETTERS_ID) {
      return new DataStream<X>(this.graph, co[0], 'forward', tag.id).union(new DataStream<X>(this.graph, co[1], 'forward', tag.id));
    }
    return new DataStream<X>(this.graph, this.node, 'forward', tag.id);
  }

  /**
   * Windows over the whole stream, not per key (Flink's windowAll): one window operator subtask sees every record,
   * as in Flink; `.combineLocally()` folds records before it for `reduce` and `aggregate`.
   */
  windowAll<W extends Window>(assigner: WindowAssigner<W>): AllWindowedStream<T, W> {
    return new AllWindowedStream<T, W>(this.keyBy((): typeof ALL_KEY => ALL_KEY).window(assigner));
  }

  /**
   * Windows of `size` records of the whole stream, fired and purged every `size` records; with `slide`, the last
   * `size` records every `slide` records (a count trigger and a count evictor, as in Flink).
   */
  countWindowAll(size: number, slide?: number): AllWindowedStream<T, GlobalWindow> {
    if (slide === undefined) return this.windowAll(GlobalWindows.create()).trigger(PurgingTrigger.of(CountTrigger.of(size)));
    return this.windowAll(GlobalWindows.create()).evictor(CountEvictor.of(size)).trigger(CountTrigger.of(slide));
  }

  /** Partitions by key: records with equal keys go to the same parallel instance. */
  keyBy<K extends UserKey>(key: KeySelector<T, K>): KeyedStream<T, K> {
    requireFunction(key, 'keyBy', this.node.name);
    return new KeyedStream<T, K>(this.graph, this.node, key, this.tag);
  }

  /** Round-robin redistribution to the next operator's instances. */
  rebalance(): DataStream<T> {
    return new DataStream<T>(this.graph, this.node, 'rebalance', this.tag);
  }

  /** Each record to an instance of the next operator chosen at random (Flink's shuffle). */
  shuffle(): DataStream<T> {
    return new DataStream<T>(this.graph, this.node, 'shuffle', this.tag);
  }

  /** Every record to the first instance (subtask 0) of the next operator (Flink's global). */
  global(): DataStream<T> {
    return new DataStream<T>(this.graph, this.node, 'global', this.tag);
  }

  /**
   * Each record to the instance `partitioner(key, parallelism)` of the next operator (Flink's partitionCustom): a
   * whole number from 0 to parallelism - 1, else the record is bad input of this operator (its error policy). Not
   * a keyed stream: the next operator has no keyed state.
   */
  partitionCustom<K extends UserKey>(partitioner: (key: K, parallelism: number) => number, key: KeySelector<T, K>): DataStream<T> {
    requireFunction(partitioner, 'partitionCustom', this.node.name);
    requireFunction(key, 'partitionCustom', this.node.name);
    return new CustomPartitionedStream<T>(this.graph, this.node, key as (value: unknown) => UserKey, partitioner as (key: UserKey, parallelism: number) => number, this.tag);
  }

  /**
   * Every record to every instance of the next operator. With state descriptors: a broadcast stream for
   * `stream.connect(...)`, whose function writes these broadcast states on every instance. Without, still a
   * stream, which `connect` also takes as a broadcast stream with no broadcast state (its function keeps state of
   * its own, or none).
   */
  broadcast(): BroadcastDataStream<T>;
  broadcast(...descriptors: [MapStateDescriptor<Key, unknown>, ...MapStateDescriptor<Key, unknown>[]]): BroadcastStream<T>;
  broadcast(...descriptors: MapStateDescriptor<Key, unknown>[]): BroadcastDataStream<T> | BroadcastStream<T> {
    const stream = new BroadcastDataStream<T>(this.graph, this.node, this.tag);
    if (descriptors.length === 0) return stream;
    const names = new Set<string>();
    for (const d of descriptors) {
      if (!(d instanceof MapStateDescriptor)) throw new JobDefinitionError(`broadcast${afterOperators(this.node.name)}: expected MapStateDescriptor arguments`);
      if (names.has(d.name)) throw new JobDefinitionError(`broadcast${afterOperators(this.node.name)}: state '${d.name}' is declared twice`);
      names.add(d.name);
    }
    return new BroadcastStream<T>(this.graph, stream.edge(), descriptors);
  }

  /**
   * With a broadcast stream (`rules.broadcast(descriptor)`): a broadcast process function over both. With
   * `rules.broadcast()`: that too, with no broadcast state, or a co-map as with any other stream. With any other
   * stream: two streams for one two-input operator, `connect(b).keyBy(k1, k2).process(keyedCoProcessFunction)`.
   */
  connect<B>(other: BroadcastStream<B>): BroadcastConnectedStream<T, B>;
  connect<B>(other: BroadcastDataStream<B>): ConnectedBroadcastStreams<T, B>;
  connect<B>(other: DataStream<B>): ConnectedStreams<T, B>;
  connect<B>(other: BroadcastStream<B> | DataStream<B>): BroadcastConnectedStream<T, B> | ConnectedStreams<T, B> {
    if (other instanceof BroadcastStream) {
      if (other.graph !== this.graph) throw new JobDefinitionError(`connect${afterOperators(this.node.name)}: expected a broadcast stream of the same job`);
      return new BroadcastConnectedStream<T, B>(this.graph, this.edge(), other);
    }
    this.checkSameJob(other, 'connect');
    if (other instanceof BroadcastDataStream) return new ConnectedBroadcastStreams<T, B>(this, other);
    return new ConnectedStreams<T, B>(this, other);
  }

  /** A window join: `join(b).where(k1).equalTo(k2).window(assigner).apply((a, b) => ...)`. */
  join<B>(other: DataStream<B>): JoinedStreams<T, B> {
    this.checkSameJob(other, 'join');
    return new JoinedStreams<T, B>(this, other);
  }

  /**
   * A window coGroup (outer joins, per-window matching of one's own): `coGroup(b).where(k1).equalTo(k2)
   * .window(assigner).apply((xs, ys, out) => ...)`, called once per key and window with both sides' records.
   */
  coGroup<B>(other: DataStream<B>): CoGroupedStreams<T, B> {
    this.checkSameJob(other, 'coGroup');
    return new JoinedStreams<T, B, 'coGroup'>(this, other, 'coGroup');
  }

  protected checkSameJob(other: unknown, what: string): void {
    if (!(other instanceof DataStream) || other.graph !== this.graph) throw new JobDefinitionError(`${what}${afterOperators(this.node.name)}: expected a stream of the same job`);
  }

  /**
   * Merges streams of the same type. A stream of a subtype of T (extra fields, narrower literals) is accepted and
   * read as T downstream; a sink's result (DataStream<never>) is not a stream to merge and is refused.
   */
  union(...others: DataStream<T>[]): DataStream<T>;
  // Subtypes, each argument inferred on its own. The plain overload first: with T generic (a helper over
  // DataStream<T>) the mapped type below cannot be resolved, and correct code would be refused.
  union<O extends readonly T[]>(...others: { [I in keyof O]: [O[I]] extends [never] ? never : DataStream<O[I]> }): DataStream<T>;
  union(...others: DataStream<T>[]): DataStream<T> {
    for (const o of others) {
      if (!(o instanceof DataStream) || o.graph !== this.graph) throw new JobDefinitionError(`union${afterOperators(this.node.name)}: every stream must come from the same job`);
    }
    const inputs = [this.edge(), ...others.map((o) => o.edge())].map((e) => ({ ...e, partitioner: e.partitioner === 'forward' ? 'rebalance' as const : e.partitioner }));
    return new DataStream<T>(this.graph, this.graph.add({ kind: 'union', inputs }));
  }

  sink(spec: SinkSpec<T>): DataStream<never> {
    if (!spec || typeof spec.createWriter !== 'function') throw new JobDefinitionError(`sink${afterOperators(this.node.name)}: expected a sink spec (e.g. collectSink())`);
    return new DataStream<never>(this.graph, this.graph.add({ kind: 'sink', inputs: [this.edge()], sink: spec as SinkSpec<unknown> }));
  }

  /** Every record back to the caller: `result.collected[name]`. */
  collect(): DataStream<never> {
    return this.sink(collectSink<T>());
  }

  print(format?: (value: T) => string): DataStream<never> {
    if (format !== undefined) requireFunction(format, 'print', this.node.name);
    return this.sink(printSink<T>(format));
  }

  discard(): DataStream<never> {
    return this.sink(discardSink<T>());
  }
}

function checkProcessFunction(fn: unknown, after: string): void {
  if (typeof fn !== 'function' && !(fn && typeof fn === 'object' && typeof (fn as { processElement?: unknown }).processElement === 'function')) {
    throw new JobDefinitionError(`process${afterOperators(after)}: expected a function or an object with processElement, got ${typeof fn}`);
  }
}

/** An options object a builder takes: an object, of known keys (`what` names the call). */
function checkOptionsObject(options: object, known: readonly string[], what: string): void {
  if (options === null || typeof options !== 'object') throw new JobDefinitionError(`${what}: options must be an object, got ${shownValue(options)}`);
  checkKnownOptions(options, known, what);
}

export interface ReduceOptions<T, S extends RecordSchema<T> = RecordSchema<T>> {
  /**
   * The accumulator's record schema (recordSchema({ ... }), required fields only). The keyed state then keeps
   * each field in a typed column, one row per key, instead of an object per key: far less for the garbage
   * collector to walk with many keys, and a checkpoint copies changed rows without visiting objects. Only the
   * declared fields are kept (as the typed codec keeps them); an accumulator that does not fit the schema goes to
   * the operator's error policy. Checkpoints are the same bytes either way: a job can add or drop the schema and
   * resume.
   */
  stateSchema?: S & StateSchemaFits<T, S>;
}

/**
 * A stateSchema must declare no field the accumulator type lacks or has optional (else one with an extra field
 * compiles, and every accumulator then goes to the error policy). RecordSchema alone checks one way only.
 */
export type StateSchemaFits<T, S> = [T] extends [Infer<S>] ? unknown : { readonly 'the stateSchema declares a field the accumulator type does not have, or has as optional': never };

/** @internal What a reduce node carries to its operator. */
export interface ReduceSpec {
  readonly stateFields: readonly FieldDef[];
}

/**
 * `broadcast()` with no descriptors: every record to every instance of the next operator. A stream as any other,
 * and for `connect` a broadcast stream with no broadcast state.
 */
export class BroadcastDataStream<T> extends DataStream<T> {
  /** Nominal: connect's overloads tell it from any other stream by its type. */
  protected readonly noBroadcastState = true;

  /** @internal */
  constructor(graph: LogicalGraph, node: LogicalNode, tag?: string) {
    super(graph, node, 'broadcast', tag);
  }
}

/** A stream read through partitionCustom: its edge carries the key selector and the partitioner function. */
class CustomPartitionedStream<T> extends DataStream<T> {
  /** @internal */
  constructor(graph: LogicalGraph, node: LogicalNode, private readonly key: (value: unknown) => UserKey, private readonly partition: (key: UserKey, parallelism: number) => number, tag?: string) {
    super(graph, node, 'custom', tag);
  }

  protected override edge(): { from: number; partitioner: Partitioner; key: (value: unknown) => UserKey; partition: (key: UserKey, parallelism: number) => number; tag?: string } {
    const e = { from: this.node.id, partitioner: 'custom' as const, key: this.key, partition: this.partition };
    return this.tag === undefined ? e : { ...e, tag: this.tag };
  }
}

export class KeyedStream<T, K extends UserKey> extends DataStream<T> {
  private readonly key: KeySelector<T, K>;

  /** @internal */
  constructor(graph: LogicalGraph, node: LogicalNode, key: KeySelector<T, K>, tag?: string) {
    super(graph, node, 'hash', tag);
    this.key = key;
  }

  protected override edge(): { from: number; partitioner: Partitioner; key: (value: unknown) => UserKey; tag?: string } {
    const e = { from: this.node.id, partitioner: 'hash' as const, key: this.key as (value: unknown) => UserKey };
    return this.tag === undefined ? e : { ...e, tag: this.tag };
  }

  /**
   * Cuts each key's records into windows (TumblingEventTimeWindows.of(ms), SlidingEventTimeWindows.of(size,
   * slide), EventTimeSessionWindows.withGap(ms), their processing-time twins, GlobalWindows.create()); end the
   * chain with reduce, aggregate or process.
   */
  window<W extends Window>(assigner: WindowAssigner<W>): WindowedStream<T, K, W> {
    return new WindowedStream<T, K, W>(this.graph, this.edge(), assigner);
  }

  /**
   * Windows of `size` records per key: a global window fired and purged every `size` elements; with `slide`, the
   * key's last `size` records every `slide` records (a count trigger and a count evictor, as in Flink).
   */
  countWindow(size: number, slide?: number): WindowedStream<T, K, GlobalWindow> {
    if (slide === undefined) return this.window(GlobalWindows.create()).trigger(PurgingTrigger.of(CountTrigger.of(size)));
    return this.window(GlobalWindows.create()).evictor(CountEvictor.of(size)).trigger(CountTrigger.of(slide));
  }

  /**
   * Joins each record with the records of `other` with an equal key whose event time lies in an interval
   * around its own: `intervalJoin(b).between(lowerMs, upperMs).process(fn)`.
   */
  intervalJoin<B>(other: KeyedStream<B, K>): IntervalJoin<T, B, K> {
    if (!(other instanceof KeyedStream) || other.graph !== this.graph) throw new JobDefinitionError(`intervalJoin${afterOperators(this.node.name)}: expected a keyed stream (keyBy(...)) of the same job`);
    return new IntervalJoin<T, B, K>(this, other);
  }

  /**
   * With a broadcast stream (`rules.broadcast(descriptor)`): a keyed broadcast process function. With
   * `rules.broadcast()`: that too, with no broadcast state, or connected streams as below. With a keyed stream: a
   * keyed co-process function over both. With any other stream: connected streams to key.
   */
  override connect<B>(other: BroadcastStream<B>): KeyedBroadcastConnectedStream<T, B, K>;
  override connect<B>(other: BroadcastDataStream<B>): KeyedConnectedBroadcastStreams<T, B, K>;
  override connect<B>(other: KeyedStream<B, K>): KeyedConnectedStreams<T, B, K>;
  override connect<B>(other: DataStream<B>): ConnectedStreams<T, B>;
  override connect<B>(other: BroadcastStream<B> | DataStream<B>): KeyedBroadcastConnectedStream<T, B, K> | KeyedConnectedStreams<T, B, K> | ConnectedStreams<T, B> {
    if (other instanceof BroadcastStream) {
      if (other.graph !== this.graph) throw new JobDefinitionError(`connect${afterOperators(this.node.name)}: expected a broadcast stream of the same job`);
      return new KeyedBroadcastConnectedStream<T, B, K>(this.graph, this.edge(), other);
    }
    this.checkSameJob(other, 'connect');
    if (other instanceof BroadcastDataStream) return new KeyedConnectedBroadcastStreams<T, B, K>(this, other);
    if (other instanceof KeyedStream) return new KeyedConnectedStreams<T, B, K>(this.graph, this.edge(), (other as KeyedStream<B, K>).edge());
    return new ConnectedStreams<T, B>(this, other);
  }

  /**
   * Rolling reduce: emits the updated accumulator of the record's key for every record. With `stateSchema`, the
   * accumulators live in typed columns (ReduceOptions).
   */
  reduce<S extends RecordSchema<T> = RecordSchema<T>>(fn: ReduceFunction<T>, options: ReduceOptions<T, S> = {}): DataStream<T> {
    requireFunction(fn, 'reduce', this.node.name);
    checkOptionsObject(options, ['stateSchema'], `reduce${afterOperators(this.node.name)}`);
    if (options.stateSchema === undefined) return new DataStream<T>(this.graph, this.graph.add({ kind: 'reduce', inputs: [this.edge()], fn }));
    const fields = stateSchemaFields(options.stateSchema, 'reduce');
    const spec: ReduceSpec = { stateFields: fields };
    return new DataStream<T>(this.graph, this.graph.add({ kind: 'reduce', inputs: [this.edge()], fn, spec, specFingerprint: stateSchemaFingerprint(fields) }));
  }

  /** Rolling sum of a number field per key: each record's update is the key's first record with the field summed. */
  sum(field: NumericField<T>): DataStream<T> { return this.reduce(fieldReducer<T>('sum', field)); }
  /** Rolling minimum of a number field per key (the other fields stay the key's first record's, as in Flink). */
  min(field: NumericField<T>): DataStream<T> { return this.reduce(fieldReducer<T>('min', field)); }
  /** Rolling maximum of a number field per key (the other fields stay the key's first record's). */
  max(field: NumericField<T>): DataStream<T> { return this.reduce(fieldReducer<T>('max', field)); }
  /** Per key, the record with the least `field` so far (the earlier one on a tie). */
  minBy(field: NumericField<T>): DataStream<T> { return this.reduce(fieldReducer<T>('minBy', field)); }
  /** Per key, the record with the greatest `field` so far (the earlier one on a tie). */
  maxBy(field: NumericField<T>): DataStream<T> { return this.reduce(fieldReducer<T>('maxBy', field)); }

  /**
   * A function of each record with its key, keyed state and timers: a function `(value, ctx, out) => void`, or
   * an object with `processElement` and optionally `open` and `onTimer`.
   */
  override process<R = OutputTypeHint>(fn: KeyedProcessFunction<K, T, R>): DataStream<R> {
    checkProcessFunction(fn, this.node.name);
    if (typeof fn === 'object' && fn.onTimer !== undefined && typeof fn.onTimer !== 'function') throw new JobDefinitionError(`process${afterOperators(this.node.name)}: onTimer must be a function`);
    return new DataStream<R>(this.graph, this.graph.add({ kind: 'process', inputs: [this.edge()], fn }));
  }
}

// A JavaScript job (no types to stop it) calling a keyed stream's method on a stream that is not keyed got
// "reduce is not a function" and no operator named: refused as the graph's own check refuses one wired by hand.
// Defined on the prototype only, so the types still have no such method.
for (const m of ['reduce', 'sum', 'min', 'max', 'minBy', 'maxBy', 'window', 'countWindow', 'intervalJoin'] as const) {
  Object.defineProperty(DataStream.prototype, m, {
    configurable: true,
    writable: true,
    enumerable: false,
    value(this: { node: LogicalNode }): never {
      const whole = m === 'window' || m === 'countWindow' ? ` (or ${m}All for one window over the whole stream)` : '';
      throw new JobDefinitionError(`${m}${afterOperators(this.node.name)}: a keyed operation needs a keyed stream: call keyBy(...) first${whole}`);
    },
  });
}
