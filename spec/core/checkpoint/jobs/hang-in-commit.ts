// A generator into a ledger sink whose commit of checkpoint `hangAt` publishes its transactions, then writes the
// marker file and never returns (once): a test SIGKILLs the process there, or cancels the job, while the sinks
// publish a checkpoint. `hangAt=end`: the first commit holding end-of-input transactions: the final checkpoint's,
// unless a periodic checkpoint took the final states before it.
// With `armed` (a path), the first commit once that file exists hangs instead, whichever checkpoint it publishes
// (a restore's publish again); with `fail` (a path), a map fails the attempt once that file exists (once: it
// writes `<fail>.done` first); with `hold` (a path), the sink's writers finish once that file exists: the threads
// have reported their final states, and the job's end waits (periodic checkpoints hold those states meanwhile).
// Parameters in the query string: ledger, marker, hangAt, count, and optionally armed, fail and hold.
import { existsSync, renameSync, writeFileSync } from 'node:fs';
import { defineJob, type PreparedTransaction, type SinkSpec } from '../../../../core/index.js';
import { ledgerSink } from '../ledger.js';
import { fileAppears } from '../../../support/file-appears.js';

const q = new URL(import.meta.url).searchParams;
const armed = q.get('armed');
const fail = q.get('fail');
const hold = q.get('hold');

function mark(file: string, text: string): void {
  writeFileSync(`${file}.tmp`, text);
  renameSync(`${file}.tmp`, file); // whole, for a watcher
}

function hangs(transactions: PreparedTransaction[]): boolean {
  if (armed !== null) return existsSync(armed);
  if (q.get('hangAt') === 'end') return transactions.some((t) => t.checkpointId < 0);
  return Math.max(...transactions.map((t) => t.checkpointId)) >= Number(q.get('hangAt'));
}

function hangInCommit(inner: SinkSpec<number>, marker: string): SinkSpec<number> {
  return {
    ...inner,
    kind: 'test-hang-in-commit',
    createWriter(subtask, parallelism) {
      const w = inner.createWriter(subtask, parallelism);
      return hold === null ? w : { ...w, finish: () => fileAppears(hold).then(() => w.finish()) };
    },
    async commit(transactions) {
      await inner.commit!(transactions);
      if (!hangs(transactions) || existsSync(marker)) return; // once: a resumed run commits on
      mark(marker, String(Math.max(...transactions.map((t) => t.checkpointId)))); // the checkpoint now published
      await new Promise<never>(() => {}); // killed here
    },
  };
}

export default defineJob((env) => {
  env.enableCheckpointing(50);
  let records = env.fromGenerator({ count: Number(q.get('count')), seed: 1, ratePerSec: 4000 }, (i) => i).name('gen').uid('gen');
  if (fail !== null) {
    records = records.map((x) => {
      if (existsSync(fail) && !existsSync(`${fail}.done`)) {
        mark(`${fail}.done`, '');
        throw new Error('fails once told to');
      }
      return x;
    }).name('fail').uid('fail');
  }
  records.sink(hangInCommit(ledgerSink(q.get('ledger')!), q.get('marker')!)).name('out').uid('out');
});
