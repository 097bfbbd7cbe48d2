// `sluice status`'s rendering as pure functions of the control socket's status: rates over the window between the
// server's two samples (not the run's average), per-task watermarks and shares, the human text.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statusReport, statusText } from '../../../core/cli/status-command.js';
import type { ControlStatus } from '../../../core/runtime/control-server.js';
import type { JobMetrics, TaskMetrics } from '../../../core/runtime/metrics.js';

function task(name: string, subtask: number, over: Partial<TaskMetrics> = {}): TaskMetrics {
  return { task: name, subtask, thread: subtask, busyMs: 0, backpressuredMs: 0, idleMs: 0, alignmentHeldMs: 0, asyncWaitMs: 0, watermark: null, watermarkLagMs: null, watermarkIdle: false, badRecords: 0, latency: null, latencyMarkersDropped: 0, ...over };
}

function metrics(durationMs: number, records: number, tasks: TaskMetrics[]): JobMetrics {
  const op = (operator: string, recordsIn: number, recordsOut: number): JobMetrics['operators'][number] =>
    ({ operator, subtask: 0, recordsIn, recordsOut, lateRecordsDropped: 0, dropped: 0, deadLettered: 0, sideOutputRecords: 0 });
  return { durationMs, operators: [op('gen', 0, records), op('count', records, records), op('out', records, 0)], tasks };
}

/** The job's clock when its metrics were read: wall-clock watermarks are a little behind it. */
const NOW = Date.parse('2026-12-06T07:00:10.000Z');

function status(earlier: JobMetrics | null): ControlStatus {
  return {
    pid: 42, stateDir: '/s', job: 'counts', file: '/jobs/counts.ts', startedAt: '2026-12-06T07:00:00.000Z', uptimeMs: 10_000, parallelism: 1, restarts: 0,
    restoredFrom: 7, checkpoints: { completed: 3, aborted: 1, latest: { id: 9, kind: 'checkpoint', durationMs: 12, bytesWritten: 2048, chunksWritten: 2, keyedEntries: 5, dirtyEntries: 5, maxSyncMs: 1, unaligned: false } },
    tasks: [{ name: 'gen', parallelism: 1, operators: ['gen'] }, { name: 'count -> out', parallelism: 2, operators: ['count', 'out'] }],
    sources: ['gen'],
    metrics: metrics(10_000, 100_000, [task('gen', 0, { busyMs: 1000, idleMs: 9000 }), task('count -> out', 0, { busyMs: 500, backpressuredMs: 500, idleMs: 9000, watermark: NOW - 300, watermarkLagMs: 300 }),
      task('count -> out', 1, { busyMs: 500, idleMs: 9500, watermark: NOW - 1300, watermarkLagMs: 1300 })]),
    earlier,
  };
}

test('rates are over the window between the two samples; without the older one, since the start', () => {
  const earlier = metrics(9_000, 99_000, [task('gen', 0, { busyMs: 900, idleMs: 8100 }), task('count -> out', 0, { busyMs: 500, idleMs: 8500 }), task('count -> out', 1, { busyMs: 500, idleMs: 8500 })]);
  const r = statusReport(status(earlier));
  assert.deepEqual([r.ratesOverMs, r.eventsPerSec], [1000, 1000]);
  assert.deepEqual(r.operators.map((o) => [o.operator, o.task, o.source, o.recordsIn, o.recordsOut, o.perSec]),
    [['gen', 'gen', true, 0, 100_000, 1000], ['count', 'count -> out', false, 100_000, 100_000, 1000], ['out', 'count -> out', false, 100_000, 0, 1000]]);
  // In the window count -> out spent 500 of its 2000 ms backpressured; its event time is its slower subtask's.
  assert.deepEqual(r.tasks.map((t) => [t.task, t.backpressured, t.watermark, t.watermarkLagMs]), [['gen', 0, null, null], ['count -> out', 0.25, NOW - 1300, 1300]]);
  const whole = statusReport(status(null));
  assert.deepEqual([whole.ratesOverMs, whole.eventsPerSec], [10_000, 10_000]);
});

test('the human text: job, state, checkpoints, operators and tasks', () => {
  const text = statusText(statusReport(status(null)));
  assert.equal(text, [
    'counts (/jobs/counts.ts): running for 10.0s, pid 42, parallelism 1, no restarts',
    'state: /s (resumed from checkpoint 7)',
    'checkpoints: 3 completed (last 9: 2.0 KiB in 12 ms), 1 aborted',
    '10.0k events/s from the sources (over the last 10.0s)',
    '  operator  task          subtasks  records in  records out  per second',
    '  gen       gen                  1           0      100,000     10.0k/s',
    '  count     count -> out         1     100,000      100,000     10.0k/s',
    '  out       count -> out         1     100,000            0     10.0k/s',
    '  task          parallelism  backpressured                 watermark  watermark lag',
    '  gen                     1             0%                         -              -',
    '  count -> out            2             3%  2026-12-06T07:00:08.700Z           1.3s',
  ].join('\n'));
});

// A trial's job with event times counted from 0 showed a watermark lag of `56y`: the clock's age in its units.
test('synthetic event times (not wall-clock ms): the watermark itself, and no lag (human and JSON)', () => {
  const s = status(null);
  s.metrics = metrics(10_000, 100_000, [task('gen', 0), task('count -> out', 0, { watermark: 12_668, watermarkLagMs: NOW - 12_668 }),
    task('count -> out', 1, { watermark: 13_000, watermarkLagMs: NOW - 13_000 })]);
  const r = statusReport(s);
  assert.deepEqual(r.tasks.map((t) => [t.task, t.watermark, t.watermarkLagMs]), [['gen', null, null], ['count -> out', 12_668, null]]);
  const lines = statusText(r).split('\n');
  assert.equal(lines.at(-1), '  count -> out            2              -     12,668              -');
  assert.doesNotMatch(statusText(r), /\dy\b/);
  // At the end of input a subtask's watermark is the final one: 'end'.
  s.metrics = metrics(10_000, 100_000, [task('gen', 0), task('count -> out', 0, { watermark: Number.MAX_SAFE_INTEGER }), task('count -> out', 1, { watermark: Number.MAX_SAFE_INTEGER })]);
  assert.match(statusText(statusReport(s)).split('\n').at(-1)!, /  end {14}-$/);
});

test('between two attempts: restarting, which restart, from where and when, and the failure; after it, running with the last failure', () => {
  const s = status(null);
  s.restarts = 1;
  s.restarting = { restart: 2, inMs: 800, from: 9 };
  s.lastFailure = { name: 'OperatorError', message: "operator 'count' (subtask 0) failed: boom\n  at count", at: '2026-12-06T07:00:09.800Z', agoMs: 200 };
  const r = statusReport(s);
  assert.deepEqual([r.state, r.restarting, r.lastFailure?.name], ['restarting', { restart: 2, inMs: 800, from: 9 }, 'OperatorError']);
  assert.deepEqual(statusText(r).split('\n').slice(0, 2), [
    'counts (/jobs/counts.ts): restarting after a failure (restart 2 from checkpoint 9, in 0.8s), up 10.0s, pid 42, parallelism 1, 1 restart so far',
    "last failure 0.2s ago: OperatorError: operator 'count' (subtask 0) failed: boom",
  ]);
  // The delay is over, the attempt is being restored; from the beginning when no checkpoint had completed.
  s.restarting = { restart: 2, inMs: 0, from: null };
  assert.match(statusText(statusReport(s)), /^counts \(\/jobs\/counts\.ts\): restarting after a failure \(restart 2 from the beginning, starting now\), up 10\.0s/);
  // Running again: the failure stays in view.
  s.restarts = 2;
  s.restarting = null;
  s.lastFailure = { ...s.lastFailure, agoMs: 65_000 };
  assert.equal(statusReport(s).state, 'running');
  assert.deepEqual(statusText(statusReport(s)).split('\n').slice(0, 2), [
    'counts (/jobs/counts.ts): running for 10.0s, pid 42, parallelism 1, 2 restarts',
    "last failure 1m05s ago: OperatorError: operator 'count' (subtask 0) failed: boom",
  ]);
  // An older sluice's answer has neither field: running, no failure line.
  const old = status(null);
  delete old.restarting;
  delete old.lastFailure;
  assert.deepEqual([statusReport(old).state, statusReport(old).restarting, statusReport(old).lastFailure], ['running', null, null]);
});

// Regression: a saturated asyncMap showed nothing: its requests in flight, and its task waiting on them, were nowhere.
test('an asyncMap: its requests in flight of its capacity, and its task\'s share of time waiting on them (human and JSON)', () => {
  const s = status(null);
  s.metrics = metrics(10_000, 100_000, [task('gen', 0, { busyMs: 1000, idleMs: 9000 }), task('count -> out', 0, { busyMs: 1000, asyncWaitMs: 9000 }),
    task('count -> out', 1, { busyMs: 1000, asyncWaitMs: 8000, idleMs: 1000 })]);
  s.metrics.operators[1] = { ...s.metrics.operators[1]!, inFlight: 200, capacity: 200 };
  s.metrics.operators.splice(2, 0, { ...s.metrics.operators[1]!, subtask: 1, recordsIn: 0, recordsOut: 0, inFlight: 150 });
  const r = statusReport(s);
  assert.deepEqual(r.operators.map((o) => [o.operator, o.inFlight, o.capacity]), [['gen', undefined, undefined], ['count', 350, 400], ['out', undefined, undefined]]);
  assert.deepEqual(r.tasks.map((t) => [t.task, t.asyncWait]), [['gen', 0], ['count -> out', 0.85]]);
  const text = statusText(r);
  assert.match(text, /records out {2}per second {2}in flight\n/);
  assert.match(text, /\n {2}count +count -> out +2 +100,000 +100,000 +10\.0k\/s +350\/400\n/);
  assert.match(text, /\n {2}gen +gen +1 +0 +100,000 +10\.0k\/s +-\n/);
  assert.match(text, /backpressured {2}async wait {2}watermark/);
  assert.match(text, /\n {2}count -> out +2 +0% +85% /);
  // Without an asyncMap, neither column.
  assert.doesNotMatch(statusText(statusReport(status(null))), /in flight|async wait/);
});

// Regression: a source subtask with no split (a discovering file source with more subtasks than files) is idle and
// holds no event time back, but status showed its task's watermark as none ('-'): it took every subtask's.
test('a task\'s watermark and lag are over its subtasks that are not idle, and how many are idle is said (human and JSON)', () => {
  const s = status(null);
  s.tasks = [{ name: 'gen', parallelism: 3, operators: ['gen'] }, { name: 'count -> out', parallelism: 2, operators: ['count', 'out'] }];
  s.metrics = metrics(10_000, 100_000, [
    task('gen', 0, { watermark: NOW - 500, watermarkLagMs: 500 }), task('gen', 1, { watermarkIdle: true }),
    task('gen', 2, { watermark: NOW - 9000, watermarkLagMs: 9000, watermarkIdle: true }),
    task('count -> out', 0, { watermark: NOW - 300, watermarkLagMs: 300 }), task('count -> out', 1, { watermark: NOW - 1300, watermarkLagMs: 1300 })]);
  const r = statusReport(s);
  assert.deepEqual(r.tasks.map((t) => [t.task, t.watermark, t.watermarkLagMs, t.idleSubtasks]), [['gen', NOW - 500, 500, 2], ['count -> out', NOW - 1300, 1300, 0]]);
  const lines = statusText(r).split('\n');
  assert.equal(lines.at(-3), '  task          parallelism  backpressured  idle                 watermark  watermark lag');
  assert.equal(lines.at(-2), '  gen                     3              -   2/3  2026-12-06T07:00:09.500Z           0.5s');
  assert.equal(lines.at(-1), '  count -> out            2              -     -  2026-12-06T07:00:08.700Z           1.3s');
  // An active subtask with no watermark yet still holds its task at none.
  s.metrics.tasks[2] = { ...s.metrics.tasks[2]!, watermarkIdle: false, watermark: null, watermarkLagMs: null };
  assert.deepEqual(statusReport(s).tasks.map((t) => [t.watermark, t.idleSubtasks]), [[null, 1], [NOW - 1300, 0]]);
  // Every subtask idle: the highest watermark any reached (where downstream goes), none if none had one.
  s.metrics.tasks[0] = { ...s.metrics.tasks[0]!, watermarkIdle: true };
  s.metrics.tasks[2] = { ...s.metrics.tasks[2]!, watermarkIdle: true };
  assert.deepEqual([statusReport(s).tasks[0]!.watermark, statusReport(s).tasks[0]!.watermarkLagMs, statusReport(s).tasks[0]!.idleSubtasks], [NOW - 500, 500, 3]);
  s.metrics.tasks[0] = { ...s.metrics.tasks[0]!, watermark: null, watermarkLagMs: null };
  assert.deepEqual([statusReport(s).tasks[0]!.watermark, statusReport(s).tasks[0]!.idleSubtasks], [null, 3]);
  // No idle subtask anywhere: no idle column.
  assert.doesNotMatch(statusText(statusReport(status(null))), / idle /);
});
