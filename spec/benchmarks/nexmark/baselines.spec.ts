// The baselines runner: runBaseline agrees with the oracle on every engine, and the CLI prints one JSON object
// in the house shape on stdout (tables and logs on stderr).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { nexmarkConfig } from '../../../benchmarks/nexmark/config.js';
import { inOrderEvents } from '../../../benchmarks/nexmark/generator.js';
import { oracleQ5, oracleQ8 } from '../../../benchmarks/nexmark/oracle.js';
import { ROW_HASH, foldRows } from '../../../benchmarks/nexmark/queries.js';
import { BASELINE_ENGINES, runBaseline } from '../../../benchmarks/nexmark/baselines.js';
import { hex32 } from '../../../benchmarks/job-generator.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));

test('runBaseline runs each engine to the oracle\'s totals and times it', async () => {
  const config = nexmarkConfig({ events: 4000, eventsPerSec: 200, outOfOrderGroupSize: 300 });
  const expected = foldRows(oracleQ5(inOrderEvents(config)), ROW_HASH.q5);
  for (const engine of BASELINE_ENGINES) {
    const run = await runBaseline('q5', engine, config);
    assert.deepEqual({ rows: run.rows, checksum: run.checksum }, expected, engine);
    assert.ok(run.ms > 0);
  }
});

test('the CLI prints one JSON report: a row per engine, all with the same output', () => {
  const stdout = execFileSync(process.execPath, [
    '--import', 'tsx', 'benchmarks/nexmark/baselines.ts', '--query', 'q2,q8', '--events', '3000', '--rate', '200', '--reps', '2', '--json',
  ], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const report = JSON.parse(stdout) as { machine: { cpus: number; node: string }; results: Record<string, unknown>[] };
  assert.equal(report.machine.node, process.version);
  assert.deepEqual(report.results.map((r) => [r.benchmark, r.engine]), [
    ['nexmark.q2', 'handwritten'], ['nexmark.q2', 'rxjs'], ['nexmark.q2', 'node-streams'],
    ['nexmark.q8', 'handwritten'], ['nexmark.q8', 'rxjs'], ['nexmark.q8', 'node-streams'],
  ]);
  const config = nexmarkConfig({ events: 3000, eventsPerSec: 200 });
  const q8 = foldRows(oracleQ8(inOrderEvents(config)), ROW_HASH.q8);
  for (const r of report.results) {
    assert.equal(r.parallelism, 1);
    assert.equal(r.repetitions, 2);
    assert.ok(typeof r.eventsPerSec === 'number' && r.eventsPerSec > 0);
    assert.equal(r.p50Us, null);
    assert.ok(typeof r.rssMB === 'number');
    if (r.benchmark === 'nexmark.q8') assert.deepEqual([r.outputRows, r.outputChecksum], [q8.rows, hex32(q8.checksum)]);
  }
  assert.throws(() => execFileSync(process.execPath, ['--import', 'tsx', 'benchmarks/nexmark/baselines.ts', '--query', 'q6'], { cwd: root, stdio: 'pipe' }), /unknown query 'q6'/);
});
