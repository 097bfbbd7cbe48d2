// A job for the error-policy tests: a JSON Lines source and a CSV source over files holding bad records, each
// followed by a map that throws on some records, every operator with the policy the URL names; outputs and dead
// letters are collected.
//   ?dir=/path&source=fail|drop|dead-letter&op=fail|drop|dead-letter&big=0|1&mod=10
// big=1 adds a map that turns record 7 of the JSON input into a record too large for a ring (run with a small
// ringBytes), whose policy is `op`.
import { DEAD_LETTERS, csv, defineJob, jsonLines, type ErrorPolicy } from '../../../../core/index.js';

const q = new URL(import.meta.url).searchParams;
const dir = q.get('dir')!;
const sourcePolicy = (q.get('source') ?? 'fail') as ErrorPolicy;
const opPolicy = (q.get('op') ?? 'fail') as ErrorPolicy;
const big = q.get('big') === '1';
/** 'check' throws on ids divisible by this (0: never). */
const mod = Number(q.get('mod') ?? 10);

export interface Row { id: number }

export default defineJob((env) => {
  const json = env.fromFiles(`${dir}/*.jsonl`, jsonLines<Row>()).name('json').onError(sourcePolicy);
  const csvRows = env.fromFiles(`${dir}/*.csv`, csv({ header: true })).name('csv').onError(sourcePolicy);
  const check = json.map((r) => {
    if (mod > 0 && r.id % mod === 0) throw new Error(`id ${r.id} is divisible by ${mod}`);
    return r;
  }).name('check').onError(opPolicy);
  let out = check;
  const inflate = big ? check.map((r) => (r.id === 7 ? { id: r.id, blob: 'x'.repeat(100_000) } : r)).name('inflate').onError(opPolicy) : undefined;
  if (inflate) out = inflate.rebalance().map((r) => r).name('after-inflate');
  out.collect().name('json-out');
  csvRows.map((r) => ({ id: Number(r.id), name: r.name })).name('csv-map').collect().name('csv-out');
  if (sourcePolicy === 'dead-letter') {
    json.getSideOutput(DEAD_LETTERS).collect().name('json-dead');
    csvRows.getSideOutput(DEAD_LETTERS).collect().name('csv-dead');
  }
  if (opPolicy === 'dead-letter') {
    check.getSideOutput(DEAD_LETTERS).collect().name('check-dead');
    inflate?.getSideOutput(DEAD_LETTERS).collect().name('inflate-dead');
  }
});
