// A rolling reduce whose field `v` is a string (?typed=0, state as objects) or a number in a typed state schema
// (?typed=1): a savepoint of the first does not fit the second. Unbounded: the test stops it.
import { defineJob, recordSchema } from '../../../../core/index.js';

const typed = new URL(import.meta.url).searchParams.get('typed') === '1';

interface Acc { k: number; v: string | number }

export default defineJob((env) => {
  const keyed = env.fromGenerator({ seed: 1, ratePerSec: 2000 }, (i): Acc => ({ k: i % 10, v: typed ? i : `x${i}` })).name('src').keyBy((r) => r.k);
  const last = (a: Acc, b: Acc): Acc => ({ k: a.k, v: b.v });
  (typed ? keyed.reduce(last, { stateSchema: recordSchema({ k: 'i32', v: 'i64' }) } as never) : keyed.reduce(last)).name('sum').uid('sum').collect().name('out');
});
