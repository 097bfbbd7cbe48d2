// A stream re-stamped by a second timestamps operator chained behind a window, an interval join, or a first
// assigner: event time above the second assigner must stay the first one's (case from the query string).

import { defineJob, WatermarkStrategy, TumblingEventTimeWindows, type TimeWindow, type WatermarkOutput } from '../../../../core/index.js';

export interface Ev { k: string; ts: number; v: number; wm?: number }

/** Watermarks carried on the records (`pick` says which), so records and watermarks come in a fixed order. */
function carried<T>(pick: (e: T, ts: number) => number | undefined): WatermarkStrategy<T> {
  return WatermarkStrategy.forGenerator<T>('carried', () => ({
    onEvent(e: T, ts: number, out: WatermarkOutput) { const w = pick(e, ts); if (w !== undefined) out.emitWatermark(w); },
    onPeriodicEmit() {},
  }));
}

export const INPUT: Ev[] = [
  { k: 'a', ts: 1, v: 1 }, { k: 'a', ts: 5, v: 2 }, { k: 'a', ts: 12, v: 3, wm: 10 },
  { k: 'a', ts: 15, v: 4 }, { k: 'a', ts: 22, v: 5, wm: 20 }, { k: 'a', ts: 25, v: 6 },
];

const kase = new URL(import.meta.url).searchParams.get('case');

export default defineJob((env) => {
  const input = (name: string, events: Ev[]) => env.fromCollection(events).name(name)
    .assignTimestampsAndWatermarks(carried<Ev>((e) => e.wm).withTimestampAssigner((e) => e.ts)).name(`${name}-ts`);
  if (kase === 'window') {
    // Results stamped far ahead: the second assigner's watermark (1,000,000 and up) is not the window's.
    input('src', INPUT).keyBy((e) => e.k).window(TumblingEventTimeWindows.of(10))
      .process<{ start: number; vs: number[] }>((_k, ctx, els, out) => out.collect({ start: (ctx.window as TimeWindow).start, vs: els.map((e) => e.v) })).name('windows')
      .assignTimestampsAndWatermarks(carried<{ start: number; vs: number[] }>((_e, ts) => ts).withTimestampAssigner((r) => 1_000_000 + r.start)).name('restamp')
      .map((r) => [r.start, ...r.vs].join(' ')).name('rows').collect().name('out');
  } else if (kase === 'join') {
    const left = input('left', [{ k: 'a', ts: 10, v: 1 }, { k: 'a', ts: 11, v: 2 }, { k: 'a', ts: 30, v: 3, wm: 30 }]);
    const right = input('right', [{ k: 'a', ts: 10, v: 4 }, { k: 'a', ts: 11, v: 5 }, { k: 'a', ts: 30, v: 6, wm: 30 }]);
    left.keyBy((e) => e.k).intervalJoin(right.keyBy((e) => e.k)).between(0, 0)
      .process<{ l: number; r: number; ts: number }>((a, b, ctx, out) => out.collect({ l: a.v, r: b.v, ts: ctx.timestamp })).name('join')
      .assignTimestampsAndWatermarks(carried<{ l: number; r: number; ts: number }>((_e, ts) => ts - 1).withTimestampAssigner((r) => r.ts + 1000)).name('restamp')
      .map((r) => `${r.l}-${r.r}`).name('pairs').collect().name('out');
  } else {
    // A second clock 1000 ms behind the first: below it, the watermark is its own, not the first one's; also
    // below an asyncMap behind it, whose results go out later, from the task loop (case 'async').
    const restamped = input('src', INPUT)
      .assignTimestampsAndWatermarks(carried<Ev>((e) => (e.wm === undefined ? undefined : e.wm - 1000)).withTimestampAssigner((e) => e.ts - 1000)).name('restamp');
    (kase === 'async' ? restamped.asyncMap(async (e) => e).name('io') : restamped)
      .process<[number, number]>((e, ctx, out) => out.collect([e.v, ctx.currentWatermark()])).name('seen').collect().name('out');
  }
});
