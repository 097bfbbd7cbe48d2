// An unkeyed connect(...).map / flatMap takes name, parallelism and error policy on what it returns: onError there
// was refused naming an internal union ('union-4' ... runs no user function), so a throw failed the job whatever
// the user wanted, and name()/setParallelism() went to a union that runs nothing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { run, OperatorError, type DeadLetter, type JobMetrics } from '../../../core/index.js';
import { N } from './jobs/co-map-errors.js';

function job(policy: string): URL {
  const u = new URL('./jobs/co-map-errors.ts', import.meta.url);
  u.searchParams.set('policy', policy);
  return u;
}

function counts(m: JobMetrics, operator: string): { subtasks: number; in: number; out: number; dropped: number; dead: number } {
  const rows = m.operators.filter((o) => o.operator === operator);
  return rows.reduce((a, o) => ({ subtasks: a.subtasks + 1, in: a.in + o.recordsIn, out: a.out + o.recordsOut, dropped: a.dropped + o.dropped, dead: a.dead + o.deadLettered }), { subtasks: 0, in: 0, out: 0, dropped: 0, dead: 0 });
}

const all = Array.from({ length: N }, (_, i) => i);
const tens = all.filter((n) => n % 10 === 0);
const rest = all.filter((n) => n % 10 !== 0);
const sorted = (xs: unknown[]): string[] => xs.map(String).sort();
const byRaw = (x: DeadLetter, y: DeadLetter): number => (x.raw as number) - (y.raw as number);

test("'fail' (the default): the co-map's throw fails the job, naming its input's operator", async () => {
  const h = await run(job('fail'), { parallelism: 1 });
  await assert.rejects(h.result, (e: unknown) => e instanceof OperatorError && (e.operator === 'cm.1' || e.operator === 'cf.2')
    // What the job calls it, where onError goes (its per-input operators' names are not the job's).
    && e.message.endsWith(`.onError('drop' | 'dead-letter') on '${e.operator.slice(0, 2)}'`));
});

for (const policy of ['drop', 'dead-letter'] as const) {
  test(`'${policy}' on an unkeyed co-map and co-flatMap: both inputs' operators take it, named after it, at its parallelism`, async () => {
    const { collected, metrics } = await (await run(job(policy), { parallelism: 1 })).result;
    assert.deepEqual(sorted(collected['cm-out']!), sorted([...rest.map((n) => `1:${n}`), ...all.map((n) => `2:${n}`)]));
    assert.deepEqual(sorted(collected['cf-out']!), sorted([...all.map((n) => `1:${n}`), ...rest.map((n) => `2:${n}`)]));
    const one = (n: number): { dropped: number; dead: number } => (policy === 'drop' ? { dropped: n, dead: 0 } : { dropped: 0, dead: n });
    // setParallelism(2) on the co-map reached both of its operators; the co-flatMap runs at the job's 1.
    assert.deepEqual(counts(metrics, 'cm.1'), { subtasks: 2, in: N, out: rest.length, ...one(tens.length) });
    assert.deepEqual(counts(metrics, 'cm.2'), { subtasks: 2, in: N, out: N, dropped: 0, dead: 0 });
    assert.deepEqual(counts(metrics, 'cf.2'), { subtasks: 1, in: N, out: rest.length, ...one(tens.length) });
    if (policy === 'drop') return;
    const view = (d: DeadLetter): unknown => ({ operator: d.operator, message: d.error.message, raw: d.raw, input: d.input });
    assert.deepEqual((collected['cm-dead'] as DeadLetter[]).sort(byRaw).map(view), tens.map((n) => ({ operator: 'cm.1', message: `first ${n}`, raw: n, input: 1 })));
    const sinkName = Object.keys(collected).find((k) => !['cm-out', 'cm-dead', 'cf-out'].includes(k));
    assert.ok(sinkName !== undefined, `the dead-letter sink given to onError: ${Object.keys(collected).join(', ')}`);
    assert.deepEqual((collected[sinkName] as DeadLetter[]).sort(byRaw).map(view), tens.map((n) => ({ operator: 'cf.2', message: `second ${n}`, raw: n, input: 2 })));
  });
}
