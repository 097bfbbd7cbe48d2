// Runs on: main thread (the test), spawning the real CLI as child processes. The operations side of `sluice`:
// help of every command; a savepoint taken from another process while a job runs, then listed and shown by
// `sluice inspect` (which refuses a directory a job holds); --resume after SIGKILL; the Prometheus endpoint and
// latency markers; pino's JSON log on stderr with stdout kept clean. Processes are synchronised on what they
// print and on files, never on time.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { setTimeout as delay } from 'node:timers/promises';
import { CheckpointStore } from '../../../core/checkpoint/store.js';
import { chunkRefs } from '../../../core/checkpoint/manifest.js';
import { logLines, repo, sluice, SluiceProcess } from './sluice-process.js';
import { readLedger, tally } from '../checkpoint/ledger.js';
import { generatorReach } from '../checkpoint/generator-reach.js';

/** Per test: each starts one to three jobs, and a shared 2-core machine can be slow to start threads. */
const TIMEOUT = 150_000;
const PROC_TIMEOUT = 120_000;
const ticking = path.join('spec', 'core', 'cli', 'jobs', 'ticking.ts');
const api = pathToFileURL(path.join(repo, 'core', 'index.ts')).href;

const isCheckpointEvent = (l: string): boolean => l.startsWith('{') && (JSON.parse(l) as { event?: string }).event === 'checkpoint';

describe('sluice operations', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-ops-'));
    writeFileSync(path.join(dir, 'package.json'), '{ "type": "module" }\n');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('--help of every command exits 0 and lists its options', { timeout: TIMEOUT }, async () => {
    const expect: [string[], RegExp, string[]][] = [
      [['--help'], /Usage: sluice/, ['run', 'savepoint', 'status', 'cancel', 'inspect', '--version']],
      [['run', '--help'], /Usage: sluice run \[options\] <job>/, ['--state-dir', '--checkpoint-interval', '--checkpoint-mode', '--checkpoint-timeout', '--tolerable-checkpoint-failures', '--resume', '--from-savepoint',
        '--from-checkpoint', '--allow-non-restored-state', '--metrics-port', '--latency-tracking', '--log-level']],
      [['savepoint', '--help'], /Usage: sluice savepoint \[options\] <state-dir> \[name\]/, ['--json', '--timeout', '--stop', '--delete']],
      [['status', '--help'], /Usage: sluice status \[options\] <state-dir>/, ['--json', '--timeout']],
      [['cancel', '--help'], /Usage: sluice cancel \[options\] <state-dir>/, ['--json', '--timeout', 'sluice savepoint <state-dir> [name] --stop']],
      [['inspect', '--help'], /Usage: sluice inspect \[options\] <state-dir>/, ['--checkpoint', '--savepoint', '--keys', '--no-verify', '--json']],
    ];
    for (const [args, usage, flags] of expect) {
      const r = await sluice(args);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stdout, usage);
      for (const f of flags) assert.ok(r.stdout.includes(f), `${args.join(' ')} lists ${f}`);
    }
    // Regression: --version was an unknown option (exit 2).
    const v = await sluice(['--version']);
    assert.deepEqual({ code: v.code, out: v.stdout.trim() }, { code: 0, out: (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version });
  });

  // Commander answered --help before looking at the command: the top-level help, exit 0, for a command that is not there.
  test('an unknown command with --help exits 2 and says it is unknown', { timeout: TIMEOUT }, async () => {
    for (const help of ['--help', '-h']) {
      const r = await sluice(['nosuch', help]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /^error: unknown command 'nosuch'$/m);
      assert.doesNotMatch(r.stdout, /Usage:/);
    }
    const near = await sluice(['savepoin', '--help']);
    assert.equal(near.code, 2);
    assert.match(near.stderr, /\(Did you mean savepoint\?\)/);
  });

  test('--checkpoint-timeout and --tolerable-checkpoint-failures 0: a job hung in user code fails, restarts from its last checkpoint and ends', { timeout: TIMEOUT }, async () => {
    const marker = path.join(dir, 'hung');
    const file = path.join(dir, 'hangs-once.ts');
    // Record 8000 (0.4 s in) hangs the first time, in a loop only terminating its thread ends.
    writeFileSync(file, `import { existsSync, writeFileSync } from 'node:fs';\nimport { defineJob } from '${api}';\n`
      + 'export default defineJob((env) => {\n'
      + '  env.fromGenerator({ count: 12000, seed: 1, ratePerSec: 20000 }, (i) => i).name(\'gen\')\n'
      + `    .map((i: number) => { if (i === 8000 && !existsSync(${JSON.stringify(marker)})) { writeFileSync(${JSON.stringify(marker)}, ''); for (;;) { /* hung */ } } return i; }).name('stuck')\n`
      + '    .discard().name(\'sink\');\n});\n');
    const r = await sluice(['run', file, '-p', '1', '--state-dir', path.join(dir, 'hang-state'), '--checkpoint-interval', '50', '--checkpoint-timeout', '1000', '--tolerable-checkpoint-failures', '0'], PROC_TIMEOUT);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(existsSync(marker), 'the job hung');
    assert.match(r.stderr, /1 checkpoint in a row failed \(tolerable: 0\); the last: checkpoint \d+ not completed within 1000 ms; no barrier yet from [^;]*stuck[^;]*; thread 0 has been in one call for \d+ ms \(user code that does not return\?\), running [^;]*stuck[^;]*\); restart \d in \d+ ms from checkpoint \d+/);
  });

  test('sluice savepoint with no job running exits 1 and says so; bad usage (a path that is no state directory too) exits 2', { timeout: TIMEOUT }, async () => {
    const idle = path.join(dir, 'idle-state');
    await (await CheckpointStore.open(idle)).close();
    const r = await sluice(['savepoint', idle, 'x']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /no sluice job is running with state directory .*idle-state/);
    assert.equal(r.stdout, '');
    const nowhere = await sluice(['savepoint', path.join(dir, 'nobody-here'), 'x']);
    assert.equal(nowhere.code, 2, nowhere.stderr);
    assert.match(nowhere.stderr, /^sluice savepoint: StateDirError: no state directory .*nobody-here \(so no job runs there\)$/m);
    assert.equal(nowhere.stdout, '');
    const bad = await sluice(['savepoint', dir, 'no spaces']);
    assert.equal(bad.code, 2, bad.stderr);
    const conflict = await sluice(['run', ticking, '--resume', '--from-savepoint', 'a']);
    assert.equal(conflict.code, 2, conflict.stderr);
    assert.match(conflict.stderr, /cannot be used with/);
    const notACount = await sluice(['run', ticking, '--tolerable-checkpoint-failures', 'some']);
    assert.equal(notACount.code, 2, notACount.stderr);
    assert.match(notACount.stderr, /argument 'some' is invalid\. expected an integer >= 0, or unlimited\./);
    const huge = await sluice(['run', ticking, '--state-dir', path.join(dir, 'huge-timeout'), '--checkpoint-timeout', String(2 ** 31)]);
    assert.equal(huge.code, 2, huge.stderr);
    assert.match(huge.stderr, /checkpointTimeoutMs must be a number of ms > 0 and <= 2147483647/);
    const noSavepoint = await sluice(['run', ticking, '--state-dir', path.join(dir, 'empty-state'), '--from-savepoint', 'nope']);
    assert.equal(noSavepoint.code, 2, noSavepoint.stderr);
    assert.match(noSavepoint.stderr, /^sluice: .*ticking\.ts: no savepoint named 'nope' in .*empty-state: the state directory does not exist$/m);
    // Regressions: the failed lookup created an empty store there, and a checkpoint id that is not in
    // the store was reported as a corrupt checkpoint with exit code 1.
    assert.equal(existsSync(path.join(dir, 'empty-state')), false, 'a failed lookup leaves no state directory behind');
    const held = path.join(dir, 'held-state');
    await (await CheckpointStore.open(held)).close();
    const noCheckpoint = await sluice(['run', ticking, '--state-dir', held, '--from-checkpoint', '99']);
    assert.equal(noCheckpoint.code, 2, noCheckpoint.stderr);
    assert.match(noCheckpoint.stderr, /^sluice: .*ticking\.ts: no checkpoint 99 in .*held-state \(it holds none\)$/m);
    const missing = await sluice(['inspect', path.join(dir, 'no-such-dir')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /no such state directory/);
    // Regression: a file was reported as a path that does not exist.
    const aFile = await sluice(['inspect', ticking]);
    assert.equal(aFile.code, 2);
    assert.match(aFile.stderr, /ticking\.ts is a file, not a state directory/);
    const notLevel = await sluice(['inspect', dir]);
    assert.equal(notLevel.code, 2);
    assert.match(notLevel.stderr, /not a sluice state directory/);
    // Regression: without its CURRENT file, `run --resume` opened the directory, LevelDB
    // made an empty database there and deleted the tables; inspect called it no LevelDB database at all.
    const noCurrent = path.join(dir, 'no-current');
    const nc = await CheckpointStore.open(noCurrent);
    await nc.putChunk('k/1', new Uint8Array([1]));
    await nc.close();
    rmSync(path.join(noCurrent, 'CURRENT'));
    const files = readdirSync(noCurrent).sort();
    const ncInspect = await sluice(['inspect', noCurrent]);
    assert.equal(ncInspect.code, 1, ncInspect.stderr);
    assert.match(ncInspect.stderr, /holds LevelDB files .* but no CURRENT file: damaged\. Not opened/);
    const ncResume = await sluice(['run', ticking, '--state-dir', noCurrent, '--resume']);
    assert.notEqual(ncResume.code, 0);
    assert.match(ncResume.stderr, /no CURRENT file: damaged/);
    assert.deepEqual(readdirSync(noCurrent).sort(), files, 'nothing created or deleted');
  });

  test('a savepoint from another process while the job runs; inspect lists it while the job runs, and after', { timeout: TIMEOUT }, async () => {
    const state = path.join(dir, 'sp-state');
    const sock = path.join(state, 'control.sock');
    const job = new SluiceProcess(['run', ticking, '-p', '2', '--state-dir', state, '--checkpoint-interval', '200', '--log-level', 'info'], PROC_TIMEOUT);
    await job.waitFor(/^running: /m);
    await job.waitForLines(isCheckpointEvent, 1, 'a checkpoint event');
    assert.ok(existsSync(sock), 'the control socket is in the state directory');

    const sp = await sluice(['savepoint', state, 'before-upgrade', '--json']);
    assert.equal(sp.code, 0, sp.stderr);
    const taken = (JSON.parse(sp.stdout) as { savepoint: { id: number; name: string; bytes: number; keyedEntries: number } }).savepoint;
    assert.equal(taken.name, 'before-upgrade');
    assert.ok(taken.id > 0 && taken.bytes > 0 && taken.keyedEntries > 0, JSON.stringify(taken));
    // The job logs it too.
    await job.waitForLines((l) => l.includes('"kind":"savepoint"') && l.includes('"name":"before-upgrade"'), 1, 'the savepoint event');
    const human = await sluice(['savepoint', state]);
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /^savepoint 'savepoint-[\w-]+' completed: id \d+, [\d.]+ (B|KiB) in \d+ chunks written, \d+ keyed entries, \d+ ms\n$/);

    // While the job runs: inspect reads a snapshot (it used to be refused, the directory being held).
    const running = await sluice(['inspect', state]);
    assert.equal(running.code, 0, running.stderr);
    assert.match(running.stdout, new RegExp(`^\\s+${taken.id}\\s+savepoint\\s+before-upgrade\\s+.*verified$`, 'm'));
    assert.deepEqual(readdirSync(dir).filter((f) => f.includes('.inspect-')), [], 'the snapshot is gone');
    // Regression: a second run on the directory said only "LevelDB lock"; a job killed under `npm run`
    // leaves its node process running, so the message names it.
    const second = await sluice(['run', ticking, '--state-dir', state]);
    assert.equal(second.code, 1, second.stderr);
    assert.match(second.stderr, /in use by a running job \(in another sluice process, or in this one/);
    assert.match(second.stderr, new RegExp(`the job running there is process ${job.child.pid}: stop it first \\(kill ${job.child.pid}\\)`));

    job.kill('SIGTERM');
    const end = await job.exited;
    assert.equal(end.code, 143, end.stderr);
    assert.match(end.stderr, /checkpoints: \d+ completed \(last \d+/);
    assert.ok(!existsSync(sock), 'the control socket is removed at exit');

    const list = await sluice(['inspect', state]);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, new RegExp(`^\\s+${taken.id}\\s+savepoint\\s+before-upgrade\\s+\\S+\\s+[\\d.]+ (B|KiB)\\s+\\d+\\s+\\d+\\s+verified$`, 'm'));
    const rows = (JSON.parse((await sluice(['inspect', state, '--json'])).stdout) as { checkpoints: { id: number; kind: string; name: string | null; status: string }[] }).checkpoints;
    assert.ok(rows.some((r) => r.kind === 'checkpoint'), 'periodic checkpoints are listed');
    assert.ok(rows.every((r) => r.status === 'verified'), JSON.stringify(rows));
    assert.deepEqual(rows.find((r) => r.id === taken.id), { ...rows.find((r) => r.id === taken.id), kind: 'savepoint', name: 'before-upgrade' });

    const detail = await sluice(['inspect', state, '--savepoint', 'before-upgrade', '--keys', '3']);
    assert.equal(detail.code, 0, detail.stderr);
    assert.match(detail.stdout, /^savepoint 'before-upgrade' \(checkpoint \d+\): verified$/m);
    assert.match(detail.stdout, /^ {2}count, reduce, parallelism 2$/m);
    assert.match(detail.stdout, /keyed state: \d+ entries in \d+ key groups/);
    assert.equal((detail.stdout.match(/^ {6}\[kg \d+\] \w+ "k\d+" = \{"key":"k\d+","n":\d+\}$/gm) ?? []).length, 3, detail.stdout);
    assert.match(detail.stdout, /^ {2}ticks: 2 split\(s\)$/m);
    const d = (JSON.parse((await sluice(['inspect', state, '--checkpoint', String(taken.id), '--json'])).stdout) as {
      checkpoint: { operators: { uid: string; keyed: { keyGroups: number; entries: number; groups: { bytes: number; entries: number }[] } | null }[] };
    }).checkpoint;
    const count = d.operators.find((o) => o.uid === 'count')!.keyed!;
    assert.equal(count.entries, taken.keyedEntries);
    assert.equal(count.groups.length, count.keyGroups);
    assert.ok(count.groups.every((g) => g.bytes > 0 && g.entries > 0));

    // Damage one of the savepoint's chunks: inspect reports it, and refuses to call it verified.
    const store = await CheckpointStore.open(state);
    const ref = chunkRefs(await store.readManifest(taken.id))[0]!;
    await store.rawPut(ref.key, new Uint8Array([1, 2, 3]));
    await store.close();
    const damaged = await sluice(['inspect', state]);
    assert.equal(damaged.code, 0, damaged.stderr);
    assert.match(damaged.stdout, new RegExp(`^\\s+${taken.id}\\s+savepoint\\s+before-upgrade\\s.*corrupt: checkpoint ${taken.id} is corrupt or incomplete: chunk \\S+ has 3 bytes`, 'm'));
    const damagedDetail = await sluice(['inspect', state, '--checkpoint', String(taken.id)]);
    assert.equal(damagedDetail.code, 1);
  });

  test('--resume after SIGKILL resumes from the latest checkpoint; the killed run\'s socket does not block the new one', { timeout: TIMEOUT }, async () => {
    const state = path.join(dir, 'resume-state');
    const first = new SluiceProcess(['run', ticking, '-p', '2', '--state-dir', state, '--checkpoint-interval', '100', '--log-level', 'info'], PROC_TIMEOUT);
    const events = await first.waitForLines(isCheckpointEvent, 2, 'two checkpoint events');
    first.kill('SIGKILL');
    const killed = await first.exited;
    assert.equal(killed.signal, 'SIGKILL');
    assert.ok(existsSync(path.join(state, 'control.sock')), 'SIGKILL leaves the socket behind');
    const logged = Math.max(...events.map((l) => (JSON.parse(l) as { id: number }).id));
    assert.ok(events.every((l) => (JSON.parse(l) as { unaligned?: unknown }).unaligned === false), `aligned checkpoints say so: ${events.join(' | ')}`);

    const second = new SluiceProcess(['run', ticking, '-p', '1', '--state-dir', state, '--resume', '--log-level', 'info', '--json'], PROC_TIMEOUT);
    const from = Number((await second.waitFor(/^resuming: from checkpoint (\d+)$/m))[1]);
    assert.ok(from >= logged, `resumed from ${from}, the killed run had completed ${logged}`);
    await second.waitFor(/^running: /m);
    // The new run serves the control socket the killed one left.
    const sp = await sluice(['savepoint', state, 'after-resume']);
    assert.equal(sp.code, 0, sp.stderr);
    second.kill('SIGTERM');
    const end = await second.exited;
    assert.equal(end.code, 143, end.stderr);
    const log = logLines(end.stderr);
    assert.ok(log.some((l) => l.event === 'checkpoint-verified' && l.checkpoint === from), 'the log says which checkpoint was loaded');
    assert.equal(log.find((l) => l.event === 'job-start')?.restoredFrom, from);
    const report = JSON.parse(end.stdout) as { restoredFrom: number; cancelled: boolean };
    assert.deepEqual([report.restoredFrom, report.cancelled], [from, true]);
  });

  // Between `sluice savepoint` and a SIGTERM the job's checkpoints kept publishing records that a job resumed from
  // the savepoint publishes again; `--stop` stops it before anything after the savepoint is published.
  test('sluice savepoint --stop: the job stops at the savepoint, and a job resumed from it publishes each record once', { timeout: TIMEOUT }, async () => {
    const state = path.join(dir, 'stop-state');
    const ledger = path.join(dir, 'stop-ledger');
    const file = path.join(dir, 'stop-job.ts');
    writeFileSync(file, [
      `import { defineJob } from '${api}';`,
      `import { ledgerSink } from '${pathToFileURL(path.join(repo, 'spec', 'core', 'checkpoint', 'ledger.ts')).href}';`,
      // Paced and unbounded in the first run: it runs until the savepoint stops it, however slow the machine (a
      // loaded CI machine's bounded input ended first: NoJobRunningError). Bounded and as fast as possible once resumed.
      `const rate = process.env.STOP_TEST_RATE ? Number(process.env.STOP_TEST_RATE) : undefined;`,
      `const count = process.env.STOP_TEST_COUNT ? Number(process.env.STOP_TEST_COUNT) : undefined;`,
      `export default defineJob((env) => { env.fromGenerator({ ...(count ? { count } : {}), seed: 1, ...(rate ? { ratePerSec: rate } : {}) }, (i) => i).name('gen').uid('gen').sink(ledgerSink<number>(${JSON.stringify(ledger)})).name('ledger').uid('ledger'); });`,
    ].join('\n'));
    process.env.STOP_TEST_RATE = '10000';
    const job = new SluiceProcess(['run', file, '-p', '2', '--state-dir', state, '--checkpoint-interval', '50', '--log-level', 'info'], PROC_TIMEOUT);
    delete process.env.STOP_TEST_RATE;
    await job.waitForLines(isCheckpointEvent, 2, 'two checkpoint events');
    const sp = await sluice(['savepoint', state, 'v1', '--stop']);
    assert.equal(sp.code, 0, sp.stderr);
    const spId = Number(sp.stdout.match(/^savepoint 'v1' completed: id (\d+), .*; the job is stopping$/m)?.[1]);
    assert.ok(spId > 0, sp.stdout);
    const end = await job.exited;
    assert.equal(end.code, 0, end.stderr);
    assert.match(end.stderr, new RegExp(`stop-job\\.ts stopped with savepoint 'v1' \\(checkpoint ${spId}\\) after `));
    // The resumed run reads 20,000 records past what the savepoint covers.
    const n = (await generatorReach(state, spId)) + 20_000;
    process.env.STOP_TEST_COUNT = String(n);
    const resuming = sluice(['run', file, '-p', '2', '--state-dir', state, '--from-savepoint', 'v1'], PROC_TIMEOUT);
    delete process.env.STOP_TEST_COUNT;
    const resumed = await resuming;
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.deepEqual(tally(readLedger<number>(ledger), n), { lost: 0, duplicated: 0, unexpected: 0 });
  });

  test('--metrics-port serves the metric families while the job runs; --latency-tracking gives sinks a latency histogram', { timeout: TIMEOUT }, async () => {
    const state = path.join(dir, 'metrics-state');
    const job = new SluiceProcess(['run', ticking, '-p', '2', '--state-dir', state, '--checkpoint-interval', '100', '--metrics-port', '0', '--latency-tracking', '20'], PROC_TIMEOUT);
    const url = (await job.waitFor(/^metrics: (http:\/\/127\.0\.0\.1:\d+\/metrics)$/m))[1]!;
    await job.waitFor(/^running: /m);
    let body = '';
    // Poll the endpoint until the job has produced what is asked (threads start, markers and checkpoints come); the
    // deadline turns a hang into a failure.
    const deadline = Date.now() + 60_000;
    for (;;) {
      body = await (await fetch(url)).text();
      if (/sluice_latency_markers_total\{job="ticking",task="count -> sink",subtask="\d",thread="\d"\} [1-9]/.test(body)
        && /sluice_checkpoints_completed_total\{job="ticking",kind="checkpoint"\} [1-9]/.test(body)
        && /sluice_task_watermark_lag_seconds\{job="ticking",task="count -> sink"/.test(body)) break;
      if (Date.now() >= deadline) job.kill('SIGKILL');
      assert.ok(Date.now() < deadline, `no markers, checkpoint and watermark lag within 60 s:\n${body}`);
      await delay(50);
    }
    job.kill('SIGTERM');
    const end = await job.exited;
    assert.equal(end.code, 143, end.stderr);
    for (const family of ['sluice_operator_records_in_total', 'sluice_operator_records_out_total', 'sluice_task_busy_seconds_total', 'sluice_task_backpressured_seconds_total',
      'sluice_task_idle_seconds_total', 'sluice_task_watermark_seconds', 'sluice_task_watermark_lag_seconds', 'sluice_end_to_end_latency_seconds',
      'sluice_checkpoint_duration_seconds', 'sluice_last_checkpoint_size_bytes', 'sluice_operator_late_records_dropped_total', 'sluice_task_bad_records_total']) {
      assert.match(body, new RegExp(`^# TYPE ${family} `, 'm'), family);
    }
    assert.match(body, /^sluice_operator_records_in_total\{job="ticking",task="ticks -> stamp",operator="stamp",subtask="0"\} \d+$/m);
    assert.match(body, /^sluice_end_to_end_latency_seconds\{job="ticking",task="count -> sink",subtask="\d",thread="\d",quantile="0\.99"\} [\d.e-]+$/m);
    // The summary shows the sinks' latency, the status log the endpoint's address.
    assert.match(end.stderr, /latency p50 ms {2}p99 ms {2}max ms/);
    await assert.rejects(fetch(url), 'the endpoint closes with the job');
  });

  test('logs: pino JSON lines on stderr, one JSON report on stdout with --json; none by default', { timeout: TIMEOUT }, async () => {
    const file = path.join(dir, 'bounded.ts');
    writeFileSync(file, `import { defineJob } from '${api}';\nexport default defineJob((env) => {\n  env.fromCollection([1, 2, 3, 4]).name('numbers').map((x: number) => x * 2).name('double').collect().name('out');\n});\n`);
    const r = await sluice(['run', file, '--json', '-p', '2', '--log-level', 'info']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trimEnd().split('\n').length, 1, `stdout is one line: ${r.stdout}`);
    const report = JSON.parse(r.stdout) as { collected: Record<string, number>; restarts: number; checkpoints: unknown };
    assert.deepEqual([report.collected, report.restarts, report.checkpoints], [{ out: 4 }, 0, null]);
    const json = r.stderr.split('\n').filter((l) => l.startsWith('{'));
    assert.ok(json.length >= 2, r.stderr);
    for (const line of json) {
      const l = JSON.parse(line) as Record<string, unknown>;
      assert.equal(typeof l.level, 'number');
      assert.match(String(l.time), /^\d{4}-\d\d-\d\dT/);
      assert.equal(l.name, 'sluice');
      assert.equal(typeof l.msg, 'string');
    }
    const events = logLines(r.stderr).map((l) => l.event);
    assert.deepEqual(events.filter((e) => e === 'job-start' || e === 'job-end'), ['job-start', 'job-end']);
    assert.equal(logLines(r.stderr).find((l) => l.event === 'job-end')?.outcome, 'finished');
    assert.match(r.stderr, /^starting: /m, 'the human lines are still there');

    const quiet = await sluice(['run', file, '-p', '2']);
    assert.equal(quiet.code, 0, quiet.stderr);
    assert.equal(logLines(quiet.stderr).length, 0, 'no JSON by default');
  });
});
