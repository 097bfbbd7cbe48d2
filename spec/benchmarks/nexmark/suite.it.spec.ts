// The Nexmark suite's command line on a tiny stream: one JSON object on stdout in the shared shape, a row per
// query, engine and parallelism with the same output everywhere, and per-core figures over the threads a job ran
// on. Figures themselves are not checked (speed is measured in benchmarks, not in tests).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { shapeProblems } from '../json-shape.js';

const repo = fileURLToPath(new URL('../../../', import.meta.url));

interface Row {
  benchmark: string; engine: string; parallelism: number; repetitions: number; eventsPerSec: number; eventsPerSecPerCore: number;
  threads: number; rssWithKeptThreads: boolean; threadStart: 'fresh' | 'kept' | null; warmupRuns: number; outputRows: number; outputChecksum: string; p50Us: null; p99Us: null; rssMB: number;
}

test('npm run bench -- --json on q0 and q4: the shared JSON shape, every engine, per core over the threads used', { timeout: 120_000 }, async () => {
  let stderr = '';
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', 'benchmarks/nexmark/suite.ts', '--quick', '--json', '--events', '2000', '--reps', '1', '--queries', 'q0,q4', '--no-latency'],
      { cwd: repo, maxBuffer: 1 << 24 }, (e, out, err) => { stderr = err; return e ? reject(new Error(`${e.message}\n${err}`)) : resolve(out); });
  });
  // A quick run printed its bars' verdicts, all FAIL on start-up-dominated runs, which read as broken.
  assert.match(stderr, /^n\/a {2}nexmark\.q0 sluice p2 \/ rxjs = /m);
  assert.doesNotMatch(stderr, /^(PASS|FAIL) /m);
  assert.match(stderr, /process rss MB/);
  assert.match(stderr, /^process rss MB: the whole process's peak RSS during the run/m);
  const report = JSON.parse(stdout) as { machine: { cpus: number; node: string; model: string }; results: Row[] };
  assert.deepEqual(shapeProblems(report), []);
  assert.equal(report.machine.cpus, os.availableParallelism());
  const engines = ['sluice/1', 'sluice/2', 'sluice.checkpoint-1s/2', 'handwritten/1', 'rxjs/1', 'node-streams/1'];
  for (const q of ['q0', 'q4']) {
    const rows = report.results.filter((r) => r.benchmark === `nexmark.${q}`);
    assert.deepEqual(rows.map((r) => `${r.engine}/${r.parallelism}`), engines);
    for (const r of rows) {
      assert.equal(r.repetitions, 1);
      assert.ok(r.eventsPerSec > 0 && r.rssMB > 0);
      assert.equal(r.p50Us, null);
      assert.deepEqual([r.outputRows, r.outputChecksum], [rows[0]!.outputRows, rows[0]!.outputChecksum], `${r.engine} p${r.parallelism}: same output`);
      // Regression: per core divided by the parallelism, though q3-q8 at parallelism 1 run on two threads.
      const perCore = r.eventsPerSec / Math.min(r.threads, report.machine.cpus);
      assert.ok(Math.abs(r.eventsPerSecPerCore - perCore) <= 1, `${q} ${r.engine} p${r.parallelism}: ${r.eventsPerSecPerCore} per core, ${perCore} expected (both rounded)`);
      // The quick mode's conditions, the same for every row (regression: sluice.checkpoint-1s p2 took the threads
      // plain sluice p2 had just started, and looked 2x faster): no warm-up, fresh threads for every sluice run.
      assert.equal(r.rssWithKeptThreads, false);
      assert.equal(r.warmupRuns, 0);
      // Regression: the rss column read as each engine's own; it is the process's, which grows run to run.
      assert.equal((r as Row & { rssScope?: string }).rssScope, 'process');
      assert.equal(r.threadStart, r.engine.startsWith('sluice') ? 'fresh' : null);
    }
    const p1 = rows.find((r) => r.engine === 'sluice' && r.parallelism === 1)!;
    assert.equal(p1.threads, q === 'q4' ? 2 : 1, `${q} at parallelism 1: threads`);
  }
});

test('--warm-threads: every engine runs the query once unmeasured first, and every sluice row says it took kept threads', { timeout: 120_000 }, async () => {
  let stderr = '';
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', 'benchmarks/nexmark/suite.ts', '--quick', '--warm-threads', '--json', '--events', '2000', '--reps', '1', '--queries', 'q0', '--no-latency'],
      { cwd: repo, maxBuffer: 1 << 24 }, (e, out, err) => { stderr = err; return e ? reject(new Error(`${e.message}\n${err}`)) : resolve(out); });
  });
  const report = JSON.parse(stdout) as { results: Row[] };
  assert.deepEqual(shapeProblems(report), []);
  const rows = report.results;
  assert.equal(rows.length, 6);
  for (const r of rows) {
    assert.match(stderr, new RegExp(`^warm-up nexmark\\.q0 ${r.engine.replace('.', '\\.')} p${r.parallelism}: `, 'm'));
    assert.equal(r.warmupRuns, 1);
    assert.equal(r.threadStart, r.engine.startsWith('sluice') ? 'kept' : null);
    assert.equal(r.rssWithKeptThreads, !r.engine.startsWith('sluice'));
  }
});

test('q1 latency: sluice\'s row, then the hand-written one at the same load with the same output; the bar on sluice\'s, the floor beside it', { timeout: 120_000 }, async () => {
  let stderr = '';
  const stdout = await new Promise<string>((resolve, reject) => {
    // A fixed low rate, 2 s (the quick warm-up is 1 s: the second is measured).
    execFile(process.execPath, ['--import', 'tsx', 'benchmarks/nexmark/suite.ts', '--quick', '--json', '--events', '2000', '--reps', '1', '--queries', 'q1', '--latency-seconds', '2', '--latency-rate', '100000'],
      { cwd: repo, maxBuffer: 1 << 24 }, (e, out, err) => { stderr = err; return e ? reject(new Error(`${e.message}\n${err}`)) : resolve(out); });
  });
  const report = JSON.parse(stdout) as { results: (Row & Record<string, unknown>)[] };
  // Checks too that rows of one benchmark on several engines carry the same output.
  assert.deepEqual(shapeProblems(report), []);
  const rows = report.results.filter((r) => r.benchmark === 'nexmark.q1.latency');
  assert.deepEqual(rows.map((r) => r.engine), ['sluice', 'handwritten']);
  const [s, h] = rows as [Row & Record<string, unknown>, Row & Record<string, unknown>];
  assert.deepEqual(Object.keys(h), Object.keys(s));
  for (const k of ['parallelism', 'offeredPerSec', 'events', 'outputRows', 'outputChecksum', 'offeredBasis', 'mode']) assert.deepEqual(h[k], s[k], k);
  assert.deepEqual([s.parallelism, s.offeredPerSec, s.events, s.offeredBasis], [2, 100_000, 200_000, '--latency-rate']);
  for (const r of rows) {
    for (const k of ['p50Us', 'p99Us', 'p999Us', 'maxUs', 'achievedPerSec']) assert.equal(typeof r[k], 'number', `${r.engine} ${k}`);
    assert.equal((r.measured as number) + (r.unmeasuredWarmup as number), r.outputRows);
  }
  // The bar line is sluice's; the hand-written p99 follows it as information, not as a second bar.
  assert.match(stderr, /^n\/a {2}nexmark\.q1\.latency p99 = [\d,]+ µs <= 5,000 µs at 100,000 events\/s\ninfo nexmark\.q1\.latency handwritten p99 = [\d,]+ µs: the machine's floor at 100,000 events\/s /m);
  assert.equal(stderr.match(/nexmark\.q1\.latency p99 = /g)?.length, 1);
  assert.doesNotMatch(stderr, /OUTPUT MISMATCH/);
});
