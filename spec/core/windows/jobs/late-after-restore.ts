// Event time across a restore: one source subtask of records at ts 0, 10, 20, ..., each carrying its watermark
// (punctuated), into keyed tumbling windows of 100 ms with a late output. Phase 'before' emits ts 0..990, marks
// `emitted` and waits (the test stops the job with a savepoint: windows up to [800, 900) have fired and their
// state is gone); phase 'after', resumed from it, skips those and emits one record at ts 50, late for [0, 100).
//   ?dir=/markers&phase=before|after
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defineJob, OutputTag, TumblingEventTimeWindows, WatermarkStrategy, type TimeWindow } from '../../../../core/index.js';

interface Ev { id: number; key: string; ts: number }

const q = new URL(import.meta.url).searchParams;
const dir = q.get('dir') ?? '';
const phase = q.get('phase') ?? 'before';
const late = new OutputTag<Ev>('late');

export default defineJob((env) => {
  const events = env.fromAsyncIterable(async function* (): AsyncGenerator<Ev> {
    for (let i = 0; i < 100; i++) yield { id: i, key: `k${i % 2}`, ts: i * 10 };
    if (phase === 'before') {
      writeFileSync(join(dir, 'emitted'), '');
      await new Promise(() => {});
    }
    yield { id: 100, key: 'k0', ts: 50 };
  }).name('events').uid('events')
    .assignTimestampsAndWatermarks(WatermarkStrategy.forGenerator<Ev>('carried', () => ({
      onEvent(e, _ts, out) { out.emitWatermark(e.ts); },
      onPeriodicEmit() {},
    })).withTimestampAssigner((e) => e.ts)).name('timestamps').uid('timestamps');
  const fired = events.keyBy((e) => e.key).window(TumblingEventTimeWindows.of(100)).sideOutputLateData(late)
    .process<[string, number, number[]]>((key, ctx, els, out) => {
      out.collect([key, (ctx.window as TimeWindow).start, els.map((e) => e.id)]);
    }).name('count').uid('count');
  fired.collect().name('fires').uid('fires');
  fired.getSideOutput(late).map((e) => e.id).name('late-ids').uid('late-ids').collect().name('late').uid('late');
});
