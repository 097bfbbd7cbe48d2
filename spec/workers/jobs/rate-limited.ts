// A generator of `n` records at `rate` records/s (all subtasks together), keyed and counted: a paced source whose
// next record is due every few µs, for the task loop's time accounting. Each reader writes
// `<dir>/read-span-<subtask>.json` as it ends: how long it read, from its first read() to the one that ended it, on
// its thread's clock (every moment of which lies within the task loop's run on that thread).
//   ?n=40000&rate=40000&dir=/tmp/x
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defineJob, generatorSource } from '../../../core/index.js';
import { SOURCE_END, type SourceSpec } from '../../../core/connectors/source.js';

const q = new URL(import.meta.url).searchParams;
const n = Number(q.get('n') ?? 40_000);
const rate = Number(q.get('rate') ?? 40_000);
const dir = q.get('dir')!;

export interface ReadSpan { firstReadAt: number; endedAt: number }

function timed<T>(spec: SourceSpec<T>): SourceSpec<T> {
  return {
    ...spec,
    createReader(subtask, parallelism, splits, context) {
      const reader = spec.createReader(subtask, parallelism, splits, context);
      const read = reader.read.bind(reader);
      let firstReadAt = NaN;
      reader.read = (emit, max, invalid) => {
        if (firstReadAt !== firstReadAt) firstReadAt = performance.now();
        const status = read(emit, max, invalid);
        if (status === SOURCE_END) writeFileSync(join(dir, `read-span-${subtask}.json`), JSON.stringify({ firstReadAt, endedAt: performance.now() } satisfies ReadSpan));
        return status;
      };
      return reader;
    },
  };
}

export default defineJob((env) => {
  env.fromSource(timed(generatorSource({ count: n, ratePerSec: rate }, (i) => ({ key: i % 16, i }))), 'paced')
    .keyBy((r) => r.key)
    .reduce((a, b) => ({ key: a.key, i: Math.max(a.i, b.i) })).name('latest')
    .discard().name('out');
});
