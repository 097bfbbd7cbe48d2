// A plain broadcast process function with state of its own (snapshotState / restoreState) and an event-time clock
// (onWatermark): each instance holds the readings it gets until the watermark passes their time, then lets them
// out; the held ones are only in its own state, so a restore that lost or repeated them shows in the output.
//   ?n=20000&m=50&rate=20000&bound=200&interval=30&failAt=i,j&marker=/path
// failAt: reading indices at which the worker thread exits (process.exit), each once (marker files remember).
import { existsSync, writeFileSync } from 'node:fs';
import { defineJob, generatorSource, MapStateDescriptor, WatermarkStrategy, type BroadcastProcessFunction, type Collector } from '../../../../core/index.js';

const q = new URL(import.meta.url).searchParams;
const n = Number(q.get('n') ?? 20_000);
const m = Number(q.get('m') ?? 50);
const rate = Number(q.get('rate') ?? 0);
const bound = Number(q.get('bound') ?? 200);
const interval = Number(q.get('interval') ?? 0);
const failAt = (q.get('failAt') ?? '').split(',').filter((x) => x !== '').map(Number);
const marker = q.get('marker') ?? '';

export interface Reading { i: number; ts: number }
interface Limit { j: number; ts: number }
/** A reading let out ('r'), or what an instance restored ('restored': how many readings it held). */
export interface Out { kind: 'r' | 'restored'; id: number; sub: number }

const LIMITS = new MapStateDescriptor<number, number>('limits');

class HoldUntilWatermark implements BroadcastProcessFunction<Reading, Limit, Out> {
  private held!: Reading[];
  private restored = -1;

  open(): void {
    if (!Object.hasOwn(this, 'held')) this.held = [];
  }

  processElement(r: Reading): void {
    this.held.push(r);
  }

  processBroadcastElement(l: Limit, ctx: Parameters<BroadcastProcessFunction<Reading, Limit, Out>['processBroadcastElement']>[1]): void {
    ctx.getBroadcastState(LIMITS).put(l.j, l.ts);
  }

  onWatermark(wm: number, ctx: { subtask: number }, out: Collector<Out>): void {
    if (this.restored >= 0) {
      out.collect({ kind: 'restored', id: this.restored, sub: ctx.subtask });
      this.restored = -1;
    }
    const keep: Reading[] = [];
    for (const r of this.held) {
      if (r.ts <= wm) out.collect({ kind: 'r', id: r.i, sub: ctx.subtask });
      else keep.push(r);
    }
    this.held = keep;
  }

  snapshotState(): unknown {
    return this.held.map((r) => [r.i, r.ts]);
  }

  restoreState(states: readonly unknown[], ctx: { subtask: number; parallelism: number }): void {
    // At the same parallelism each instance takes its own (a readings split goes back to the same subtask).
    const own = (states[ctx.subtask] ?? []) as [number, number][];
    this.held = own.map(([i, ts]) => ({ i, ts }));
    this.restored = this.held.length;
  }
}

export default defineJob((env) => {
  if (interval > 0) env.enableCheckpointing(interval);
  const limits = env.fromSource(generatorSource({ count: m, seed: 5, ratePerSec: 100 }, (j): Limit => ({ j, ts: Math.floor((j * n) / m) })), 'limits')
    .name('limits').uid('limits')
    .assignTimestampsAndWatermarks(WatermarkStrategy.forMonotonousTimestamps<Limit>().withTimestampAssigner((l) => l.ts)).name('limit-times').uid('limit-times')
    .broadcast(LIMITS);
  const readings = env.fromSource(generatorSource({ count: n, seed: 3, ...(rate > 0 ? { ratePerSec: rate } : {}) }, (i): Reading => ({ i, ts: i })), 'readings')
    .name('readings').uid('readings')
    .assignTimestampsAndWatermarks(WatermarkStrategy.forBoundedOutOfOrderness<Reading>(bound).withTimestampAssigner((r) => r.ts)).name('times').uid('times')
    .map((r) => {
      if (failAt.includes(r.i) && marker !== '' && !existsSync(`${marker}.${r.i}`)) {
        writeFileSync(`${marker}.${r.i}`, 'failed once');
        process.exit(3);
      }
      return r;
    }).name('inject').uid('inject');
  readings.connect(limits).process<Out>(new HoldUntilWatermark()).name('hold').uid('hold').collect().name('out').uid('out');
});
