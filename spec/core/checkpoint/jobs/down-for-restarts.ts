// A generator into a ledger sink whose publishing service is down for its first `fails` commits that carry
// records: the first fails the running attempt, the next ones the restarts' restores (which publish the restored
// checkpoint's transactions first). Parameters in the query string: ledger, count, fails.
import { defineJob, type SinkSpec } from '../../../../core/index.js';
import { ledgerSink } from '../ledger.js';

const q = new URL(import.meta.url).searchParams;

function downAtFirst(inner: SinkSpec<number>, fails: number): SinkSpec<number> {
  let failed = 0; // commits run on the main thread, which keeps this spec across attempts
  return {
    ...inner,
    kind: 'test-down-at-first',
    async commit(transactions) {
      if (failed < fails && transactions.some((t) => (t.transaction as number[]).length > 0)) {
        failed++;
        throw new Error(`service down (commit ${failed} of ${fails} that fail)`);
      }
      await inner.commit!(transactions);
    },
  };
}

export default defineJob((env) => {
  env.enableCheckpointing(50);
  env.fromGenerator({ count: Number(q.get('count')), seed: 1, ratePerSec: 4000 }, (i) => i).name('gen').uid('gen')
    .sink(downAtFirst(ledgerSink(q.get('ledger')!), Number(q.get('fails')))).name('out').uid('out');
});
