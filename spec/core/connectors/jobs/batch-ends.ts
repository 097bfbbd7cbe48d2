// A sink whose writer logs its batches (SinkWriter.batchEnd): the records written between two batch ends, and
// whether `finish` came after a batch end. ?chained=1: the sink is chained to its source (a batch is a source
// read); else a rebalance puts a ring between them (a batch is a drain of the input).
import { defineJob, generatorSource, type SinkSpec } from '../../../../core/index.js';

const q = new URL(import.meta.url).searchParams;
const n = Number(q.get('n') ?? 50_000);

export interface BatchLog { records: number[]; batches: number[]; emptyEnds: number; openAtFinish: number }

const sink: SinkSpec<number> = {
  kind: 'batch-log', fingerprint: 'batch-log',
  createWriter() {
    const log: BatchLog = { records: [], batches: [], emptyEnds: 0, openAtFinish: 0 };
    let open = 0;
    return {
      write(v) { log.records.push(v); open++; },
      batchEnd() {
        if (open === 0) log.emptyEnds++;
        else log.batches.push(open);
        open = 0;
      },
      finish: () => { log.openAtFinish = open; return [log]; },
    };
  },
};

export default defineJob((env) => {
  const numbers = env.fromSource(generatorSource({ count: n }, (i) => i)).name('numbers');
  (q.get('chained') === '1' ? numbers : numbers.rebalance()).sink(sink).name('log');
});
