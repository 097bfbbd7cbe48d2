// The CLI's rendering as pure functions: the live line's progress, watermark lag and last checkpoint; the
// summary's checkpoint line and latency columns; the number formats they use.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  bytes, checkpointSummary, inputProgress, jsonReport, progressSources, rates, slowestWatermark, span, startingLine, statusLine, summary, watermarkText, type JobShape,
} from '../../../core/cli/status.js';
import { bar } from '../../../core/cli/progress.js';
import type { JobMetrics, TaskMetrics } from '../../../core/runtime/metrics.js';
import type { CompletedCheckpoint } from '../../../core/checkpoint/coordinator.js';

const shape: JobShape = {
  operators: [{ name: 'src', task: 'src', source: true }, { name: 'count', task: 'count -> out', source: false }, { name: 'out', task: 'count -> out', source: false }],
  tasks: [{ name: 'src', parallelism: 1, operators: ['src'] }, { name: 'count -> out', parallelism: 1, operators: ['count', 'out'] }],
};

function task(name: string, over: Partial<TaskMetrics> = {}): TaskMetrics {
  return { task: name, subtask: 0, thread: 0, busyMs: 10, backpressuredMs: 0, idleMs: 10, alignmentHeldMs: 0, asyncWaitMs: 0, watermark: null, watermarkLagMs: null, watermarkIdle: false, badRecords: 0, latency: null, latencyMarkersDropped: 0, ...over };
}

function metrics(srcOut: number, tasks: TaskMetrics[] = [task('src'), task('count -> out')], late = 3): JobMetrics {
  return {
    durationMs: 2000,
    operators: [
      { operator: 'src', subtask: 0, recordsIn: srcOut, recordsOut: srcOut, lateRecordsDropped: 0, dropped: 0, deadLettered: 0, sideOutputRecords: 0 },
      { operator: 'count', subtask: 0, recordsIn: srcOut, recordsOut: srcOut, lateRecordsDropped: 0, dropped: 0, deadLettered: 0, sideOutputRecords: 0 },
      { operator: 'out', subtask: 0, recordsIn: srcOut, recordsOut: 0, lateRecordsDropped: late, dropped: 0, deadLettered: 0, sideOutputRecords: 0 },
    ],
    tasks,
  };
}

const cp = (id: number, kind: CompletedCheckpoint['kind'] = 'checkpoint', name?: string): CompletedCheckpoint => ({
  id, kind, name, durationMs: 45.2, bytesWritten: 3481, chunksWritten: 4, keyedEntries: 100, dirtyEntries: 10, maxSyncMs: 1, unaligned: false,
});

test('bytes, span and bar', () => {
  assert.equal(bytes(0), '0 B');
  assert.equal(bytes(1023), '1023 B');
  assert.equal(bytes(3481), '3.4 KiB');
  assert.equal(bytes(5 * 1024 * 1024), '5.0 MiB');
  assert.equal(span(1234), '1.2s');
  assert.equal(span(-500), '-0.5s');
  assert.equal(span(3 * 86_400_000 + 4 * 3_600_000), '3d4h');
  assert.equal(span(56 * 365.25 * 86_400_000), '56y');
  assert.equal(bar(0.5, 10), '[█████░░░░░]');
  assert.equal(bar(0, 4), '[░░░░]');
  assert.equal(bar(2, 4), '[████]');
  assert.equal(bar(Number.NaN, 4), '[░░░░]');
});

test('inputProgress: the share read when every source is bounded with a count, else undefined', () => {
  const m = metrics(250);
  assert.equal(inputProgress(shape, m, [{ bounded: true, count: 1000 }]), 0.25);
  assert.equal(inputProgress(shape, m, [{ bounded: true, count: undefined }]), undefined);
  assert.equal(inputProgress(shape, m, [{ bounded: false, count: undefined }]), undefined);
  assert.equal(inputProgress(shape, m, []), undefined);
  assert.equal(inputProgress(shape, metrics(2000), [{ bounded: true, count: 1000 }]), 1, 'capped at 1');
});

// Regression: after a restart within the run the live progress counted the replayed records and reached 100% early.
test('progressSources: none after a resume or a restart, whose sources start from checkpointed positions', () => {
  const sources = [{ bounded: true, count: 1000 }];
  let restarts = 0;
  const handle = { restoredFrom: undefined as number | undefined, sources, restarts: () => restarts };
  assert.equal(progressSources(handle), sources);
  restarts = 1;
  assert.deepEqual(progressSources(handle), []);
  assert.deepEqual(progressSources({ ...handle, restoredFrom: 4, restarts: () => 0 }), []);
});

test('slowestWatermark: the watermark and lag of the subtask with the largest lag', () => {
  assert.equal(slowestWatermark(metrics(1)), undefined);
  const m = metrics(1, [task('src', { watermark: 1000, watermarkLagMs: 250 }), task('count -> out', { watermark: 900, watermarkLagMs: 350 }), task('x')]);
  assert.deepEqual(slowestWatermark(m), { watermark: 900, lagMs: 350 });
  // An idle subtask's watermark stands still while it idles and holds nothing back: not the slowest.
  const idle = metrics(1, [task('src', { watermark: 1000, watermarkLagMs: 250 }), task('count -> out', { watermark: 900, watermarkLagMs: 350, watermarkIdle: true })]);
  assert.deepEqual(slowestWatermark(idle), { watermark: 1000, lagMs: 250 });
});

const NOW = Date.parse('2026-12-06T10:00:00.000Z');

test('watermarkText: none, the end, wall-clock time as ISO, synthetic event times as the number', () => {
  assert.equal(watermarkText(null, null), '-');
  assert.equal(watermarkText(Number.MAX_SAFE_INTEGER, null), 'end');
  assert.equal(watermarkText(NOW - 1200, 1200), '2026-12-06T09:59:58.800Z');
  // Event times counted from 0 "lag" the clock by 56 years: the watermark is shown as it is.
  assert.equal(watermarkText(12_668, NOW - 12_668), '12,668');
  assert.equal(watermarkText(12.5, NOW - 12.5), '12.5');
  // Seconds since the epoch are not ms of wall-clock time; nor are µs (far ahead of the clock).
  assert.equal(watermarkText(1_796_000_000, NOW - 1_796_000_000), '1,796,000,000');
  assert.equal(watermarkText(NOW * 1000, NOW - NOW * 1000), (NOW * 1000).toLocaleString('en-US'));
  // Wall-clock data of another period is still wall-clock time (its lag is real, if large).
  assert.equal(watermarkText(Date.parse('2025-01-01T00:00:00Z'), NOW - Date.parse('2025-01-01T00:00:00Z')), '2025-01-01T00:00:00.000Z');
});

test('statusLine shows progress (a bar on a terminal), watermark lag and the last checkpoint in its head', () => {
  const r = rates(shape, undefined, metrics(500));
  const plain = statusLine(shape, r, Infinity, { progress: 0.42, watermark: { watermark: NOW - 1200, lagMs: 1200 }, checkpoint: { id: 7, kind: 'checkpoint', bytes: 3481, durationMs: 45, ageMs: 5000 } });
  assert.match(plain, /^2\.0s {2}250 ev\/s {2}42% {2}wm lag 1\.2s {2}cp 7 3\.4 KiB\/45ms 5\.0s ago │ src /);
  const tty = statusLine(shape, r, Infinity, { progress: 0.5, progressBar: true });
  assert.ok(tty.includes(`${bar(0.5, 12)} 50%`), tty);
  const sp = statusLine(shape, r, Infinity, { checkpoint: { id: 9, kind: 'savepoint', bytes: 10, durationMs: 3, ageMs: 0 } });
  assert.match(sp, /sp 9 10 B\/3ms/);
  // Without live figures the line is what it was.
  assert.match(statusLine(shape, r), /^2\.0s {2}250 ev\/s │ src 250\/s/);
  // Narrow: cut, never longer than asked.
  assert.ok(statusLine(shape, r, 30, { watermark: { watermark: NOW - 5, lagMs: 5 } }).length <= 30);
});

test('statusLine shows synthetic event time (not wall-clock) as the watermark, not as a lag of decades', () => {
  const r = rates(shape, undefined, metrics(500));
  const line = statusLine(shape, r, Infinity, { watermark: { watermark: 12_668, lagMs: NOW - 12_668 } });
  assert.match(line, /^2\.0s {2}250 ev\/s {2}wm 12,668 │ src /);
  assert.doesNotMatch(line, /lag/);
});

test('statusLine shows the share of time an aligned source was held back, beside backpressure, only when there was some', () => {
  const before = metrics(0, [task('src', { busyMs: 0, idleMs: 0 }), task('count -> out', { busyMs: 0, idleMs: 0 })]);
  const held = metrics(500, [task('src', { busyMs: 20, backpressuredMs: 20, idleMs: 60, alignmentHeldMs: 30 }), task('count -> out', { busyMs: 50, idleMs: 50 })]);
  const line = statusLine(shape, rates(shape, before, held));
  assert.match(line, /│ src [^│ ]+ bp 20% held 30% │ count [^│]+ bp 0%$/);
  const notHeld = metrics(500, [task('src', { busyMs: 20, backpressuredMs: 20, idleMs: 60 }), task('count -> out', { busyMs: 50, idleMs: 50 })]);
  assert.doesNotMatch(statusLine(shape, rates(shape, before, notHeld)), /held/);
});

test('summary: checkpoint line, restarts, late records and latency columns when measured', () => {
  const m = metrics(10, [task('src'), task('count -> out', { latency: { markers: 4, p50Ms: 1.5, p99Ms: 12, p999Ms: 12, maxMs: 13 } })]);
  const text = summary(shape, { job: 'j', metrics: m, outcome: 'finished', checkpoints: { completed: [cp(1), cp(2, 'savepoint', 'nightly')], aborted: [{ id: 3, reason: 'x' }], completedTotal: 1002, abortedTotal: 1 }, restarts: 1 });
  assert.match(text, /latency p50 ms {2}p99 ms {2}max ms/);
  assert.match(text, /count -> out .* 1\.50 {2}\s*12 {2}\s*13$/m);
  assert.match(text, /late records dropped: 3/);
  // Totals count what the lists (the most recent ones) no longer hold.
  assert.match(text, /checkpoints: 1,002 completed \(last 2 savepoint 'nightly': 3\.4 KiB in 45 ms\), 1 aborted; 1 restart$/m);
  const none = summary(shape, { job: 'j', metrics: metrics(10, undefined, 0), outcome: 'finished' });
  assert.doesNotMatch(none, /latency|checkpoints:|late records/);
  assert.equal(checkpointSummary({ completed: [], aborted: [], completedTotal: 0, abortedTotal: 0 }), 'checkpoints: 0 completed, 0 aborted');
  // Taken unaligned (checkpointMode 'unaligned', or switched by alignmentTimeoutMs): said, as the log line does.
  assert.equal(checkpointSummary({ completed: [{ ...cp(9), unaligned: true }], aborted: [], completedTotal: 9, abortedTotal: 0 }), 'checkpoints: 9 completed (last 9 unaligned: 3.4 KiB in 45 ms), 0 aborted');
});

test('jsonReport carries checkpoints, restarts and the checkpoint resumed from', () => {
  const r = jsonReport(shape, { job: 'j', parallelism: 1, cancelled: false, metrics: metrics(10), collected: {}, checkpoints: { completed: [cp(1), cp(4)], aborted: [], completedTotal: 2, abortedTotal: 0 }, restarts: 2, restoredFrom: 3 });
  assert.deepEqual([r.checkpoints?.completed, r.checkpoints?.aborted, r.checkpoints?.last?.id, r.restarts, r.restoredFrom], [2, 0, 4, 2, 3]);
  const plain = jsonReport(shape, { job: 'j', parallelism: 1, cancelled: false, metrics: metrics(10), collected: {} });
  assert.deepEqual([plain.checkpoints, plain.restarts, plain.restoredFrom, plain.stoppedWithSavepoint], [null, 0, null, null]);
  const stopped = jsonReport(shape, { job: 'j', parallelism: 1, cancelled: true, metrics: metrics(10), collected: {}, stoppedWithSavepoint: cp(5, 'savepoint', 'v2') });
  assert.deepEqual(stopped.stoppedWithSavepoint, { id: 5, name: 'v2', readAfter: null });
  const counted = jsonReport(shape, { job: 'j', parallelism: 1, cancelled: true, metrics: metrics(10), collected: {}, stoppedWithSavepoint: cp(5, 'savepoint', 'v2'), readAfterSavepoint: 3 });
  assert.deepEqual(counted.stoppedWithSavepoint, { id: 5, name: 'v2', readAfter: 3 });
});

// Regression: a trial's stop-with-savepoint summary said 13,336 events read where the savepoint covers 12,668:
// the sources read on while it completed, and nothing said that those were in no checkpoint and never published.
test('summary of a stop with savepoint says what the savepoint covers of the records read, and what came after its barrier', () => {
  const text = summary(shape, { job: 'j', metrics: metrics(13_336), outcome: "stopped with savepoint 'v2' (checkpoint 5)", readAfterSavepoint: 668 });
  assert.match(text.split('\n')[0]!, /^sluice: j stopped with savepoint 'v2' \(checkpoint 5\) after 2\.0s: 13,336 events from the sources \(the savepoint covers 12,668; the 668 read after its barrier were not published, and a job resumed from it reads them again\), 6\.67k events\/s$/);
  assert.doesNotMatch(summary(shape, { job: 'j', metrics: metrics(13_336), outcome: 'cancelled' }), /savepoint covers/);
});

// Regression: records an error policy dropped or dead-lettered appeared nowhere in the summary or the
// JSON report, so an operator's records in and out did not add up and nothing said why.
test('summary and jsonReport show what error policies dropped and dead-lettered', () => {
  const m = metrics(10);
  m.operators[1] = { ...m.operators[1]!, recordsOut: 7, dropped: 2, deadLettered: 1 };
  const text = summary(shape, { job: 'j', metrics: m, outcome: 'finished' });
  assert.match(text, /records out {2}dropped {2}dead-lettered/);
  assert.match(text, /^\s*count\s+1\s+10\s+7\s+2\s+1$/m);
  assert.doesNotMatch(summary(shape, { job: 'j', metrics: metrics(10), outcome: 'finished' }), /dropped {2}dead-lettered/, 'no columns when nothing was rejected');
  const report = jsonReport(shape, { job: 'j', parallelism: 1, cancelled: false, metrics: m, collected: {} });
  const count = report.operators.find((o) => o.operator === 'count')!;
  assert.deepEqual([count.recordsIn, count.recordsOut, count.dropped, count.deadLettered], [10, 7, 2, 1]);
  assert.equal(report.operators.find((o) => o.operator === 'out')!.lateRecordsDropped, 3);
});

test('summary and jsonReport show records sent to side outputs, only when there are any', () => {
  const m = metrics(10);
  m.operators[1] = { ...m.operators[1]!, recordsOut: 6, sideOutputRecords: 4 };
  const text = summary(shape, { job: 'j', metrics: m, outcome: 'finished' });
  assert.match(text, /records out {2}to side outputs$/m);
  assert.match(text, /^\s*count\s+1\s+10\s+6\s+4$/m);
  assert.doesNotMatch(summary(shape, { job: 'j', metrics: metrics(10), outcome: 'finished' }), /side outputs/);
  const report = jsonReport(shape, { job: 'j', parallelism: 1, cancelled: false, metrics: m, collected: {} });
  assert.equal(report.operators.find((o) => o.operator === 'count')!.sideOutputRecords, 4);
});

// Regression: a perf trial's 2 M-event job said "finished after 2.5s: ... 796.5k events/s" where its tasks ran
// 1.7 s (1.19 M events/s): the duration counts threads starting, and nothing said how much of it that was.
test('summary and jsonReport give the rate over the time the tasks ran when start-up is a visible part of the duration', () => {
  const tasks = [task('src', { busyMs: 600, backpressuredMs: 300, idleMs: 100 }), task('count -> out', { busyMs: 900, idleMs: 50 })];
  const m = { ...metrics(1_000_000, tasks), durationMs: 2500 };
  const lines = summary(shape, { job: 'j', metrics: m, outcome: 'finished' }).split('\n');
  assert.match(lines[0]!, /: 1,000,000 events from the sources, 400\.0k events\/s$/);
  assert.equal(lines[1], '  1.00M events/s over the 1.0s its tasks ran (the other 1.5s: threads starting, restoring, ending)');
  const r = jsonReport(shape, { job: 'j', parallelism: 1, cancelled: false, metrics: m, collected: {} });
  assert.deepEqual([r.eventsPerSec, r.tasksRanMs, r.eventsPerSecWhileTasksRan], [400_000, 1000, 1_000_000]);
  // A long run, start-up a sliver of it: one rate is enough.
  const long = { ...metrics(1_000_000, [task('src', { busyMs: 1990, idleMs: 0 })]), durationMs: 2000 };
  assert.doesNotMatch(summary(shape, { job: 'j', metrics: long, outcome: 'finished' }), /its tasks ran/);
  const none = jsonReport(shape, { job: 'j', parallelism: 1, cancelled: true, metrics: { ...metrics(0, [task('src', { busyMs: 0, idleMs: 0 })]) }, collected: {} });
  assert.deepEqual([none.tasksRanMs, none.eventsPerSecWhileTasksRan], [0, null]);
});

test('summary says "1 event", not "1 events"', () => {
  assert.match(summary(shape, { job: 'j', metrics: metrics(1), outcome: 'finished' }), /: 1 event from the sources,/);
  assert.match(summary(shape, { job: 'j', metrics: metrics(0), outcome: 'finished' }), /: 0 events from the sources,/);
});

test('the starting line says "1 thread", not "1 threads"', () => {
  assert.equal(startingLine('j.ts', 2, 1, shape), 'starting: j.ts (parallelism 2, 1 thread; src ×1 | count -> out ×1)');
  assert.match(startingLine('j.ts', 2, 2, shape), /, 2 threads;/);
});

// Regression: a saturated asyncMap read as an idle task, with nothing saying its requests were all in flight.
test('an asyncMap: the live line shows its requests in flight of its capacity and its task waiting on them; the summary an async wait column; jsonReport both', () => {
  const m = metrics(100, [task('src'), task('count -> out', { busyMs: 10, idleMs: 0, asyncWaitMs: 90 })]);
  m.operators[1] = { ...m.operators[1]!, inFlight: 200, capacity: 200 };
  const line = statusLine(shape, rates(shape, undefined, m));
  assert.match(line, /count 50\/s in flight 200\/200/);
  assert.match(line, /bp 0% async wait 90%/);
  assert.doesNotMatch(line, /src [^│]*in flight/, 'only async operators show it');
  const text = summary(shape, { job: 'j.ts', metrics: m, outcome: 'finished' });
  assert.match(text, /idle ms {2}async wait ms/);
  assert.match(text, /count -> out +0 +0 +10 +0 +0 +90 +0%/);
  assert.doesNotMatch(summary(shape, { job: 'j.ts', metrics: metrics(100), outcome: 'finished' }), /async wait/, 'no column without an asyncMap');
  const report = jsonReport(shape, { job: 'j.ts', parallelism: 1, cancelled: false, metrics: m, collected: {} });
  assert.deepEqual(report.operators.map((o) => [o.operator, o.inFlight, o.capacity]), [['src', undefined, undefined], ['count', 200, 200], ['out', undefined, undefined]]);
  assert.equal(report.tasks[1]!.asyncWaitMs, 90);
  assert.equal(report.tasksRanMs, 100, 'the async wait is time its task ran');
});

// An asyncMap's thinned latency markers were counted nowhere: the latency columns read as if every marker came.
test('the summary: a markers dropped column when an asyncMap thinned latency markers; jsonReport carries the count', () => {
  const latency = { markers: 40, p50Ms: 1.5, p99Ms: 12, p999Ms: 12, maxMs: 13 };
  const m = metrics(100, [task('src'), task('count -> out', { latency, latencyMarkersDropped: 1234 })]);
  const text = summary(shape, { job: 'j.ts', metrics: m, outcome: 'finished' });
  assert.match(text, /max ms {2}markers dropped$/m);
  assert.match(text, /count -> out .* 13 {2}\s*1,234$/m);
  assert.match(text, /^\s*src .* 0$/m);
  const kept = summary(shape, { job: 'j.ts', metrics: metrics(100, [task('src'), task('count -> out', { latency })]), outcome: 'finished' });
  assert.doesNotMatch(kept, /markers dropped/, 'no column when none was dropped');
  assert.equal(jsonReport(shape, { job: 'j.ts', parallelism: 1, cancelled: false, metrics: m, collected: {} }).tasks[1]!.latencyMarkersDropped, 1234);
});
