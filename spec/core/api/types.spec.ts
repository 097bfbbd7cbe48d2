// The public types, checked by `tsc --noEmit -p .` (tsconfig includes spec/): a `// @ts-expect-error` line is code
// the types must refuse (tsc fails if it compiles), a plain line is code they must accept. node:test runs the file
// so that the accepted jobs are also built once; the refused ones are never called.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CountEvictor, MapStateDescriptor, OutputTag, StreamEnvironment, TumblingEventTimeWindows, csv, fileSink, run, printSink, typedCodec, recordSchema,
  type AggregateFunction, type OutputTypeHint, type BroadcastContext, type Collector, type CsvFormat, type CsvRow, type DataStream, type KeyedProcessHandler,
  type KeyedStream, type WindowedStream, type AllWindowedStream, type TimeWindow, type KeyedProcessFunction, type ProcessFunction, type FlatMapFunction,
  type ProcessWindowFunction, type ProcessAllWindowFunction, type BroadcastDataStream,
} from '../../../core/index.js';

type Equal<X, Y> = (<V>() => V extends X ? 1 : 2) extends <V>() => V extends Y ? 1 : 2 ? true : false;
function expectType<A>(): <B>(_value: B, ..._equal: Equal<A, B> extends true ? [] : [never]) => void {
  return () => {};
}

interface Order { id: number; amount: number }

// union: a stream of a subtype of T is merged as T.
function unionAccepted(env: StreamEnvironment): void {
  const orders = env.fromCollection<Order>([{ id: 1, amount: 2 }]);
  const rich = orders.map((o) => ({ ...o, extra: true }));
  expectType<DataStream<Order>>()(orders.union(rich));
  expectType<DataStream<Order>>()(orders.union(orders, rich));
  expectType<DataStream<Order>>()(orders.union());
  const many: DataStream<Order>[] = [orders, orders.filter((o) => o.amount > 1)];
  expectType<DataStream<Order>>()(orders.union(...many));
  expectType<DataStream<Order>>()(orders.union(orders.keyBy((o) => o.id)));
  const strs: DataStream<string> = env.fromCollection(['x']);
  const words = env.fromAsyncIterable(async function* () { yield 'a'; yield 'b'; });
  expectType<DataStream<string>>()(strs.union(words));
  strs.union(words).union(rich.map((r) => `${r.id}`)).discard();
  // Regression: with T generic, the subtype overload could not be resolved and refused these.
  const merge = <T>(a: DataStream<T>, b: DataStream<T>, rest: DataStream<T>[]): DataStream<T> => a.union(b).union(...rest);
  expectType<DataStream<Order>>()(merge(orders, orders, many));
}

function unionRefused(env: StreamEnvironment): void {
  const orders = env.fromCollection<Order>([]);
  // @ts-expect-error another record type
  orders.union(env.fromCollection([{ name: 'x' }]));
  // @ts-expect-error a wider type
  orders.union(env.fromCollection([1]));
  // @ts-expect-error a sink's result (DataStream<never>) is not a stream to merge
  orders.union(orders.discard());
}

// mapState: its keys are compared as a JS Map compares them, so they are primitives like the stream's keys.
function mapStateKeys(env: StreamEnvironment): void {
  type Page = { host: string; path: string };
  env.fromCollection<{ user: string; page: Page }>([]).keyBy((e) => e.user).process<number>((e, ctx, out) => {
    const byPath = ctx.mapState<string, number>('by-path');
    byPath.put(e.page.path, (byPath.get(e.page.path) ?? 0) + 1);
    ctx.mapState<number | bigint | boolean, string>('mixed').put(1n, 'x');
    const untyped = ctx.mapState('untyped');
    expectType<string | number | bigint | boolean>()(untyped.keys()[0]!);
    // @ts-expect-error an object key: two equal-looking pages would be two entries
    ctx.mapState<Page, number>('visits');
    // @ts-expect-error an array key
    ctx.mapState<string[], number>('paths');
    // @ts-expect-error a key that may be undefined
    ctx.mapState<string | undefined, number>('maybe');
    out.collect(byPath.keys().length);
  }).discard();
}

// Broadcast state keys too: a Map compares object keys by identity, and a restored object key is a new object.
function broadcastStateKeys(): void {
  new MapStateDescriptor<string, { limit: number }>('limits');
  new MapStateDescriptor<number | bigint, string>('names');
  // @ts-expect-error an object key
  new MapStateDescriptor<{ id: number }, number>('by-object');
}

// applyToKeyedState: the keys it visits are the keyed stream's.
function applyToKeyedStateKeys(env: StreamEnvironment): void {
  const rules = new MapStateDescriptor<string, number>('rules');
  const byAccount = env.fromCollection<Order>([]).keyBy((o) => String(o.id));
  byAccount.connect(env.fromCollection<number>([]).broadcast(rules)).process<string>({
    processElement(o, ctx, out) { ctx.listState<Order>('seen').add(o); out.collect(ctx.key); },
    processBroadcastElement(limit, ctx, out) {
      ctx.applyToKeyedState('seen', (account, state) => {
        expectType<string>()(account);
        if (state.listState<Order>('seen').get().some((o) => o.amount > limit)) out.collect(account);
      });
      ctx.applyToKeyedState<string>('seen', (account: string) => out.collect(account));
      ctx.applyToKeyedState<string | number>('seen', (account) => out.collect(`${account}`));
      // @ts-expect-error the stream is keyed by string, not number
      ctx.applyToKeyedState<number>('seen', () => {});
      // @ts-expect-error the stream is keyed by string, not number
      ctx.applyToKeyedState('seen', (account: number) => out.collect(`${account}`));
    },
  }).discard();
  // a narrower key type than the argument named (keyBy infers `${number}` here)
  env.fromCollection<Order>([]).keyBy((o) => `${o.id}`).connect(env.fromCollection<number>([]).broadcast(rules)).process<string>({
    processElement() {},
    processBroadcastElement(_limit, ctx, out) {
      ctx.applyToKeyedState('seen', (account) => expectType<`${number}`>()(account));
      ctx.applyToKeyedState<string>('seen', (account: string) => out.collect(account));
      // @ts-expect-error a narrower type than the key's
      ctx.applyToKeyedState<'1'>('seen', () => {});
    },
  }).discard();
  // Regression: a handler whose context is typed without K (BroadcastContext, the only spelling once)
  // named the key type it knows, and no longer compiled.
  const onBroadcast = (_limit: number, ctx: BroadcastContext, out: Collector<string>): void => {
    ctx.applyToKeyedState<string>('seen', (account) => out.collect(account));
    ctx.applyToKeyedState('seen', (account: string) => out.collect(account));
  };
  byAccount.connect(env.fromCollection<number>([]).broadcast(rules)).process<string>({ processElement() {}, processBroadcastElement: onBroadcast }).discard();
}

// The CSV sink: records declared as interfaces are written, and its columns are names of the record's fields.
function csvSink(env: StreamEnvironment): void {
  type OrderAlias = { id: number; amount: number; note?: string };
  const orders = env.fromCollection<Order>([]);
  orders.sink(fileSink({ dir: 'a', format: csv({ columns: ['id', 'amount'], header: true }) }));
  env.fromCollection<OrderAlias>([]).sink(fileSink({ dir: 'b', format: csv({ columns: ['id', 'note'] }) }));
  orders.sink(fileSink({ dir: 'c', format: csv<Order>({ columns: ['amount'] }) }));
  const cols = ['id', 'amount'] as const;
  orders.sink(fileSink({ dir: 'd', format: csv({ columns: cols }) }));
  // arrays are written in column order, records with an index signature by any name
  env.fromCollection<[number, string]>([]).sink(fileSink({ dir: 'e', format: csv({ columns: ['n', 's'] }) }));
  env.fromCollection<Record<string, number>>([]).sink(fileSink({ dir: 'f', format: csv({ columns: ['any'] }) }));
  // a format made apart from its sink knows no record type: any names, any records (as before)
  const loose = csv({ columns: ['id', 'amount'] });
  orders.sink(fileSink({ dir: 'g', format: loose }));
  const declared: CsvFormat = loose;
  orders.sink(fileSink({ dir: 'h', format: declared }));
  // reading: rows of strings by column
  expectType<DataStream<CsvRow>>()(env.fromFiles('in/*.csv', csv({ header: true })));
  expectType<DataStream<CsvRow>>()(env.fromFiles('in/*.csv', csv({ columns: ['a', 'b'] })));

  // @ts-expect-error a column the record does not have (a typo would write an empty column)
  orders.sink(fileSink({ dir: 'x', format: csv({ columns: ['id', 'amont'] }) }));
  // @ts-expect-error a column the record does not have, type argument given
  csv<Order>({ columns: ['price'] });
  // @ts-expect-error CSV writes objects and arrays, not numbers
  env.fromCollection([1]).sink(fileSink({ dir: 'y', format: csv({ columns: ['n'] }) }));
}

// A function that emits only through `out.collect(...)`: its output type is named, or it is never (and emitting
// does not compile), rather than a stream of unknown.
function collectorOutputs(env: StreamEnvironment): void {
  const orders = env.fromCollection<Order>([]);
  const keyed = orders.keyBy((o) => o.id);
  const other = env.fromCollection<{ id: number; name: string }>([]).keyBy((p) => p.id);
  const rules = new MapStateDescriptor<string, number>('rules');
  const window = () => keyed.window(TumblingEventTimeWindows.of(10));
  const sum: AggregateFunction<Order, number, number> = { createAccumulator: () => 0, add: (o, acc) => acc + o.amount, getResult: (acc) => acc };

  // named: a type argument, a typed `out`, a typed handler, or a return value (flatMap)
  expectType<DataStream<number>>()(keyed.process<number>((o, _ctx, out) => out.collect(o.amount)));
  expectType<DataStream<number>>()(keyed.process((o, _ctx, out: Collector<number>) => out.collect(o.amount)));
  const handler: KeyedProcessHandler<number, Order, string> = { processElement(o, _ctx, out) { out.collect(`${o.id}`); } };
  expectType<DataStream<string>>()(keyed.process(handler));
  expectType<DataStream<string>>()(orders.flatMap((o) => [`${o.id}`]));
  expectType<DataStream<number>>()(orders.flatMap<number>((o, out) => { out.collect(o.id); }));
  expectType<DataStream<number>>()(window().process<number>((_k, _ctx, els, out) => out.collect(els.length)));
  expectType<DataStream<number>>()(window().reduce<number>((a) => a, (_k, _ctx, [best], out) => out.collect(best!.amount)));
  expectType<DataStream<Order>>()(window().reduce((a) => a));
  expectType<DataStream<string>>()(window().aggregate(sum, (k, _ctx, [v], out: Collector<string>) => out.collect(`${k}:${v}`)));
  expectType<DataStream<string>>()(window().aggregate<number, number, string>(sum, (k, _ctx, [v], out) => out.collect(`${k}:${v}`)));
  expectType<DataStream<number>>()(window().aggregate(sum));
  expectType<DataStream<number>>()(keyed.connect(other).process<number>({ processElement1(o, _c, out) { out.collect(o.id); }, processElement2(p, _c, out) { out.collect(p.id); } }));
  expectType<DataStream<number>>()(keyed.intervalJoin(other).between(-5, 5).process<number>((l, r, _ctx, out) => out.collect(l.id + r.id)));
  // Async callbacks are refused everywhere the engine calls record by record (Sync), each one tested.
  // @ts-expect-error an async co-process callback
  keyed.connect(other).process<number>({ async processElement1(o, _c, out) { out.collect(o.id); }, processElement2() {} });
  // @ts-expect-error an async broadcast callback
  keyed.connect(env.fromCollection<number>([]).broadcast(rules)).process<number>({ processElement() {}, async processBroadcastElement() {} });
  // @ts-expect-error an async non-keyed broadcast callback
  orders.connect(env.fromCollection<number>([]).broadcast(rules)).process<number>({ async processElement() {}, processBroadcastElement() {} });
  // @ts-expect-error an async interval-join function
  keyed.intervalJoin(other).between(-5, 5).process<number>(async (l, r, _ctx, out) => { out.collect(l.id + r.id); });
  // @ts-expect-error an async window join
  orders.join(other).where((o) => o.id).equalTo((p) => p.id).window(TumblingEventTimeWindows.of(10)).apply<number>({ async join(o, p, out) { out.collect(o.id + p.id); } });
  // @ts-expect-error an async window coGroup
  orders.coGroup(other).where((o) => o.id).equalTo((p) => p.id).window(TumblingEventTimeWindows.of(10)).apply<number>(async (ls, _rs, out) => { out.collect(ls.length); });
  const joinWindow = () => orders.join(other).where((o) => o.id).equalTo((p) => p.id).window(TumblingEventTimeWindows.of(10));
  expectType<DataStream<string>>()(joinWindow().apply((o, p) => `${o.id}:${p.name}`));
  expectType<DataStream<number>>()(joinWindow().apply<number>({ join(o, p, out) { out.collect(o.id + p.id); } }));
  expectType<DataStream<number>>()(joinWindow().apply({ join(o, p, out: Collector<number>) { out.collect(o.id + p.id); } }));
  expectType<DataStream<number>>()(keyed.connect(env.fromCollection<number>([]).broadcast(rules)).process<number>({ processElement(o, _c, out) { out.collect(o.id); }, processBroadcastElement() {} }));
  expectType<DataStream<number>>()(orders.connect(env.fromCollection<number>([]).broadcast(rules)).process<number>({ processElement(o, _c, out) { out.collect(o.id); }, processBroadcastElement() {} }));
  // a function that emits nothing (side outputs only, say): its main output type is the hint (nothing flows there)
  expectType<DataStream<OutputTypeHint>>()(keyed.process((o, ctx) => ctx.output(new OutputTag<Order>('all'), o)));

  // @ts-expect-error keyed process: the output type is not named
  keyed.process((o, _ctx, out) => out.collect(o.amount));
  // @ts-expect-error keyed process, handler object: the output type is not named
  keyed.process({ processElement(o, _ctx, out) { out.collect(o.amount); } });
  // @ts-expect-error flatMap through out: the output type is not named
  orders.flatMap((o, out) => { out.collect(o.id); });
  // @ts-expect-error window process
  window().process((_k, _ctx, els, out) => out.collect(els.length));
  // @ts-expect-error window reduce with a window function
  window().reduce((a) => a, (_k, _ctx, [best], out) => out.collect(best!.amount));
  // @ts-expect-error window aggregate with a window function
  window().aggregate(sum, (k, _ctx, [v], out) => out.collect(`${k}:${v}`));
  // @ts-expect-error two inputs
  keyed.connect(other).process({ processElement1(o, _c, out) { out.collect(o.id); }, processElement2() {} });
  // @ts-expect-error interval join
  keyed.intervalJoin(other).between(-5, 5).process((l, r, _ctx, out) => out.collect(l.id + r.id));
  // @ts-expect-error flat window join
  joinWindow().apply({ join(o, p, out) { out.collect(o.id + p.id); } });
  // @ts-expect-error keyed broadcast process
  keyed.connect(env.fromCollection<number>([]).broadcast(rules)).process({ processElement(o, _c, out) { out.collect(o.id); }, processBroadcastElement() {} });
  // @ts-expect-error broadcast process on a plain stream
  orders.connect(env.fromCollection<number>([]).broadcast(rules)).process({ processElement(o, _c, out) { out.collect(o.id); }, processBroadcastElement() {} });
}

// broadcast() with no descriptor: a stream as any, which connect() takes as a broadcast input with no broadcast
// state; the record types flow into the function as with broadcast(descriptor).
function broadcastWithoutState(env: StreamEnvironment): void {
  const orders = env.fromCollection<Order>([]);
  const limits = env.fromCollection<number>([]).broadcast();
  expectType<BroadcastDataStream<number>>()(limits);
  const asStream: DataStream<number> = limits;
  expectType<DataStream<number>>()(asStream.map((n) => n + 1));
  expectType<DataStream<string>>()(orders.connect(limits).process<string>({
    processElement(o, _c, out) { expectType<Order>()(o); out.collect(`${o.id}`); },
    processBroadcastElement(limit, _c, out) { expectType<number>()(limit); out.collect(`${limit}`); },
    snapshotState() { return []; },
  }));
  expectType<DataStream<string>>()(orders.keyBy((o) => o.id).connect(limits).process<string>({
    processElement(o, ctx, out) { expectType<number>()(ctx.key); out.collect(`${o.id}`); },
    processBroadcastElement(limit, ctx) { ctx.applyToKeyedState('seen', (key) => { expectType<number>()(key); expectType<number>()(limit); }); },
  }));
  // Still connected streams: a co-map over both.
  expectType<DataStream<string>>()(orders.connect(limits).map((o) => `${o.id}`, (n) => `${n}`));
}

function broadcastWithoutStateRefused(env: StreamEnvironment): void {
  const orders = env.fromCollection<Order>([]);
  const limits = env.fromCollection<number>([]).broadcast();
  // @ts-expect-error the output type is not named
  orders.connect(limits).process({ processElement(o, _c, out) { out.collect(o.id); }, processBroadcastElement() {} });
  // @ts-expect-error a broadcast record is a number
  orders.connect(limits).process<string>({ processElement() {}, processBroadcastElement(_limit: string) {} });
  // @ts-expect-error keyed: the output type is not named
  orders.keyBy((o) => o.id).connect(limits).process({ processElement(o, _c, out) { out.collect(o.id); }, processBroadcastElement() {} });
  // @ts-expect-error a stream that is not broadcast() has no broadcast process
  orders.connect(env.fromCollection<number>([])).process<string>({ processElement() {}, processBroadcastElement() {} });
}

// filter with a type guard narrows, as Array.prototype.filter does; a plain predicate keeps the type.
interface Good { kind: 'good'; user: string }
interface Bad { kind: 'bad'; reason: string }
function filterNarrows(env: StreamEnvironment): void {
  const s = env.fromCollection<Good | Bad>([{ kind: 'good', user: 'a' }, { kind: 'bad', reason: 'x' }]);
  const isGood = (x: Good | Bad): x is Good => x.kind === 'good';
  expectType<DataStream<Good>>()(s.filter(isGood));
  expectType<DataStream<Good>>()(s.filter((x): x is Good => x.kind === 'good'));
  expectType<DataStream<Good | Bad>>()(s.filter((x) => x.kind === 'good' && x.user !== ''));
  s.filter(isGood).map((g) => g.user).discard();
  // A guard for a type the stream does not hold narrows nothing (the plain overload).
  expectType<DataStream<Good | Bad>>()(s.filter((x: unknown): x is number => typeof x === 'number'));
}

// process on a stream that is not keyed: time, clocks and side outputs, but no state, timers or key.
function streamProcess(env: StreamEnvironment): void {
  const orders = env.fromCollection<Order>([]);
  const big = new OutputTag<Order>('big');
  expectType<DataStream<string>>()(orders.process<string>((o, ctx, out) => { if (o.amount > 9) ctx.output(big, o); else out.collect(`${o.id}@${ctx.timestamp ?? ctx.currentWatermark()}`); }));
  expectType<DataStream<number>>()(orders.process<number>({ open(ctx) { void ctx.subtask; }, processElement(o, _ctx, out) { out.collect(o.id); } }));
  // @ts-expect-error state is per key: keyBy first
  orders.process<number>((o, ctx, out) => { ctx.state<number>('n'); out.collect(o.id); });
  // @ts-expect-error timers are per key too
  orders.process<number>((o, ctx, out) => { ctx.timerService.registerEventTimeTimer(1); out.collect(o.id); });
  // A keyed stream's process still has them.
  orders.keyBy((o) => o.id).process<number>((o, ctx, out) => { ctx.state<number>('n').update(o.amount); ctx.timerService.registerEventTimeTimer(1); out.collect(ctx.key); });
}

// windowAll: window functions without a key.
function windowAllTypes(env: StreamEnvironment): void {
  const orders = env.fromCollection<Order>([]);
  expectType<DataStream<Order>>()(orders.windowAll(TumblingEventTimeWindows.of(10)).reduce((a, b) => (a.amount > b.amount ? a : b)));
  expectType<DataStream<string>>()(orders.windowAll(TumblingEventTimeWindows.of(10)).process<string>((ctx, elements, out) => out.collect(`${ctx.window.end}:${elements.length}`)));
  // @ts-expect-error an all-window has no key
  orders.windowAll(TumblingEventTimeWindows.of(10)).process<number>((ctx, _elements, out) => out.collect(ctx.key));
  expectType<DataStream<number>>()(orders.countWindowAll(3).reduce((a, b) => ({ id: a.id, amount: a.amount + b.amount })).map((o) => o.amount));
  expectType<DataStream<Order>>()(orders.countWindowAll(3, 1).maxBy('amount'));
  expectType<DataStream<Order>>()(orders.keyBy((o) => o.id).countWindow(5, 2).evictor(CountEvictor.of(3)).sum('amount'));
}

// Field aggregations take only the names of number fields.
function fieldAggregationTypes(env: StreamEnvironment): void {
  const keyed = env.fromCollection<Order & { label: string }>([]).keyBy((o) => o.id);
  expectType<DataStream<Order & { label: string }>>()(keyed.sum('amount'));
  keyed.maxBy('id').discard();
  // @ts-expect-error not a number field
  keyed.sum('label');
  // @ts-expect-error not a field
  keyed.min('nope');
  keyed.window(TumblingEventTimeWindows.of(10)).minBy('amount').discard();
}

// Regression: generic code passing the exported function types on (its R a type parameter) compiled
// before the output-type hint, and must still.
function genericPassing<T, K extends string, R, W extends TimeWindow>(
  keyedStream: KeyedStream<T, K>, stream: DataStream<T>, windowed: WindowedStream<T, K, W>, all: AllWindowedStream<T, W>,
  f: { keyed: KeyedProcessFunction<K, T, R>; plain: ProcessFunction<T, R>; flat: FlatMapFunction<T, R>; window: ProcessWindowFunction<T, R, K, W>; allWindow: ProcessAllWindowFunction<T, R, W> },
): DataStream<R>[] {
  return [keyedStream.process(f.keyed), stream.process(f.plain), stream.flatMap(f.flat), windowed.process(f.window), all.process(f.allWindow)];
}

// run<C>: the caller types its collect sinks' records; without C they are unknown[].
async function collectedTypes(url: URL): Promise<void> {
  const typed = await run<{ out: Order[] }>(url);
  const r = await typed.result;
  expectType<Order[]>()(r.collected.out);
  expectType<Order[]>()((await typed.cancel()).collected.out);
  // @ts-expect-error not a sink the caller declared
  void r.collected.other;
  // Regression: an interface (no implicit index signature) did not satisfy Record<string, unknown[]>.
  interface Sinks { out: Order[]; late: string[] }
  expectType<string[]>()((await (await run<Sinks>(url)).result).collected.late);
  // @ts-expect-error a sink's records are an array
  void run<{ out: Order }>(url);
  const plain = await (await run(url)).result;
  expectType<unknown[]>()(plain.collected.out);
}

// Holes in the types that let a wrong program compile (each failed at run time, or did wrong).
function holesClosed(env: StreamEnvironment): void {
  const mixed = env.fromCollection<string | number>(['a', 1]);
  // @ts-expect-error a sink of strings takes no numbers (it failed on s.toUpperCase): SinkSpec<in T>
  mixed.sink(printSink<string>((s) => s.toUpperCase()));
  mixed.sink(printSink<string | number | boolean>(String));
  const orders = env.fromCollection<Order>([{ id: 1, amount: 2 }]);
  // @ts-expect-error a codec whose schema requires a field the records lack (every record rejected): RecordEncoder<in T>
  orders.map((o) => o).withCodec(typedCodec(recordSchema({ id: 'i64', amount: 'f64', note: 'string' })));
  orders.map((o) => o).withCodec(typedCodec(recordSchema({ id: 'i64', amount: 'f64' })));
  const keyed = orders.keyBy((o) => o.id);
  const add = (a: Order, b: Order): Order => ({ id: a.id, amount: a.amount + b.amount });
  // @ts-expect-error a stateSchema declaring a field the accumulator lacks (every accumulator rejected)
  keyed.reduce(add, { stateSchema: recordSchema({ id: 'i64', amount: 'f64', note: 'string' }) });
  keyed.reduce(add, { stateSchema: recordSchema({ id: 'i64', amount: 'f64' }) });
  expectType<DataStream<number>>()(orders.map((o) => o.amount));
  // A generic helper passing its function on (regression: a first version refused promises in map's type, and this).
  const mapWith = <A, B>(s: DataStream<A>, f: (a: A) => B): DataStream<B> => s.map(f);
  expectType<DataStream<number>>()(mapWith(orders, (o) => o.id));
  // @ts-expect-error an async keyed process function (after an await it ran under the next record's key)
  keyed.process<number>(async (o, _ctx, out) => { out.collect(o.id); });
  // @ts-expect-error an async processElement
  orders.process<number>({ async processElement(o, _ctx, out) { out.collect(o.id); } });
  // @ts-expect-error an async onTimer
  keyed.process<number>({ processElement() {}, async onTimer() {} });
  // @ts-expect-error an async window function
  keyed.window(TumblingEventTimeWindows.of(10)).process<number>(async (_k, _c, els, out) => { out.collect(els.length); });
  keyed.process<number>((o, _ctx, out) => out.collect(o.id));
  keyed.process<number>(function named(o, _ctx, out): void { out.collect(o.id); });
  // Callbacks that return something other than a promise (a first version refused these).
  const seen = new Set<number>();
  keyed.process<number>((o) => seen.add(o.id));
  keyed.process<number>((o, _ctx, out) => o.amount > 0 && out.collect(o.amount));
  keyed.process<number>({ open() { return this; }, processElement(o) { return [o]; } });
  class Handler { processElement(o: Order): boolean { return seen.has(o.id); } }
  orders.process<number>(new Handler());
  // @ts-expect-error a thenable is refused too
  keyed.process<number>(() => ({ then(resolve: () => void) { resolve(); } }));
  // A tag carries its type both ways.
  const late = new OutputTag<Order>('late');
  // @ts-expect-error a late-data tag of a narrower type (late orders read back as that type)
  keyed.window(TumblingEventTimeWindows.of(10)).sideOutputLateData(new OutputTag<Order & { extra: string }>('narrow'));
  keyed.window(TumblingEventTimeWindows.of(10)).sideOutputLateData(late).reduce(add).discard();
  // @ts-expect-error a wider tag in its place (other values reach readers of orders)
  const wide: OutputTag<Order | string> = late;
  void wide;
}

// Tuple keys: a selector returning an array of parts keys by the tuple, and the tuple's type flows on to every
// place the key is handed back.
function tupleKeys(env: StreamEnvironment): void {
  const orders = env.fromCollection<Order & { region: string }>([{ id: 1, amount: 2, region: 'eu' }]);
  const keyed = orders.keyBy((o) => [o.region, o.id]);
  expectType<KeyedStream<Order & { region: string }, [string, number]>>()(keyed);
  keyed.process<string>((_o, ctx, out) => { const [region, id] = ctx.key; out.collect(`${region}${id.toFixed(0)}`); });
  keyed.process<number>({ processElement() {}, onTimer(_ts, ctx, out) { out.collect(ctx.key[1]); } });
  keyed.window(TumblingEventTimeWindows.of(10)).process<string>((key, ctx, _els, out) => { expectType<[string, number]>()(key); expectType<[string, number]>()(ctx.key); out.collect(key[0]); });
  const pairs = orders.map((o) => ({ r: o.region, n: o.id }));
  orders.connect(pairs).keyBy((o) => [o.region, o.id], (p) => [p.r, p.n]).process<number>({
    processElement1(_o, ctx, out) { expectType<[string, number]>()(ctx.key); out.collect(1); },
    processElement2() {},
  });
  // A readonly tuple (as const) is a key too.
  expectType<KeyedStream<Order & { region: string }, readonly [string, number]>>()(orders.keyBy((o) => [o.region, o.id] as const));
  // @ts-expect-error a nested array is not a key part
  orders.keyBy((o) => [[o.region], o.id]);
  // @ts-expect-error nor is an object
  orders.keyBy((o) => [{ r: o.region }]);
  // @ts-expect-error nor null
  orders.keyBy((o) => [o.region, null]);
  // @ts-expect-error the empty tuple is no key
  orders.keyBy(() => []);
  // @ts-expect-error both sides of a connect must key by the same tuple type
  orders.connect(pairs).keyBy((o) => [o.region, o.id], (p) => [p.n, p.r]);
}

// The jobs below are built (they must not throw); the other functions hold only type checks (`@ts-expect-error`
// lines and what must compile): `npm test` type-checks them first, and that is their assertion.
void [holesClosed, collectedTypes, genericPassing, unionRefused, csvSink, collectorOutputs, broadcastWithoutStateRefused];

test('the types spec builds its accepted jobs', () => {
  for (const build of [filterNarrows, streamProcess, windowAllTypes, fieldAggregationTypes, unionAccepted, mapStateKeys, applyToKeyedStateKeys, tupleKeys, broadcastWithoutState]) {
    const env = new StreamEnvironment(1);
    build(env);
    assert.ok(env.graph.nodes.length > 1, `${build.name} built a job`);
  }
  broadcastStateKeys();
});
