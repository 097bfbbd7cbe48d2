// A generator into a ledger sink whose commit of checkpoint `hangAt` publishes its transactions, writes the marker
// file `hung` and waits until the file `release` exists (once). Meanwhile a map fails the attempt (once: it writes
// `failed` first). The restarted attempt's map writes `overlap` if it sees a record before the hung commit
// returned (the file `returned`): a restart that publishes the same checkpoint beside a commit still running.
// Parameters in the query string: ledger, dir (of the marker files), hangAt, count.
import { existsSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { defineJob, type SinkSpec } from '../../../../core/index.js';
import { ledgerSink } from '../ledger.js';
import { fileAppears } from '../../../support/file-appears.js';

const q = new URL(import.meta.url).searchParams;
const dir = q.get('dir')!;
const file = (name: string): string => path.join(dir, name);

function mark(name: string): void {
  writeFileSync(`${file(name)}.tmp`, '');
  renameSync(`${file(name)}.tmp`, file(name));
}

function hangUntilReleased(inner: SinkSpec<number>, hangAt: number): SinkSpec<number> {
  return {
    ...inner,
    kind: 'test-hang-until-released',
    async commit(transactions) {
      await inner.commit!(transactions);
      if (Math.max(...transactions.map((t) => t.checkpointId)) < hangAt || existsSync(file('hung'))) return;
      mark('hung');
      await fileAppears(file('release'));
      mark('returned');
    },
  };
}

export default defineJob((env) => {
  env.enableCheckpointing(50);
  env.fromGenerator({ count: Number(q.get('count')), seed: 1, ratePerSec: 4000 }, (i) => i).name('gen').uid('gen')
    .map((x) => {
      if (existsSync(file('failed'))) {
        if (!existsSync(file('returned'))) mark('overlap');
      } else if (existsSync(file('hung'))) {
        mark('failed');
        throw new Error('fails while a sink commit hangs');
      }
      return x;
    }).name('check').uid('check')
    .sink(hangUntilReleased(ledgerSink(q.get('ledger')!), Number(q.get('hangAt')))).name('out').uid('out');
});
