// A generator at parallelism 2 with event time (each record's time is its number, no out-of-orderness), a
// rebalanced map, and keyed 50 ms tumbling windows with a late-data side output, at parallelism `p`, unaligned
// checkpoints: the sink takes 1 ms per fired window until `marker` exists, so rings stay full and checkpoints hold
// records in flight, the generator's held ones included. Late records go to a ledger of their own.
//   ?n=10000&p=2&ledger=/dir&marker=/path
import { existsSync } from 'node:fs';
import { defineJob, OutputTag, TumblingEventTimeWindows, WatermarkStrategy, type TimeWindow } from '../../../../core/index.js';
import { beforeEachWrite, blockFor, ledgerSink } from '../ledger.js';

const q = new URL(import.meta.url).searchParams;
const n = Number(q.get('n') ?? 10_000);
const p = Number(q.get('p') ?? 2);
const ledger = q.get('ledger') ?? '';
const marker = q.get('marker') ?? '';

export interface Fired { key: string; start: number; ids: number[] }
interface Event { k: string; i: number }
const LATE = new OutputTag<Event>('late');

export default defineJob((env) => {
  env.enableCheckpointing(100, { mode: 'unaligned' });
  env.setAutoWatermarkInterval(1);
  const fired = env.fromGenerator({ count: n, seed: 1 }, (i): Event => ({ k: `k${i % 13}`, i })).name('gen').uid('gen').setParallelism(p)
    .assignTimestampsAndWatermarks(WatermarkStrategy.forBoundedOutOfOrderness<Event>(0).withTimestampAssigner((e) => e.i)).name('ts').uid('ts').setParallelism(p)
    .rebalance().map((e) => ({ ...e })).name('mid').uid('mid').setParallelism(p)
    .keyBy((e) => e.k).window(TumblingEventTimeWindows.of(50)).sideOutputLateData(LATE)
    .process<Fired>((key, ctx, events, out) => { out.collect({ key, start: (ctx.window as TimeWindow).start, ids: events.map((e) => e.i) }); }).name('win').uid('win').setParallelism(p);
  fired.sink(beforeEachWrite(ledgerSink<Fired>(ledger), 'test-slow-windows', () => () => { if (!existsSync(marker)) blockFor(1); }))
    .name('sink').uid('sink').setParallelism(p);
  fired.getSideOutput(LATE).map((e): Fired => ({ key: e.k, start: -1, ids: [e.i] })).name('late').uid('late').setParallelism(p)
    .sink(ledgerSink<Fired>(`${ledger}-late`)).name('late-sink').uid('late-sink').setParallelism(p);
});
