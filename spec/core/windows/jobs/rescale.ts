// A job for the rescaling test: window state (tumbling aggregate, session process) and broadcast state (rules
// checked against every event, whatever the order) checkpointed, then restored at other parallelisms; every
// output goes to a durable ledger (one per sink), so exactly-once holds across runs.
//   ?n=20000&rate=20000&interval=15&size=50&gap=15&ledger=/dir&seed=1&keys=8&step=1&bound=10&burstMs=100
import { defineJob, EventTimeSessionWindows, MapStateDescriptor, TumblingEventTimeWindows, WatermarkStrategy, type Collector } from '../../../../core/index.js';
import { ledgerSink } from '../../checkpoint/ledger.js';
import { eventFn, eventParams, type Ev } from './events.js';

const q = new URL(import.meta.url).searchParams;
const a = eventParams(q);
const rate = Number(q.get('rate') ?? 20_000);
const interval = Number(q.get('interval') ?? 15);
const size = Number(q.get('size') ?? 50);
const gap = Number(q.get('gap') ?? 15);
const ledger = q.get('ledger') ?? '';

export interface Rule { id: string; over: number }
export const RULES: Rule[] = [{ id: 'r90', over: 90 }, { id: 'r50', over: 50 }, { id: 'r97', over: 97 }];
const rules = new MapStateDescriptor<string, Rule>('rules');

export default defineJob((env) => {
  env.enableCheckpointing(interval);
  const events = env.fromGenerator({ count: a.n, seed: a.seed, ratePerSec: rate }, eventFn(a)).name('events').uid('events')
    .assignTimestampsAndWatermarks(WatermarkStrategy.forBoundedOutOfOrderness<Ev>(a.bound).withTimestampAssigner((e) => e.ts)).name('ts').uid('ts');
  const keyed = events.keyBy((e) => e.key);
  keyed.window(TumblingEventTimeWindows.of(size)).aggregate({
    createAccumulator: () => 0, add: (e: Ev, s: number) => s + e.v, getResult: (s: number) => s,
  }, (key, ctx, [s], out: Collector<unknown[]>) => out.collect([key, ctx.window.start, s!])).name('tumbling').uid('tumbling')
    .sink(ledgerSink(`${ledger}/tumbling`)).name('tumbling.out').uid('tumbling.out');
  keyed.window(EventTimeSessionWindows.withGap(gap)).process<unknown[]>((key, ctx, els, out) => {
    out.collect([key, ctx.window.start, ctx.window.end, els.map((e) => e.id).sort((x, y) => x - y)]);
  }).name('session').uid('session').sink(ledgerSink(`${ledger}/session`)).name('session.out').uid('session.out');
  keyed.connect(env.fromCollection(RULES).name('rules').uid('rules').broadcast(rules)).process<[number, string]>({
    processElement(e, ctx, out) {
      for (const r of ctx.getBroadcastState(rules).values()) if (e.v > r.over) out.collect([e.id, r.id]);
      ctx.listState<Ev>('seen').add(e);
    },
    processBroadcastElement(r, ctx, out) {
      ctx.getBroadcastState(rules).put(r.id, r);
      ctx.applyToKeyedState('seen', (_k, state) => { for (const e of state.listState<Ev>('seen').get()) if (e.v > r.over) out.collect([e.id, r.id]); });
    },
  }).name('alerts').uid('alerts').sink(ledgerSink(`${ledger}/alerts`)).name('alerts.out').uid('alerts.out');
});
