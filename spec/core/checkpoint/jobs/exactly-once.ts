// A job for the exactly-once tests. Every record is (i, key); a keyed reduce counts records per key, so the
// updates of one key must read 1, 2, 3, ... exactly once each; the sink receives every update (with the i of the
// record that caused it), so the test can count lost, duplicated and unexpected records.
//   ?n=200000&keys=1000&rate=0&interval=50&failAt=-1&marker=/path&crash=throw|exit
import { existsSync, writeFileSync } from 'node:fs';
import { defineJob } from '../../../../core/index.js';

const q = new URL(import.meta.url).searchParams;
const n = Number(q.get('n') ?? 200_000);
const keys = Number(q.get('keys') ?? 1000);
const rate = Number(q.get('rate') ?? 0);
const interval = Number(q.get('interval') ?? 50);
/** Comma-separated record indices at which to fail, each once (a marker file per index remembers it failed). */
const failAt = (q.get('failAt') ?? '').split(',').filter((x) => x !== '').map(Number);
const marker = q.get('marker') ?? '';
const crash = q.get('crash') ?? 'throw';

export interface Update { key: string; count: number; i: number }

export default defineJob((env) => {
  if (interval > 0) env.enableCheckpointing(interval);
  env.fromGenerator({ count: n, seed: 7, ...(rate > 0 ? { ratePerSec: rate } : {}) }, (i, r) => ({ i, key: `k${r.int(keys)}` })).name('gen').uid('gen')
    .map((e: { i: number; key: string }) => {
      if (failAt.includes(e.i) && marker !== '' && !existsSync(`${marker}.${e.i}`)) {
        writeFileSync(`${marker}.${e.i}`, 'failed once');
        if (crash === 'exit') process.exit(3);
        throw new Error(`injected failure at record ${e.i}`);
      }
      return { key: e.key, count: 1, i: e.i } as Update;
    }).name('inject').uid('inject')
    .keyBy((u) => u.key)
    .reduce((a, b) => ({ key: a.key, count: a.count + b.count, i: b.i })).name('count').uid('count')
    .collect().name('out').uid('out');
});
