// A job for the watermark alignment test: a fast source (unthrottled) and a slow one in one event-time span,
// unioned into a collecting sink. Each record carries the wall time its source made it (`at`, comparable across
// threads), so the test can see how far the fast source had read ahead of the slow one at any moment.
//   ?align=1&drift=200&update=2&wm=5&fast=20000&slow=1000&rate=2000   the slow source is rate-limited; wm is
//     the watermark interval (aligned sources also look at their progress before each read step)
//   ?idle=1&dir=/tmp/x                                  the slow source emits 5 records, then finds nothing until
//     the marker dir/go exists, then 5 more. The sink's map writes dir/go when a fast record at ts >= GO_AT comes:
//     only possible if the idle slow source stopped holding the fast one back (else the job never ends).
//   ?dir=/tmp/x (not idle)                              the slow source makes its first record only once dir/go
//     exists: the fast one reads GO_AT records before it, unless something holds it back (then the job never ends).
//   ?misplaced=1                                        the aligned strategy after a map, not its source
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defineJob, generatorSource, WatermarkStrategy, type DataStream } from '../../../../core/index.js';
import { heldFrom } from '../../../support/held-source.js';
import { scripted, type Script } from './idle-source.js';

const q = new URL(import.meta.url).searchParams;
const align = q.get('align') === '1';
const drift = Number(q.get('drift') ?? 200);
const update = Number(q.get('update') ?? 2);
const wmInterval = Number(q.get('wm') ?? 5);
const fastN = Number(q.get('fast') ?? 20_000);
const slowN = Number(q.get('slow') ?? 1000);
const rate = Number(q.get('rate') ?? 2000);
const idle = q.get('idle') === '1';
const dir = q.get('dir') ?? '';
const misplaced = q.get('misplaced') === '1';
/** Event time of the slow source's record i (the fast one's is i): both cover about the same span. */
export const SLOW_STEP_MS = 10;
export const GO_AT = 10_000;

export interface Rec { src: 'fast' | 'slow'; ts: number; at: number }

/** Wall time in ms, on one clock for every thread (performance.now() alone counts from each thread's start). */
const now = (): number => performance.timeOrigin + performance.now();

const pausing = (): Script<Rec> => {
  let i = 0;
  return (emit) => {
    if (i < 5 || (i < 10 && existsSync(join(dir, 'go')))) { emit({ src: 'slow', ts: i * SLOW_STEP_MS, at: now() }); i++; return 'more'; }
    return i < 10 ? 'wait' : 'end';
  };
};

export default defineJob((env) => {
  env.setAutoWatermarkInterval(wmInterval);
  let strategy = WatermarkStrategy.forMonotonousTimestamps<Rec>().withTimestampAssigner((r) => r.ts);
  if (idle) strategy = strategy.withIdleness(20);
  if (align || idle || misplaced) strategy = strategy.withWatermarkAlignment('g', drift, update);
  const fastSource = env.fromGenerator({ count: fastN, seed: 1 }, (i): Rec => ({ src: 'fast', ts: i, at: now() })).name('fast');
  const fast = (misplaced ? fastSource.map((r) => r).name('copy') : fastSource).assignTimestampsAndWatermarks(strategy).name('fast-ts');
  const slowSource: DataStream<Rec> = idle
    ? env.fromSource(scripted('slow', pausing), 'slow').setParallelism(1)
    : env.fromSource(heldFrom(generatorSource({ count: slowN, seed: 2, ratePerSec: rate }, (i): Rec => ({ src: 'slow', ts: i * SLOW_STEP_MS, at: now() })), [[0, dir === '' ? '' : join(dir, 'go')]]), 'slow').setParallelism(1);
  const slow = slowSource.assignTimestampsAndWatermarks(strategy).name('slow-ts').setParallelism(1);
  fast.union(slow).rebalance().map((r) => {
    if (dir !== '' && r.src === 'fast' && r.ts >= GO_AT && !existsSync(join(dir, 'go'))) writeFileSync(join(dir, 'go'), '');
    return r;
  }).name('watch').setParallelism(1).collect().name('out').setParallelism(1);
});
