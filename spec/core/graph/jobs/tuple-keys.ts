// A job keyed by tuples everywhere: a rolling reduce, a process function with keyed state and event-time timers, a
// tumbling window with a window function (also in two phases, combineLocally), and a two-input connect keyed by a tuple on each side (records of two
// shapes). Tuples whose parts joined with '|' would be equal are distinct keys here. Every output goes to a durable
// ledger (one per sink), so a test can restore it at other parallelisms and still see every result once.
//   ?n=20000&rate=20000&interval=15&size=50&ledger=/dir&seed=1&keys=8&step=1&bound=10&burstMs=100
import { defineJob, TumblingEventTimeWindows, WatermarkStrategy, type Collector } from '../../../../core/index.js';
import { ledgerSink } from '../../checkpoint/ledger.js';
import { eventFn, eventParams, type Ev } from '../../windows/jobs/events.js';

const q = new URL(import.meta.url).searchParams;
const a = eventParams(q);
const b = eventParams(q, 'b.');
const rate = Number(q.get('rate') ?? 20_000);
const interval = Number(q.get('interval') ?? 15);
const size = Number(q.get('size') ?? 50);
const ledger = q.get('ledger') ?? '';

export type Tuple = [string, string, number, boolean];

/** The key: for odd v, ['k1|x', 'y', ...], for even v ['k1', 'x|y', ...]: joined with '|', both would be 'k1|x|y'. */
export function tupleOf(e: Ev): Tuple {
  const odd = e.v % 2 === 1;
  return [odd ? `${e.key}|x` : e.key, odd ? 'y' : 'x|y', e.v % 3, e.v % 5 === 0];
}

/** The second input of the connect: the same events in another shape, keyed by the same tuple built otherwise. */
export interface Other { parts: string; n: number; flag: number; w: number }
export function otherOf(e: Ev): Other {
  const [p0, p1, n, flag] = tupleOf(e);
  return { parts: JSON.stringify([p0, p1]), n, flag: flag ? 1 : 0, w: e.v };
}

/** Throws unless `key` is the tuple the record's selector returned, handed back as a frozen array. */
function checkKey(key: unknown, expected: Tuple): void {
  if (!Array.isArray(key) || !Object.isFrozen(key) || JSON.stringify(key) !== JSON.stringify(expected)) {
    throw new Error(`the key handed over is ${JSON.stringify(key)}, not the tuple ${JSON.stringify(expected)}`);
  }
}

export const BUCKET = 40;

export default defineJob((env) => {
  env.enableCheckpointing(interval);
  const strategy = WatermarkStrategy.forBoundedOutOfOrderness<Ev>(a.bound).withTimestampAssigner((e) => e.ts);
  const events = env.fromGenerator({ count: a.n, seed: a.seed, ratePerSec: rate }, eventFn(a)).name('events').uid('events')
    .assignTimestampsAndWatermarks(strategy).name('ts').uid('ts');
  const keyed = events.keyBy(tupleOf);

  // Rolling reduce: [key, count, sum] per record.
  keyed.map((e) => ({ key: tupleOf(e), count: 1, sum: e.v })).name('one').uid('one')
    .keyBy((r) => r.key).reduce((x, y) => ({ key: x.key, count: x.count + y.count, sum: x.sum + y.sum })).name('reduce').uid('reduce')
    .map((r) => [r.key, r.count, r.sum]).name('reduce.rows').uid('reduce.rows').sink(ledgerSink(`${ledger}/reduce`)).name('reduce.out').uid('reduce.out');

  // Keyed state and timers: per key and time bucket the sum of v, emitted by an event-time timer at the bucket's end.
  keyed.process<unknown[]>({
    processElement(e, ctx) {
      checkKey(ctx.key, tupleOf(e));
      const bucket = Math.floor(e.ts / BUCKET);
      const sums = ctx.mapState<number, number>('sums');
      sums.put(bucket, (sums.get(bucket) ?? 0) + e.v);
      ctx.timerService.registerEventTimeTimer((bucket + 1) * BUCKET - 1);
    },
    onTimer(ts, ctx, out) {
      const bucket = (ts + 1) / BUCKET - 1;
      const sums = ctx.mapState<number, number>('sums');
      if (!Array.isArray(ctx.key) || !Object.isFrozen(ctx.key)) throw new Error(`onTimer's key is ${JSON.stringify(ctx.key)}, not a tuple`);
      out.collect([ctx.key, bucket, sums.get(bucket)]);
      sums.remove(bucket);
    },
  }).name('buckets').uid('buckets').sink(ledgerSink(`${ledger}/buckets`)).name('buckets.out').uid('buckets.out');

  // A window function gets the tuple.
  keyed.window(TumblingEventTimeWindows.of(size)).aggregate({
    createAccumulator: () => 0, add: (e: Ev, s: number) => s + e.v, getResult: (s: number) => s,
  }, (key, ctx, [s], out: Collector<unknown[]>) => {
    if (!Array.isArray(key) || key !== ctx.key) throw new Error(`the window function's key ${JSON.stringify(key)} is not the context's tuple`);
    out.collect([key, ctx.window.start, s!]);
  }).name('tumbling').uid('tumbling').sink(ledgerSink(`${ledger}/tumbling`)).name('tumbling.out').uid('tumbling.out');

  // The same window aggregated in two phases: partials carry the key across the exchange.
  keyed.window(TumblingEventTimeWindows.of(size)).combineLocally().aggregate({
    createAccumulator: () => 0, add: (e: Ev, s: number) => s + e.v, getResult: (s: number) => s, merge: (x: number, y: number) => x + y,
  }, (key, ctx, [s], out: Collector<unknown[]>) => {
    if (!Array.isArray(key) || !Object.isFrozen(key)) throw new Error(`the combined window's key ${JSON.stringify(key)} is not a tuple`);
    out.collect([key, ctx.window.start, s!]);
  }).name('combined').uid('combined').sink(ledgerSink(`${ledger}/combined`)).name('combined.out').uid('combined.out');

  // Two inputs keyed by tuples built from different shapes: each key's sums of both sides meet in one state.
  const others = env.fromGenerator({ count: b.n, seed: b.seed, ratePerSec: rate }, (i, r) => otherOf(eventFn(b)(i, r))).name('others').uid('others');
  events.connect(others).keyBy(tupleOf, (o): Tuple => { const [p0, p1] = JSON.parse(o.parts) as [string, string]; return [p0, p1, o.n, o.flag === 1]; })
    .process<unknown[]>({
      processElement1(e, ctx) {
        checkKey(ctx.key, tupleOf(e));
        ctx.state<number>('left').update((ctx.state<number>('left').value() ?? 0) + e.v);
        // Fires at the end of input (the final watermark), once per key.
        ctx.timerService.registerEventTimeTimer(1e12);
      },
      processElement2(o, ctx) {
        ctx.state<number>('right').update((ctx.state<number>('right').value() ?? 0) + o.w);
        ctx.timerService.registerEventTimeTimer(1e12);
      },
      onTimer(_ts, ctx, out) {
        out.collect([ctx.key, ctx.state<number>('left').value() ?? 0, ctx.state<number>('right').value() ?? 0]);
      },
    }).name('connected').uid('connected').sink(ledgerSink(`${ledger}/connected`)).name('connected.out').uid('connected.out');
});
