// A job for the event-time TTL test: keys rotate (each key gets 50 consecutive events, and comes back after
// 2000); key 'g' comes every 499 ms of event time and 'h' every 500, just inside and just outside the TTL. A
// process function counts events per key in a value state with an event-time TTL, and reports with every record
// the count and how many entries its state holds.
//   ?n=20000&ttl=500
// One source subtask, watermarks every 10 records: each keyed subtask sees records and watermarks in one order.
import { defineJob, WatermarkStrategy, type WatermarkGenerator } from '../../../../core/index.js';
import type { KeyedOperator } from '../../../../core/operators/keyed-operator.js';

const q = new URL(import.meta.url).searchParams;
const n = Number(q.get('n') ?? 20000);
const ttlMs = Number(q.get('ttl') ?? 500);

export interface Ev { i: number; ts: number; key: string }
export interface Report { i: number; key: string; count: number; size: number }

export const keyOf = (i: number): string => (i % 499 === 0 ? 'g' : i % 500 === 0 ? 'h' : `k${Math.floor(i / 50) % 40}`);

function everyTenth(): WatermarkGenerator<Ev> {
  let max = -Infinity;
  let seen = 0;
  return {
    onEvent(_e, ts, out) { if (ts > max) max = ts; if (++seen % 10 === 0) out.emitWatermark(max - 1); },
    onPeriodicEmit() {},
  };
}

export default defineJob((env) => {
  env.fromGenerator({ count: n, seed: 1 }, (i) => ({ i, ts: i, key: keyOf(i) })).name('events').setParallelism(1)
    .assignTimestampsAndWatermarks(WatermarkStrategy.forGenerator<Ev>('every-tenth', everyTenth).withTimestampAssigner((e) => e.ts)).name('timestamps').setParallelism(1)
    .keyBy((e) => e.key)
    .process<Report>({
      processElement(e, ctx, out) {
        const count = ctx.valueState<number>('count', { ttl: { ttlMs, time: 'event' } });
        const c = (count.value() ?? 0) + 1;
        count.update(c);
        // The context is the operator instance: its backend says how many entries the state holds (a test hook).
        const size = (ctx as unknown as KeyedOperator<Ev, Report>).backend.sizeOf('count');
        out.collect({ i: e.i, key: ctx.key, count: c, size });
      },
    }).name('counts')
    .collect().name('out');
});
