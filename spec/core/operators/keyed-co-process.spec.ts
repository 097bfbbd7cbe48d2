// The keyed co-process operator on this thread: both inputs' records of a key share its state and timers.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OperatorError, StreamEnvironment, type DataStream, type ValueState } from '../../../core/index.js';
import { instantiate } from '../windows/harness.js';

interface Order { id: string; amount: number }
interface Payment { order: string; paid: number }

test('orders and payments meet by key; a timer reports orders unpaid by their deadline', () => {
  const env = new StreamEnvironment(1);
  const orders = env.fromCollection<Order>([]);
  const payments = env.fromCollection<Payment>([]);
  let opened = 0;
  const out: DataStream<string> = orders.connect(payments).keyBy((o) => o.id, (p) => p.order).process<string>({
    open() { opened++; },
    processElement1(o, ctx, c) {
      const paid = ctx.state<number>('paid');
      if (paid.value() !== undefined) { c.collect(`${ctx.key} paid ${paid.value()} of ${o.amount}`); paid.clear(); return; }
      ctx.state<Order>('order').update(o);
      ctx.timerService.registerEventTimeTimer(ctx.timestamp! + 10);
    },
    processElement2(p, ctx, c) {
      const order: ValueState<Order> = ctx.state<Order>('order');
      const o = order.value();
      if (o === undefined) { ctx.state<number>('paid').update(p.paid); return; }
      c.collect(`${ctx.key} paid ${p.paid} of ${o.amount}`);
      order.clear();
    },
    onTimer(ts, ctx, c) {
      if (ctx.state<Order>('order').value() !== undefined) c.collect(`${ctx.key} unpaid at ${ts}`);
      ctx.state('order').clear();
    },
  });
  const h = instantiate<Order, string>(env, out);
  (h.op as unknown as { open(): void }).open();
  h.push({ id: 'o1', amount: 5 }, 0);
  h.push2({ order: 'o2', paid: 7 }, 1);
  h.push({ id: 'o2', amount: 7 }, 2);
  h.push({ id: 'o3', amount: 9 }, 3);
  h.push2({ order: 'o1', paid: 5 }, 4);
  h.watermark(20);
  assert.deepEqual(h.out.values(), ['o2 paid 7 of 7', 'o1 paid 5 of 5', 'o3 unpaid at 13']);
  assert.equal(opened, 1);
  assert.equal(h.op.recordsIn, 5, 'both inputs count as records in');
});

// Regression: as a flatMap's, a keyed co-flatMap's returned string was emitted one character at a time.
test("a keyed co-flatMap whose flatMap2 returns a string fails naming the operator and flatMap2", () => {
  const env = new StreamEnvironment(1);
  const orders = env.fromCollection<Order>([]);
  const payments = env.fromCollection<Payment>([]);
  const out = orders.connect(payments).keyBy((o) => o.id, (p) => p.order).flatMap<string>({
    flatMap1: (o) => [o.id],
    flatMap2: (p) => p.order,
  }).name('meet');
  const h = instantiate<Order, string>(env, out);
  h.push({ id: 'o1', amount: 5 }, 0);
  assert.throws(() => h.push2({ order: 'o1', paid: 5 }, 1), (e: unknown) => e instanceof OperatorError && e.operator === 'meet'
    && /failed: flatMap2 returned the string "o1", which would be emitted one character at a time/.test(e.message));
  assert.deepEqual(h.out.values(), ['o1']);
});

// Regression: a keyed co-flatMap's null was dropped without a word and its 0 or false failed on `for...of`; each
// is the record's error now, as a string is, which 'drop' drops.
test('a keyed co-flatMap whose function returns null, 0 or false fails the record, naming the function', () => {
  for (const returned of [null, 0, false]) {
    const env = new StreamEnvironment(1);
    const orders = env.fromCollection<Order>([]);
    const payments = env.fromCollection<Payment>([]);
    const meet = (policy: 'fail' | 'drop') => orders.connect(payments).keyBy((o) => o.id, (p) => p.order).flatMap<string>({
      flatMap1: (o) => [o.id],
      flatMap2: (p) => (p.paid > 0 ? returned : [`refund ${p.order}`]) as string[],
    }).name('meet').onError(policy);
    const failing = instantiate<Order, string>(env, meet('fail'));
    assert.throws(() => failing.push2({ order: 'o1', paid: 5 }, 1), (e: unknown) => e instanceof OperatorError && e.operator === 'meet'
      && e.message.includes(`failed: flatMap2 returned ${String(returned)}, which is not iterable`), String(returned));
    const dropping = instantiate<Order, string>(env, meet('drop'));
    dropping.push({ id: 'o1', amount: 5 }, 0);
    dropping.push2({ order: 'o1', paid: 5 }, 1);
    dropping.push2({ order: 'o1', paid: 0 }, 2);
    assert.deepEqual(dropping.out.values(), ['o1', 'refund o1'], String(returned));
    assert.equal(dropping.op.dropped, 1, String(returned));
  }
});
