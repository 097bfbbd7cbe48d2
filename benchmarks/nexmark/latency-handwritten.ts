// Runs on: the benchmark's main thread. The same-run baseline of sluice's q1 latency (latency.ts): q1 at the same
// offered rate, parallelism and schedule on plain node:worker_threads Workers with no engine (no sluice, no
// piscina), one paced loop per thread (latency-handwritten-worker.ts). Its latencies are taken and summed as
// sluice's are, over the same stream (latencyConfig), so its rows and checksum are the sluice run's, and its
// percentiles are the floor this machine puts under q1 at that load: the stalls any two busy threads see here.

import { Worker } from 'node:worker_threads';
import { withRssPeak } from '../report.js';
import { NexmarkConfigError, type NexmarkConfig } from './config.js';
import { addEventLatencyParts } from './event-latencies.js';
import type { LatencyRun, LatencyRunOptions } from './latency.js';
import type { HandwrittenLatencyDone, HandwrittenLatencyJob } from './latency-handwritten-worker.js';
import { latencyConfig, scheduleEvents } from './latency-params.js';
import { achievedPerSec, keptUp } from './offered-rate.js';

const ENTRY = new URL('../../workers/ts-entry.mjs', import.meta.url);
const WORKER_URL = new URL('./latency-handwritten-worker.ts', import.meta.url).href;

export type HandwrittenLatencyOptions = Pick<LatencyRunOptions, 'parallelism' | 'offeredPerSec' | 'seconds' | 'warmupMs' | 'clockPerEvent'>;

/** One thread of the run: what it hands back, or why it failed. */
function start(job: HandwrittenLatencyJob): { worker: Worker; done: Promise<HandwrittenLatencyDone> } {
  const worker = new Worker(ENTRY, { workerData: { ...job, __entry: WORKER_URL } });
  const done = new Promise<HandwrittenLatencyDone>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`hand-written latency thread ${job.subtask} exited with ${code} before handing back its figures`)));
  });
  return { worker, done };
}

/**
 * q1 by hand at `o.offeredPerSec` over `o.parallelism` threads, `o.seconds` of schedule, the first `o.warmupMs`
 * of each thread's schedule not measured: the figures of runLatency('q1', base, o) without the engine.
 */
export async function runHandwrittenLatency(base: NexmarkConfig, o: HandwrittenLatencyOptions): Promise<LatencyRun> {
  // Checked before any thread starts (in a thread, a bad rate would surface as that thread's crash).
  if (!(Number.isSafeInteger(o.parallelism) && o.parallelism >= 1)) throw new NexmarkConfigError(`nexmark latency: parallelism must be an integer >= 1, got ${o.parallelism}`);
  if (!(o.offeredPerSec > 0 && Number.isFinite(o.offeredPerSec))) throw new NexmarkConfigError(`nexmark latency: offeredPerSec must be a finite number > 0, got ${o.offeredPerSec}`);
  if (!(o.seconds > 0 && Number.isFinite(o.seconds))) throw new NexmarkConfigError(`nexmark latency: seconds must be a finite number > 0, got ${o.seconds}`);
  if (!(o.warmupMs >= 0)) throw new NexmarkConfigError(`nexmark latency: warmupMs must be >= 0, got ${o.warmupMs}`);
  const events = scheduleEvents(o.offeredPerSec, o.seconds);
  const config = latencyConfig(base, events);
  const arrived = new SharedArrayBuffer(4);
  const { value, peakMB } = await withRssPeak(async () => {
    const t0 = performance.now();
    const threads = Array.from({ length: o.parallelism }, (_, subtask) => start({
      config, subtask, parallelism: o.parallelism, ratePerSec: o.offeredPerSec / o.parallelism, warmupMs: o.warmupMs, arrived,
      clockPerEvent: o.clockPerEvent === true,
    }));
    try {
      const done = await Promise.all(threads.map((t) => t.done));
      return { done, ms: performance.now() - t0 };
    } finally {
      // Threads that handed back are exiting; after a failure the others would wait for it to start forever.
      await Promise.all(threads.map((t) => t.worker.terminate()));
    }
  });
  const { summary, warmup, totals } = addEventLatencyParts(value.done.map((d) => d.part));
  const achieved = achievedPerSec(value.done.map((d) => d.end));
  return {
    engine: 'handwritten', query: 'q1', parallelism: o.parallelism, events, offeredPerSec: o.offeredPerSec, achievedPerSec: achieved,
    keptUp: keptUp(o.offeredPerSec, achieved), ...summary, warmup, closedByEnd: 0, fromDue: null, rows: totals.rows, checksum: totals.checksum,
    rssMB: peakMB, ms: value.ms,
  };
}
