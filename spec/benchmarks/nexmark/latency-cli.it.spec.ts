// `npm run bench:nexmark:latency` run alone: its table shows what its JSON row has beyond the common columns (the
// suite prints its own latency table; this one is the command's). Figures are not checked.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { shapeProblems } from '../json-shape.js';

const repo = fileURLToPath(new URL('../../../', import.meta.url));

// Regression: the table had p50 and p99 only; offered, achieved and p99.9 were in the JSON alone.
test('latency.ts alone: the table shows p99.9, max, the offered and achieved rates and whether it kept up', { timeout: 120_000 }, async () => {
  let stderr = '';
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', 'benchmarks/nexmark/latency.ts', '--query', 'q1', '--rate', '20000', '--seconds', '2', '--warmup-ms', '500', '--json'],
      { cwd: repo, maxBuffer: 1 << 24 }, (e, out, err) => { stderr = err; return e ? reject(new Error(`${e.message}\n${err}`)) : resolve(out); });
  });
  const report = JSON.parse(stdout) as { results: Record<string, unknown>[] };
  assert.deepEqual(shapeProblems(report), []);
  const row = report.results[0]!;
  const header = stderr.split('\n').find((l) => l.includes('benchmark') && l.includes('engine'));
  assert.ok(header !== undefined, stderr);
  for (const column of ['p50 µs', 'p99 µs', 'p99.9 µs', 'max µs', 'offered/s', 'achieved/s', 'kept']) assert.ok(header.includes(column), `no '${column}' in: ${header}`);
  const line = stderr.split('\n').find((l) => l.includes("'nexmark.q1.latency'"))!;
  for (const k of ['offeredPerSec', 'achievedPerSec', 'p999Us']) assert.ok(line.includes(String(row[k])), `${k} ${String(row[k])} not in: ${line}`);
});
