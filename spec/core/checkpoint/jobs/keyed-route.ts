// A generator keyed into a sink that notes every record reaching a subtask that does not own its key, with
// unaligned checkpoints every 50 ms: small rings keep some of the generator's output waiting in its gate.
//   ?p=1&bad=/path&n=300000
import { appendFileSync } from 'node:fs';
import { defineJob } from '../../../../core/index.js';
import { keyGroupFor, subtaskForKeyGroup } from '../../../../core/graph/key-groups.js';

const q = new URL(import.meta.url).searchParams;
const p = Number(q.get('p') ?? 1);
const bad = q.get('bad') ?? '';
const n = Number(q.get('n') ?? 300_000);

export default defineJob((env) => {
  env.enableCheckpointing(50, { mode: 'unaligned' });
  env.fromGenerator({ count: n, seed: 1 }, (i) => ({ i, k: i % 50 })).name('src').uid('src').setParallelism(1)
    .keyBy((r) => r.k)
    .sink({
      kind: 'test-route-check', fingerprint: 'test-route-check',
      createWriter(subtask, parallelism) {
        return {
          write(r: { i: number; k: number }) {
            if (subtaskForKeyGroup(keyGroupFor(r.k, 128), 128, parallelism) !== subtask) appendFileSync(bad, `${r.i} key ${r.k} at ${subtask}/${parallelism}\n`);
            const until = performance.now() + 0.01;
            while (performance.now() < until);
          },
          prepareCommit: () => undefined,
          finish: () => undefined,
        };
      },
      commit() {},
    }).name('sink').uid('sink').setParallelism(p);
});
