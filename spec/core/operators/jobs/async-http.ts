// Jobs for the async I/O tests against the HTTP server the test runs on loopback (`port`). Each request asks
// for `/<kind>?id=<i>`; the server answers `r<i>` (held, delayed or never, as the test's server decides).
//   ?case=order&port=P&n=200&capacity=10     one source, an ordered and an unordered asyncMap
//   ?case=timeouts&port=P
//   ?case=restore&port=P&n=3000&failAt=1500&marker=/path&ledger=/dir
import { existsSync, writeFileSync } from 'node:fs';
import { DEAD_LETTERS, defineJob } from '../../../../core/index.js';
import { ledgerSink } from '../../checkpoint/ledger.js';

const q = new URL(import.meta.url).searchParams;
const c = q.get('case') ?? 'order';
const port = Number(q.get('port'));
const n = Number(q.get('n') ?? 200);

async function get(path: string, signal: AbortSignal): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { signal });
  const body = await res.text();
  if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${body}`);
  return body;
}

export default defineJob((env) => {
  const ids = Array.from({ length: n }, (_, i) => i);
  if (c === 'order') {
    const capacity = Number(q.get('capacity') ?? 10);
    const src = env.fromCollection(ids).name('ids');
    for (const ordered of [true, false]) {
      const kind = ordered ? 'ordered' : 'unordered';
      src.asyncMap((i, signal) => get(`/batch-${kind}?id=${i}`, signal), { ordered, capacity }).name(`lookup-${kind}`).collect().name(`out-${kind}`);
    }
  } else if (c === 'timeouts') {
    // Every fifth id is never answered; the others are answered at once, without the server: through it, a loaded
    // machine answered some later than the timeout, and the test's premise (only those time out) failed.
    const lookup = (i: number, signal: AbortSignal): Promise<string> => (i % 5 === 0 ? get(`/never?id=${i}`, signal) : Promise.resolve(`r${i}`));
    const src = env.fromCollection(ids).name('ids');
    src.asyncMap(lookup, { timeoutMs: 1000, onTimeout: 'drop' }).name('dropping').collect().name('dropped-out');
    const dl = src.rebalance().asyncMap(lookup, { timeoutMs: 1000, retries: 1, ordered: false }).name('dead-lettering').onError('dead-letter');
    dl.collect().name('dl-out');
    dl.getSideOutput(DEAD_LETTERS).collect().name('dl-dead');
  } else {
    // Exactly-once through a failure downstream of requests in flight (the server answers after a short delay).
    const marker = q.get('marker')!;
    const failAt = Number(q.get('failAt'));
    env.enableCheckpointing(20);
    env.fromGenerator({ count: n, ratePerSec: Number(q.get('rate') ?? 4000) }, (i) => i).name('gen').uid('gen')
      .asyncMap((i, signal) => get(`/slow?id=${i}`, signal).then((body) => ({ i, body })), { ordered: false, capacity: 16 }).name('lookup').uid('lookup')
      .map((r) => {
        if (r.i === failAt && !existsSync(marker)) { writeFileSync(marker, 'failed once'); throw new Error(`injected failure at ${r.i}`); }
        return r;
      }).name('inject').uid('inject')
      .sink(ledgerSink(q.get('ledger')!)).name('out').uid('out');
  }
});
