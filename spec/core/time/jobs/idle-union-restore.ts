// Event time of idle sources across a restore: sources 'a' (ts 0..4990) and 'b' (ts 0..990), each record carrying
// its watermark, never end and go idle after 300 ms; unioned into keyed tumbling windows of 1 s counting records.
// Phase 'before' marks `a-done` / `b-done` once a source has emitted everything (the test then stops the job with
// a savepoint: no window has closed, 'b' holds event time at 990); resumed, neither source has anything left.
//   ?dir=/markers&phase=before|after
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defineJob, TumblingEventTimeWindows, WatermarkStrategy, type TimeWindow } from '../../../../core/index.js';

const q = new URL(import.meta.url).searchParams;
const dir = q.get('dir') ?? '';
const phase = q.get('phase') ?? 'before';

const strategy = WatermarkStrategy.forGenerator<number>('carried', () => ({
  onEvent(ts, _t, out) { out.emitWatermark(ts); },
  onPeriodicEmit() {},
})).withTimestampAssigner((ts) => ts).withIdleness(300);

export default defineJob((env) => {
  const source = (name: string, last: number) => env.fromAsyncIterable(async function* (): AsyncGenerator<number> {
    for (let ts = 0; ts <= last; ts += 10) yield ts;
    if (phase === 'before') writeFileSync(join(dir, `${name}-done`), '');
    await new Promise(() => {});
  }).name(name).uid(name).assignTimestampsAndWatermarks(strategy).name(`${name}-time`).uid(`${name}-time`);
  source('a', 4990).union(source('b', 990))
    .keyBy(() => 'all').window(TumblingEventTimeWindows.of(1000))
    .process<[number, number]>((_k, ctx, els, out) => { out.collect([(ctx.window as TimeWindow).start, els.length]); }).name('count').uid('count')
    .collect().name('windows').uid('windows');
});
