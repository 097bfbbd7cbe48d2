// A job for handle.output(): a generator (unbounded unless ?n=) into two collect sinks, 'out' (read live by the
// tests) and 'other' (left to result.collected). ?fail=i throws at record i, once (?marker=path remembers);
// ?interval=ms checkpoints; ?rate=records per second (0: as fast as it goes); ?failWhen=path throws at the first
// record after a file exists there (the test creates it when it has read enough); ?rebalance=1 puts an exchange
// before the sink 'out' (its records then come through its input gate, not straight from the chain); ?also=n adds a
// bounded generator of n records into the collect sink 'also' (?alsoRate=records per second; ?alsoHold=path holds it
// at its record n / 2 until a file exists there); ?timerFail=path throws from a processing-time timer
// (every 5 ms, records flowing or not) once a file exists there (path + '.done' remembers it failed).
import { existsSync, writeFileSync } from 'node:fs';
import { defineJob, generatorSource, WatermarkStrategy } from '../../../../core/index.js';
import { heldFrom } from '../../../support/held-source.js';

const q = new URL(import.meta.url).searchParams;
const n = Number(q.get('n') ?? 0);
const rate = Number(q.get('rate') ?? 20_000);
const interval = Number(q.get('interval') ?? 0);
const fail = Number(q.get('fail') ?? -1);
const marker = q.get('marker') ?? '';
const failWhen = q.get('failWhen') ?? '';
const rebalance = q.get('rebalance') === '1';
const also = Number(q.get('also') ?? 0);
const alsoRate = Number(q.get('alsoRate') ?? 0);
const timerFail = q.get('timerFail') ?? '';
const alsoHold = q.get('alsoHold') ?? '';

export default defineJob((env) => {
  if (interval > 0) env.enableCheckpointing(interval);
  const ids = env.fromGenerator({ seed: 1, ...(rate > 0 ? { ratePerSec: rate } : {}), ...(n > 0 ? { count: n } : {}) }, (i) => i).name('gen').uid('gen')
    .map((i: number) => {
      if (i === fail && (marker === '' || !existsSync(marker))) {
        if (marker !== '') writeFileSync(marker, 'failed once');
        throw new Error(`injected failure at record ${i}`);
      }
      if (failWhen !== '' && existsSync(failWhen)) throw new Error(`injected failure at record ${i}: ${failWhen} exists`);
      return i;
    }).name('check').uid('check');
  (rebalance ? ids.rebalance() : ids).collect().name('out').uid('out');
  ids.filter((i) => i % 100 === 0).collect().name('other').uid('other');
  if (timerFail !== '') {
    ids.keyBy((i) => i % 2).process<never>({
      processElement(_i, ctx) {
        const armed = ctx.state<boolean>('armed');
        if (armed.value() === true) return;
        armed.update(true);
        ctx.timerService.registerProcessingTimeTimer(ctx.currentProcessingTime() + 5);
      },
      onTimer(at, ctx) {
        if (existsSync(timerFail) && !existsSync(`${timerFail}.done`)) {
          writeFileSync(`${timerFail}.done`, 'failed once');
          throw new Error('injected failure from a timer');
        }
        ctx.timerService.registerProcessingTimeTimer(at + 5);
      },
    }).name('ticker').uid('ticker').discard().name('ticks').uid('ticks');
  }
  // With event time: its task's watermark reaches the end's (MAX_WATERMARK) once its input has ended.
  if (also > 0) {
    const alsoGen = generatorSource({ seed: 2, count: also, ...(alsoRate > 0 ? { ratePerSec: alsoRate } : {}) }, (i: number) => i);
    env.fromSource(heldFrom(alsoGen, [[alsoHold === '' ? Infinity : Math.floor(also / 2), alsoHold]])).name('gen-also').uid('gen-also')
      .assignTimestampsAndWatermarks(WatermarkStrategy.forMonotonousTimestamps<number>().withTimestampAssigner((i) => i))
      .collect().name('also').uid('also');
  }
});
