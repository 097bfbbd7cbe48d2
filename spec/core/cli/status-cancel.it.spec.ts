// Runs on: main thread (the test), spawning the real CLI as child processes. `sluice status` and `sluice cancel`
// from another process against a running job (through its control socket), and with no job running. Processes are
// synchronised on what they print, never on time.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CheckpointStore } from '../../../core/checkpoint/store.js';
import { sluice, SluiceProcess } from './sluice-process.js';

const TIMEOUT = 150_000;
const PROC_TIMEOUT = 120_000;
const ticking = path.join('spec', 'core', 'cli', 'jobs', 'ticking.ts');

const isCheckpointEvent = (l: string): boolean => l.startsWith('{') && (JSON.parse(l) as { event?: string }).event === 'checkpoint';

interface Status {
  pid: number;
  job: string;
  file: string;
  uptimeMs: number;
  parallelism: number;
  operators: { operator: string; task: string; source: boolean; subtasks: number; recordsIn: number; recordsOut: number; perSec: number }[];
  tasks: { task: string; operators: string[]; backpressured: number | null; watermarkLagMs: number | null }[];
  checkpoints: { completed: number; latest: { id: number } | null };
}

describe('sluice status and sluice cancel', () => {
  let dir = '';
  before(() => { dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-status-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('status of a running job, human and --json; then cancel: the run exits 130 and its checkpoints stay', { timeout: TIMEOUT }, async () => {
    const state = path.join(dir, 'state');
    const job = new SluiceProcess(['run', ticking, '-p', '2', '--state-dir', state, '--checkpoint-interval', '100', '--log-level', 'info'], PROC_TIMEOUT);
    try {
      await job.waitFor(/^running: /m);
      await job.waitForLines(isCheckpointEvent, 1, 'a checkpoint event');

      const first = await sluice(['status', state, '--json']);
      assert.equal(first.code, 0, first.stderr);
      assert.equal(first.stdout.trimEnd().split('\n').length, 1, `one JSON line: ${first.stdout}`);
      const s1 = JSON.parse(first.stdout) as Status;
      assert.deepEqual([s1.pid, s1.job, s1.file, s1.parallelism], [job.child.pid, 'ticking', path.resolve(ticking), 2]);
      assert.ok(Number.isInteger(s1.uptimeMs), `whole ms, not ${s1.uptimeMs}`);
      assert.deepEqual(s1.operators.map((o) => [o.operator, o.task, o.source, o.subtasks]),
        [['ticks', 'ticks -> stamp', true, 2], ['stamp', 'ticks -> stamp', false, 2], ['count', 'count -> sink', false, 2], ['sink', 'count -> sink', false, 2]]);
      assert.deepEqual(s1.tasks.map((t) => [t.task, t.operators]), [['ticks -> stamp', ['ticks', 'stamp']], ['count -> sink', ['count', 'sink']]]);
      assert.ok(s1.checkpoints.completed >= 1 && s1.checkpoints.latest !== null, JSON.stringify(s1.checkpoints));
      assert.ok(s1.tasks.every((t) => t.watermarkLagMs !== null), 'ingestion-time watermarks: every task has a lag');
      const sinkIn = (s: Status): number => s.operators.find((o) => o.operator === 'sink')!.recordsIn;
      assert.ok(sinkIn(s1) > 0, JSON.stringify(s1.operators));

      // The job goes on between the two: records counted after two more checkpoints are more.
      const seen = (await job.waitForLines(isCheckpointEvent, 1, 'a checkpoint event')).length;
      await job.waitForLines(isCheckpointEvent, seen + 2, 'two more checkpoint events');
      const human = await sluice(['status', state]);
      assert.equal(human.code, 0, human.stderr);
      assert.match(human.stdout, new RegExp(`^ticking \\(.*ticking\\.ts\\): running for [\\d.]+s, pid ${job.child.pid}, parallelism 2, no restarts$`, 'm'));
      assert.match(human.stdout, /^state: .*state$/m);
      assert.match(human.stdout, /^checkpoints: \d+ completed \(last \d+: [\d.]+ (B|KiB) in \d+ ms\), \d+ aborted$/m);
      assert.match(human.stdout, /^[\d.]+k? events\/s from the sources \(over the last [\d.]+s\)$/m);
      assert.match(human.stdout, /^ {2}operator +task +subtasks +records in +records out +per second$/m);
      const sinkRow = /^ {2}sink +count -> sink +2 +([\d,]+) +0 +[\d.]+k?\/s$/m.exec(human.stdout);
      assert.ok(sinkRow, human.stdout);
      assert.ok(Number(sinkRow[1]!.replace(/,/g, '')) > sinkIn(s1), `the sink's records grew: ${sinkRow[1]} after ${sinkIn(s1)}`);
      // Ingestion time is wall-clock time: the watermark as an ISO time, and its lag.
      assert.match(human.stdout, /^ {2}ticks -> stamp +2 +\d+% +\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z +[\d.]+s$/m);

      const cancel = await sluice(['cancel', state]);
      assert.equal(cancel.code, 0, cancel.stderr);
      // A run past a minute says 1m15s (one beside two busy loops did): status.ts duration().
      assert.match(cancel.stdout, new RegExp(`^job cancelled \\(pid ${job.child.pid}\\) after (\\d+h)?(\\d+m)?[\\d.]+s; \\d+ checkpoints completed in this run, the last \\d+$`, 'm'));
      const end = await job.exited;
      assert.equal(end.code, 130, end.stderr);
      assert.match(end.stderr, /^sluice: cancel requested \(sluice cancel\): cancelling the job$/m);
      assert.match(end.stderr, /ticking\.ts cancelled after /);
      assert.ok(!existsSync(path.join(state, 'control.sock')), 'the control socket is gone');
    } finally {
      job.kill('SIGKILL');
    }

    // The state directory keeps the run's checkpoints, intact.
    const list = await sluice(['inspect', state, '--json']);
    assert.equal(list.code, 0, list.stderr);
    const rows = (JSON.parse(list.stdout) as { checkpoints: { kind: string; status: string }[] }).checkpoints;
    assert.ok(rows.some((r) => r.kind === 'checkpoint'), list.stdout);
    assert.ok(rows.every((r) => r.status === 'verified'), list.stdout);

    // Nothing runs there now.
    const gone = await sluice(['status', state]);
    assert.equal(gone.code, 1, gone.stderr);
    assert.match(gone.stderr, /^sluice status: NoJobRunningError: no sluice job is running with state directory /);
  });

  // A state directory with no job: the work failed (1). A path that is no state directory: bad usage (2), as
  // inspect and `savepoint --delete` say (a trial's typo read as "no job running there").
  test('status and cancel with no job running: one line, exit 1; on a path that is no state directory, exit 2 (with --json, the error as JSON on stdout)', { timeout: TIMEOUT }, async () => {
    const idle = path.join(dir, 'idle-state');
    await (await CheckpointStore.open(idle)).close();
    const missing = path.join(dir, 'nobody-here');
    for (const command of ['status', 'cancel']) {
      const r = await sluice([command, idle]);
      assert.equal(r.code, 1, r.stderr);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, new RegExp(`^sluice ${command}: NoJobRunningError: no sluice job is running with state directory .*idle-state \\(no control socket at .*\\)\\n$`));
      const j = await sluice([command, idle, '--json']);
      assert.equal(j.code, 1, j.stderr);
      assert.equal((JSON.parse(j.stdout) as { error: { name: string } }).error.name, 'NoJobRunningError');
      for (const [where, said] of [[missing, /no state directory .*nobody-here \(so no job runs there\)/], [ticking, /.*ticking\.ts is a file, not a state directory/],
        [dir, /.* is not a sluice state directory \(it holds no LevelDB database\), so no job runs there/]] as const) {
        const u = await sluice([command, where]);
        assert.equal(u.code, 2, `${command} ${where}: ${u.stderr}`);
        assert.equal(u.stdout, '');
        assert.match(u.stderr, new RegExp(`^sluice ${command}: StateDirError: ${said.source}\\n$`));
        const uj = await sluice([command, where, '--json']);
        assert.equal(uj.code, 2, uj.stderr);
        assert.equal((JSON.parse(uj.stdout) as { error: { name: string } }).error.name, 'StateDirError');
      }
    }
    assert.equal(existsSync(missing), false, 'nothing made there');
  });
});
