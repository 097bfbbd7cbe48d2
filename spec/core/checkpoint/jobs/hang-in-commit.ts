// A generator into a ledger sink whose commit of checkpoint `hangAt` publishes its transactions, then writes the
// marker file and never returns (once): a test SIGKILLs the process there, while the sinks publish a checkpoint.
// Parameters in the query string: ledger, marker, hangAt, count.
import { existsSync, renameSync, writeFileSync } from 'node:fs';
import { defineJob, type SinkSpec } from '../../../../core/index.js';
import { ledgerSink } from '../ledger.js';

const q = new URL(import.meta.url).searchParams;

function hangInCommit(inner: SinkSpec<number>, marker: string, hangAt: number): SinkSpec<number> {
  return {
    ...inner,
    kind: 'test-hang-in-commit',
    async commit(transactions) {
      await inner.commit!(transactions);
      const id = Math.max(...transactions.map((t) => t.checkpointId));
      if (id < hangAt || existsSync(marker)) return; // once: a resumed run commits on
      writeFileSync(`${marker}.tmp`, String(id)); // the checkpoint whose output is now published; renamed whole
      renameSync(`${marker}.tmp`, marker);
      await new Promise<never>(() => {}); // killed here
    },
  };
}

export default defineJob((env) => {
  env.enableCheckpointing(50);
  env.fromGenerator({ count: Number(q.get('count')), seed: 1, ratePerSec: 4000 }, (i) => i).name('gen').uid('gen')
    .sink(hangInCommit(ledgerSink(q.get('ledger')!), q.get('marker')!, Number(q.get('hangAt')))).name('out').uid('out');
});
