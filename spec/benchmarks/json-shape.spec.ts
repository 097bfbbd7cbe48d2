// Each micro-benchmark's smallest mode with --json: one JSON object on stdout, in the shared shape
// (/work/shared/benchmark-json.md: json-shape.ts), engines by the shared names, and the rows that do the same job
// on different engines agreeing on outputRows and outputChecksum. Figures are not checked (speed is measured in
// benchmarks, not in tests). The Nexmark suite has its own (nexmark/suite.it.spec.ts).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { shapeProblems } from './json-shape.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));

interface Row { benchmark: string; engine: string; outputRows: number | null; outputChecksum: string | null; [k: string]: unknown }

function runJson(script: string, args: string[]): Promise<{ machine: unknown; results: Row[] }> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', script, ...args, '--json'], { cwd: repo, maxBuffer: 1 << 24 }, (e, out, err) => {
      if (e) { reject(new Error(`${e.message}\n${err}`)); return; }
      try { resolve(JSON.parse(out) as { machine: unknown; results: Row[] }); } catch (x) { reject(new Error(`${script}: stdout is not one JSON object: ${String(x)}\n${out.slice(0, 300)}`)); }
    });
  });
}

const pairs = (rows: Row[], benchmark: string): Row[] => rows.filter((r) => r.benchmark === benchmark);

test('operators --quick: shared shape; hand-written reduce and the field aggregation agree on their output', { timeout: 60_000 }, async () => {
  const report = await runJson('benchmarks/operators.ts', ['--quick']);
  assert.deepEqual(shapeProblems(report), []);
  for (const b of ['operator.keyed-rolling.sum', 'operator.keyed-rolling.max-by']) {
    const rows = pairs(report.results, b);
    assert.equal(rows.length, 2);
    assert.equal(rows[0]!.engine, 'handwritten');
    assert.ok(rows[0]!.outputRows! > 0 && typeof rows[0]!.outputChecksum === 'string');
  }
  assert.ok(report.results.every((r) => typeof r.variant === 'string'), 'every row says what it runs');
});

test('codecs --quick: shared shape; every codec decodes the batch back to the same bids', { timeout: 60_000 }, async () => {
  const report = await runJson('benchmarks/codecs.ts', ['--quick']);
  assert.deepEqual(shapeProblems(report), []);
  assert.deepEqual(new Set(report.results.map((r) => r.engine)), new Set(['sluice.typed', 'sluice.typed-exact', 'sluice.generic-codec', 'sluice.msgpackr', 'sluice.msgpackr-records', 'sluice.json']));
  assert.ok(report.results.every((r) => r.outputRows === 1024 && typeof r.codec === 'string'));
});

test('formats --quick: shared shape; the hand-written decoders, encoders and file writer give what sluice gives, field by field', { timeout: 60_000 }, async () => {
  const report = await runJson('benchmarks/formats.ts', ['--quick']);
  assert.deepEqual(shapeProblems(report), []);
  for (const b of ['format.frame.line', 'format.jsonl.decode', 'format.csv.decode', 'format.jsonl.encode', 'format.csv.encode', 'sink.file.jsonl']) {
    const rows = pairs(report.results, b);
    assert.deepEqual(rows.map((r) => r.engine), ['sluice', 'handwritten'], b);
    assert.equal(rows[0]!.outputRows, 10_000, b);
    assert.match(String(rows[0]!.outputChecksum), /^[0-9a-f]{8}$/, b);
  }
});

// Timed runs of 0.3 s, shorter than the 1 s checkpoint interval. Regression (a CI run on a loaded machine): a timed run
// that completed no checkpoint left the restore measured after it to resume from none, and the benchmark crashed.
test('checkpoint on a tiny job: shared shape; none and checkpoint-1s agree on the checked run\'s output; a timed run shorter than the interval still leaves a checkpoint to restore', { timeout: 60_000 }, async () => {
  const report = await runJson('benchmarks/checkpoint.ts', ['--quick', '--seconds', '0.3', '--keys', '20000', '--check-events', '20000']);
  assert.deepEqual(shapeProblems(report), []);
  const rows = pairs(report.results, 'checkpoint.throughput');
  assert.deepEqual(rows.map((r) => r.engine), ['sluice.none', 'sluice.checkpoint-1s']);
  assert.equal(rows[0]!.outputRows, 20_000);
  const restore = report.results.find((r) => r.benchmark === 'checkpoint.restore');
  assert.ok(restore !== undefined && typeof restore['restoreMs'] === 'number', JSON.stringify(restore));
});

// Regression: bench:async ignored --quick (five repetitions of 200,000 records), its table lacked the vs-map ratio
// its JSON had, and the first variant's first run paid the process's cold start in its figure alone.
test('async-map --quick: one short repetition, every variant warmed up first, the vs-map ratio in the table too', { timeout: 120_000 }, async () => {
  let stderr = '';
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', 'benchmarks/async-map.ts', '--quick', '--json'], { cwd: repo, maxBuffer: 1 << 24 }, (e, out, err) => {
      stderr = err;
      return e ? reject(new Error(`${e.message}\n${err}`)) : resolve(out);
    });
  });
  const report = JSON.parse(stdout) as { machine: unknown; results: Row[] };
  assert.deepEqual(shapeProblems(report), []);
  assert.equal(report.results.length, 8);
  for (const r of report.results) {
    assert.deepEqual([r.repetitions, r.count, r.warmupRuns], [1, 20_000, 1], `${r.benchmark} ${r.engine}`);
    assert.equal(r.outputRows, 20_000);
  }
  assert.match(stderr, /vs map/);
  // The table's ratio is the JSON's, rounded.
  const c16 = report.results.find((r) => r.benchmark === 'async-map.capacity-16')!;
  assert.match(stderr, new RegExp(`async-map\\.capacity-16'[^\\n]*│ +${String(Math.round((c16.vsMap as number) * 1000) / 1000).replace('.', '\\.')} +│`));
  assert.match(stderr, /--quick: one short repetition/);
});

test('cli-startup --reps 1 against this checkout: shared shape; both sides print the same for every command; the baselines on every row', { timeout: 120_000 }, async () => {
  const report = await runJson('benchmarks/cli-startup.ts', ['--reps', '1', '--against', repo]);
  assert.deepEqual(shapeProblems(report), []);
  assert.deepEqual([...new Set(report.results.map((r) => r.benchmark))], ['cli.version', 'cli.help', 'cli.run-help', 'cli.status-nodir']);
  for (const b of ['cli.version', 'cli.help', 'cli.run-help', 'cli.status-nodir']) {
    const rows = pairs(report.results, b);
    assert.deepEqual(rows.map((r) => r.engine), ['sluice', 'sluice.against'], b);
    assert.match(String(rows[0]!.outputChecksum), /^[0-9a-f]{8}$/, b);
    assert.equal(rows[0]!.outputChecksum, rows[1]!.outputChecksum, b);
    assert.ok(rows.every((r) => typeof r.nodeP50Us === 'number' && typeof r.overTsx === 'number'), b);
    assert.equal(typeof rows[0]!.againstOverSluice, 'number', b);
  }
});
