// The event-time trial job: one source subtask whose records carry their watermarks (punctuated: emitted right
// after the record), so every downstream subtask sees one fixed order of records and watermarks, and a plain
// oracle (../trial-oracle.ts) predicts every output exactly. Records come from a JSON file of TrialEv.
//   ?events=/path.json&p=2&size=10&slide=5&gap=7&lateness=5&delay=3&follow=1&lo=-3&hi=4&interval=0&rate=0
//   &ledger=/dir (transactional sink; else a collect sink 'out')&failAt=id&marker=/path&checkpointed=/path
//   &holdAt=i&held=/path (the source reads no record from index i on until the file exists)
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import {
  defineJob, EventTimeSessionWindows, generatorSource, OutputTag, SlidingEventTimeWindows, TumblingEventTimeWindows, WatermarkStrategy,
  type DataStream, type TimeWindow,
} from '../../../../core/index.js';
import { ledgerSink } from '../../checkpoint/ledger.js';
import { heldFrom } from '../../../support/held-source.js';

export interface TrialEv { id: number; key: string; ts: number; side: 0 | 1; wm?: number }
export type Out = [string, ...unknown[]];

const q = new URL(import.meta.url).searchParams;
const num = (k: string, d: number): number => Number(q.get(k) ?? d);
const events = JSON.parse(readFileSync(q.get('events')!, 'utf8')) as TrialEv[];
const p = num('p', 1);
const size = num('size', 10);
const slide = num('slide', 5);
const gap = num('gap', 7);
const lateness = num('lateness', 5);
const delay = num('delay', 3);
const follow = num('follow', 1);
const lo = num('lo', -3);
const hi = num('hi', 4);
const interval = num('interval', 0);
const rate = num('rate', 0);
const ledger = q.get('ledger') ?? '';
const failAt = num('failAt', -1);
const marker = q.get('marker') ?? '';
const checkpointed = q.get('checkpointed') ?? '';

const holdAt = num('holdAt', -1);
const held = q.get('held') ?? '';


const ids = (els: Iterable<TrialEv>): number[] => [...els].map((e) => e.id).sort((a, b) => a - b);

export default defineJob((env) => {
  env.setParallelism(p);
  if (interval > 0) env.enableCheckpointing(interval);
  const gen = generatorSource({ count: events.length, seed: 1, ...(rate > 0 ? { ratePerSec: rate } : {}) }, (i) => events[i]!);
  const src = env.fromSource(heldFrom(gen, [[holdAt, held]]), 'events').uid('events').setParallelism(1)
    .assignTimestampsAndWatermarks(WatermarkStrategy.forGenerator<TrialEv>('carried', () => ({
      onEvent(e, _ts, out) { if (e.wm !== undefined) out.emitWatermark(e.wm); },
      onPeriodicEmit() {},
    })).withTimestampAssigner((e) => e.ts)).name('times').uid('times').setParallelism(1)
    .map((e) => {
      // A user function that throws once, after a checkpoint completed (the test writes `checkpointed`).
      if (e.id === failAt && marker !== '' && !existsSync(marker) && (checkpointed === '' || existsSync(checkpointed))) {
        writeFileSync(marker, 'failed once');
        throw new Error(`injected failure at record ${e.id}`);
      }
      return e;
    }).name('inject').uid('inject').setParallelism(1);
  const all = src.filter((e) => e.side === 0).name('left').uid('left').setParallelism(1);
  const right = src.filter((e) => e.side === 1).name('right').uid('right').setParallelism(1);
  const keyed = all.keyBy((e) => e.key);

  const lateS = new OutputTag<TrialEv>('late-session');
  const sessions = keyed.window(EventTimeSessionWindows.withGap(gap)).allowedLateness(lateness).sideOutputLateData(lateS)
    .process<Out>((key, ctx, els, out) => {
      const w = ctx.window as TimeWindow;
      out.collect(['session', key, w.start, w.end, ids(els)]);
    }).name('session').uid('session');

  const lateT = new OutputTag<TrialEv>('late-tumbling');
  const tumbling = keyed.window(TumblingEventTimeWindows.of(size)).allowedLateness(lateness).sideOutputLateData(lateT)
    .aggregate<TrialEv[], TrialEv[], Out>({
      createAccumulator: () => [],
      add: (e, acc) => [...acc, e],
      getResult: (acc) => acc,
    }, (key, ctx, [els], out) => out.collect(['tumbling', key, ctx.window.start, ctx.window.end, ids(els!)])).name('tumbling').uid('tumbling');

  const lateA = new OutputTag<TrialEv>('late-all');
  const slidingAll = all.windowAll(SlidingEventTimeWindows.of(size, slide)).allowedLateness(lateness).sideOutputLateData(lateA)
    .process<Out>((ctx, els, out) => {
      const w = ctx.window as TimeWindow;
      out.collect(['sliding-all', '', w.start, w.end, ids(els)]);
    }).name('sliding-all').uid('sliding-all');

  const lateSA = new OutputTag<TrialEv>('late-session-all');
  const sessionAll = all.windowAll(EventTimeSessionWindows.withGap(gap)).allowedLateness(lateness).sideOutputLateData(lateSA)
    .process<Out>((ctx, els, out) => {
      const w = ctx.window as TimeWindow;
      out.collect(['session-all', '', w.start, w.end, ids(els)]);
    }).name('session-all').uid('session-all');

  // Event-time timers: each on-time record asks for one at ts + delay (records of a key at one time share it);
  // every 4th record's timer asks for a follow-up one at its time + follow, registered from onTimer; every 3rd
// record deletes one.
  const lateP = new OutputTag<TrialEv>('late-process');
  const timers = keyed.process<Out>({
    processElement(e, ctx, out) {
      if (e.ts <= ctx.timerService.currentWatermark()) { ctx.output(lateP, e); return; }
      const t = Math.min(e.ts + delay, Number.MAX_SAFE_INTEGER);
      const m = ctx.mapState<number, number[]>('at');
      // Every 3rd record cancels the key's earliest pending timer a record asked for (but one at its own time),
      // perhaps registered before a checkpoint the job was restored from.
      const c = Math.min(...m.keys().filter((x) => x !== t));
      if (e.id % 3 === 1 && c !== Infinity) {
        const f = ctx.mapState<number, number[]>('follow');
        const mine = m.get(c) ?? [];
        const followed = f.get(c) ?? [];
        m.remove(c);
        f.remove(c);
        ctx.timerService.deleteEventTimeTimer(c);
        out.collect(['cancelled', ctx.key, c, [...mine].sort((x, y) => x - y), [...followed].sort((x, y) => x - y)]);
      }
      m.put(t, [...(m.get(t) ?? []), e.id]);
      ctx.timerService.registerEventTimeTimer(t);
    },
    onTimer(t, ctx, out) {
      const m = ctx.mapState<number, number[]>('at');
      const f = ctx.mapState<number, number[]>('follow');
      const mine = m.get(t) ?? [];
      const followed = f.get(t) ?? [];
      m.remove(t);
      f.remove(t);
      out.collect(['timer', ctx.key, t, ctx.timerService.currentWatermark(), [...mine].sort((a, b) => a - b), [...followed].sort((a, b) => a - b)]);
      const asks = mine.filter((id) => id % 4 === 0);
      const next = Math.min(t + follow, Number.MAX_SAFE_INTEGER);
      // At the top, a follow-up would be this very timer again: once is enough (re-armed for good, it never ends).
      if (asks.length > 0 && next > t) {
        f.put(next, [...(f.get(next) ?? []), ...asks]);
        ctx.timerService.registerEventTimeTimer(next);
      }
    },
  }).name('timers').uid('timers');

  const lateL = new OutputTag<TrialEv>('late-left');
  const lateR = new OutputTag<TrialEv>('late-right');
  const joined = keyed.intervalJoin(right.keyBy((e) => e.key)).between(lo, hi)
    .sideOutputLeftLateData(lateL).sideOutputRightLateData(lateR)
    .process<Out>((x, y, ctx, out) => out.collect(['join', ctx.key, x.id, y.id, ctx.timestamp])).name('join').uid('join');

  const lateOf = (s: DataStream<Out>, t: OutputTag<TrialEv>, name: string): DataStream<Out> =>
    s.getSideOutput(t).map((e): Out => [name, e.key, e.id]).name(name).uid(name);
  const merged = sessions.union(
    tumbling, slidingAll, sessionAll, timers, joined,
    lateOf(sessionAll, lateSA, 'late-session-all'),
    lateOf(sessions, lateS, 'late-session'),
    lateOf(tumbling, lateT, 'late-tumbling'),
    lateOf(slidingAll, lateA, 'late-all'),
    lateOf(timers, lateP, 'late-process'),
    lateOf(joined, lateL, 'late-left'),
    lateOf(joined, lateR, 'late-right'),
  ).name('all-out').uid('all-out');
  // Each output with the event time it carries: a window's maxTimestamp, a timer's time, a pair's later time, a
  // late record's own.
  const stamped = merged.process<Out>((o, ctx, out) => out.collect([...o, ctx.timestamp ?? null])).name('stamp').uid('stamp');
  if (ledger !== '') stamped.sink(ledgerSink<Out>(ledger)).name('ledger').uid('ledger');
  else stamped.collect().name('out').uid('out');
});
