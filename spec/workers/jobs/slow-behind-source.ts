// A generator of `n` records whose chained map costs `ms` a record (a blocked thread: user code that computes),
// into a ledger sink (one file per committed transaction), so a test can see which checkpoints carried records.
//   ?n=200&ms=10&ledger=/dir
import { defineJob } from '../../../core/index.js';
import { blockFor, ledgerSink } from '../../core/checkpoint/ledger.js';

const q = new URL(import.meta.url).searchParams;
const n = Number(q.get('n') ?? 200);
const ms = Number(q.get('ms') ?? 10);
const ledger = q.get('ledger') ?? '';

export default defineJob((env) => {
  env.fromGenerator({ count: n, seed: 1 }, (i) => i).name('gen')
    .map((i) => { blockFor(ms); return i; }).name('slow')
    .sink(ledgerSink<number>(ledger)).name('out');
});
