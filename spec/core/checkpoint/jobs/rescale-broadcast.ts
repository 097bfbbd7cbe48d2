// Rules broadcast into a keyed process function at parallelism `p` beside a stream of events; the function
// records each rule in broadcast state and emits it with the state's size after it ('l'), and each event ('e').
// Unaligned checkpoints; the sink (chained: its subtask is the function's) takes 1 ms per record until `marker`
// exists, so both inputs, the broadcast one included, hold records in flight at checkpoints.
//   ?n=6000&m=400&p=3&ledger=/dir&marker=/path
import { existsSync } from 'node:fs';
import { defineJob, MapStateDescriptor } from '../../../../core/index.js';
import { beforeEachWrite, blockFor, ledgerSink } from '../ledger.js';

const q = new URL(import.meta.url).searchParams;
const n = Number(q.get('n') ?? 6000);
const m = Number(q.get('m') ?? 400);
const p = Number(q.get('p') ?? 3);
const ledger = q.get('ledger') ?? '';
const marker = q.get('marker') ?? '';

/** A rule `id` seen by subtask `sub`, its broadcast state then `size` rules large; or an event `id`. */
export interface Seen { kind: 'l' | 'e'; id: number; sub: number; size: number }
const RULES = new MapStateDescriptor<number, number>('rules');

export default defineJob((env) => {
  env.enableCheckpointing(100, { mode: 'unaligned' });
  const rules = env.fromGenerator({ count: m, seed: 5 }, (j) => j).name('rules').uid('rules').setParallelism(1).broadcast(RULES);
  env.fromGenerator({ count: n, seed: 3 }, (i) => i).name('events').uid('events').setParallelism(1)
    .keyBy((i) => i % 101)
    .connect(rules)
    .process<Seen>({
      processElement(i, ctx, out) { out.collect({ kind: 'e', id: i, sub: ctx.subtask, size: ctx.getBroadcastState(RULES).size }); },
      processBroadcastElement(j, ctx, out) {
        const state = ctx.getBroadcastState(RULES);
        state.put(j, j);
        out.collect({ kind: 'l', id: j, sub: ctx.subtask, size: state.size });
      },
    }).name('apply').uid('apply').setParallelism(p)
    .sink(beforeEachWrite(ledgerSink<Seen>(ledger), 'test-slow-ledger', () => () => { if (!existsSync(marker)) blockFor(1); }))
    .name('sink').uid('sink').setParallelism(p);
});
