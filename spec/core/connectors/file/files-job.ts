// The file specs' whole-job helpers: the spec job (jobs/files.ts) with its query, numbered JSON lines, and a run
// driven in stages by its ledger.

import type { TestContext } from 'node:test';
import { run, type JobHandle, type RunOptions } from '../../../../core/index.js';
import { ledgerCounter } from '../../checkpoint/ledger.js';
import { endsWithTest } from '../../../support/ends-with-test.js';

/** jobs/files.ts with `params` as its query. */
export function filesJob(params: Record<string, string | number>): URL {
  const u = new URL('./jobs/files.ts', import.meta.url);
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, String(v));
  return u;
}

/** JSON lines `{"i":n}` for n in [from, to). */
export const numberedLines = (from: number, to: number): string => Array.from({ length: to - from }, (_, j) => `${JSON.stringify({ i: from + j })}\n`).join('');

/** Runs `steps` in turn, each once the ledger holds its count (checked at every checkpoint); resolves after the last. The job ends with test `t`. */
export async function runStages(t: TestContext, url: URL, ledger: string, steps: readonly [number, () => void][], options: RunOptions): Promise<{ h: JobHandle; warnings: string[] }> {
  const count = ledgerCounter(ledger);
  const warnings: string[] = [];
  let next = 0;
  let done!: () => void;
  const finished = new Promise<void>((r) => { done = r; });
  const h = endsWithTest(t, await run(url, {
    ...options,
    onWarning: (m) => { warnings.push(m); options.onWarning?.(m); },
    onCheckpoint: () => {
      const seen = count();
      while (next < steps.length && seen >= steps[next]![0]) steps[next++]![1]();
      if (next === steps.length) done();
    },
  }));
  await Promise.race([finished, h.result]);
  return { h, warnings };
}
