// Runs on: main thread. A running job's metrics as a Prometheus endpoint (GET /metrics), for `sluice run
// --metrics-port` and embedded jobs (`serveMetrics(handle, { port })`).
//
// Every value is read at scrape time: the per-subtask figures from the job's shared metrics buffer
// (handle.metrics()), checkpoint figures from handle.checkpoints(). prom-client renders them (one registry per
// server, so two jobs in one process do not share metrics); Node's process metrics come with them. Rates are
// left to Prometheus (`rate(sluice_operator_records_in_total[1m])`), except the two per-second gauges the CLI's
// status line also shows, kept from a 1 s sampler so a scrape does not depend on when the previous one came.

import { newestCompleted } from '../checkpoint/checkpoint-history.js';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import type * as PromClient from 'prom-client';
import type { JobHandle } from './job-handle.js';
import type { JobMetrics } from './metrics.js';
import { MAX_WATERMARK } from '../time/watermark.js';
import { shownValue } from '../api/shown-value.js';
import { checkKnownOptions } from '../api/known-options.js';

const SAMPLE_EVERY_MS = 1000;

// Loaded on first use: every worker thread imports the public API, and only a main thread serving metrics needs it.
const requireLazy = createRequire(import.meta.url);
const promClient = (): typeof PromClient => requireLazy('prom-client') as typeof PromClient;

export interface MetricsServerOptions {
  /** TCP port (0: any free port; see `port` on the result). */
  port: number;
  /** Interface to listen on (default 127.0.0.1: metrics stay on this machine unless asked otherwise). */
  host?: string;
  /** The `job` label (default 'job'). */
  job?: string;
}

// Every option by name: the compiler refuses this list when MetricsServerOptions changes and it does not follow.
const METRICS_SERVER_KEYS = Object.keys({ port: true, host: true, job: true } satisfies Record<keyof MetricsServerOptions, true>);

export interface MetricsServer {
  readonly port: number;
  /** http://host:port/metrics */
  readonly url: string;
  readonly registry: PromClient.Registry;
  close(): Promise<void>;
}

/** Label sets, keyed the way the metrics buffer is laid out (operators and tasks in plan order). */
interface Labels {
  operators: { job: string; task: string; operator: string; subtask: string }[];
  tasks: { job: string; task: string; subtask: string; thread: string }[];
}

function labelsOf(handle: JobHandle, job: string): Labels {
  const operators: Labels['operators'] = [];
  const tasks: Labels['tasks'] = [];
  for (const p of handle.plan.placements) {
    const t = handle.plan.tasks[p.task]!;
    tasks.push({ job, task: t.name, subtask: String(p.subtask), thread: String(p.thread) });
    for (const id of t.nodeIds) operators.push({ job, task: t.name, operator: handle.operatorNames[id]!, subtask: String(p.subtask) });
  }
  return { operators, tasks };
}

/**
 * Node's process metrics, registered once per process and shared by every job's registry. prom-client's
 * collectors for them (a GC observer, an event-loop monitor) cannot be stopped; registered into a job's own
 * registry, they would keep that registry, its collect functions and so the job's handle and shared buffers alive after
 * the job ended: ~10 MB per job served in one process. Process-wide state, but so is what it
 * measures.
 */
let processRegistry: PromClient.Registry | undefined;

function processMetrics(): PromClient.Registry {
  if (processRegistry === undefined) {
    const { Registry, collectDefaultMetrics } = promClient();
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

/** Builds the registry of a job's metrics. Exported for tests and for callers with their own HTTP server. */
export function jobRegistry(handle: JobHandle, job = 'job'): { registry: PromClient.Registry; stop(): void } {
  const { Counter, Gauge, Histogram, Registry } = promClient();
  const registry = new Registry();
  const labels = labelsOf(handle, job);
  const jobLabel = { job };
  const op = ['job', 'task', 'operator', 'subtask'] as const;
  const task = ['job', 'task', 'subtask', 'thread'] as const;
  const registers = [registry];

  // One read of the buffer per scrape, shared by every family (collect() runs once per family).
  let scrape: { at: number; m: JobMetrics } | undefined;
  const now = (): JobMetrics => {
    const t = performance.now();
    if (!scrape || t - scrape.at > 50) scrape = { at: t, m: handle.metrics() };
    return scrape.m;
  };
  // Previous and latest 1 s samples, for the per-second gauges.
  let samples: { at: number; m: JobMetrics }[] = [];
  const sample = (): void => {
    samples = [...samples.slice(-1), { at: performance.now(), m: handle.metrics() }];
  };
  sample();
  const sampler = setInterval(sample, SAMPLE_EVERY_MS);
  sampler.unref();

  const counter = (name: string, help: string, labelNames: readonly string[], value: (m: JobMetrics, i: number) => number, rows: 'operators' | 'tasks'): void => {
    new Counter({
      name, help, labelNames, registers,
      collect() {
        this.reset();
        const m = now();
        m[rows].forEach((_, i) => this.inc(labels[rows][i]!, Math.max(0, value(m, i))));
      },
    });
  };
  counter('sluice_operator_records_in_total', 'Records pushed into the operator (a source: records it emitted).', op, (m, i) => m.operators[i]!.recordsIn, 'operators');
  counter('sluice_operator_records_out_total', 'Records the operator emitted.', op, (m, i) => m.operators[i]!.recordsOut, 'operators');
  counter('sluice_operator_late_records_dropped_total', 'Late records dropped by an event-time window or join without a late-data side output.', op, (m, i) => m.operators[i]!.lateRecordsDropped, 'operators');
  counter('sluice_operator_records_dropped_total', "Records skipped by the operator's 'drop' error policy.", op, (m, i) => m.operators[i]!.dropped, 'operators');
  counter('sluice_operator_records_dead_lettered_total', "Records sent to DEAD_LETTERS by the operator's 'dead-letter' error policy.", op, (m, i) => m.operators[i]!.deadLettered, 'operators');
  counter('sluice_operator_side_output_records_total', 'Records the operator sent to side outputs (ctx.output, late data).', op, (m, i) => m.operators[i]!.sideOutputRecords, 'operators');
  counter('sluice_task_busy_seconds_total', 'Time the subtask was neither idle nor backpressured: its own steps that did work, and its thread\'s other subtasks\' steps while it had work waiting (input, and room for output).', task, (m, i) => m.tasks[i]!.busyMs / 1000, 'tasks');
  counter('sluice_task_backpressured_seconds_total', 'Time the subtask was blocked on a full output ring, parked or while its thread ran other subtasks.', task, (m, i) => m.tasks[i]!.backpressuredMs / 1000, 'tasks');
  counter('sluice_task_idle_seconds_total', 'Time the subtask had nothing to do (no input, timer or source record due), parked or while its thread ran other subtasks.', task, (m, i) => m.tasks[i]!.idleMs / 1000, 'tasks');
  counter('sluice_task_async_wait_seconds_total', 'Time the subtask had nothing to do but wait for its async operators\' requests (asyncMap with requests in flight): not in busy, backpressured or idle.', task, (m, i) => m.tasks[i]!.asyncWaitMs / 1000, 'tasks');
  counter('sluice_task_alignment_held_seconds_total', 'Of the idle time, the time an aligned source was held back by its watermark alignment group.', task, (m, i) => m.tasks[i]!.alignmentHeldMs / 1000, 'tasks');
  counter('sluice_task_bad_records_total', 'Records the subtask\'s source could not decode.', task, (m, i) => m.tasks[i]!.badRecords, 'tasks');

  const perSecond = (name: string, help: string, pick: 'recordsIn' | 'recordsOut'): void => {
    new Gauge({
      name, help, labelNames: op, registers,
      collect() {
        this.reset();
        const [a, b] = samples;
        if (!a || !b) return;
        const dt = Math.max(1e-3, (b.at - a.at) / 1000);
        b.m.operators.forEach((o, i) => this.set(labels.operators[i]!, Math.max(0, (o[pick] - a.m.operators[i]![pick]) / dt)));
      },
    });
  };
  perSecond('sluice_operator_records_in_per_second', 'Records in per second over the last second.', 'recordsIn');
  perSecond('sluice_operator_records_out_per_second', 'Records out per second over the last second.', 'recordsOut');

  // Async operators only (asyncMap): requests in flight against their capacity; equal, the operator takes no input.
  const asyncGauge = (name: string, help: string, pick: 'inFlight' | 'capacity'): void => {
    new Gauge({
      name, help, labelNames: op, registers,
      collect() {
        this.reset();
        now().operators.forEach((o, i) => { const v = o[pick]; if (v !== undefined) this.set(labels.operators[i]!, v); });
      },
    });
  };
  asyncGauge('sluice_operator_async_in_flight', 'Requests of the async operator (asyncMap) started whose result is not out yet.', 'inFlight');
  asyncGauge('sluice_operator_async_capacity', 'Requests the async operator (asyncMap) may have in flight at most (its capacity).', 'capacity');
  new Gauge({
    name: 'sluice_task_watermark_seconds', help: 'The subtask\'s event-time watermark (absent before its first watermark and after its input ended).', labelNames: task, registers,
    collect() {
      this.reset();
      now().tasks.forEach((t, i) => { if (t.watermark !== null && t.watermark < MAX_WATERMARK) this.set(labels.tasks[i]!, t.watermark / 1000); });
    },
  });
  new Gauge({
    name: 'sluice_task_watermark_lag_seconds', help: 'Wall-clock time minus the subtask\'s watermark (event-time lag).', labelNames: task, registers,
    collect() {
      this.reset();
      now().tasks.forEach((t, i) => { if (t.watermarkLagMs !== null) this.set(labels.tasks[i]!, t.watermarkLagMs / 1000); });
    },
  });
  new Gauge({
    name: 'sluice_task_watermark_idle', help: 'The subtask\'s stream is marked idle (1: no split to read, withIdleness, or every input idle), so its watermark holds no event time back; 0 otherwise.', labelNames: task, registers,
    collect() {
      this.reset();
      now().tasks.forEach((t, i) => this.set(labels.tasks[i]!, t.watermarkIdle ? 1 : 0));
    },
  });
  new Gauge({
    name: 'sluice_end_to_end_latency_seconds',
    help: 'Latency from source to this subtask\'s sinks, from latency markers, over the last 1-2 minutes (quantile 1 is the max).',
    labelNames: [...task, 'quantile'], registers,
    collect() {
      this.reset();
      now().tasks.forEach((t, i) => {
        if (!t.latency) return;
        const l = labels.tasks[i]!;
        const q: [string, number][] = [['0.5', t.latency.p50Ms], ['0.99', t.latency.p99Ms], ['0.999', t.latency.p999Ms], ['1', t.latency.maxMs]];
        for (const [quantile, ms] of q) if (Number.isFinite(ms)) this.set({ ...l, quantile }, ms / 1000);
      });
    },
  });
  counter('sluice_latency_markers_total', 'Latency markers received by the subtask\'s sinks.', task, (m, i) => m.tasks[i]!.latency?.markers ?? 0, 'tasks');
  counter('sluice_latency_markers_dropped_total', 'Latency markers the subtask\'s async operators dropped: an asyncMap holds at most 64 behind a request that has not settled, evenly thinned; those held when the job is cancelled or fails are dropped too.', task, (m, i) => m.tasks[i]!.latencyMarkersDropped, 'tasks');

  // ---- checkpoints: counted once each, by id (ids only grow, restarts included). Every family refreshes them all
  // before it renders (idempotent), so none depends on the order families are read in.
  let seenCompletedId = 0;
  let seenCompleted = 0;
  let seenAborted = 0;
  const collect = (): void => updateCheckpoints();
  const completed = new Counter({ name: 'sluice_checkpoints_completed_total', help: 'Checkpoints and savepoints completed.', labelNames: ['job', 'kind'], registers, collect });
  const aborted = new Counter({ name: 'sluice_checkpoints_aborted_total', help: 'Checkpoints aborted (declined, timed out, or the job stopped).', labelNames: ['job'], registers, collect });
  // Scraped as 0 before the first abort (a series that appears only then reads as missing, not as none so far).
  aborted.inc(jobLabel, 0);
  const durations = new Histogram({
    name: 'sluice_checkpoint_duration_seconds', help: 'Time from trigger to committed manifest.', labelNames: ['job', 'kind'], registers, collect,
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  });
  const last = {
    id: new Gauge({ name: 'sluice_last_checkpoint_id', help: 'Id of the newest completed checkpoint or savepoint.', labelNames: ['job'], registers, collect }),
    duration: new Gauge({ name: 'sluice_last_checkpoint_duration_seconds', help: 'Duration of the newest completed checkpoint.', labelNames: ['job'], registers, collect }),
    size: new Gauge({ name: 'sluice_last_checkpoint_size_bytes', help: 'Bytes written by the newest completed checkpoint (incremental: new chunks only).', labelNames: ['job'], registers, collect }),
    commit: new Gauge({ name: 'sluice_last_checkpoint_commit_seconds', help: 'Time from the newest published checkpoint\'s committed manifest until its sinks published and older checkpoints were deleted.', labelNames: ['job'], registers, collect }),
    entries: new Gauge({ name: 'sluice_last_checkpoint_keyed_entries', help: 'Keyed state entries in the newest completed checkpoint.', labelNames: ['job'], registers, collect }),
  };
  function updateCheckpoints(): void {
    const c = handle.checkpoints();
    // The new ones are at the end of the list (the history keeps the most recent).
    let from = c.completed.length;
    while (from > 0 && c.completed[from - 1]!.id > seenCompletedId) from--;
    for (let i = from; i < c.completed.length; i++) {
      const cp = c.completed[i]!;
      completed.inc({ job, kind: cp.kind });
      durations.observe({ job, kind: cp.kind }, cp.durationMs / 1000);
      seenCompletedId = Math.max(seenCompletedId, cp.id);
      seenCompleted++;
    }
    // More completed between two scrapes than the history lists (scrapes stopped for a long while): the rest are
    // counted as checkpoints, their durations unknown.
    if (c.completedTotal > seenCompleted) {
      completed.inc({ job, kind: 'checkpoint' }, c.completedTotal - seenCompleted);
      seenCompleted = c.completedTotal;
    }
    if (c.abortedTotal > seenAborted) {
      aborted.inc(jobLabel, c.abortedTotal - seenAborted);
      seenAborted = c.abortedTotal;
    }
    const newest = newestCompleted(c);
    if (newest) {
      last.id.set(jobLabel, newest.id);
      last.duration.set(jobLabel, newest.durationMs / 1000);
      last.size.set(jobLabel, newest.bytesWritten);
      last.entries.set(jobLabel, newest.keyedEntries);
    }
    // A loop, not findLast: a job importing the API type-checks against the ES2022 lib (output-type-hint.spec).
    for (let i = c.completed.length - 1; i >= 0; i--) {
      const ms = c.completed[i]!.commitMs;
      if (ms !== undefined) { last.commit.set(jobLabel, ms / 1000); break; }
    }
  }
  new Gauge({
    name: 'sluice_job_uptime_seconds', help: 'Time since the job started.', labelNames: ['job'], registers,
    collect() {
      this.set(jobLabel, now().durationMs / 1000);
    },
  });
  return { registry: Registry.merge([processMetrics(), registry]), stop: () => clearInterval(sampler) };
}

/**
 * Serves the job's metrics at http://host:port/metrics until the job ends (or close()). Resolves once listening.
 */
export async function serveMetrics(handle: JobHandle, options: MetricsServerOptions): Promise<MetricsServer> {
  // Before the port's check: { prot: 9090 } is said as the misspelt key, not as a missing port.
  if (options !== null && typeof options === 'object') checkKnownOptions(options, METRICS_SERVER_KEYS, 'serveMetrics', (m) => new TypeError(m));
  // Node's listen takes '9090' as a port and 'x' as a pipe's path: a number only, as the CLI's flag gives.
  if (!(Number.isInteger(options?.port) && options.port >= 0 && options.port <= 65535)) throw new RangeError(`serveMetrics: port must be an integer from 0 to 65535 (0: any free port), got ${shownValue(options?.port)}`);
  const host = options.host ?? '127.0.0.1';
  const { registry, stop } = jobRegistry(handle, options.job ?? 'job');
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (url.pathname === '/metrics') {
      registry.metrics().then(
        (body) => res.writeHead(200, { 'content-type': registry.contentType }).end(req.method === 'HEAD' ? undefined : body),
        (e: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(String((e as Error)?.message ?? e)),
      );
      return;
    }
    res.writeHead(url.pathname === '/' ? 200 : 404, { 'content-type': 'text/plain' }).end('sluice: metrics at /metrics\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => { server.off('error', reject); resolve(); });
  });
  const port = (server.address() as AddressInfo).port;
  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => (closed ??= new Promise<void>((resolve) => {
    stop();
    server.close(() => resolve());
    server.closeAllConnections();
  }));
  handle.result.then(close, close);
  const shown = host.includes(':') ? `[${host}]` : host;
  return { port, url: `http://${shown}:${port}/metrics`, registry, close };
}
