// A job for the starved-idleness test, on one thread: a source whose records each come one event-loop turn
// later (an async feed: every next() settles in a turn), with withIdleness, unioned with a busy source whose map
// keeps the thread from the event loop for starveMs at a time (heavy user code). Its records are behind the busy
// source's in event time, so one that reaches the window after its stream was marked idle is late.
//   ?idle=100&starveMs=150
import { setImmediate as turn } from 'node:timers/promises';
import { defineJob, OutputTag, TumblingEventTimeWindows, WatermarkStrategy } from '../../../../core/index.js';

const q = new URL(import.meta.url).searchParams;
const idleMs = Number(q.get('idle') ?? 100);
const starveMs = Number(q.get('starveMs') ?? 150);
export const FEED = 40;
export const BUSY = 3000;
export interface Ev { src: 'feed' | 'busy'; i: number; ts: number }

async function* feed(): AsyncGenerator<Ev> {
  for (let i = 0; i < FEED; i++) {
    await turn();
    yield { src: 'feed', i, ts: i };
  }
}

/** Watermark = the newest timestamp, sent after each record (no wall-clock interval in the way). */
const punctuated = () => WatermarkStrategy.forGenerator<Ev>('punctuated', () => ({
  onEvent(_e, ts, out) { out.emitWatermark(ts); },
  onPeriodicEmit() {},
})).withTimestampAssigner((e) => e.ts);

export const LATE = new OutputTag<Ev>('late');

export default defineJob((env) => {
  env.setAutoWatermarkInterval(5);
  const fed = env.fromAsyncIterable(() => feed(), 'feed').assignTimestampsAndWatermarks(punctuated().withIdleness(idleMs)).name('feed-ts');
  const busy = env.fromGenerator({ count: BUSY }, (i): Ev => ({ src: 'busy', i, ts: 1_000_000 + i })).name('busy')
    .assignTimestampsAndWatermarks(punctuated()).name('busy-ts')
    .map((e) => {
      if (e.i % 200 === 0) { const until = performance.now() + starveMs; while (performance.now() < until); }
      return e;
    }).name('heavy');
  const counted = fed.union(busy).keyBy((e) => e.src).window(TumblingEventTimeWindows.of(10_000_000)).sideOutputLateData(LATE)
    .aggregate({ createAccumulator: () => 0, add: (_e: Ev, n: number) => n + 1, getResult: (n: number) => n }).name('count');
  counted.collect().name('counts');
  counted.getSideOutput(LATE).map((e) => `${e.src}/${e.i}`).name('late-ids').collect().name('late');
});
