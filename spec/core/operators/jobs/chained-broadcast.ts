// A plain stream's broadcast process operator chained behind its source (readings), with its broadcast input
// (limits) from a second, slower source. Every reading and every limit goes out of the operator (a limit once per
// instance), to a collect sink for a Jepsen-style count and to event-time windows that count them per kind: a
// limit is late for its window unless the operator holds event time back to the slower of its two inputs.
//   ?n=20000&m=100&rate=20000&limitRate=100&window=1000&interval=0&failAt=i,j&marker=/path&holdAt=i&held=/path&ended=/path
// failAt: reading indices at which the worker thread exits (process.exit), each once (marker files remember).
// holdAt/held: readings from holdAt on wait until the file `held` exists. ended: each limits reader writes
// `${ended}.${n}` (n: 0, 1, ... in the order they end) when its input has ended.
import { existsSync, writeFileSync } from 'node:fs';
import { defineJob, generatorSource, MapStateDescriptor, SOURCE_END, TumblingEventTimeWindows, WatermarkStrategy, type SourceSpec } from '../../../../core/index.js';
import { heldFrom } from '../../../support/held-source.js';

const q = new URL(import.meta.url).searchParams;
const n = Number(q.get('n') ?? 20_000);
const m = Number(q.get('m') ?? 100);
const rate = Number(q.get('rate') ?? 0);
const limitRate = Number(q.get('limitRate') ?? 100);
const windowMs = Number(q.get('window') ?? 1000);
const interval = Number(q.get('interval') ?? 0);
const failAt = (q.get('failAt') ?? '').split(',').filter((x) => x !== '').map(Number);
const marker = q.get('marker') ?? '';
const holdAt = Number(q.get('holdAt') ?? Infinity);
const held = q.get('held') ?? '';
const ended = q.get('ended') ?? '';

/** The spec's limits source, marking each reader's end in a file of its own when `ended` is given. */
function endMarked<T>(spec: SourceSpec<T>): SourceSpec<T> {
  if (ended === '') return spec;
  return {
    ...spec,
    createReader(...args) {
      const reader = spec.createReader(...args);
      const read = reader.read.bind(reader);
      reader.read = (emit, max, invalid) => {
        const status = read(emit, max, invalid);
        // The first free number: readers on other threads end at the same time, and 'wx' fails on a taken one.
        if (status === SOURCE_END) {
          for (let i = 0; ; i++) {
            try { writeFileSync(`${ended}.${i}`, 'ended', { flag: 'wx' }); break; } catch (e) { if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e; }
          }
        }
        return status;
      };
      return reader;
    },
  };
}

export interface Reading { i: number; sensor: number; ts: number }
export interface Limit { j: number; sensor: number; ts: number }
/** What the operator emits: a reading ('r', its index) or a limit seen by instance `sub` ('l', its index). */
export interface Out { kind: 'r' | 'l'; id: number; sub: number; over: boolean }

export interface PerKind { kind: 'r' | 'l'; count: number }

const LIMITS = new MapStateDescriptor<number, number>('limits');

export default defineJob((env) => {
  if (interval > 0) env.enableCheckpointing(interval);
  const limits = env.fromSource(endMarked(generatorSource({ count: m, seed: 5, ratePerSec: limitRate }, (j): Limit => ({ j, sensor: j % 7, ts: Math.floor((j * n) / m) }))), 'limits')
    .name('limits').uid('limits')
    .assignTimestampsAndWatermarks(WatermarkStrategy.forMonotonousTimestamps<Limit>().withTimestampAssigner((l) => l.ts)).name('limit-times').uid('limit-times')
    .broadcast(LIMITS);
  const readings = env.fromSource(heldFrom(generatorSource({ count: n, seed: 3, ...(rate > 0 ? { ratePerSec: rate } : {}) }, (i): Reading => ({ i, sensor: i % 7, ts: i })), [[holdAt, held]]), 'readings')
    .name('readings').uid('readings')
    .assignTimestampsAndWatermarks(WatermarkStrategy.forMonotonousTimestamps<Reading>().withTimestampAssigner((r) => r.ts)).name('times').uid('times')
    .map((r) => {
      if (failAt.includes(r.i) && marker !== '' && !existsSync(`${marker}.${r.i}`)) {
        writeFileSync(`${marker}.${r.i}`, 'failed once');
        process.exit(3);
      }
      return r;
    }).name('inject').uid('inject');
  const checked = readings.connect(limits).process<Out>({
      processElement(r, ctx, out) {
        const limit = ctx.getBroadcastState(LIMITS).get(r.sensor);
        out.collect({ kind: 'r', id: r.i, sub: ctx.subtask, over: limit !== undefined && r.i % 100 > limit });
      },
      processBroadcastElement(l, ctx, out) {
        ctx.getBroadcastState(LIMITS).put(l.sensor, l.j % 100);
        out.collect({ kind: 'l', id: l.j, sub: ctx.subtask, over: false });
      },
  }).name('check').uid('check');
  checked.collect().name('out').uid('out');
  checked.keyBy((o) => o.kind).window(TumblingEventTimeWindows.of(windowMs)).aggregate<PerKind, PerKind>({
    createAccumulator: () => ({ kind: 'r', count: 0 }),
    add: (o, acc) => ({ kind: o.kind, count: acc.count + 1 }),
    getResult: (acc) => acc,
    merge: (a, b) => ({ kind: a.count > 0 ? a.kind : b.kind, count: a.count + b.count }),
  }).name('per-window').uid('per-window').collect().name('counts').uid('counts');
});
