// The public types, checked by `tsc --noEmit -p .` (tsconfig includes spec/): a `// @ts-expect-error` line is code
// the types must refuse (tsc fails if it compiles), a plain line is code they must accept. node:test runs the file
// so that the accepted jobs are also built once; the refused ones are never called.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MapStateDescriptor, StreamEnvironment, csv, fileSink, type CsvFormat, type CsvRow, type DataStream } from '../../../core/index.js';

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

test('the types spec builds its accepted jobs', () => {
  unionAccepted(new StreamEnvironment(1));
  assert.equal(typeof unionRefused, 'function');
  mapStateKeys(new StreamEnvironment(1));
  applyToKeyedStateKeys(new StreamEnvironment(1));
  assert.equal(typeof csvSink, 'function');
});
