// Two generators (one subtask each) connected and keyed by two key selectors into a running count per key at
// parallelism `p`, with a side output keyed into a second count; unaligned checkpoints, and both sinks take 1 ms per
// record until `marker` exists, so both inputs of the two-input count hold records in flight.
//   ?n=10000&keys=97&p=2&ledger=/dir&marker=/path   (ledgers: /dir-main, /dir-side)
import { existsSync } from 'node:fs';
import { defineJob, OutputTag } from '../../../../core/index.js';
import { beforeEachWrite, blockFor, ledgerSink } from '../ledger.js';
import type { Counted } from './rescale-keyed.ts';

const q = new URL(import.meta.url).searchParams;
const n = Number(q.get('n') ?? 10_000);
const keys = Number(q.get('keys') ?? 97);
const p = Number(q.get('p') ?? 2);
const ledger = q.get('ledger') ?? '';
const marker = q.get('marker') ?? '';
const SIDE = new OutputTag<Counted>('side');

const slow = (dir: string) => beforeEachWrite(ledgerSink<Counted>(dir), 'test-slow-ledger', () => () => { if (!existsSync(marker)) blockFor(1); });

export default defineJob((env) => {
  env.enableCheckpointing(100, { mode: 'unaligned' });
  const a = env.fromGenerator({ count: n, seed: 1 }, (i) => ({ key: `k${i % keys}`, i })).name('gen-a').uid('gen-a').setParallelism(1);
  const b = env.fromGenerator({ count: n, seed: 2 }, (i) => ({ k: `k${(i * 7) % keys}`, i: n + i })).name('gen-b').uid('gen-b').setParallelism(1);
  const count = (key: string, i: number, ctx: { state<S>(name: string): { value(): S | undefined; update(v: S): void } }): Counted => {
    const s = ctx.state<number>('c');
    const c = (s.value() ?? 0) + 1;
    s.update(c);
    return { key, count: c, i };
  };
  const counted = a.connect(b).keyBy((r) => r.key, (r) => r.k).process<Counted>({
    processElement1(r, ctx, out) { out.collect(count(r.key, r.i, ctx)); ctx.output(SIDE, { key: `s${r.i % 31}`, count: 1, i: r.i }); },
    processElement2(r, ctx, out) { out.collect(count(r.k, r.i, ctx)); ctx.output(SIDE, { key: `s${r.i % 31}`, count: 1, i: r.i }); },
  }).name('count').uid('count').setParallelism(p);
  counted.sink(slow(`${ledger}-main`)).name('sink').uid('sink').setParallelism(p);
  counted.getSideOutput(SIDE).keyBy((r) => r.key).reduce((x, y) => ({ key: x.key, count: x.count + y.count, i: y.i })).name('count2').uid('count2').setParallelism(p)
    .sink(slow(`${ledger}-side`)).name('sink2').uid('sink2').setParallelism(p);
});
