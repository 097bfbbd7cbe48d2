// A generator (one subtask) keyed into a running count per key and a sink chained to it, at parallelism `p`, with
// unaligned checkpoints: the sink takes `slowMs` per record until `marker` exists, so the count's input ring and
// the generator's output gate stay full and every checkpoint holds records in flight on the keyed exchange.
// mid=1: the generator's records reach the count through a map at parallelism `p` behind a rebalance (a producer
// rescaled with the consumer, its input not keyed).
// genP=1: the generator runs at parallelism `p` too (rescaled with the rest; one split per subtask).
// files=/dir: instead of the generator, a file source of the same records (`dir`/*.jsonl), at `p` with genP=1.
//   ?n=20000&keys=97&p=2&slowMs=1&interval=100&ledger=/dir&marker=/path&mid=0|1&genP=0|1&files=/dir
import { existsSync } from 'node:fs';
import { defineJob, jsonLines } from '../../../../core/index.js';
import { beforeEachWrite, blockFor, ledgerSink } from '../ledger.js';

const q = new URL(import.meta.url).searchParams;
const n = Number(q.get('n') ?? 20_000);
const keys = Number(q.get('keys') ?? 97);
const p = Number(q.get('p') ?? 2);
const slowMs = Number(q.get('slowMs') ?? 1);
const interval = Number(q.get('interval') ?? 100);
const ledger = q.get('ledger') ?? '';
const marker = q.get('marker') ?? '';
const mid = q.get('mid') === '1';
const genP = q.get('genP') === '1' ? p : 1;
const files = q.get('files');

export interface Counted { key: string; count: number; i: number }

export default defineJob((env) => {
  env.enableCheckpointing(interval, { mode: 'unaligned' });
  const gen = (files !== null ? env.fromFiles(`${files}/*.jsonl`, jsonLines<Counted>()) : env.fromGenerator({ count: n, seed: 1 }, (i) => ({ key: `k${i % keys}`, count: 1, i })))
    .name('gen').uid('gen').setParallelism(genP);
  (mid ? gen.rebalance().map((r) => ({ ...r })).name('mid').uid('mid').setParallelism(p) : gen)
    .keyBy((r) => r.key)
    .reduce((a, b) => ({ key: a.key, count: a.count + b.count, i: b.i })).name('count').uid('count').setParallelism(p)
    // Slow until the test says so: the rings stay full.
    .sink(beforeEachWrite(ledgerSink<Counted>(ledger), 'test-slow-ledger', () => () => { if (!existsSync(marker)) blockFor(slowMs); }))
    .name('sink').uid('sink').setParallelism(p);
});
