// A keyed co-process job: orders and payments meet by order id on one subtask, sharing its state and timers;
// when the watermark (combined over both inputs) passes an order's deadline, an event-time timer reports what
// was paid by then.
//   ?n=3000&bound=20
import { defineJob, WatermarkStrategy, type Random } from '../../../../core/index.js';

const q = new URL(import.meta.url).searchParams;
const n = Number(q.get('n') ?? 3000);
const bound = Number(q.get('bound') ?? 20);
export const DEADLINE = 50;
/** Payments run up to this late (event time) relative to their index: beyond the deadline for some. */
export const PAY_SPREAD = 80;

export interface Order { order: string; amount: number; ts: number }
export interface Payment { order: string; paid: number; ts: number }

export function order(boundN: number): (i: number, r: Random) => Order {
  return (i, r) => ({ order: `o${i}`, amount: 1 + r.int(100), ts: i - r.int(boundN) });
}
/** Payment i goes to order i, or to order i - 1 for every third (so some orders get two, some none). */
export const payment = (i: number, r: Random): Payment => ({ order: `o${i - (i % 3 === 2 ? 1 : 0)}`, paid: 1 + r.int(100), ts: i + r.int(PAY_SPREAD) });

export default defineJob((env) => {
  const orders = env.fromGenerator({ count: n, seed: 1 }, order(bound)).name('orders')
    .assignTimestampsAndWatermarks(WatermarkStrategy.forBoundedOutOfOrderness<Order>(bound).withTimestampAssigner((o) => o.ts)).name('orders-ts');
  const payments = env.fromGenerator({ count: n, seed: 2 }, payment).name('payments')
    .assignTimestampsAndWatermarks(WatermarkStrategy.forBoundedOutOfOrderness<Payment>(PAY_SPREAD).withTimestampAssigner((p) => p.ts)).name('payments-ts');
  orders.connect(payments).keyBy((o) => o.order, (p) => p.order).process<[string, number, number]>({
    processElement1(o, ctx) {
      ctx.state<Order>('order').update(o);
      ctx.timerService.registerEventTimeTimer(o.ts + DEADLINE);
    },
    processElement2(p, ctx) {
      ctx.listState<Payment>('payments').add(p);
    },
    onTimer(ts, ctx, out) {
      const o = ctx.state<Order>('order').value()!;
      const paid = ctx.listState<Payment>('payments').get().filter((p) => p.ts <= ts).reduce((s, p) => s + p.paid, 0);
      out.collect([ctx.key as string, o.amount, paid]);
      ctx.state('order').clear();
    },
  }).name('match').collect().name('out');
});
