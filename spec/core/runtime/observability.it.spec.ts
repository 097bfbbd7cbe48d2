// An embedded job observed from outside: watermarks and event-time lag per subtask, end-to-end latency from
// latency markers (on and off), the Prometheus endpoint (serveMetrics) and the control socket (serveControl),
// which replaces a stale socket file and goes away when the job ends.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { run, type JobHandle } from '../../../core/index.js';
import { serveMetrics } from '../../../core/runtime/metrics-server.js';
import { controlSocketPath, requestControl, serveControl, NoJobRunningError } from '../../../core/runtime/control-server.js';

const job = new URL('../cli/jobs/ticking.ts', import.meta.url);
let dir = '';
before(() => { dir = mkdtempSync(join(tmpdir(), 'sluice-obs-')); });
after(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Polls the live metrics until `ok` holds (the job's threads take a while to start; never a timing assertion). The
 * deadline only turns a hang into a failure.
 */
async function until(h: JobHandle, ok: (h: JobHandle) => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!ok(h)) {
    assert.ok(Date.now() < deadline, `not within 60 s: ${what}`);
    await delay(20);
  }
}

/** Whether some live task row passes `pick` and every one that does passes `ok` (not vacuously true). */
const allOf = (h: JobHandle, pick: (task: string) => boolean, ok: (t: ReturnType<JobHandle['metrics']>['tasks'][number]) => boolean): boolean => {
  const tasks = h.metrics().tasks.filter((t) => pick(t.task));
  return tasks.length > 0 && tasks.every(ok);
};

/** The live task rows `pick` takes, at least one (a filter matching nothing would make `every` vacuously true). */
const tasksOf = (h: JobHandle, pick: (task: string) => boolean): ReturnType<JobHandle['metrics']>['tasks'] => {
  const tasks = h.metrics().tasks.filter((t) => pick(t.task));
  assert.ok(tasks.length > 0, `no task matches in ${JSON.stringify(h.metrics().tasks.map((t) => t.task))}`);
  return tasks;
};

const sinkRecords = (h: JobHandle): number => h.metrics().operators.filter((o) => o.operator === 'sink').reduce((n, o) => n + o.recordsIn, 0);

test('latency markers cross every exchange to the sinks; watermarks and their lag are published per subtask', async () => {
  // No chaining: ticks → stamp → count → sink are four tasks, so markers cross three rings (one a hash exchange).
  const h = await run(job, { parallelism: 2, chaining: false, latencyTrackingIntervalMs: 10 });
  try {
    await until(h, (x) => allOf(x, (t) => t === 'sink', (t) => (t.latency?.markers ?? 0) >= 5), 'five markers at each sink');
    for (const t of tasksOf(h, (x) => x === 'sink')) {
      const l = t.latency!;
      assert.ok(l.p50Ms >= 0 && l.p50Ms <= l.p99Ms && l.p99Ms <= l.p999Ms && l.p999Ms <= l.maxMs * 1.001 + 0.001, JSON.stringify(l));
    }
    assert.ok(tasksOf(h, (t) => t !== 'sink').every((t) => t.latency === null), 'only sinks record latency');
    await until(h, (x) => allOf(x, (t) => t !== 'ticks', (t) => t.watermark !== null), 'a watermark at every task after the source');
    for (const t of tasksOf(h, (x) => x !== 'ticks')) {
      // Ingestion-time timestamps: the watermark trails the wall clock, and the lag is finite.
      assert.ok(t.watermark! <= Date.now() && Number.isFinite(t.watermarkLagMs), JSON.stringify(t));
    }
    assert.ok(tasksOf(h, (t) => t === 'ticks').every((t) => t.watermark === null), 'the source has no watermark of its own');
  } finally {
    await h.cancel();
  }
});

test('latency tracking off: no markers anywhere', async () => {
  const h = await run(job, { parallelism: 2, chaining: false });
  try {
    // As many records as took the run above well past its markers (at a 10 ms interval).
    await until(h, (x) => sinkRecords(x) >= 20_000, '20,000 records at the sinks');
    assert.ok(h.metrics().tasks.every((t) => t.latency === null));
  } finally {
    await h.cancel();
  }
});

test('serveMetrics: the metric families, labelled by job, task, operator and subtask; closed when the job ends', async () => {
  const state = join(dir, 'metrics');
  const h = await run(job, { parallelism: 2, latencyTrackingIntervalMs: 10, stateDir: state, checkpointIntervalMs: 50 });
  const server = await serveMetrics(h, { port: 0, job: 'ticking' });
  assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
  let body = '';
  try {
    const ready = (text: string): boolean => /sluice_checkpoints_completed_total\{job="ticking",kind="checkpoint"\} [1-9]/.test(text)
      && /sluice_end_to_end_latency_seconds\{[^}]*quantile="0\.99"\}/.test(text) && /sluice_task_watermark_lag_seconds\{/.test(text)
      // Asserted below: a subtask's first records can come after the first checkpoint (a race a run showed).
      && /sluice_operator_records_in_total\{job="ticking",task="count -> sink",operator="count",subtask="1"\} [1-9]/.test(text);
    const deadline = Date.now() + 60_000;
    for (;;) {
      body = await (await fetch(server.url)).text();
      if (ready(body)) break;
      assert.ok(Date.now() < deadline, `the endpoint did not show a checkpoint and latency within 60 s:\n${body}`);
      await delay(50);
    }
  } finally {
    await h.cancel();
  }
  for (const family of [
    'sluice_operator_records_in_total counter', 'sluice_operator_records_out_total counter', 'sluice_operator_records_in_per_second gauge',
    'sluice_operator_late_records_dropped_total counter', 'sluice_operator_records_dropped_total counter', 'sluice_operator_records_dead_lettered_total counter', 'sluice_operator_side_output_records_total counter',
    'sluice_task_busy_seconds_total counter', 'sluice_task_backpressured_seconds_total counter',
    'sluice_task_idle_seconds_total counter', 'sluice_task_alignment_held_seconds_total counter', 'sluice_task_watermark_seconds gauge', 'sluice_task_watermark_lag_seconds gauge',
    'sluice_task_bad_records_total counter', 'sluice_end_to_end_latency_seconds gauge', 'sluice_latency_markers_total counter',
    'sluice_checkpoints_completed_total counter', 'sluice_checkpoints_aborted_total counter', 'sluice_checkpoint_duration_seconds histogram',
    'sluice_last_checkpoint_size_bytes gauge', 'sluice_last_checkpoint_duration_seconds gauge', 'sluice_job_uptime_seconds gauge',
    'process_cpu_user_seconds_total counter',
  ]) assert.ok(body.includes(`# TYPE ${family}`), `${family} in\n${body}`);
  assert.match(body, /sluice_operator_records_in_total\{job="ticking",task="count -> sink",operator="count",subtask="1"\} [1-9]/);
  assert.match(body, /sluice_checkpoint_duration_seconds_count\{job="ticking",kind="checkpoint"\} [1-9]/);
  // Regression: no sample at all until the first abort.
  assert.match(body, /^sluice_checkpoints_aborted_total\{job="ticking"\} 0$/m);
  // Quantiles never above the maximum (quantile 1), which they were.
  const all = [...body.matchAll(/sluice_end_to_end_latency_seconds\{([^}]*),quantile="([\d.]+)"\} (\S+)/g)];
  let compared = 0;
  for (const [, labels, q, v] of all) {
    const max = all.find(([, l, q2]) => l === labels && q2 === '1')?.[3];
    if (max !== undefined) { assert.ok(Number(v) <= Number(max), `quantile ${q} ${v} above the max ${max} (${labels})`); compared++; }
  }
  // Each subtask with latency has quantiles 0.5, 0.99, 0.999 and 1: the check above ran on all of them.
  assert.ok(compared >= 4 && compared === all.length, `${compared} of ${all.length} quantiles compared with a max`);
  // The sink subtask that reported first (the ready check waited for one).
  const sub = /sluice_end_to_end_latency_seconds\{job="ticking",task="count -> sink",subtask="(\d)"/.exec(body)![1];
  const quantiles = ['0.5', '0.99', '0.999', '1'].map((q) => Number(new RegExp(`sluice_end_to_end_latency_seconds\\{job="ticking",task="count -> sink",subtask="${sub}",thread="\\d+",quantile="${q}"\\} (\\S+)`).exec(body)?.[1]));
  assert.ok(quantiles.every((v) => v >= 0) && quantiles[0]! <= quantiles[1]!, `latency quantiles ${quantiles}`);
  // The job ended: the endpoint went with it.
  await assert.rejects(fetch(server.url));
});

// Regression: Node's process metrics were registered into each job's registry, and prom-client
// cannot stop their collectors (a GC observer), so every job ever served stayed in memory: ~10 MB each.
test('serveMetrics keeps no job alive after it ended: the handle of a served job is collected', async () => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const served = async (): Promise<WeakRef<JobHandle>> => {
    // Not tied to the test (endsWithTest): its after hook would hold the handle this test sees collected.
    const h = await run(job, { parallelism: 1 });
    const server = await serveMetrics(h, { port: 0 });
    assert.match(await (await fetch(server.url)).text(), /process_cpu_user_seconds_total/);
    await h.cancel();
    await server.close();
    return new WeakRef(h);
  };
  const refs = [await served(), await served()];
  for (let i = 0; i < 20 && refs.some((r) => r.deref() !== undefined); i++) {
    await delay(50);
    gc();
  }
  assert.deepEqual(refs.map((r) => r.deref() === undefined), [true, true]);
});

test('serveControl: savepoints and status from another connection; a stale socket file is replaced; gone at the end', async () => {
  const state = join(dir, 'control');
  await assert.rejects(requestControl(state, { op: 'status' }), NoJobRunningError);
  const h = await run(job, { parallelism: 1, stateDir: state });
  // What a process killed with SIGKILL leaves behind: a socket path nobody listens on.
  writeFileSync(controlSocketPath(state), '');
  await assert.rejects(requestControl(state, { op: 'status' }), NoJobRunningError);
  const server = await serveControl(h);
  try {
    assert.equal(server.path, join(state, 'control.sock'));
    const sp = await requestControl(state, { op: 'savepoint', name: 'embedded' });
    assert.ok('checkpoint' in sp && sp.checkpoint.kind === 'savepoint' && sp.checkpoint.name === 'embedded', JSON.stringify(sp));
    const status = await requestControl(state, { op: 'status' });
    assert.ok('status' in status && status.status.pid === process.pid && status.status.checkpoints.latest?.name === 'embedded', JSON.stringify(status));
    await assert.rejects(requestControl(state, { op: 'savepoint', name: 'no spaces allowed' }), /savepoint: the name must be/);
    await assert.rejects(serveControl(h), /another job \(in another process, or in this one\) is serving the control socket/);
  } finally {
    await h.cancel();
  }
  await server.close();
  assert.ok(!existsSync(server.path), 'the socket file is removed');
});
