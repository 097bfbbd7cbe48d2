// A job for the regression "a held source was marked idle" (watermark alignment): both sources aligned (maxDrift
// 100 ms) with idleness 150 ms (at 30 ms, a thread starved on a loaded machine went idle for real), unioned into a
// keyed process that collects every record at or behind its watermark (late): a record a window would have dropped.
//   ?dir=/tmp/x
// F polls: 100 records (ts = i), then three polls (1 ms apart) that find nothing, and so on, N records. So a hold
//   mostly starts right after a read that found nothing.
// S: 5 records (ts 0..4), then nothing until the marker dir/back (it goes idle, so F runs ahead); then slowly,
//   one record per 5 ms poll (ts 5, 6, ...: F is held back, for far longer than the idle timeout), 150 of them;
//   then a burst far ahead (ts 100 + 10 i) to the end. The process function writes dir/back once F is at BACK_AT.
// Before the fix F, held with its idle clock running from an empty read, went idle: S then ran ahead of it, and
// nearly every F record after was late downstream.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defineJob, WatermarkStrategy } from '../../../../core/index.js';
import { SOURCE_END, SOURCE_MORE, SOURCE_WAIT, type SourceReader, type SourceSpec } from '../../../../core/connectors/source.js';

const q = new URL(import.meta.url).searchParams;
const dir = q.get('dir') ?? '';
export const N = 10_000;
const BACK_AT = 2000;
/** S's slow records, one per two 5 ms polls: a hold of 1.5 s or more, 10x the idle timeout. */
const SLOW = 150;

export interface Rec { src: 'F' | 'S'; ts: number }

type Step = (emit: (r: Rec) => void, max: number) => 'more' | 'wait' | 'end';

/** One split, read by `step`; a read that found nothing waits `pollMs` for the next. */
function polled(name: string, make: () => Step, pollMs: number): SourceSpec<Rec> {
  return {
    kind: 'polled', fingerprint: `polled(${name})`, maxParallelism: 1, bounded: true, rewindable: false,
    enumerateSplits: () => [{ id: name, position: 0 }],
    createReader(): SourceReader<Rec> {
      const step = make();
      return {
        read(emit, max) {
          const s = step(emit, max);
          return s === 'end' ? SOURCE_END : s === 'wait' ? SOURCE_WAIT : SOURCE_MORE;
        },
        ready: () => new Promise<void>((r) => setTimeout(r, pollMs)),
        snapshot: () => [],
      };
    },
  };
}

const bursts = (): Step => {
  let i = 0;
  let empty = 0;
  return (emit) => {
    if (i >= N) return 'end';
    if (empty > 0) { empty--; return 'wait'; }
    for (let k = 0; k < 100 && i < N; k++) emit({ src: 'F', ts: i++ });
    empty = 3;
    return 'more';
  };
};

const comesBack = (): Step => {
  let i = 0;
  let slow = 0;
  let waited = false;
  return (emit, max) => {
    if (i < 5) { emit({ src: 'S', ts: i++ }); return 'more'; }
    if (slow === 0 && !existsSync(join(dir, 'back'))) return 'wait';
    if (slow < SLOW) {
      if (!waited) { waited = true; return 'wait'; }
      waited = false;
      emit({ src: 'S', ts: 5 + slow++ });
      return 'more';
    }
    for (let k = 0; k < max && i < 5000; k++) emit({ src: 'S', ts: 100 + 10 * i++ });
    return i < 5000 ? 'more' : 'end';
  };
};

export default defineJob((env) => {
  env.setAutoWatermarkInterval(5);
  const strategy = WatermarkStrategy.forMonotonousTimestamps<Rec>().withTimestampAssigner((r) => r.ts).withIdleness(150).withWatermarkAlignment('g', 100, 2);
  const f = env.fromSource(polled('F', bursts, 1), 'F').setParallelism(1).assignTimestampsAndWatermarks(strategy).name('F-ts').setParallelism(1);
  const s = env.fromSource(polled('S', comesBack, 5), 'S').setParallelism(1).assignTimestampsAndWatermarks(strategy).name('S-ts').setParallelism(1);
  f.union(s).keyBy(() => 0).process<Rec>({
    processElement(r, ctx, out) {
      if (r.src === 'F' && r.ts >= BACK_AT && !existsSync(join(dir, 'back'))) writeFileSync(join(dir, 'back'), '');
      if (r.ts <= ctx.timerService.currentWatermark()) out.collect(r);
    },
  }).name('late').setParallelism(1).collect().name('out').setParallelism(1);
});
