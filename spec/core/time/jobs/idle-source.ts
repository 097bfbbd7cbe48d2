// A job for the idle-source test: two sources, unioned, keyed, with an event-time timer per record.
//   ?dir=/tmp/x&idle=50&na=1000&nb=20&behind=exchange|filter
// behind=exchange: the silent source's watermark assigner runs at parallelism 2 behind a rebalance, not chained to
// it. behind=filter: chained to it behind a filter, and while silent the source reads noise the filter drops (its
// reads never come up empty: only the records reaching the assigner can tell it is idle).
// 'busy' emits na records with ts = 10 i, then waits (reads find nothing) until the marker dir/b-done exists.
// 'silent' emits 5 records with ts 0..4, then finds nothing until the marker dir/b-go exists; then it emits nb
// records with ts = 1e6 + i, writes dir/b-done and ends. The process function writes dir/b-go when a timer at
// ts >= GO_AT fires: only possible if the watermark passed GO_AT while 'silent' was silent, i.e. if idleness let
// the watermark go on without it. (Without idleness the job never ends: the test's timeout fails it.)
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defineJob, WatermarkStrategy } from '../../../../core/index.js';
import { SOURCE_END, SOURCE_MORE, SOURCE_WAIT, type SourceReader, type SourceSpec } from '../../../../core/connectors/source.js';

const q = new URL(import.meta.url).searchParams;
const dir = q.get('dir') ?? '';
const idleMs = Number(q.get('idle') ?? 50);
const na = Number(q.get('na') ?? 1000);
const nb = Number(q.get('nb') ?? 20);
const behind = q.get('behind') ?? '';

export const GO_AT = 5000;
export const B_RETURN_TS = 1_000_000;
export interface Ev { src: 'busy' | 'silent'; i: number; ts: number; key: string }
export type Out = { kind: 'rec'; src: string; i: number; ts: number } | { kind: 'timer'; key: string; at: number; wm: number };

/** Waits for a marker file the way a polling source waits for data: ready() resolves at the next poll. */
const poll = (): Promise<void> => new Promise((r) => setTimeout(r, 5));

export type Script<T = Ev> = (emit: (e: T) => void) => 'more' | 'wait' | 'end';

/** A source of one split run by a script (made per reader): 'wait' means its reads find nothing for now. */
export function scripted<T>(name: string, script: () => Script<T>): SourceSpec<T> {
  return {
    kind: 'scripted', fingerprint: `scripted(${name})`, maxParallelism: 1, bounded: true, rewindable: false,
    enumerateSplits: () => [{ id: name, position: 0 }],
    createReader(): SourceReader<T> {
      const next = script();
      return {
        read(emit, max) {
          let k = 0;
          for (;;) {
            if (k >= max) return SOURCE_MORE;
            const s = next((e) => { emit(e); k++; });
            if (s === 'end') return SOURCE_END;
            if (s === 'wait') return k > 0 ? SOURCE_MORE : SOURCE_WAIT;
          }
        },
        ready: poll,
        snapshot: () => [],
      };
    },
  };
}

const busy = (): Script => {
  let i = 0;
  return (emit) => {
    if (i < na) { emit({ src: 'busy', i, ts: i * 10, key: `a${i % 5}` }); i++; return 'more'; }
    return existsSync(join(dir, 'b-done')) ? 'end' : 'wait';
  };
};

const silent = (): Script => {
  let i = 0;
  let back = 0;
  return (emit) => {
    if (i < 5) { emit({ src: 'silent', i, ts: i, key: `b${i % 3}` }); i++; return 'more'; }
    if (back === 0 && !existsSync(join(dir, 'b-go'))) {
      if (behind === 'filter') emit({ src: 'silent', i: -1, ts: 0, key: 'noise' });
      return 'wait';
    }
    if (back < nb) { emit({ src: 'silent', i: 5 + back, ts: B_RETURN_TS + back, key: `b${back % 3}` }); back++; return 'more'; }
    writeFileSync(join(dir, 'b-done'), '');
    return 'end';
  };
};

export default defineJob((env) => {
  // Watermarks and idleness are checked every 10 ms of wall time (the default is 200).
  env.graph.autoWatermarkIntervalMs = 10;
  const strategy = WatermarkStrategy.forBoundedOutOfOrderness<Ev>(5).withTimestampAssigner((e) => e.ts).withIdleness(idleMs);
  const a = env.fromSource(scripted('busy', busy), 'busy').setParallelism(1).assignTimestampsAndWatermarks(strategy).name('busy-ts').setParallelism(1);
  const silentSource = env.fromSource(scripted('silent', silent), 'silent').setParallelism(1);
  const b = (behind === 'filter' ? silentSource.filter((e) => e.i >= 0).name('no-noise').setParallelism(1) : silentSource)
    .assignTimestampsAndWatermarks(strategy).name('silent-ts').setParallelism(behind === 'exchange' ? 2 : 1);
  a.union(b).name('both')
    .keyBy((e) => e.key)
    .process<Out>({
      processElement(e, ctx, out) {
        ctx.timerService.registerEventTimeTimer(e.ts);
        out.collect({ kind: 'rec', src: e.src, i: e.i, ts: e.ts });
      },
      onTimer(at, ctx, out) {
        const wm = ctx.timerService.currentWatermark();
        if (at >= GO_AT && !existsSync(join(dir, 'b-go'))) writeFileSync(join(dir, 'b-go'), String(wm));
        out.collect({ kind: 'timer', key: ctx.key, at, wm });
      },
    }).name('timers')
    .collect().name('out');
});
