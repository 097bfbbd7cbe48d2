// A job for the runtime tests, parameterised by its module URL's query (every thread loads the same URL):
//   ?kind=wordcount|sum&keys=uniform|skewed&n=1000000&fail=-1
import { defineJob, type SinkSpec } from '../../../../core/index.js';
import { keyedRecord, words, type KeyedRecord } from './records.js';

const q = new URL(import.meta.url).searchParams;
const kind = q.get('kind') ?? 'sum';
const keys = (q.get('keys') ?? 'uniform') as 'uniform' | 'skewed';
const n = Number(q.get('n') ?? 1_000_000);
const fail = Number(q.get('fail') ?? -1);

/**
 * Keeps the last value per key and counts updates; for counts, also the updates that did not follow 1, 2, 3, ...
 * Returns one summary per subtask instead of every update, so the test does not ship millions of records.
 */
function lastPerKey<T>(key: (v: T) => string, value: (v: T) => number, sequence: boolean): SinkSpec<T> {
  return {
    kind: 'test-last-per-key',
    fingerprint: `test-last-per-key(${sequence})`,
    createWriter() {
      const last = new Map<string, number>();
      let updates = 0;
      let breaks = 0;
      return {
        write(v) {
          const k = key(v);
          const x = value(v);
          if (sequence && x !== (last.get(k) ?? 0) + 1) breaks++;
          last.set(k, x);
          updates++;
        },
        finish: () => [{ updates, breaks, last: [...last] }],
      };
    },
  };
}

export default defineJob((env) => {
  const src = env.fromGenerator({ count: n, seed: 42 }, (i, r) => keyedRecord(i, r, keys)).name('generator');
  const checked = src.map((x: KeyedRecord) => {
    if (x.i === fail) throw new Error(`boom at event ${x.i}`);
    return x;
  }).name('explode');
  if (kind === 'wordcount') {
    checked.flatMap((x) => words(x))
      .name('split')
      .map((w) => ({ word: w, count: 1 }))
      .name('pair')
      .keyBy((p) => p.word)
      .reduce((a, b) => ({ word: a.word, count: a.count + b.count }))
      .name('count')
      .sink(lastPerKey((x) => x.word, (x) => x.count, true))
      .name('out');
  } else {
    checked.filter((x) => x.value !== 0)
      .name('nonzero')
      .keyBy((x) => x.key)
      .reduce((a, b) => ({ ...a, value: a.value + b.value }))
      .name('sum')
      .map((x) => ({ key: x.key, sum: x.value }))
      .name('project')
      .sink(lastPerKey((x) => x.key, (x) => x.sum, false))
      .name('out');
  }
});
