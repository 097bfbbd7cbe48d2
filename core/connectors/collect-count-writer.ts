// Runs on: the worker thread of each collect sink subtask, in a run with `collect: 'count'` (what `sluice run`
// does). The writer that stands in for a collect sink's own: it counts its records and hands back only the counts,
// so no record crosses to the main thread or is kept there (a caller that prints a count has no use for them).

import type { SinkWriter } from './sink.js';

/**
 * Counts records: each transaction (with checkpoints), the end and a cancel's handover are the number of records
 * written since the last one, which the collect sink on the main thread adds up (CollectSinkSpec.countOnly).
 */
export function countingWriter(): SinkWriter<unknown> {
  let n = 0;
  const take = (): number => {
    const t = n;
    n = 0;
    return t;
  };
  return {
    write: () => { n++; },
    prepareCommit: take,
    finish: take,
    stopped: take,
  };
}
