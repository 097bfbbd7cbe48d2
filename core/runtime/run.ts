// Runs on: main thread. Runs a job: builds and checks the graph before any thread starts, plans it, allocates
// its rings, pins its tasks to a piscina pool of worker threads, and gathers results, failures and metrics. The
// main thread coordinates only: no record passes through it.

import os from 'node:os';
import { pathToFileURL } from 'node:url';
import { Piscina } from 'piscina';
import { Ring } from '../../shm/ring.js';
import { jobControlSlots } from '../../shm/layout.js';
import { buildGraph } from '../api/environment.js';
import { JobCancelledError, OperatorError, WorkerDiedError, JobDefinitionError } from '../api/errors.js';
import { plan as makePlan, type PhysicalPlan } from '../graph/physical-plan.js';
import { metricsOffsets, readMetrics, type JobMetrics } from './metrics.js';
import { signalStop } from './job-control.js';
import { subtaskKey, type RuntimeOptions, type SerializedError, type ThreadAssignment, type ThreadResult } from '../../workers/assignment.js';
import { assignSplits, type SourceSplit } from '../connectors/source.js';

export interface RunOptions {
  /** Default parallelism of the job's operators (default: the machine's available parallelism). */
  parallelism?: number;
  /** Worker threads (default: the machine's available parallelism, at most one per subtask). */
  threads?: number;
  /** Chain operators into tasks where possible (default true). */
  chaining?: boolean;
  /** Longest time a record waits in an unflushed output batch, ms (default 1). */
  bufferTimeoutMs?: number;
  /** Bytes of each ring (a power of two; default 256 KiB, lowered to fit ringMemoryBytes). */
  ringBytes?: number;
  /** All rings of the job together may use at most this many bytes (default 256 MiB). */
  ringMemoryBytes?: number;
  /**
   * Heap limit of each worker thread in MiB (default 2048): a worker over it dies, and the job fails. Keep it at
   * 256 or more: on Node 24 a much smaller limit can turn a worker's OOM into a fatal OOM of the whole process.
   */
  workerHeapMb?: number;
  /**
   * Records per batch frame on exchanges that use the generic (msgpackr) codec (default 32; 1 turns batching
   * off). One msgpackr call and one frame per batch instead of per record; a batch is sent when full or when the
   * outputs are flushed (buffer timeout, or the thread running out of work), so it adds no latency beyond that.
   */
  recordBatch?: number;
  /** Checks a waiting thread spins before it parks (0: always park). */
  spin?: number;
  /**
   * After a stop (cancel or failure), how long threads get to notice it before they are terminated, ms
   * (default 5000). A thread stuck in synchronous user code never reads the stop flag.
   */
  stopGraceMs?: number;
}

export interface JobResult {
  /** Records of each collect sink, by sink name, subtask 0 first. */
  collected: Record<string, unknown[]>;
  metrics: JobMetrics;
  /** True when the job was stopped by cancel() rather than ending by itself. */
  cancelled: boolean;
}

export interface JobHandle {
  /** Resolves when a bounded job ends or the job is cancelled; rejects when the job fails. */
  readonly result: Promise<JobResult>;
  readonly plan: PhysicalPlan;
  readonly operatorNames: readonly string[];
  /** Live metrics, read from shared memory (values may lag by ~100 ms). */
  metrics(): JobMetrics;
  /** Stops the job; `result` then resolves with `cancelled: true`. */
  cancel(): Promise<JobResult>;
}

const DEFAULT_RING_BYTES = 256 * 1024;
const MIN_RING_BYTES = 4096;

function floorPow2(n: number): number {
  return 2 ** Math.floor(Math.log2(n));
}

/** Loads the job module, builds and validates its graph, starts its threads. Rejects before any thread starts for a job that cannot run. */
export async function run(job: string | URL, options: RunOptions = {}): Promise<JobHandle> {
  const jobUrl = typeof job === 'string' && !/^[a-z]+:/.test(job) ? pathToFileURL(job).href : String(job);
  const cores = os.availableParallelism();
  const parallelism = options.parallelism ?? cores;
  if (!Number.isInteger(parallelism) || parallelism < 1) throw new JobDefinitionError(`parallelism must be an integer >= 1, got ${parallelism}`);
  if (options.threads !== undefined && (!Number.isInteger(options.threads) || options.threads < 1)) throw new JobDefinitionError(`threads must be an integer >= 1, got ${options.threads}`);
  const graph = buildGraph(await import(jobUrl), parallelism, jobUrl);
  const plan = makePlan(graph, { chaining: options.chaining ?? true, threads: options.threads ?? cores });
  const names = graph.nodes.map((n) => n.name);

  const budget = options.ringMemoryBytes ?? 256 * 1024 * 1024;
  let ringBytes = options.ringBytes ?? DEFAULT_RING_BYTES;
  if (plan.channels.length > 0) ringBytes = Math.min(ringBytes, floorPow2(budget / plan.channels.length));
  if (ringBytes < MIN_RING_BYTES) {
    throw new JobDefinitionError(`the job needs ${plan.channels.length} ring channels: ringMemoryBytes ${budget} leaves ${ringBytes} bytes each, below ${MIN_RING_BYTES}; raise ringMemoryBytes or lower parallelism`);
  }
  const rings = plan.channels.map(() => Ring.create(ringBytes, 'ringBytes').buffer);
  const control = new SharedArrayBuffer(jobControlSlots(plan.threads) * 4);
  const metricsBuf = new SharedArrayBuffer(metricsOffsets(plan).at(-1)! * 8);
  const rt: RuntimeOptions = {
    bufferTimeoutMs: options.bufferTimeoutMs ?? 1,
    budget: 1024,
    batchBytes: Math.min(ringBytes / 4, 16 * 1024),
    spin: options.spin ?? 256,
    parkTimeoutMs: 200,
    recordBatch: options.recordBatch ?? 32,
  };
  if (!Number.isInteger(rt.recordBatch) || rt.recordBatch < 1) throw new JobDefinitionError(`recordBatch must be an integer >= 1, got ${rt.recordBatch}`);

  const pool = new Piscina({
    filename: new URL('../../workers/pool-entry.mjs', import.meta.url).href,
    minThreads: plan.threads,
    maxThreads: plan.threads,
    // One long-lived task per thread: it must never be queued behind another, nor its thread retired.
    concurrentTasksPerWorker: 1,
    idleTimeout: Infinity,
    // Piscina's own Atomics.wait between tasks would block the worker's event loop; our task loop parks itself.
    atomics: 'disabled',
    resourceLimits: { maxOldGenerationSizeMb: options.workerHeapMb ?? 2048 },
  });

  const started = performance.now();
  let stopping = false;
  let terminated = false;
  let destroyed: Promise<void> | undefined;
  const destroyPool = (): Promise<void> => (destroyed ??= pool.destroy());
  const stopAll = (): void => {
    if (stopping) return;
    stopping = true;
    signalStop(control, plan.threads);
    for (const r of rings) Ring.attach(r).abort();
    // A thread busy in synchronous user code never sees the flag: terminate the pool after a grace period.
    setTimeout(() => { terminated = true; void destroyPool(); }, options.stopGraceMs ?? 5000).unref();
  };

  // Fresh start: every source's splits, dealt to its subtasks.
  const splits: Record<string, SourceSplit[]> = {};
  for (const t of plan.tasks) {
    const head = graph.nodes[t.nodeIds[0]!]!;
    if (!head.source) continue;
    const dealt = assignSplits(await head.source.enumerateSplits(t.parallelism), t.parallelism);
    dealt.forEach((s, i) => { splits[subtaskKey(t.id, i)] = s; });
  }

  const fingerprints = graph.nodeFingerprints();
  const threadRuns = Array.from({ length: plan.threads }, (_, thread) => {
    const a: ThreadAssignment = {
      jobUrl, parallelism, fingerprints, plan, thread, rings, control, metrics: metricsBuf, options: rt,
      checkpoint: { enabled: false, alignmentTimeoutMs: Infinity }, splits,
    };
    return (pool.run(a) as Promise<ThreadResult>).then(
      (r) => { if (r.error) stopAll(); return r; },
      (e: unknown) => {
        // Terminated after the stop grace period: stopped, not failed (the stop's cause is reported elsewhere).
        if (terminated) return { thread, sinks: [], stopped: true } as ThreadResult;
        // The thread itself died (heap limit, process.exit in a worker, a crash): a task failure, not a hang.
        stopAll();
        return { thread, sinks: [], stopped: false, error: { name: 'WorkerDiedError', message: `worker thread ${thread} died: ${(e as Error)?.message ?? String(e)}`, stack: (e as Error)?.stack } } as ThreadResult;
      },
    );
  });

  let cancelled = false;
  const result = (async (): Promise<JobResult> => {
    try {
      const results = await Promise.all(threadRuns);
      const failure = results.find((r) => r.error && r.error.name !== 'JobCancelledError');
      if (failure?.error) throw revive(failure.error);
      const metrics = readMetrics(plan, names, new Float64Array(metricsBuf), performance.now() - started);
      const collected: Record<string, unknown[]> = {};
      const sinkResults = results.flatMap((r) => r.sinks).sort((a, b) => a.node - b.node || a.subtask - b.subtask);
      for (const s of sinkResults) {
        if (!Array.isArray(s.result)) continue;
        const name = names[s.node]!;
        collected[name] = collected[name] ? collected[name].concat(s.result) : s.result;
      }
      if (!cancelled && results.some((r) => r.stopped)) throw new JobCancelledError('job stopped before it finished');
      return { collected, metrics, cancelled };
    } finally {
      await destroyPool();
    }
  })();

  return {
    result,
    plan,
    operatorNames: names,
    metrics: () => readMetrics(plan, names, new Float64Array(metricsBuf), performance.now() - started),
    async cancel() {
      cancelled = true;
      stopAll();
      return result;
    },
  };
}

function revive(e: SerializedError): Error {
  let err: Error;
  if (e.name === 'OperatorError' && e.operator !== undefined) {
    const cause = new Error(e.message.replace(/^operator '.*?' \(subtask \d+\) failed: /, ''));
    cause.stack = e.stack?.split('\n    caused by: ')[1] ?? e.stack;
    err = new OperatorError(e.operator, e.subtask ?? 0, cause);
  } else if (e.name === 'WorkerDiedError') {
    err = new WorkerDiedError(e.message);
  } else {
    err = new Error(e.message);
    err.name = e.name;
  }
  if (e.name !== 'OperatorError' && e.stack) err.stack = e.stack;
  return err;
}
