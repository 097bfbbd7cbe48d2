// A job for the window recovery test: checkpoints every `interval` ms, a failure injected once at record
// `failAt` (a marker file remembers it), and window and join state that must come back from the checkpoint:
// tumbling aggregate, session process, sliding reduce with allowed lateness, an interval join, a session coGroup.
//   ?n=6000&rate=20000&interval=20&failAt=3000&marker=/path&checkpointed=/path&size=50&gap=15&lo=-5&hi=8&bound=10&keys=4
//   &crash=throw|exit (exit: the failure kills its worker thread)
import { existsSync, writeFileSync } from 'node:fs';
import {
  defineJob, EventTimeSessionWindows, generatorSource, SlidingEventTimeWindows, TumblingEventTimeWindows, WatermarkStrategy,
  type Collector,
} from '../../../../core/index.js';
import { eventFn, eventParams, type Ev } from './events.js';
import { heldFrom } from '../../../support/held-source.js';

const q = new URL(import.meta.url).searchParams;
const a = eventParams(q);
const b = eventParams(q, 'b.');
const rate = Number(q.get('rate') ?? 20_000);
const interval = Number(q.get('interval') ?? 20);
const failAt = Number(q.get('failAt') ?? -1);
const marker = q.get('marker') ?? '';
// Written by the test when a checkpoint has completed: the failure waits for it, so the restart always has one.
const checkpointed = q.get('checkpointed') ?? '';
const size = Number(q.get('size') ?? 50);
const gap = Number(q.get('gap') ?? 15);
const lo = Number(q.get('lo') ?? -5);
const hi = Number(q.get('hi') ?? 8);

const sum = (x: Ev, y: Ev): Ev => ({ id: Math.min(x.id, y.id), key: x.key, v: x.v + y.v, ts: Math.max(x.ts, y.ts) });

export default defineJob((env) => {
  env.enableCheckpointing(interval);
  // Source a's records from failAt on wait for a completed checkpoint, so the failure always comes after one
  // (regression: on a loaded machine they sometimes all went by before a checkpoint completed: no failure injected).
  const source = (p: typeof a, name: string) => env.fromSource(heldFrom(generatorSource({ count: p.n, seed: p.seed, ratePerSec: rate }, eventFn(p)), [[name === 'a' ? failAt : Infinity, checkpointed]]), name).name(name).uid(name)
    .assignTimestampsAndWatermarks(WatermarkStrategy.forBoundedOutOfOrderness<Ev>(p.bound).withTimestampAssigner((e) => e.ts)).name(`${name}-ts`).uid(`${name}-ts`);
  const left = source(a, 'a').map((e) => {
    // The first record from failAt on (of failAt's subtask: ids of one parity) once a checkpoint completed.
    if (e.id >= failAt && (e.id - failAt) % 2 === 0 && marker !== '' && !existsSync(marker) && (checkpointed === '' || existsSync(checkpointed))) {
      writeFileSync(marker, 'failed once');
      if (q.get('crash') === 'exit') process.exit(3); // the thread dies: no cleanup
      throw new Error(`injected failure at record ${e.id}`);
    }
    return e;
  }).name('inject').uid('inject');
  const right = source(b, 'b');
  const keyed = left.keyBy((e) => e.key);
  keyed.window(TumblingEventTimeWindows.of(size)).aggregate({
    createAccumulator: () => [0, 0] as [number, number],
    add: (e: Ev, acc: [number, number]): [number, number] => [acc[0] + 1, acc[1] + e.v],
    getResult: (acc: [number, number]) => acc,
  }, (key, ctx, [r], out: Collector<unknown[]>) => out.collect([key, ctx.window.start, ctx.window.end, r![1]])).name('tumbling').uid('tumbling').collect().name('tumbling.out').uid('tumbling.out');
  // The same, two-phase: accumulators held by the local combiners are operator state in each checkpoint.
  keyed.window(TumblingEventTimeWindows.of(size)).combineLocally().aggregate({
    createAccumulator: () => [0, 0] as [number, number],
    add: (e: Ev, acc: [number, number]): [number, number] => [acc[0] + 1, acc[1] + e.v],
    getResult: (acc: [number, number]) => acc,
    merge: (x: [number, number], y: [number, number]): [number, number] => [x[0] + y[0], x[1] + y[1]],
  }, (key, ctx, [r], out: Collector<unknown[]>) => out.collect([key, ctx.window.start, ctx.window.end, r![1]])).name('combined').uid('combined').collect().name('combined.out').uid('combined.out');
  keyed.window(EventTimeSessionWindows.withGap(gap)).process<unknown[]>((key, ctx, els, out) => {
    out.collect([key, ctx.window.start, ctx.window.end, els.map((e) => e.id).sort((x, y) => x - y)]);
  }).name('session').uid('session').collect().name('session.out').uid('session.out');
  keyed.window(SlidingEventTimeWindows.of(size, Math.max(1, size >> 2))).allowedLateness(size).reduce(sum).name('sliding').uid('sliding')
    .collect().name('sliding.out').uid('sliding.out');
  // One event-time timer per key, re-registered at the same time by every record: the keys the timer fast path
  // (stateFastPaths) holds as a bare number. It fires at end of input.
  keyed.process<string>({
    processElement: (_e, ctx) => ctx.timerService.registerEventTimeTimer(1e12),
    onTimer: (_ts, ctx, out) => out.collect(ctx.key),
  }).name('one-timer').uid('one-timer').collect().name('one-timer.out').uid('one-timer.out');
  keyed.intervalJoin(right.keyBy((e) => e.key)).between(lo, hi).process<[number, number]>((x, y, _ctx, out) => out.collect([x.id, y.id]))
    .name('interval').uid('interval').collect().name('interval.out').uid('interval.out');
  left.coGroup(right).where((e) => e.key).equalTo((e) => e.key).window(EventTimeSessionWindows.withGap(gap))
    .apply<[number[], number[]]>((xs, ys, out) => out.collect([xs.map((e) => e.id).sort((x, y) => x - y), ys.map((e) => e.id).sort((x, y) => x - y)]))
    .name('coGroup').uid('coGroup').collect().name('coGroup.out').uid('coGroup.out');
});
