// A job for the end-of-input firing under backpressure: n keys, one event-time timer each; onTimer is quick and
// emits a padded record, which a slow map on another subtask (rebalance) takes at ~0.2 ms each, so the firing
// subtask's output is full nearly all the time. Each firing subtask writes how many timers it has fired to
// a file `fired-<instance>` every 50 timers, which the test reads when a checkpoint completes.
//   ?n=6000&dir=/path
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { defineJob, WatermarkStrategy, type Collector, type KeyedContext, type KeyedProcessHandler, type OnTimerContext } from '../../../../core/index.js';

const q = new URL(import.meta.url).searchParams;
const n = Number(q.get('n') ?? 6000);
const dir = q.get('dir')!;
const pause = new Int32Array(new SharedArrayBuffer(4));
const pad = 'x'.repeat(Number(q.get('pad') ?? 200));

interface Ev { key: string; ts: number }

class QuickTimers implements KeyedProcessHandler<string, Ev, string> {
  private fired = 0;
  /** This instance's file (a keyed handler is not told its subtask). */
  private readonly file = path.join(dir, `fired-${Math.random().toString(36).slice(2)}`);
  processElement(e: Ev, ctx: KeyedContext<string>): void { ctx.timerService.registerEventTimeTimer(e.ts + 1e9); }
  onTimer(_ts: number, ctx: OnTimerContext<string>, out: Collector<string>): void {
    if (++this.fired % 50 === 0) writeFileSync(this.file, String(this.fired));
    out.collect(`${ctx.key}:${pad}`);
  }
}

export default defineJob((env) => {
  env.fromGenerator({ count: n, seed: 1 }, (i): Ev => ({ key: `k${i}`, ts: i })).name('events')
    .assignTimestampsAndWatermarks(WatermarkStrategy.forBoundedOutOfOrderness<Ev>(10).withTimestampAssigner((e) => e.ts)).name('ts')
    .keyBy((e) => e.key)
    .process<string>(new QuickTimers()).name('end-timers').uid('end-timers')
    .rebalance()
    .map((s) => { Atomics.wait(pause, 0, 0, Number(q.get('waitMs') ?? 0.2)); return s.slice(0, s.indexOf(':')); }).name('slow').uid('slow')
    .collect().name('fired').uid('fired');
});
