// Error policies of two-input operators in a running job (workers, rings, parallelism 2): 'fail' fails naming the
// operator; 'drop' and 'dead-letter' keep going, JobMetrics count each rejected record once, and dead letters
// cross rings with the input they came in on.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { run, OperatorError, type DeadLetter, type JobMetrics } from '../../../core/index.js';
import { N } from './jobs/two-input-errors.js';

const JOB = new URL('./jobs/two-input-errors.ts', import.meta.url);

function job(policy: string): URL {
  const u = new URL(JOB);
  u.searchParams.set('policy', policy);
  return u;
}

function counts(m: JobMetrics, operator: string): { in: number; out: number; dropped: number; dead: number } {
  const rows = m.operators.filter((o) => o.operator === operator);
  assert.ok(rows.length > 0, `metrics of ${operator}`);
  return rows.reduce((a, o) => ({ in: a.in + o.recordsIn, out: a.out + o.recordsOut, dropped: a.dropped + o.dropped, dead: a.dead + o.deadLettered }), { in: 0, out: 0, dropped: 0, dead: 0 });
}

const all = Array.from({ length: N }, (_, i) => i);
const tens = all.filter((n) => n % 10 === 0);
const rest = all.filter((n) => n % 10 !== 0);
const sorted = (xs: unknown[]): string[] => xs.map(String).sort();

test("'fail' (the default): a throw in a two-input operator fails the job, naming it", async () => {
  const h = await run(job('fail'), { parallelism: 2 });
  await assert.rejects(h.result, (e: unknown) => e instanceof OperatorError && ['co', 'bc', 'ij', 'wj'].includes(e.operator));
});

for (const policy of ['drop', 'dead-letter'] as const) {
  test(`'${policy}': each operator's rejected records are skipped and counted once; the rest goes out`, async () => {
    const { collected, metrics } = await (await run(job(policy), { parallelism: 2 })).result;
    assert.deepEqual(sorted(collected['co-out']!), sorted([...rest.map((n) => `1:${n}`), ...all.map((n) => `2:${n}`)]));
    // Input 1's records, once each (the broadcast input only feeds the state).
    assert.deepEqual(sorted(collected['bc-out']!), sorted(all.map((n) => `e:${n}`)));
    assert.deepEqual(sorted(collected['ij-out']!), sorted(rest.map((n) => `${n}=${n}`)));
    assert.deepEqual(sorted(collected['wj-out']!), sorted(rest.map((n) => `${n}~${n}`)));
    const one = (n: number): { dropped: number; dead: number } => (policy === 'drop' ? { dropped: n, dead: 0 } : { dropped: 0, dead: n });
    // A co-map is 1:1 over both inputs: in = out + dropped + dead-lettered.
    assert.deepEqual(counts(metrics, 'co'), { in: 2 * N, out: 2 * N - tens.length, ...one(tens.length) });
    // The broadcast input reaches both subtasks: each rejects its multiples of 10.
    assert.deepEqual(counts(metrics, 'bc'), { in: N + 2 * N, out: N, ...one(2 * tens.length) });
    assert.deepEqual(counts(metrics, 'ij'), { in: 2 * N, out: rest.length, ...one(tens.length) });
    assert.deepEqual(counts(metrics, 'wj'), { in: 2 * N, out: rest.length, ...one(tens.length) });
    if (policy === 'drop') return;
    const dead = (name: string): DeadLetter[] => collected[`${name}-dead`] as DeadLetter[];
    const view = (d: DeadLetter): unknown => ({ operator: d.operator, message: d.error.message, raw: d.raw, input: d.input });
    assert.deepEqual(dead('co').map(view).sort((x, y) => ((x as { raw: number }).raw - (y as { raw: number }).raw)),
      tens.map((n) => ({ operator: 'co', message: `first ${n}`, raw: n, input: 1 })));
    assert.deepEqual(dead('bc').map(view).sort((x, y) => ((x as { raw: number }).raw - (y as { raw: number }).raw)),
      tens.flatMap((n) => [n, n]).map((n) => ({ operator: 'bc', message: `broadcast ${n}`, raw: n, input: 2 })));
    // The later of a pair's two records runs the function: either input's, as the sources' threads race.
    const either = (d: DeadLetter): unknown => ({ ...(view(d) as object), input: d.input === 1 || d.input === 2 ? 'either' : d.input });
    assert.deepEqual(dead('ij').map(either).sort((x, y) => ((x as { raw: number }).raw - (y as { raw: number }).raw)),
      tens.map((n) => ({ operator: 'ij', message: `right ${n}`, raw: n, input: 'either' })));
    assert.deepEqual(dead('wj').map(view).sort((x, y) => ((x as { raw: { key: number } }).raw.key - (y as { raw: { key: number } }).raw.key)),
      tens.map((n) => ({ operator: 'wj', message: `pair ${n}`, raw: { key: n, window: { start: n - (n % 5), end: n - (n % 5) + 5 }, left: n, right: n }, input: undefined })));
  });
}
