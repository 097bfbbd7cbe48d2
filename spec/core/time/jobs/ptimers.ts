// Processing-time timers through checkpoints: every record registers a processing-time timer `delay` ms ahead
// (records of a key in one ms share it), whose firing emits the ids that asked for it. The source holds its last
// end back until `release` exists, so the job does not end (and drop pending processing-time timers) first.
//   ?n=200&keys=5&delay=50&p=2&interval=10&ledger=/dir&failAt=i&marker=/path&checkpointed=/path&release=/path&holdAt=i&held=/path
import { existsSync, writeFileSync } from 'node:fs';
import { defineJob, generatorSource } from '../../../../core/index.js';
import { ledgerSink } from '../../checkpoint/ledger.js';
import { heldFrom } from '../../../support/held-source.js';

const q = new URL(import.meta.url).searchParams;
const num = (k: string, d: number): number => Number(q.get(k) ?? d);
const n = num('n', 200);
const keys = num('keys', 5);
const delay = num('delay', 50);
const failAt = num('failAt', -1);
const marker = q.get('marker') ?? '';
const checkpointed = q.get('checkpointed') ?? '';
const rate = num('rate', 2000);


export default defineJob((env) => {
  env.setParallelism(num('p', 2));
  env.enableCheckpointing(num('interval', 10));
  const holds: [number, string][] = [[n, q.get('release') ?? ''], [failAt, checkpointed], [num('holdAt', -1), q.get('held') ?? '']];
  env.fromSource(heldFrom(generatorSource({ count: n, seed: 1, ratePerSec: rate }, (i) => ({ id: i, key: `k${i % keys}` })), holds), 'events')
    .uid('events').setParallelism(1)
    .map((e) => {
      if (e.id === failAt && !existsSync(marker) && existsSync(checkpointed)) {
        writeFileSync(marker, '');
        throw new Error(`injected failure at ${e.id}`);
      }
      return e;
    }).name('inject').uid('inject').setParallelism(1)
    .keyBy((e) => e.key)
    .process<[string, number[]]>({
      processElement(e, ctx) {
        const t = ctx.timerService.currentProcessingTime() + delay;
        const m = ctx.mapState<number, number[]>('at');
        m.put(t, [...(m.get(t) ?? []), e.id]);
        ctx.timerService.registerProcessingTimeTimer(t);
      },
      onTimer(t, ctx, out) {
        const m = ctx.mapState<number, number[]>('at');
        out.collect([ctx.key, m.get(t) ?? []]);
        m.remove(t);
      },
    }).name('ptimers').uid('ptimers')
    .sink(ledgerSink(q.get('ledger')!)).name('ledger').uid('ledger');
});
