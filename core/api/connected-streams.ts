// Runs on: main thread and every worker thread (the job module builds the graph on each). Two streams of
// possibly different types read by one operator: `a.connect(b)`, keyed with `keyBy(k1, k2)`, then processed by
// a keyed co-process function that sees both inputs' records of a key with shared state and timers. Flink's
// CoMap / CoFlatMap: unkeyed, a function per input into one stream (no state to share, so each input's function
// runs where its records are and the results are a union); keyed, the same shapes over the key's shared state,
// as a keyed co-process function.

import type { UserKey } from '../graph/tuple-key.js';
import { afterOperators, JobDefinitionError } from './errors.js';
import type { LogicalEdge, LogicalGraph } from '../graph/logical-graph.js';
import type { KeySelector, MapFunction, OutputTypeHint } from './functions.js';
import type { Collector } from './functions.js';
import type {
  CoFlatMapFunction, CoMapFunction, KeyedCoFlatMapFunction, KeyedCoMapFunction, KeyedCoProcessFunction,
} from './co-functions.js';
import { DataStream } from './data-stream.js';
import { flatMapped } from '../operators/flat-map-result.js';

export class ConnectedStreams<A, B> {
  /** @internal */
  constructor(readonly first: DataStream<A>, readonly second: DataStream<B>) {}

  private get where(): string {
    return afterOperators(this.first.node.name, this.second.node.name);
  }

  /** Partitions both inputs by key: records of either input with equal keys meet on one subtask. */
  keyBy<K extends UserKey>(key1: KeySelector<A, K>, key2: KeySelector<B, K>): KeyedConnectedStreams<A, B, K> {
    if (typeof key1 !== 'function' || typeof key2 !== 'function') throw new JobDefinitionError(`connect(...).keyBy${this.where}: expected two key selectors (one per input)`);
    return new KeyedConnectedStreams<A, B, K>(this.first.graph, this.first.keyBy(key1).inputEdge(), this.second.keyBy(key2).inputEdge());
  }

  /** Each input through its own function, into one stream (Flink's CoMap): `map({ map1, map2 })` or `map(f1, f2)`. */
  map<R>(fn: CoMapFunction<A, B, R>): DataStream<R>;
  map<R>(fn1: MapFunction<A, R>, fn2: MapFunction<B, R>): DataStream<R>;
  map<R>(fn: CoMapFunction<A, B, R> | MapFunction<A, R>, fn2?: MapFunction<B, R>): DataStream<R> {
    const [f1, f2] = pair(fn, fn2, `map${this.where}`, 'map1', 'map2');
    return coUnion(this.first.map(f1 as MapFunction<A, R>), this.second.map(f2 as MapFunction<B, R>));
  }

  /** Each input through its own flat-map function, into one stream (Flink's CoFlatMap). */
  flatMap<R>(fn: CoFlatMapFunction<A, B, R>): DataStream<R>;
  flatMap<R>(fn1: (value: A, out: Collector<R>) => Iterable<R> | void, fn2: (value: B, out: Collector<R>) => Iterable<R> | void): DataStream<R>;
  flatMap<R>(fn: CoFlatMapFunction<A, B, R> | ((value: A, out: Collector<R>) => Iterable<R> | void), fn2?: (value: B, out: Collector<R>) => Iterable<R> | void): DataStream<R> {
    const [f1, f2] = pair(fn, fn2, `flatMap${this.where}`, 'flatMap1', 'flatMap2');
    return coUnion(this.first.flatMap<R>(f1 as (value: A, out: Collector<R>) => Iterable<R> | void), this.second.flatMap<R>(f2 as (value: B, out: Collector<R>) => Iterable<R> | void));
  }
}

/**
 * The union of the per-input operators, which passes name, parallelism and error policy on to them: set on what
 * `map` returned, they would otherwise go to a union that runs nothing (and onError was refused naming 'union-4').
 */
function coUnion<R>(one: DataStream<R>, two: DataStream<R>): DataStream<R> {
  const u = one.union(two);
  one.node.coInput = 1;
  two.node.coInput = 2;
  u.node.coFunctions = [one.node, two.node];
  return u;
}

/** The two functions of a co-function given as an object with `m1` / `m2` or as two functions, checked. */
function pair(fn: unknown, fn2: unknown, what: string, m1: string, m2: string): [unknown, unknown] {
  if (typeof fn === 'function') {
    if (typeof fn2 !== 'function') throw new JobDefinitionError(`connect(...).${what}: expected two functions (one per input), or an object with ${m1} and ${m2}`);
    return [fn, fn2];
  }
  const o = fn as Record<string, unknown> | null;
  if (!o || typeof o !== 'object' || typeof o[m1] !== 'function' || typeof o[m2] !== 'function' || fn2 !== undefined) {
    throw new JobDefinitionError(`connect(...).${what}: expected an object with ${m1} and ${m2}, or two functions (one per input)`);
  }
  return [(o[m1] as (...a: unknown[]) => unknown).bind(o), (o[m2] as (...a: unknown[]) => unknown).bind(o)];
}

/** Calls a flat-map style function and collects what it returns (an iterable), as flatMap does. */
function emitAll<R>(returned: Iterable<R> | void, out: Collector<R>, what: string): void {
  const records = flatMapped<R>(returned, undefined, what);
  if (records !== undefined) for (const x of records) out.collect(x);
}

export class KeyedConnectedStreams<A, B, K extends UserKey> {
  /** @internal */
  constructor(private readonly graph: LogicalGraph, private readonly edge1: LogicalEdge, private readonly edge2: LogicalEdge) {}

  private get where(): string {
    return afterOperators(this.graph.nodes[this.edge1.from]!.name, this.graph.nodes[this.edge2.from]!.name);
  }

  /** `processElement1` / `processElement2` per record of each input, `onTimer` per timer: one key's state and timers for both. */
  process<R = OutputTypeHint>(fn: KeyedCoProcessFunction<K, A, B, R>): DataStream<R> {
    if (!fn || typeof fn !== 'object' || typeof fn.processElement1 !== 'function' || typeof fn.processElement2 !== 'function') {
      throw new JobDefinitionError(`connect(...).keyBy(...).process${this.where}: expected an object with processElement1 and processElement2`);
    }
    if (fn.onTimer !== undefined && typeof fn.onTimer !== 'function') throw new JobDefinitionError(`connect(...).keyBy(...).process${this.where}: onTimer must be a function`);
    return new DataStream<R>(this.graph, this.graph.add({ kind: 'coProcess', inputs: [this.edge1, this.edge2], fn }));
  }

  /** A function per input over the key's shared state (Flink's keyed CoMap with a rich function's state). */
  map<R>(fn: KeyedCoMapFunction<K, A, B, R>): DataStream<R> {
    if (!fn || typeof fn !== 'object' || typeof fn.map1 !== 'function' || typeof fn.map2 !== 'function') {
      throw new JobDefinitionError(`connect(...).keyBy(...).map${this.where}: expected an object with map1 and map2`);
    }
    // Methods on `this`, not arrows over `fn`: each subtask's copy of this object (ownInstance) calls its own copy of
    // `fn`, so what `fn.open` keeps on `this` is that subtask's.
    return this.process<R>({
      ...(fn.open ? { open(ctx) { return ownOf(this, fn).open!(ctx); } } : {}),
      processElement1(v, ctx, out) { out.collect(ownOf(this, fn).map1(v, ctx)); },
      processElement2(v, ctx, out) { out.collect(ownOf(this, fn).map2(v, ctx)); },
    });
  }

  /** A flat-map function per input over the key's shared state (Flink's `connect(...).keyBy(...).flatMap`). */
  flatMap<R>(fn: KeyedCoFlatMapFunction<K, A, B, R>): DataStream<R> {
    if (!fn || typeof fn !== 'object' || typeof fn.flatMap1 !== 'function' || typeof fn.flatMap2 !== 'function') {
      throw new JobDefinitionError(`connect(...).keyBy(...).flatMap${this.where}: expected an object with flatMap1 and flatMap2`);
    }
    return this.process<R>({
      ...(fn.open ? { open(ctx) { return ownOf(this, fn).open!(ctx); } } : {}),
      processElement1(v, ctx, out) { emitAll(ownOf(this, fn).flatMap1(v, out, ctx), out, 'flatMap1'); },
      processElement2(v, ctx, out) { emitAll(ownOf(this, fn).flatMap2(v, out, ctx), out, 'flatMap2'); },
    });
  }
}

const OWN = Symbol('own copy of the user function');

/** The subtask's own copy of `fn`, kept on `holder` (a subtask's own copy of the wrapper: ownInstance). */
function ownOf<F extends object>(holder: object, fn: F): F {
  const h = holder as { [OWN]?: F };
  return h[OWN] ??= Object.create(fn) as F;
}
