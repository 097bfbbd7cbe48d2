// A job for the end-of-input firing test: n keys, each with one event-time timer far ahead, so the final watermark
// fires all of them, and state the timers leave alone (a value and a list per key), which each timer emits with its
// key as `k<i>=<value>,<list>`. In the first attempt each onTimer takes ~1 ms (the firing outlasts several
// checkpoints), and the first one after the test has seen a checkpoint complete during the firing throws; the
// restored attempt appends every key it fires to `refired`.
//   ?n=4000&dir=/path
import { appendFileSync, existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { defineJob, WatermarkStrategy, type Collector, type KeyedContext, type KeyedProcessHandler, type OnTimerContext } from '../../../../core/index.js';

const q = new URL(import.meta.url).searchParams;
const n = Number(q.get('n') ?? 4000);
const dir = q.get('dir')!;
/** Written by the job when its first timer fires; by the test when a checkpoint completes after that; by the job as it fails. */
const firing = path.join(dir, 'firing');
const checkpointed = path.join(dir, 'checkpointed');
const crashed = path.join(dir, 'crashed');
const refired = path.join(dir, 'refired');
const pause = new Int32Array(new SharedArrayBuffer(4));

interface Ev { key: string; ts: number }

class EndTimers implements KeyedProcessHandler<string, Ev, string> {
  /** Opened after the failure: the restored attempt (the failed one's other subtask may still be firing). */
  restored = false;
  open(): void { this.restored = existsSync(crashed); }
  processElement(e: Ev, ctx: KeyedContext<string>): void {
    ctx.state<number>('v').update(2 * e.ts);
    ctx.listState<number>('l').add(3 * e.ts);
    ctx.timerService.registerEventTimeTimer(e.ts + 1e9);
  }
  onTimer(_ts: number, ctx: OnTimerContext<string>, out: Collector<string>): void {
    if (this.restored) {
      appendFileSync(refired, `${ctx.key}\n`);
    } else if (!existsSync(crashed)) {
      if (!existsSync(firing)) writeFileSync(firing, 'the final watermark fires');
      if (existsSync(checkpointed)) {
        writeFileSync(crashed, 'failed once');
        throw new Error('injected failure: a checkpoint completed while the end-of-input timers fired');
      }
      Atomics.wait(pause, 0, 0, 1);
    }
    out.collect(`${ctx.key}=${ctx.state<number>('v').value()},${ctx.listState<number>('l').get().join(' ')}`);
  }
}

export default defineJob((env) => {
  env.fromGenerator({ count: n, seed: 1 }, (i): Ev => ({ key: `k${i}`, ts: i })).name('events')
    .assignTimestampsAndWatermarks(WatermarkStrategy.forBoundedOutOfOrderness<Ev>(10).withTimestampAssigner((e) => e.ts)).name('ts')
    .keyBy((e) => e.key)
    .process<string>(new EndTimers()).name('end-timers').uid('end-timers')
    .collect().name('fired').uid('fired');
});
