// Runs on: main thread (the test), spawning the real CLI (`node bin/sluice.mjs`) as child processes.
//
// The `sluice` command end to end: help, a bounded job with --json, a job that cannot run (exit 2, operator
// named), a job that fails (exit 1, operator and cause), and SIGINT / SIGTERM on an unbounded job (clean
// cancel, summary, exit 130 / 143).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const bin = path.join(repo, 'bin', 'sluice.mjs');
const api = pathToFileURL(path.join(repo, 'core', 'index.ts')).href;
const TIMEOUT = 60_000;

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI; `onStderr` sees stderr as it grows (and may signal the child). */
function sluice(args: string[], onStderr?: (text: string, child: ReturnType<typeof spawn>) => void): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; onStderr?.(stderr, child); });
    // A hung CLI must fail the test, not the suite: kill it and report what it printed.
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`sluice ${args.join(' ')} timed out; stderr:\n${stderr}`)); }, TIMEOUT - 5000);
    child.on('error', reject);
    child.on('close', (code, signal) => { clearTimeout(timer); resolve({ code, signal, stdout, stderr }); });
  });
}

// The timeout is each test's: on the suite it bounded all of them together (~17 CLI processes, each loading its
// TypeScript through tsx), and a loaded CI machine cancelled the suite at 60 s, in whichever test was running then.
describe('sluice CLI', () => {
  let dir = '';
  const job = (name: string, body: string): string => {
    const file = path.join(dir, name);
    writeFileSync(file, `import { defineJob } from '${api}';\n\nexport default defineJob((env) => {\n${body}\n});\n`);
    return file;
  };

  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-cli-'));
    // Jobs are ESM TypeScript, as in a user's project: without "type": "module" a .ts file loads as CommonJS.
    writeFileSync(path.join(dir, 'package.json'), '{ "type": "module" }\n');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('--help and run --help exit 0 and print usage', { timeout: TIMEOUT }, async () => {
    const top = await sluice(['--help']);
    assert.equal(top.code, 0, top.stderr);
    assert.match(top.stdout, /Usage: sluice/);
    assert.match(top.stdout, /\brun\b/);
    const run = await sluice(['run', '--help']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /Usage: sluice run \[options\] <job>/);
    for (const flag of ['--parallelism', '--threads', '--no-chaining', '--buffer-timeout', '--json']) assert.ok(run.stdout.includes(flag), flag);
  });

  // Regression: the CLI had no way to raise the workers' 2 GiB heap, so a job with a few million keys in state died
  // of it ("JS heap out of memory") and restarted into the same death; run() took workerHeapMb, sluice run did not.
  test('run --worker-heap-mb sets the heap limit of the worker threads', { timeout: TIMEOUT }, async () => {
    const file = job('heap.ts', `  env.fromCollection([0]).map(() => {
    const limit = v8.getHeapStatistics().heap_size_limit;
    if (!(limit > 96 * 2 ** 20 && limit < 1024 * 2 ** 20)) throw new Error(\`worker heap limit \${limit} bytes\`);
    return limit;
  }).name('limit').discard().name('out');`);
    writeFileSync(file, `import v8 from 'node:v8';\n${readFileSync(file, 'utf8')}`);
    // The limit V8 reports adds the young generation to the old one (~100 MB on Node 20, ~290 MB on Node 24): far
    // below the 2048 MB default either way.
    const r = await sluice(['run', file, '--parallelism', '1', '--worker-heap-mb', '96']);
    assert.equal(r.code, 0, r.stderr);
  });

  test('run examples/wordcount.ts --json: one JSON object on stdout with the right counts', { timeout: TIMEOUT }, async () => {
    const r = await sluice(['run', 'examples/wordcount.ts', '--json', '--parallelism', '2']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trimEnd().split('\n').length, 1, `stdout is one line: ${r.stdout}`);
    const report = JSON.parse(r.stdout) as {
      job: string; parallelism: number; durationMs: number; cancelled: boolean; eventsPerSec: number;
      operators: { operator: string; subtasks: number; recordsIn: number; recordsOut: number }[];
      tasks: { task: string; busyMs: number; backpressuredMs: number; idleMs: number }[];
      collected: Record<string, number>;
    };
    assert.equal(report.job, 'examples/wordcount.ts');
    assert.equal(report.parallelism, 2);
    assert.equal(report.cancelled, false);
    assert.ok(report.durationMs > 0 && report.eventsPerSec > 0);
    assert.deepEqual(report.collected, { out: 300_000 });
    const op = (name: string) => report.operators.find((o) => o.operator === name)!;
    assert.deepEqual(report.operators.map((o) => o.operator), ['sentences', 'split', 'pair', 'count', 'out']);
    assert.equal(op('sentences').recordsOut, 100_000);
    assert.equal(op('split').recordsOut, 300_000);
    assert.equal(op('count').recordsIn, 300_000);
    assert.equal(op('out').recordsIn, 300_000);
    assert.ok(report.operators.every((o) => o.subtasks === 2));
    // Every task handled records, so each spent some time busy.
    assert.ok(report.tasks.length >= 2 && report.tasks.every((t) => t.busyMs > 0), JSON.stringify(report.tasks));
    // The human summary goes to stderr.
    assert.match(r.stderr, /^starting: examples\/wordcount\.ts \(parallelism 2/m);
    assert.match(r.stderr, /finished after .*: 100,000 events from the sources/);
    assert.match(r.stderr, /collected: out 300,000/);
  });

  // Regression: the report gave --parallelism even when the job module set its own.
  test('run --json reports the parallelism the job runs at, when the job module sets its own', { timeout: TIMEOUT }, async () => {
    const file = job('own-parallelism.ts', `
  env.setParallelism(1);
  env.fromCollection([1, 2, 3]).name('numbers').map((x: number) => x * 2).name('doubled').collect().name('out');`);
    const r = await sluice(['run', file, '--json', '--parallelism', '2']);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as { parallelism: number; operators: { subtasks: number }[] };
    assert.equal(report.parallelism, 1);
    assert.ok(report.operators.every((o) => o.subtasks === 1));
    assert.match(r.stderr, /^starting: .*own-parallelism\.ts \(parallelism 1,/m);
  });

  test('a job that cannot run exits 2 with a one-line error naming the operator', { timeout: TIMEOUT }, async () => {
    const file = job('dangling.ts', `
  env.fromCollection([1, 2, 3]).name('numbers').map((x: number) => x * 2).name('doubled-nowhere');
  env.fromCollection([4]).name('other').discard().name('sink');`);
    const r = await sluice(['run', file]);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr.trimEnd().split('\n').length, 1, `one line: ${r.stderr}`);
    assert.match(r.stderr, /operator 'doubled-nowhere' \(map\): its output goes nowhere/);
  });

  test('a missing job file exits 2', { timeout: TIMEOUT }, async () => {
    const r = await sluice(['run', path.join(dir, 'no-such-job.ts')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no such job file/);
  });

  // Regression (review): "SyntaxError: Unexpected token ';'" then Node's loader frames, naming no file (README said
  // the stack says where); a TypeScript one gave esbuild's frames after its location.
  test('a job importing a module with a syntax error exits 1 naming that module, its line and column, in one line', { timeout: TIMEOUT }, async () => {
    writeFileSync(path.join(dir, 'bad-helper.mjs'), 'export const f = (x) => x * ;\n');
    writeFileSync(path.join(dir, 'uses-bad-helper.ts'), `import { defineJob } from ${JSON.stringify(api)};\nimport { f } from './bad-helper.mjs';\nexport default defineJob((env) => { env.fromCollection([1]).map(f).collect().name('out'); });\n`);
    const r = await sluice(['run', path.join(dir, 'uses-bad-helper.ts')]);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stderr.trimEnd().split('\n').length, 1, `one line: ${r.stderr}`);
    assert.match(r.stderr, /could not start: \/.*\/bad-helper\.mjs:1:\d+: SyntaxError: Unexpected token ';'/);
  });

  // Regression: on Node 20 the hint came last, after Node's loader stack, where a user missed it. Node 22.12
  // and later load such a job (require of an ES module).
  test('a .ts job under a CommonJS package.json: on Node 20, the hint first, then Node\'s error, in two lines', { timeout: TIMEOUT }, async () => {
    const cjs = path.join(dir, 'cjs');
    mkdirSync(cjs);
    writeFileSync(path.join(cjs, 'package.json'), '{ "name": "cjs" }\n');
    const file = path.join(cjs, 'job.ts');
    // By path, as a package import would resolve: CommonJS cannot require a file: URL.
    writeFileSync(file, `import { defineJob } from ${JSON.stringify(fileURLToPath(api))};\nexport default defineJob((env) => { env.fromCollection([1, 2]).collect().name('out'); });\n`);
    const r = await sluice(['run', file]);
    const [major, minor] = process.versions.node.split('.').map(Number) as [number, number];
    if (major > 22 || (major === 22 && minor >= 12)) {
      assert.equal(r.code, 0, r.stderr);
      return;
    }
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stderr.trimEnd().split('\n').length, 2, r.stderr);
    assert.match(r.stderr, /could not start: outside a package\.json with "type": "module", a \.ts file loads as CommonJS: .*\(npm pkg set type=module\)\nsluice: Node's error: Error: .*require\(\)/);
  });

  // Regression: a directory got Node's "Directory import ... is not supported" and a stack trace.
  test('a directory given as the job file exits 2, saying so', { timeout: TIMEOUT }, async () => {
    const r = await sluice(['run', dir]);
    assert.equal(r.code, 2);
    assert.equal(r.stderr.trimEnd().split('\n').length, 1, `one line: ${r.stderr}`);
    assert.match(r.stderr, /is a directory; give the job's module file/);
  });

  // Regression: exit 1 (a failed run) with mkdir's ENOTDIR message; status and cancel say the same path is bad usage.
  test('run --state-dir naming a file, or a path through one, exits 2 saying which is a file', { timeout: TIMEOUT }, async () => {
    const file = path.join(dir, 'not-a-dir');
    writeFileSync(file, '');
    const numbers = job('numbers.ts', `  env.fromCollection([1, 2, 3]).collect().name('out');`);
    for (const [stateDir, said] of [[file, `state directory ${file} is a file, not a directory`], [path.join(file, 'sub'), `state directory ${path.join(file, 'sub')} cannot be created: ${file} is a file, not a directory`]] as const) {
      const r = await sluice(['run', numbers, '--state-dir', stateDir]);
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.stderr.trimEnd().split('\n').length, 1, `one line: ${r.stderr}`);
      assert.ok(r.stderr.trimEnd().endsWith(said), r.stderr);
    }
  });

  // Regression: fileSink's rollBytes was checked only in each subtask's writer: the job started, restarted on it
  // until the restart strategy gave up, and exited 1 as a failed run. Refused while the job is built, it is bad usage.
  test('a connector option refused while the job is built exits 2 before anything runs, the stack saying where', { timeout: TIMEOUT }, async () => {
    const out = path.join(dir, 'roll-out');
    const file = job('bad-roll.ts', `  env.fromCollection([1, 2, 3]).sink(fileSink({ dir: ${JSON.stringify(out)}, format: jsonLines(), rollBytes: '1000' as unknown as number })).name('files');`)
    writeFileSync(file, readFileSync(file, 'utf8').replace('import { defineJob }', 'import { defineJob, fileSink, jsonLines }'));
    const r = await sluice(['run', file, '--state-dir', path.join(dir, 'roll-state'), '--checkpoint-interval', '100']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /could not start:\nConnectorOptionError: fileSink: rollBytes must be a number >= 1, got the string "1000"\n/);
    assert.match(r.stderr, /bad-roll\.ts:\d+/, 'the stack names the job file');
    assert.doesNotMatch(r.stderr, /restart|starting:/);
  });

  test('a failing job exits 1 naming the operator, the subtask and the cause with its stack', { timeout: TIMEOUT }, async () => {
    const file = job('explodes.ts', `
  env.fromCollection([1, 2, 3]).name('numbers')
    .map((x: number) => { if (x === 2) throw new RangeError('two is not allowed'); return x; }).name('explode')
    .collect().name('out');`);
    // Parallelism 1: the failing record's subtask is then known.
    const r = await sluice(['run', file, '--json', '--parallelism', '1']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /OperatorError: operator 'explode' \(subtask 0\) failed: two is not allowed/);
    // The cause's type (regression: it came back from the worker as a plain Error).
    assert.match(r.stderr, /cause: {4}RangeError: two is not allowed/);
    const withLog = await sluice(['run', file, '--parallelism', '1', '--log-level', 'error']);
    const failed = withLog.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { event?: string; err?: { message: string; cause?: { name: string } } }).find((l) => l.event === 'job-failed');
    assert.equal(failed?.err?.message, "operator 'explode' (subtask 0) failed: two is not allowed. To drop or dead-letter such records instead: .onError('drop' | 'dead-letter') on 'explode'", 'the cause not repeated');
    assert.equal(failed?.err?.cause?.name, 'RangeError');
    assert.match(r.stderr, /operator: explode/);
    assert.match(r.stderr, /subtask: {2}0/);
    assert.match(r.stderr, /cause: {4}RangeError: two is not allowed/);
    assert.ok(r.stderr.includes('explodes.ts'), 'the cause stack points into the job file');
    const report = JSON.parse(r.stdout) as { error: { name: string; operator: string; subtask: number; cause: { name: string } } };
    assert.deepEqual([report.error.name, report.error.operator, report.error.subtask, report.error.cause.name], ['OperatorError', 'explode', 0, 'RangeError']);
  });

  // Regression: `sluice run job | head -1` died of an unhandled EPIPE mid-job (a stack trace, exit 1, no
  // summary), leaving the job's other sinks without their output.
  test('stdout closed by its reader (| head): the job runs to its end, its print output dropped, exit 0', { timeout: TIMEOUT }, async () => {
    const file = job('prints.ts', `
  env.fromGenerator({ count: 50_000, seed: 1 }, (i) => i).name('numbers').print().name('shown');`);
    const r = await new Promise<Exit>((resolve, reject) => {
      const child = spawn(process.execPath, [bin, 'run', file, '--parallelism', '1'], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      // The reader takes the first chunk and goes, as head does.
      child.stdout.once('data', () => child.stdout.destroy());
      child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
      const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`timed out; stderr:\n${stderr}`)); }, TIMEOUT - 5000);
      child.on('close', (code, signal) => { clearTimeout(timer); resolve({ code, signal, stdout: '', stderr }); });
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /standard output was closed \(EPIPE\)/);
    assert.match(r.stderr, /prints\.ts finished after .*: 50,000 events from the sources/);
    assert.match(r.stderr, /^ {2}shown\s+1\s+50,000\s/m);
  });

  // Regression: with stderr on the same closed pipe (`2>&1 | head`), the notice failed with EPIPE too.
  test('stdout and stderr both closed by their reader: the job still runs to its end, exit 0', { timeout: TIMEOUT }, async () => {
    const file = job('prints-both.ts', `
  env.fromGenerator({ count: 50_000, seed: 1 }, (i) => i).name('numbers').print().name('shown');`);
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(process.execPath, [bin, 'run', file, '--parallelism', '1'], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout.once('data', () => { child.stdout.destroy(); child.stderr.destroy(); });
      const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error('timed out')); }, TIMEOUT - 5000);
      child.on('close', (c) => { clearTimeout(timer); resolve(c); });
    });
    assert.equal(code, 0);
  });

  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    test(`${signal} cancels an unbounded job cleanly, prints the summary and exits ${code}`, { timeout: TIMEOUT }, async () => {
      // The map says when it has seen record 1000 (subtask 0's 501st: the generator strides by subtask).
      const file = job(`forever-${signal}.ts`, `
  env.fromGenerator({ seed: 1 }, (i) => i).name('ticks')
    .map((i: number) => { if (i === 1000) console.error('progress: record 1000'); return i * 2; }).name('double')
    .discard().name('sink');`);
      let sent = false;
      const r = await sluice(['run', file, '--parallelism', '2', '--json'], (stderr, child) => {
        // Signal once every subtask is running (the CLI says `running: <job>`) and records have flowed.
        if (!sent && /^running: /m.test(stderr) && /^progress: record 1000$/m.test(stderr)) {
          sent = true;
          child.kill(signal);
        }
      });
      assert.ok(sent, `the CLI announced the running job: ${r.stderr}`);
      assert.equal(r.code, code, r.stderr);
      assert.match(r.stderr, new RegExp(`${signal}: cancelling the job`));
      assert.match(r.stderr, /cancelled after /);
      assert.match(r.stderr, /^ {2}ticks\s+2\s/m);
      const report = JSON.parse(r.stdout) as { cancelled: boolean; operators: { operator: string; recordsOut: number }[] };
      assert.equal(report.cancelled, true);
      assert.ok(report.operators.find((o) => o.operator === 'ticks')!.recordsOut >= 501, 'the generator made progress');
    });
  }
});
