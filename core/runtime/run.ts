// Runs on: main thread. Runs a job: builds and checks the graph before any thread starts, plans it, allocates
// its rings, pins its tasks to a piscina pool of worker threads, and gathers results, failures and metrics. The
// main thread coordinates only: no record passes through it. With checkpointing it also owns the state
// directory's LevelDB and the checkpoint coordinator, and restarts a failed job from its last completed
// checkpoint (attempts: one pool, one set of rings, one coordinator each).

import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { Ring } from '../../shm/ring.js';
import { ALIGNMENT_SLOT_BYTES, OUTPUT_FLOW_SLOTS, jobControlSlots, outputHoldBytes } from '../../shm/layout.js';
import { buildGraph } from '../api/environment.js';
import { JobCancelledError, OperatorError, WorkerDiedError, JobDefinitionError, GraphMismatchError, SavepointNameError } from '../api/errors.js';
import { plan as makePlan, type PhysicalPlan } from '../graph/physical-plan.js';
import { checkWatermarkAlignment } from '../time/watermark-alignment.js';
import { MIN_WATERMARK } from '../time/watermark.js';
import type { LogicalGraph } from '../graph/logical-graph.js';
import { addCounters, metricsOffsets, readMetrics, type JobMetrics } from './metrics.js';
import { signalStop, threadBell } from './job-control.js';
import type { RuntimeOptions, SerializedError, ThreadAssignment, ThreadResult } from '../../workers/assignment.js';
import { assignSplits, type SourceSplit } from '../connectors/source.js';
import { subtaskKey, type SubtaskRestore } from '../checkpoint/snapshot.js';
import { CheckpointStore } from '../checkpoint/store.js';
import type { DeletedSavepoint } from '../checkpoint/delete-savepoint.js';
import { CheckpointCoordinator, type CheckpointStats, type CompletedCheckpoint } from '../checkpoint/coordinator.js';
import { absorbStats, emptyStats, mergeStats } from '../checkpoint/checkpoint-history.js';
import { recordStart, type Lineage } from '../checkpoint/lineage-mark.js';
import { assignRestore, NoCheckpointError, restartCheckpoint, selectCheckpoint, type LoadedCheckpoint, type RestoreProgress, type ResumeFrom } from '../checkpoint/restore.js';
import { publishSinkTransactions } from '../checkpoint/sink-commit.js';
import { sha256 } from '../checkpoint/manifest.js';
import { readPublishedMark } from '../checkpoint/published-mark.js';
import { checkRestartStrategy, RestartCounter, type RestartStrategy } from '../checkpoint/restart-strategy.js';
import { checkTolerableFailures } from '../checkpoint/failure-counter.js';
import { OutputStream } from './output-stream.js';
import { LiveRecordPorts } from './live-records.js';
import { OutputCredit } from './output-credit.js';
import { OutputHold, OutputHolds, upstreamSources } from './output-hold.js';
import { asCollectSink, recoveringSinks, type SinkSpec } from '../connectors/sink.js';
import { bundleWorkerEntry, JOB_URL_ENV, withoutTsx } from './worker-bundle.js';
import { leaseBundle } from './bundle-cache.js';
import { ThreadCache, type PoolIdentity } from './thread-cache.js';

// Loaded on first use: worker threads import this module through the public API but never start a pool.
const requireLazy = createRequire(import.meta.url);

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
  /**
   * Keyed state's fast paths (default true): typed state (a stateSchema) keeps number keys in a hash table of its
   * own instead of a Map, a key holding one timer keeps it as a number instead of an array, and state with a
   * processing-time TTL moves an entry in cleanup order only once its expiry ran past a slack (and reads the clock
   * once per list or map write). false turns them off; checkpoints restore either way.
   */
  stateFastPaths?: boolean;
  /** Checks a waiting thread spins before it parks (0: always park). */
  spin?: number;
  /**
   * Microtask turns a thread with nothing to do gives its async operators' settled promises before it parks
   * (default 4; 0: none, every wait for a result parks). A request that resolves at once (a cache hit) then
   * costs a turn, not a park and wake-up.
   */
  settleHops?: number;
  /**
   * A thread with nothing to do for less than this many ms blocks until then (µs precision) instead of waiting on
   * an event-loop timer (1 ms granularity), and a rate-limited source is woken at its next record's due time
   * rather than by a timer (default 1; 0 turns both off: a paced record then waits up to a millisecond or more).
   */
  fineWaitMs?: number;
  /**
   * After a stop (cancel or failure), how long threads get to notice it before they are terminated, ms
   * (default 5000). A thread stuck in synchronous user code never reads the stop flag.
   */
  stopGraceMs?: number;
  /**
   * How many records a reader of a collect sink (handle.output) may leave unread before the job waits for it,
   * slowing to the reader's pace (default 65,536; at most 2^30; Infinity: never, unread records wait in memory).
   * Without checkpoints the sink's subtasks stop taking input (credit comes back each half of it read); with them
   * records come at commits, and the sources upstream stop reading (barriers still go through, so checkpoints
   * complete) while the sink has taken that many records, committed or not, that the reader has not read: then at
   * most about this many (plus what is in flight) reach the reader per checkpoint interval.
   */
  outputBufferRecords?: number;

  // ---- checkpoints (see README, "Checkpoints")
  /** Checkpoint every this many ms (overrides the job's `env.enableCheckpointing`; 0 turns periodic checkpoints off). */
  checkpointIntervalMs?: number;
  /** 'aligned' (default) or 'unaligned' barriers. */
  checkpointMode?: 'aligned' | 'unaligned';
  /** Aligned barriers switch to unaligned when alignment takes longer than this, ms (default: never). */
  alignmentTimeoutMs?: number;
  /** A checkpoint not complete after this long is aborted, ms (default 60000). */
  checkpointTimeoutMs?: number;
  /**
   * Checkpoints in a row that may fail (time out, or fail to be written) before the job fails and restarts from
   * its last completed one (Flink's tolerable checkpoint failures; a task hung in user code lets no barrier
   * through, so this ends a hung job). Start-up does not count: periodic checkpoints begin once every task runs.
   * A snapshot that throws fails the job whatever this says. Default: the job's `enableCheckpointing` option, else
   * Infinity (failed checkpoints are counted and warned of, never fatal; Flink's default is 0).
   */
  tolerableCheckpointFailures?: number;
  /** Completed checkpoints kept (default 3; savepoints are kept until deleted). */
  retainedCheckpoints?: number;
  /** Where checkpoints live (default `.sluice/<job file name>` under the working directory). */
  stateDir?: string;
  /** Resume from the latest intact checkpoint in the state directory, a given checkpoint id, or a savepoint. */
  resume?: boolean | ResumeFrom;
  /**
   * Snapshots encode keyed state values as typed columns where their shape allows (numbers, plain objects of one
   * shape; default true). false: msgpack per value, as checkpoints before format 3 (what builds before format 4 can read). Both restore either way.
   */
  columnarState?: boolean;
  /**
   * Worker threads load a TypeScript job as one bundle of it and the engine (default true): a faster start-up,
   * ~0.5 s less per worker. false: each worker loads the files through tsx. Default: true unless the
   * environment variable SLUICE_BUNDLE_WORKERS is 0 or false.
   */
  bundleWorkers?: boolean;
  /**
   * Worker threads kept between runs (default none: each run starts its own and ends them). A run takes threads
   * an earlier run of the same job left here, if they were created exactly as this run would create them (same
   * job, thread count, heap limit, environment and flags), and gives its own back when it ends well: no start-up
   * (~130 ms here), and code the JIT already compiled. The job's modules are loaded once per thread, so their
   * module-level state carries over between runs. See core/runtime/thread-cache.ts.
   */
  threadCache?: ThreadCache;
  /** Resuming from state of operators the job no longer has drops that state instead of failing. */
  allowNonRestoredState?: boolean;
  /** What happens after a failure (default with checkpointing: 3 restarts, 1 s apart; without: none). */
  restartStrategy?: RestartStrategy;
  /** Warnings (a source that cannot rewind, a corrupt checkpoint skipped, a restart): default process.emitWarning. */
  onWarning?: (message: string) => void;
  /** Called on the main thread after every completed checkpoint or savepoint (its manifest is durable). */
  onCheckpoint?: (checkpoint: CompletedCheckpoint) => void;
  /** Called as a restore loads and verifies its checkpoint's chunks (progress bars). */
  onRestoreProgress?: (progress: RestoreProgress) => void;

  // ---- metrics
  /** Sources send a latency marker this often, ms; sinks publish end-to-end latency percentiles (default 0: off). */
  latencyTrackingIntervalMs?: number;
}

/** Records of each collect sink, by sink name. */
export type Collected = Record<string, unknown[]>;

/**
 * `C` types `collected`: `run<{ out: WordCount[] }>(url)`. The job module is loaded at run time, so this is the
 * caller's word for what its collect sinks hold, as with a parsed JSON body: nothing checks it.
 */
export interface JobResult<C extends Record<keyof C, unknown[]> = Collected> {
  /**
   * Records of each collect sink, by sink name, subtask 0 first (with checkpoints: committed records). Cancelled:
   * what the sinks received until then (with checkpoints: what completed checkpoints committed).
   */
  collected: C;
  metrics: JobMetrics;
  /** True when the job was stopped by cancel() rather than ending by itself. */
  cancelled: boolean;
  /** Restarts after failures. */
  restarts: number;
  checkpoints: CheckpointStats;
  /** The checkpoint the job resumed from, if any. */
  restoredFrom: number | undefined;
  /** The savepoint stopWithSavepoint() took before it stopped the job (then `cancelled` is true). */
  stoppedWithSavepoint?: CompletedCheckpoint;
}

export interface JobHandle<C extends Record<keyof C, unknown[]> = Collected> {
  /** Resolves when a bounded job ends or the job is cancelled; rejects when the job fails. */
  readonly result: Promise<JobResult<C>>;
  readonly plan: PhysicalPlan;
  /** The job's default parallelism: run()'s option, unless the job module set its own (env.setParallelism). */
  readonly parallelism: number;
  readonly operatorNames: readonly string[];
  /** The state directory (checkpointing jobs), or undefined. */
  readonly stateDir: string | undefined;
  /** The checkpoint (or savepoint) this run resumed from, or undefined for a fresh start. */
  readonly restoredFrom: number | undefined;
  /** The job's sources, with the records each delivers in total when known (progress). */
  readonly sources: readonly { readonly name: string; readonly bounded: boolean; readonly count: number | undefined }[];
  /** Restarts so far in this run (each from the last completed checkpoint, its sources from their positions there). */
  restarts(): number;
  /** Live metrics, read from shared memory (values may lag by ~100 ms). */
  metrics(): JobMetrics;
  /** Checkpoints so far. */
  checkpoints(): CheckpointStats;
  /** Triggers a checkpoint now. */
  checkpoint(): Promise<CompletedCheckpoint>;
  /** Takes a savepoint named `name`: a full, aligned checkpoint kept until deleted; a job can start from it. */
  savepoint(name: string): Promise<CompletedCheckpoint>;
  /**
   * Takes a savepoint named `name`, then stops the job before anything after it is published (Flink's stop with
   * savepoint): a job resumed from it publishes each record once to durable sinks (a collect sink in the resumed
   * run gets the savepoint's own transaction again, as on any resume), where a savepoint followed by cancel() let
   * the checkpoints in between publish records the resumed job publishes again. `result` resolves with `cancelled`
   * and `stoppedWithSavepoint`. A savepoint that fails leaves the job running.
   */
  stopWithSavepoint(name: string): Promise<CompletedCheckpoint>;
  /**
   * Deletes savepoint `name` of this job's state directory: its name goes now, its checkpoint with the job's
   * retention, like any other checkpoint's (deleteSavepoint(stateDir, name) deletes it at once, with no job
   * running there).
   */
  deleteSavepoint(name: string): Promise<DeletedSavepoint>;
  /** Stops the job; `result` then resolves with `cancelled: true`. */
  cancel(): Promise<JobResult<C>>;
  /**
   * The records of the collect sink `sinkName` as they come, while the job runs: with checkpoints, as each
   * checkpoint commits them (exactly once within this run, restarts included); without, as the sink's subtasks
   * flush (every `bufferTimeoutMs` while busy, and whenever their thread idles; such a run has no restarts, so
   * each record once, then the end or the job's error). The iteration ends with the job and throws its error if
   * it fails. Records read here are not also in `result.collected` (those before the reader came are read first);
   * after a `break`, the unread ones and later ones are collected again. One reader per sink. A reader
   * `outputBufferRecords` behind holds the job back until it reads on: without checkpoints the sink, with them
   * the sources.
   */
  output<K extends keyof C & string>(sinkName: K): AsyncIterableIterator<C[K][number]>;
}

const DEFAULT_RING_BYTES = 256 * 1024;
/** How long an attempt's end waits for its pool's threads to exit before it moves on. */
const DESTROY_WAIT_MS = 10_000;
const DEFAULT_OUTPUT_BUFFER_RECORDS = 65_536;
/** The longest delay setTimeout takes as it is. */
const MAX_TIMER_MS = 2 ** 31 - 1;
const MIN_RING_BYTES = 4096;
const DEFAULT_RESTART: RestartStrategy = { type: 'fixed-delay', attempts: 3, delayMs: 1000 };

function floorPow2(n: number): number {
  return 2 ** Math.floor(Math.log2(n));
}

/**
 * Errors that a restart cannot fix: the job definition itself is wrong, or its state schema does not fit the state
 * it restores (a restart would restore the same checkpoint again).
 */
function permanent(e: Error): boolean {
  const name = e.name === 'OperatorError' ? (e.cause as Error | undefined)?.name : e.name;
  // An operator's JobDefinitionError too (state declared wrongly, a function that returns a promise): found at a
  // record, it is found again at the same record after a restart.
  return e instanceof JobDefinitionError || e instanceof GraphMismatchError || name === 'JobDefinitionError' || name === 'GraphMismatchError' || name === 'StateSchemaRestoreError';
}

/**
 * The job module. A TypeScript job in a process without a TypeScript loader (an app run by plain `node` that
 * embeds the engine) is loaded through tsx's API: else it fails with ERR_UNKNOWN_FILE_EXTENSION, and "TypeScript jobs
 * run as they are" holds for the CLI only.
 */
async function importJob(jobUrl: string): Promise<unknown> {
  try {
    return await import(jobUrl);
  } catch (e) {
    if ((e as { code?: string }).code !== 'ERR_UNKNOWN_FILE_EXTENSION' || !/\.(c|m)?tsx?$/.test(new URL(jobUrl).pathname)) throw e;
    const { tsImport } = await import('tsx/esm/api');
    return tsImport(jobUrl, import.meta.url);
  }
}

/** Loads the job module, builds and validates its graph, starts its threads. Rejects before any thread starts for a job that cannot run. */
export async function run<C extends Record<keyof C, unknown[]> = Collected>(job: string | URL, options: RunOptions = {}): Promise<JobHandle<C>> {
  const jobUrl = typeof job === 'string' && !/^[a-z]+:/.test(job) ? pathToFileURL(job).href : String(job);
  const cores = os.availableParallelism();
  const parallelism = options.parallelism ?? cores;
  if (!Number.isInteger(parallelism) || parallelism < 1) throw new JobDefinitionError(`parallelism must be an integer >= 1, got ${parallelism}`);
  if (options.threads !== undefined && (!Number.isInteger(options.threads) || options.threads < 1)) throw new JobDefinitionError(`threads must be an integer >= 1, got ${options.threads}`);
  const graph = buildGraph(await importJob(jobUrl), parallelism, jobUrl);
  const plan = makePlan(graph, { chaining: options.chaining ?? true, threads: options.threads ?? cores });
  checkWatermarkAlignment(graph, plan);
  const names = graph.nodes.map((n) => n.name);
  const warn = options.onWarning ?? ((m: string) => process.emitWarning(m, 'SluiceWarning'));

  const budget = options.ringMemoryBytes ?? 256 * 1024 * 1024;
  let ringBytes = options.ringBytes ?? DEFAULT_RING_BYTES;
  if (plan.channels.length > 0) ringBytes = Math.min(ringBytes, floorPow2(budget / plan.channels.length));
  if (ringBytes < MIN_RING_BYTES) {
    throw new JobDefinitionError(`the job needs ${plan.channels.length} ring channels: ringMemoryBytes ${budget} leaves ${ringBytes} bytes each, below ${MIN_RING_BYTES}; raise ringMemoryBytes or lower parallelism`);
  }
  const rt: RuntimeOptions = {
    bufferTimeoutMs: options.bufferTimeoutMs ?? 1,
    budget: 1024,
    batchBytes: Math.min(ringBytes / 4, 16 * 1024),
    spin: options.spin ?? 256,
    settleHops: options.settleHops ?? 4,
    parkTimeoutMs: 200,
    fineWaitMs: options.fineWaitMs ?? 1,
    recordBatch: options.recordBatch ?? 32,
    stateFastPaths: options.stateFastPaths ?? true,
    latencyTrackingIntervalMs: options.latencyTrackingIntervalMs ?? 0,
    // What a record too large for a ring should raise: ringBytes does nothing when the budget lowered it.
    ringOption: ringBytes < (options.ringBytes ?? DEFAULT_RING_BYTES) ? 'ringMemoryBytes' : 'ringBytes',
  };
  // Switches read from strings ("false" is truthy) or numbers that are not numbers: silently wrong, so refused.
  for (const k of ['chaining', 'stateFastPaths', 'bundleWorkers', 'columnarState', 'allowNonRestoredState'] as const) {
    if (options[k] !== undefined && typeof options[k] !== 'boolean') throw new JobDefinitionError(`${k} must be true or false, got ${JSON.stringify(options[k])}`);
  }
  for (const k of ['bufferTimeoutMs', 'stopGraceMs', 'fineWaitMs', 'latencyTrackingIntervalMs'] as const) {
    const v = options[k];
    if (v !== undefined && !(typeof v === 'number' && v >= 0 && !Number.isNaN(v))) throw new JobDefinitionError(`${k} must be a number >= 0, got ${JSON.stringify(v)}`);
  }
  const outputBound = options.outputBufferRecords ?? DEFAULT_OUTPUT_BUFFER_RECORDS;
  // At most 2^30: the shared counts wrap at 2^32 and are compared by their difference (shm/layout.ts, output flow).
  if (!(outputBound === Infinity || (Number.isInteger(outputBound) && outputBound >= 1 && outputBound <= 2 ** 30))) throw new JobDefinitionError(`outputBufferRecords must be an integer from 1 to 2^30, or Infinity, got ${JSON.stringify(options.outputBufferRecords)}`);
  if (options.threadCache !== undefined && !(options.threadCache instanceof ThreadCache)) throw new JobDefinitionError('threadCache must be a ThreadCache (new ThreadCache())');
  if (!(rt.fineWaitMs >= 0 && rt.fineWaitMs < rt.parkTimeoutMs)) throw new JobDefinitionError(`fineWaitMs must be >= 0 and < ${rt.parkTimeoutMs}, got ${rt.fineWaitMs}`);
  if (!Number.isInteger(rt.settleHops) || rt.settleHops < 0) throw new JobDefinitionError(`settleHops must be an integer >= 0, got ${JSON.stringify(options.settleHops)}`);
  if (!Number.isInteger(rt.recordBatch) || rt.recordBatch < 1) throw new JobDefinitionError(`recordBatch must be an integer >= 1, got ${rt.recordBatch}`);

  // ---- checkpointing
  const cp = checkpointSettings(graph, options, jobUrl);
  if (!cp) {
    // Options that only mean something with checkpoints: taken silently, they look as if they applied.
    const unused: string[] = (['checkpointMode', 'alignmentTimeoutMs', 'checkpointTimeoutMs', 'tolerableCheckpointFailures', 'retainedCheckpoints', 'allowNonRestoredState'] as const).filter((k) => options[k] !== undefined);
    // A job restarts from its last checkpoint: without checkpoints it never restarts.
    if (options.restartStrategy !== undefined && options.restartStrategy.type !== 'none') unused.push('restartStrategy');
    if (unused.length > 0) warn(`${unused.join(', ')} ${unused.length === 1 ? 'has' : 'have'} no effect: the job does not checkpoint (give it a state directory, a checkpoint interval, or enableCheckpointing)`);
    // Such a sink behind a source that never ends holds every record in memory and writes none.
    const unbounded = graph.nodes.find((n) => n.source !== undefined && !n.source.bounded);
    if (unbounded !== undefined) {
      for (const n of graph.nodes) {
        if (n.sink?.writesAtEndWithoutCheckpoints !== true) continue;
        warn(`sink '${n.name}' (${n.sink.kind}) writes only when its input ends in a job that does not checkpoint, and source '${unbounded.name}' (${unbounded.source!.kind}) never ends: it would hold every record in memory and write none (give the job a state directory, a checkpoint interval, or enableCheckpointing)`);
      }
    }
  }
  const restart = checkRestartStrategy(options.restartStrategy ?? (cp ? DEFAULT_RESTART : { type: 'none' }));
  let store: CheckpointStore | undefined;
  /** Until the run's end closes it (a savepoint deleted after that must use deleteSavepoint). */
  let storeOpen = true;
  let restored: LoadedCheckpoint | undefined;
  /** Published output a resume from a given checkpoint behind it publishes again (said): restarts may too. */
  let acceptedUpTo = 0;
  if (cp) {
    for (const n of graph.nodes) {
      if (n.source && !n.source.rewindable) {
        warn(`source '${n.name}' (${n.source.kind}) cannot rewind: ${n.source.restartNote ?? 'with checkpoints, its input is at-most-once (records read after the last checkpoint are not read again after a failure)'}`);
      }
    }
    // Resuming from a given checkpoint or savepoint: a state directory that is not there has none (and a failed
    // lookup must not leave an empty store behind).
    const from = options.resume;
    if (typeof from === 'object' && !existsSync(cp.stateDir)) {
      const what = 'checkpoint' in from ? `checkpoint ${from.checkpoint}` : `savepoint named '${from.savepoint}'`;
      throw new NoCheckpointError(`no ${what} in ${cp.stateDir}: the state directory does not exist`);
    }
    store = await CheckpointStore.open(cp.stateDir);
    try {
      if (!options.resume) warnStartingOver(cp.stateDir, warn);
      if (options.resume) {
        restored = await selectCheckpoint(store, options.resume === true ? 'latest' : options.resume, warn, options.onRestoreProgress);
        if (restored !== undefined && typeof options.resume === 'object') acceptedUpTo = readPublishedMark(cp.stateDir);
        // Resumed, a job that had run to its end would say "finished after 0.0s: 0 events" and nothing else.
        if (restored?.manifest.finished) warn(`checkpoint ${restored.manifest.id} in ${cp.stateDir} is the final one of a run that reached the end of its input: nothing is left to read (its last output is published again, which durable sinks ignore). To run the job again, start over without resuming, or use another state directory`);
        if (restored) {
          // The interval is the run's (or the job's), not the state directory's: a resume that leaves it out takes
          // no more periodic checkpoints, which a killed run would then miss.
          if (cp.intervalMs === 0 && !restored.manifest.finished) warn(`resuming from checkpoint ${restored.manifest.id} with no checkpoint interval: checkpoints are taken only on request from now on (pass checkpointIntervalMs, or --checkpoint-interval, to keep taking them)`);
          // Fails here, before any thread starts, when the checkpoint cannot fit this job.
          assignRestore(restored, graph, plan, { allowNonRestoredState: options.allowNonRestoredState ?? false });
        }
      }
    } catch (e) {
      await store.close();
      throw e;
    }
  }

  // What sinks find left by an earlier run is nobody's (StartAttempt.orphans): without checkpoints, or on a resume
  // that found none.
  const startedOrphans = cp === undefined || (Boolean(options.resume) && restored === undefined);
  const fingerprints = graph.nodeFingerprints();
  const jobFingerprint = sha256(fingerprints.join('\n'));
  const sinksByUid = new Map<string, SinkSpec<unknown>>(graph.nodes.filter((n) => n.sink).map((n) => [n.uid ?? n.name, n.sink!]));
  const started = performance.now();
  let cancelled = false;
  let current: Attempt | undefined;
  let restarts = 0;
  const restartCounter = new RestartCounter(restart);
  /** Ends the wait before a restart early: a cancel need not wait out the delay. */
  let endDelay: (() => void) | undefined;
  /** The restart being waited for or prepared (0: none); counted in `restarts` only once it runs. */
  let restarting = 0;
  /** The savepoint a stopWithSavepoint() took (the job then stops), and the name of the one being taken. */
  let stoppedWith: CompletedCheckpoint | undefined;
  let stopName: string | undefined;
  let stopPending: Promise<boolean> | undefined;
  /** Counters of the attempts that ended in a restart (addCounters). */
  const carried = new Float64Array(metricsOffsets(plan).at(-1)!);
  /** Names of savepoints being taken. */
  const savepointNames = new Set<string>();
  const stats: CheckpointStats = emptyStats();
  /** The running attempt's checkpoint outcomes, until they move into `stats` when it ends. */
  let liveStats: CheckpointStats | undefined;
  let firstStarted!: () => void;
  let firstFailed!: (e: unknown) => void;
  const firstAttempt = new Promise<void>((resolve, reject) => { firstStarted = resolve; firstFailed = reject; });

  const bundle = (options.bundleWorkers ?? !['0', 'false'].includes(process.env['SLUICE_BUNDLE_WORKERS'] ?? '')) ? await bundleWorkerEntry(jobUrl, warn) : undefined;
  const workerUrl = bundle?.url ?? new URL('../../workers/pool-entry.mjs', import.meta.url).href;
  // A restart reloads the bundle, maybe days from now: the lease keeps the cache's sweep off it until the run ends.
  const releaseBundle = bundle !== undefined ? leaseBundle(bundle.url) : undefined;
  /** Readers of collect sinks (handle.output), ended with the job. */
  const readers = new Set<OutputStream<unknown>>();
  /**
   * Collect sinks that have had a reader (handle.output): undefined while it reads, else the records the sink had
   * taken when it stopped (what comes after is kept for `result` again).
   */
  const readNodes = new Map<number, number | undefined>();
  const collectWatch = watchUnreadCollects(graph, readNodes, () => handle.metrics(), warn);
  /**
   * With checkpoints, readers a bound behind hold the sources (without, the sink: OutputCredit, per attempt). None
   * with no bound, nor without a collect sink: then no thread counts or looks.
   */
  const collectSinks = graph.nodes.filter((n) => asCollectSink(n.sink) !== undefined).map((n) => n.id);
  const holds = cp && outputBound !== Infinity && collectSinks.length > 0
    ? new OutputHolds(collectSinks, (sink) => asCollectSink(graph.nodes[sink]!.sink)!.published())
    : undefined;
  /** The job ended (`{ error }`: it failed): no more readers. */
  let ended: { error: unknown } | undefined;
  const endOutputs = (error: unknown): void => {
    if (ended !== undefined) return;
    ended = { error };
    for (const r of readers) r.end(error);
  };
  const result = (async (): Promise<JobResult> => {
    let from = restored;
    let nextId = 1;
    /** This run's first checkpoint id: a restart never goes back before it (or before what the run restored). */
    let firstId = 1;
    try {
      // In the try: a store that cannot be listed must fail the run, not leave it waiting for a first attempt.
      nextId = store ? (await store.maxId()) + 1 : 1;
      firstId = nextId;
      // Starting over (fresh, or from an older checkpoint): the newer ones are abandoned, before this run has any.
      const lineage: Lineage = store ? await startLineage(store, restored?.manifest.id ?? 0, nextId, warn) : { starts: [] };
      for (;;) {
        if (from?.manifest.finished) {
          // The job already ran to its end; publish its final transactions again (idempotent) and stop.
          await publishSinkTransactions(store!, from.manifest, sinksByUid);
          firstStarted();
          return finalResult(undefined, from.manifest.id);
        }
        const attemptStarted = performance.now();
        const attempt = await startAttempt({ jobUrl, workerUrl, bundled: bundle !== undefined, graph, plan, parallelism, fingerprints, jobFingerprint, rt, ringBytes, options, cp, store, from, orphans: restarts > 0 || startedOrphans, nextId, lineage, warn, holds, stopPending: () => stopPending });
        current = attempt;
        restarting = 0;
        liveStats = attempt.coordinator?.stats;
        firstStarted();
        if (cancelled) attempt.stop();
        const outcome = await attempt.done;
        // Moved once: `current` stays for the final metrics, but its checkpoints are the run's from now on.
        liveStats = undefined;
        if (attempt.coordinator) absorbStats(stats, attempt.coordinator.stats);
        // A failure that came with a cancel (a stop-with-savepoint whose savepoint's publishing failed) is said,
        // not dropped: the savepoint's output is published again when a job resumes from it.
        if (cancelled && outcome.error !== undefined && outcome.error.name !== 'JobCancelledError') {
          warn(`the job failed while it stopped: ${outcome.error.message}`);
        }
        if (outcome.error === undefined || cancelled) return finalResult(outcome, restored?.manifest.id);
        // Between attempts: its checkpoints (just moved to the run's) are not listed again through `current` (the
        // control socket counted them twice), its counters carry over, and checkpoint requests are told it is
        // restarting.
        current = undefined;
        addCounters(plan, carried, outcome.metrics);
        const delay = permanent(outcome.error) || !cp ? undefined : restartCounter.next(performance.now() - attemptStarted);
        if (outcome.error.name === 'StateSchemaRestoreError' && from !== undefined) {
          outcome.error.message += ` (restoring checkpoint ${from.manifest.id}${from.manifest.name !== undefined ? ` (savepoint '${from.manifest.name}')` : ''} from ${cp!.stateDir}: resume from one taken with this job's state schemas, or keep the schema the checkpoint was taken with)`;
        }
        if (delay === undefined) {
          // Else the last failure reads like the first: say that the restarts ran out.
          if (cp && !permanent(outcome.error)) warn(`job failed (${outcome.error.message}); no restart left${restarts > 0 ? ` after ${restarts} restart${restarts === 1 ? '' : 's'}` : ''} (restart strategy ${restart.type})`);
          throw outcome.error;
        }
        restarting = restarts + 1;
        warn(`job failed (${outcome.error.message}); restart ${restarting} in ${delay} ms from ${attempt.coordinator?.latest ? `checkpoint ${attempt.coordinator.latest.id}` : 'the beginning'}`);
        if (!cancelled) await new Promise<void>((r) => { const t = setTimeout(r, delay); endDelay = () => { clearTimeout(t); r(); }; });
        endDelay = undefined;
        // Its counters are in `carried` now: not counted again. A restart cancelled before it ran is not one.
        if (cancelled) return finalResult({ ...outcome, metrics: new Float64Array(carried.length) }, restored?.manifest.id);
        restarts++;
        const latest = attempt.coordinator?.latest;
        if (latest) from = await restartCheckpoint(store!, lineage, latest.id, restored?.manifest.id ?? firstId, restored === undefined, warn, options.onRestoreProgress, acceptedUpTo);
        nextId = (await store!.maxId()) + 1;
      }
    } catch (e) {
      firstFailed(e);
      endOutputs(e);
      throw e;
    } finally {
      clearInterval(collectWatch);
      releaseBundle?.();
      storeOpen = false;
      await store?.close();
    }
  })();
  // A first attempt that cannot start rejects run() itself.
  result.catch(() => {});
  await firstAttempt;

  function finalResult(outcome: AttemptOutcome | undefined, restoredFrom: number | undefined): JobResult {
    const collected: Record<string, unknown[]> = {};
    if (cp) {
      for (const n of graph.nodes) {
        const committed = (n.sink as { committed?: () => unknown[] } | undefined)?.committed;
        if (typeof committed === 'function') collected[n.name] = committed.call(n.sink);
      }
    } else if (outcome) {
      for (const s of outcome.sinks.sort((a, b) => a.node - b.node || a.subtask - b.subtask)) {
        if (!Array.isArray(s.result)) continue;
        // A collect sink keeps them (subtask 0 first), or hands them to its reader (handle.output).
        const collect = asCollectSink(graph.nodes[s.node]!.sink);
        if (collect !== undefined) { collect.received(s.subtask, s.result); continue; }
        const name = names[s.node]!;
        const before = collected[name];
        collected[name] = before === undefined || before.length === 0 ? s.result : before.concat(s.result);
      }
      // Every collect sink has its array, empty if nothing reached it (or the job was stopped before it started).
      // The sink's own: a reader that stops after the end hands back what it had not read into it. (Only collect
      // sinks: another sink with a `committed` of its own, for checkpointed runs, returned its parts above.)
      for (const n of graph.nodes) {
        const collect = asCollectSink(n.sink);
        if (collect === undefined) continue;
        collect.settle();
        collected[n.name] = collect.committed();
      }
    }
    // Every record has reached its reader: the readers end (before run() returns, on a finished job's resume).
    endOutputs(undefined);
    const metrics = outcome ? readMetrics(plan, names, outcome.metrics, performance.now() - started, carried) : { operators: [], tasks: [], durationMs: performance.now() - started };
    return { collected, metrics, cancelled, restarts, checkpoints: mergeStats(stats, undefined), restoredFrom, ...(stoppedWith ? { stoppedWithSavepoint: stoppedWith } : {}) };
  }

  // Between two attempts (the restart delay) there is no coordinator: the request is refused as such, not with
  // "the job is not running" from the stopped one, which reads as if the job were gone.
  const notNow = (): Promise<never> => (cp && current === undefined && restarting > 0
    ? Promise.reject(new Error(`the job is restarting (restart ${restarting}): try again once it runs`))
    // A resume of a job that had already finished runs no attempt: "does not checkpoint" would be wrong.
    : cp && current === undefined ? Promise.reject(new Error('the job is not running: it had already finished (its last checkpoint is final)'))
    : noCheckpoints());
  const noCheckpoints = (): Promise<never> => Promise.reject(new Error('this job does not checkpoint: enable checkpointing (env.enableCheckpointing, checkpointIntervalMs or stateDir) to take checkpoints or savepoints'));
  const handle: JobHandle = {
    result,
    plan,
    operatorNames: names,
    parallelism: graph.defaultParallelism,
    stateDir: cp?.stateDir,
    restoredFrom: restored?.manifest.id,
    sources: graph.nodes.filter((n) => n.source).map((n) => ({ name: n.name, bounded: n.source!.bounded, count: n.source!.count })),
    restarts: () => restarts,
    metrics: () => readMetrics(plan, names, current?.metrics ?? new Float64Array(metricsOffsets(plan).at(-1)!), performance.now() - started, carried),
    checkpoints: () => mergeStats(stats, liveStats),
    checkpoint: () => current?.coordinator ? current.coordinator.trigger('checkpoint', undefined) : notNow(),
    savepoint: async (name: string) => {
      if (typeof name !== 'string' || !/^[\w.-]+$/.test(name)) throw new SavepointNameError(`savepoint: the name must be letters, digits, '.', '_' or '-', got ${JSON.stringify(name)}`);
      const coordinator = current?.coordinator;
      if (!coordinator || !store) return notNow();
      // A name taken again would move to the new savepoint, and retention would then delete the old one as an
      // ordinary checkpoint, without a word.
      const taken = (what: string): SavepointNameError => new SavepointNameError(`savepoint: the name '${name}' is taken (${what} in ${store!.dir}); give this one another name`);
      if (savepointNames.has(name)) throw taken('a savepoint being taken');
      savepointNames.add(name);
      try {
        const id = await store.savepointId(name).catch(() => undefined /* closed: the job ended, trigger says so */);
        if (id !== undefined) throw taken(`checkpoint ${id}`);
        return await coordinator.trigger('savepoint', name);
      } finally {
        savepointNames.delete(name);
      }
    },
    async stopWithSavepoint(name: string) {
      if (stopName !== undefined) throw new Error(`the job is already stopping with savepoint '${stopName}'`);
      stopName = name;
      const taking = handle.savepoint(name);
      // Marked stopped as the savepoint is taken (before any awaiting continuation runs): an attempt ending then
      // returns cancelled, which must not read as a failure to restart from.
      stopPending = taking.then((c) => { stoppedWith = c; cancelled = true; return true; }, () => false);
      // Checkpoints start from timers, and their acknowledgements come as messages: none completes between the
      // savepoint's completion and the stop below, which runs in its continuation (one queued behind the savepoint
      // begins then, and the stop aborts it). Cancelled, the sinks publish nothing more.
      let c: CompletedCheckpoint;
      try {
        c = await taking;
      } catch (e) {
        // The job runs on: another stop may be asked for.
        stopName = undefined;
        stopPending = undefined;
        throw e;
      }
      void handle.cancel();
      return c;
    },
    async deleteSavepoint(name: string) {
      if (!store) return noCheckpoints();
      if (!storeOpen) throw new Error(`the job has ended: delete the savepoint with deleteSavepoint('${store.dir}', '${name}') (or sluice savepoint ${store.dir} ${name} --delete)`);
      const record = (await store.savepoints()).find((s) => s.name === name);
      if (record === undefined) throw new NoCheckpointError(`no savepoint named '${name}' in ${store.dir}`);
      await store.deleteSavepointName(name);
      return { name, id: record.id, checkpointDeleted: false, chunksDeleted: 0, unreadable: [] };
    },
    async cancel() {
      cancelled = true;
      current?.stop();
      endDelay?.();
      return result;
    },
    output(sinkName: string) {
      const sink = asCollectSink(graph.nodes.find((n) => n.name === sinkName)?.sink);
      if (sink === undefined) {
        const collects = graph.nodes.filter((n) => asCollectSink(n.sink) !== undefined).map((n) => `'${n.name}'`);
        throw new Error(`output: the job has no collect sink named '${sinkName}' (${collects.length > 0 ? `its collect sinks: ${collects.join(', ')}` : 'it has no collect sink'})`);
      }
      if (ended?.error !== undefined) throw ended.error;
      if (ended !== undefined) throw new Error(`output('${sinkName}'): the job has ended; its records are in result.collected`);
      // A reader that falls behind (RunOptions.outputBufferRecords) holds the job back: with checkpoints its
      // sources; without, the sink, which hands records over while it has a reader.
      const node = graph.nodes.findIndex((n) => n.name === sinkName);
      const flow = cp ? (holds !== undefined ? new OutputHold(holds, node, outputBound) : undefined) : current?.outputCredit(node, outputBound);
      const stream = new OutputStream<unknown>((unread) => {
        sink.detach(unread);
        readers.delete(stream);
        if (ended === undefined) readNodes.set(node, sinkTaken(handle.metrics(), sinkName) - unread.length);
      }, flow, (waitedMs, unread) => {
        warn(`output('${sinkName}'): the job has waited ${Math.round(waitedMs / 1000)} s for this reader, which has read nothing since (${unread} records unread, outputBufferRecords ${outputBound}): read on, break, or run with outputBufferRecords: Infinity`);
      });
      try {
        sink.attach(stream);
      } catch {
        // Its stall watch stops too: left running, it would warn about this reader that never was.
        stream.end();
        throw new Error(`output('${sinkName}'): the sink already has a reader (one per sink)`);
      }
      flow?.start();
      readers.add(stream);
      readNodes.set(node, undefined);
      return stream;
    },
  };
  return handle as JobHandle<C>;
}

/** Records the subtasks of sink `name` have taken over the run (live metrics). */
function sinkTaken(m: JobMetrics, name: string): number {
  return m.operators.filter((o) => o.operator === name).reduce((n, o) => n + o.recordsIn, 0);
}

/** How often, and from how many records held, a collect sink no one reads behind an endless source is warned about. */
const COLLECT_WATCH_MS = 2000;
const COLLECT_WARN_RECORDS = 1_000_000;

/**
 * Warns, once per sink, when a collect sink fed by a source that never ends has kept COLLECT_WARN_RECORDS records
 * in memory for `result.collected` and nothing has read it: the heap would grow until the process died.
 */
function watchUnreadCollects(graph: LogicalGraph, read: ReadonlyMap<number, number | undefined>, metrics: () => JobMetrics, warn: (m: string) => void): ReturnType<typeof setInterval> | undefined {
  const endless = (node: number): string | undefined => {
    const src = upstreamSources(graph, node).map((s) => graph.nodes[s]!).find((n) => n.source !== undefined && !n.source.bounded);
    return src?.name;
  };
  const watched = graph.nodes.filter((n) => asCollectSink(n.sink) !== undefined).map((n) => ({ node: n.id, name: n.name, source: endless(n.id) })).filter((w) => w.source !== undefined);
  if (watched.length === 0) return undefined;
  const warned = new Set<number>();
  const t = setInterval(() => {
    let m: JobMetrics;
    try { m = metrics(); } catch { return; /* not started yet */ }
    for (const w of watched) {
      if (warned.has(w.node)) continue;
      const from = read.has(w.node) ? read.get(w.node) : 0;
      if (from === undefined) continue;
      const held = sinkTaken(m, w.name) - from;
      if (held < COLLECT_WARN_RECORDS) continue;
      warned.add(w.node);
      warn(`collect sink '${w.name}' has kept ${held.toLocaleString('en-US')} records in memory for result.collected, and source '${w.source}' never ends: read them as they come with handle.output('${w.name}'), or write to another sink (the heap grows until the job ends)`);
    }
  }, COLLECT_WATCH_MS);
  t.unref();
  return t;
}

interface CheckpointSettings {
  stateDir: string;
  intervalMs: number;
  unaligned: boolean;
  alignmentTimeoutMs: number;
  timeoutMs: number;
  retained: number;
  tolerableFailures: number;
}

/**
 * Records where this run starts in the state directory's lineage (lineage-mark.ts); a damaged mark is replaced.
 * Returns the lineage, which no one changes while the run lasts.
 */
async function startLineage(store: CheckpointStore, base: number, first: number, warn: (m: string) => void): Promise<Lineage> {
  return recordStart(store.dir, await store.manifestIds(), base, first, (e) => warn(`${e.message}. Replaced: this run starts a lineage of its own${base > 0 ? ` from checkpoint ${base}` : ''}`));
}

/**
 * A run that does not resume, in a state directory where an earlier run published sink output: it starts over,
 * and its sinks publish those records again. `--resume` refuses to do that silently; a plain run at least says so.
 */
function warnStartingOver(stateDir: string, warn: (m: string) => void): void {
  let published = 0;
  try {
    published = readPublishedMark(stateDir);
  } catch {
    // A damaged mark: --resume reports it; a fresh start does not read it.
  }
  if (published > 0) warn(`${stateDir} holds sink output an earlier run published (up to its checkpoint ${published}), and this run starts over without resuming: its sinks publish those records again. Resume (--resume, or resume: 'latest') to go on from that run, or use a new state directory`);
}

/** Checkpointing is on when the job or the options ask for an interval, a state directory or a resume. */
function checkpointSettings(graph: LogicalGraph, o: RunOptions, jobUrl: string): CheckpointSettings | undefined {
  const fromJob = graph.checkpointing;
  const intervalMs = o.checkpointIntervalMs ?? fromJob?.intervalMs ?? 0;
  if (!(intervalMs >= 0)) throw new JobDefinitionError(`checkpointIntervalMs must be >= 0, got ${intervalMs}`);
  if (intervalMs === 0 && o.stateDir === undefined && !o.resume && !fromJob) return undefined;
  const mode = o.checkpointMode ?? fromJob?.mode ?? 'aligned';
  if (mode !== 'aligned' && mode !== 'unaligned') throw new JobDefinitionError(`checkpointMode must be 'aligned' or 'unaligned', got ${String(mode)}`);
  const retained = o.retainedCheckpoints ?? 3;
  const timeoutMs = o.checkpointTimeoutMs ?? 60_000;
  // Node's timers take at most 2^31 - 1 ms, and turn a longer one into 1 ms (every checkpoint would time out).
  if (!(timeoutMs > 0 && timeoutMs <= MAX_TIMER_MS)) throw new JobDefinitionError(`checkpointTimeoutMs must be a number of ms > 0 and <= ${MAX_TIMER_MS} (~24.8 days), got ${timeoutMs}`);
  if (!Number.isInteger(retained) || retained < 1) throw new JobDefinitionError(`retainedCheckpoints must be an integer >= 1, got ${retained}`);
  const name = jobUrl.startsWith('file:') ? path.basename(fileURLToPath(jobUrl)).replace(/\.[cm]?[jt]s$/, '') : 'job';
  return {
    stateDir: path.resolve(o.stateDir ?? path.join('.sluice', name)),
    intervalMs,
    unaligned: mode === 'unaligned',
    alignmentTimeoutMs: o.alignmentTimeoutMs ?? fromJob?.alignmentTimeoutMs ?? Infinity,
    timeoutMs,
    retained,
    tolerableFailures: checkTolerableFailures(o.tolerableCheckpointFailures ?? fromJob?.tolerableFailures ?? Infinity, 'tolerableCheckpointFailures'),
  };
}

interface AttemptOutcome {
  error: Error | undefined;
  sinks: ThreadResult['sinks'];
  metrics: Float64Array;
}

interface Attempt {
  done: Promise<AttemptOutcome>;
  metrics: Float64Array;
  coordinator: CheckpointCoordinator | undefined;
  stop(): void;
  /** Credit for the subtasks of collect sink `node` from its readers (untransactional runs; else undefined). */
  outputCredit(node: number, bound: number): OutputCredit | undefined;
}

interface AttemptSetup {
  jobUrl: string;
  /** What worker threads load: the bundle of the job and the task host, or workers/pool-entry.mjs. */
  workerUrl: string;
  bundled: boolean;
  graph: LogicalGraph;
  plan: PhysicalPlan;
  parallelism: number;
  fingerprints: string[];
  jobFingerprint: string;
  rt: RuntimeOptions;
  ringBytes: number;
  options: RunOptions;
  cp: CheckpointSettings | undefined;
  store: CheckpointStore | undefined;
  from: LoadedCheckpoint | undefined;
  /**
   * Without a checkpoint to restore, whatever sinks find of an earlier attempt (a file sink's in-progress and
   * pending parts) is vouched for by nothing: a restart after a failure, a resume that found no checkpoint (nothing
   * was ever published), a run without checkpoints (a killed one's parts). Not a fresh start over a state
   * directory that holds checkpoints: a later resume from one of them still needs its pending parts.
   */
  orphans: boolean;
  nextId: number;
  /** The lineage the run goes on in (startLineage). */
  lineage: Lineage;
  warn: (m: string) => void;
  /** Checkpointed runs: readers of collect sinks that hold the sources (outlive attempts). */
  holds: OutputHolds | undefined;
  /** A stop with savepoint under way: resolves true when its savepoint was taken (the job stops there). */
  stopPending: () => Promise<boolean> | undefined;
}

/** One run of the job's threads: fresh rings, a fresh pool (or a kept one), restored from `from` when given. */
async function startAttempt(s: AttemptSetup): Promise<Attempt> {
  const { graph, plan, options, cp, store, from } = s;
  const sinksByUid = new Map<string, SinkSpec<unknown>>(graph.nodes.filter((n) => n.sink).map((n) => [n.uid ?? n.name, n.sink!]));

  // Splits and state: restored where the checkpoint has them, fresh otherwise.
  let restore: Record<string, SubtaskRestore> | undefined;
  const splits: Record<string, SourceSplit[]> = {};
  let restoredSources = new Set<string>();
  if (from) {
    const r = assignRestore(from, graph, plan, { allowNonRestoredState: options.allowNonRestoredState ?? false });
    restore = r.subtasks;
    Object.assign(splits, r.splits);
    restoredSources = r.restoredSources;
    // Transactions of the restored checkpoint may not have been published before the failure: publish
    // (idempotent), and let sinks that can clear what the failed attempt left (`recover`).
    await publishSinkTransactions(store!, from.manifest, recoveringSinks(sinksByUid));
  } else if (s.orphans) {
    // Nothing was published from what an earlier attempt left: cleared, or a killed run's hidden parts stay after
    // a fresh run that found no checkpoint completes.
    for (const spec of sinksByUid.values()) if (spec.recover !== undefined) await spec.recover([]);
  }
  for (const t of plan.tasks) {
    const head = graph.nodes[t.nodeIds[0]!]!;
    if (!head.source || restoredSources.has(head.uid ?? head.name)) continue;
    const dealt = assignSplits(await head.source.enumerateSplits(t.parallelism), t.parallelism);
    dealt.forEach((sp, i) => { splits[subtaskKey(t.id, i)] = sp; });
  }

  const rings = plan.channels.map(() => Ring.create(s.ringBytes, 'ringBytes').buffer);
  const control = new SharedArrayBuffer(jobControlSlots(plan.threads) * Int32Array.BYTES_PER_ELEMENT);
  const ringAll = (): void => { for (let t = 0; t < plan.threads; t++) threadBell(control, t).ringAlways(); };
  const outputHold = s.holds !== undefined ? new SharedArrayBuffer(outputHoldBytes(graph.nodes.length)) : undefined;
  // Before any thread starts: readers' limits in this attempt's count, so a reader still behind holds its sources from the start.
  if (outputHold !== undefined) s.holds!.attach(new Int32Array(outputHold), ringAll);
  const metricsBuf = new SharedArrayBuffer(metricsOffsets(plan).at(-1)! * Float64Array.BYTES_PER_ELEMENT);
  const metrics = new Float64Array(metricsBuf);
  const alignment = new SharedArrayBuffer(plan.placements.length * ALIGNMENT_SLOT_BYTES);
  new BigInt64Array(alignment).fill(BigInt(MIN_WATERMARK));
  const channels = cp ? Array.from({ length: plan.threads }, () => new MessageChannel()) : [];
  // Without checkpoints, collect sinks hand their records over while the job runs (with them, at commits).
  const live = !cp && graph.nodes.some((n) => asCollectSink(n.sink) !== undefined)
    ? new LiveRecordPorts(plan.threads, (node) => asCollectSink(graph.nodes[node]?.sink))
    : undefined;
  const outputFlow = live !== undefined ? new SharedArrayBuffer(graph.nodes.length * OUTPUT_FLOW_SLOTS * 4) : undefined;
  let checkpointFailure: Error | undefined;

  const { Piscina } = requireLazy('piscina') as typeof import('piscina');
  const workerEnv = s.bundled ? { ...process.env, [JOB_URL_ENV]: s.jobUrl } : undefined;
  const poolOf = (execArgv: string[] | undefined): InstanceType<typeof Piscina> => new Piscina({
    filename: s.workerUrl,
    ...(execArgv !== undefined ? { execArgv } : {}),
    ...(workerEnv !== undefined ? { env: workerEnv } : {}),
    minThreads: plan.threads,
    maxThreads: plan.threads,
    // One long-lived task per thread: it must never be queued behind another, nor its thread retired.
    concurrentTasksPerWorker: 1,
    idleTimeout: Infinity,
    // Piscina's own Atomics.wait between tasks would block the worker's event loop; our task loop parks itself.
    atomics: 'disabled',
    resourceLimits: { maxOldGenerationSizeMb: options.workerHeapMb ?? 2048 },
  });
  // A bundle needs no TypeScript loader: keep the main thread's `--import tsx` (which workers inherit, ~0.3 s each
  // to register) out of them, and map stack traces back to the job's files. Passed explicitly, the parent's flags
  // are checked as worker flags, and some Node builds run with per-process ones (--secure-heap, --node-snapshot on
  // Node 24's npm package): then only the two flags of our own.
  const cache = options.threadCache;
  const workerArgv = s.bundled ? [...withoutTsx(process.execArgv), '--enable-source-maps'] : undefined;
  const identity: PoolIdentity = { filename: s.workerUrl, jobUrl: s.jobUrl, threads: plan.threads, execArgv: workerArgv ?? process.execArgv, env: workerEnv ?? process.env, heapMb: options.workerHeapMb ?? 2048 };
  const poolKey = cache !== undefined ? ThreadCache.keyOf(identity) : '';
  // Threads an earlier run of this job left in the cache, else new ones.
  const threads = (cache?.take(poolKey) as InstanceType<typeof Piscina> | undefined) ?? newPool();
  // An error a thread throws outside its task (user code's timer or unhandled rejection, after the task returned)
  // comes as the pool's 'error' event: without a listener the EventEmitter throws it in the main thread, and the
  // embedding process dies. It fails the attempt instead.
  let threadFailure: Error | undefined;
  const onThreadError = (e: unknown): void => {
    threadFailure ??= Object.assign(new Error(`a worker thread failed outside its task: ${(e as Error)?.message ?? String(e)}`), { name: 'WorkerDiedError', cause: e });
    stopAll();
  };
  threads.on('error', onThreadError);
  function newPool(): InstanceType<typeof Piscina> {
    if (workerArgv === undefined) return poolOf(undefined);
    try {
      return poolOf(workerArgv);
    } catch (e) {
      if ((e as { code?: string }).code !== 'ERR_WORKER_INVALID_EXEC_ARGV') throw e;
      return poolOf(['--enable-source-maps']);
    }
  }

  let stopping = false;
  let terminated = false;
  /** The stop's grace period, running until the threads have all settled. */
  let grace: ReturnType<typeof setTimeout> | undefined;
  /** Every thread has settled: nothing is left to stop (a cancel after the end must not start a grace timer). */
  let settled = false;
  let destroyed: Promise<void> | undefined;
  /** The run ended well: its threads go back to the cache (and are no longer this run's to end). */
  let released = false;
  const destroyPool = (): Promise<void> => (released ? Promise.resolve() : (destroyed ??= threads.destroy()));
  const stopAll = (): void => {
    if (stopping || settled) return;
    stopping = true;
    coordinator?.stop();
    signalStop(control, plan.threads);
    for (const r of rings) Ring.attach(r).abort();
    // A thread busy in synchronous user code never sees the flag: terminate the pool after a grace period. Not
    // unref'd: with both workers dead of OOM at once, a thread's task was seen never to settle, and with nothing
    // else pending the event loop ended under the awaited result ("Promise resolution is still pending"); the
    // pool's destroy settles it. Cleared once every thread has settled.
    grace = setTimeout(() => { terminated = true; void destroyPool(); }, options.stopGraceMs ?? 5000);
  };

  let coordinator: CheckpointCoordinator | undefined;
  try {
    coordinator = cp ? new CheckpointCoordinator(
      store!, graph, plan, control, channels.map((c) => c.port1 as MessagePort),
      { intervalMs: cp.intervalMs, timeoutMs: cp.timeoutMs, retained: cp.retained, unaligned: cp.unaligned, minPauseMs: 0, tolerableFailures: cp.tolerableFailures, lineage: s.lineage },
      s.jobFingerprint, s.nextId, from?.manifest,
      (e) => { checkpointFailure ??= e; stopAll(); },
      options.onCheckpoint,
    ) : undefined;
  } catch (e) {
    // The threads are this attempt's (started, or taken from a cache): nothing else would end them.
    await destroyPool();
    throw e;
  }

  const threadRuns = Array.from({ length: plan.threads }, (_, thread) => {
    const port = channels[thread]?.port2 as MessagePort | undefined;
    const outputPort = live?.portOf(thread);
    const a: ThreadAssignment = {
      jobUrl: s.jobUrl, parallelism: s.parallelism, fingerprints: s.fingerprints, plan, thread, rings, control, metrics: metricsBuf, alignment, options: s.rt,
      checkpoint: { enabled: cp !== undefined, alignmentTimeoutMs: cp?.alignmentTimeoutMs ?? Infinity, columnarState: options.columnarState ?? true }, splits, restore, port, outputPort,
      outputFlow: outputPort !== undefined ? outputFlow : undefined,
      outputHold,
    };
    const transferList = [port, outputPort].filter((p) => p !== undefined);
    return (threads.run(a, transferList.length > 0 ? { transferList } : {}) as Promise<ThreadResult>).then(
      (r) => { if (r.error) stopAll(); return r; },
      (e: unknown) => {
        // Terminated after the stop grace period: stopped, not failed (the stop's cause is reported elsewhere).
        if (terminated) return { thread, sinks: [], stopped: true } as ThreadResult;
        // The thread itself died (heap limit, process.exit in a worker, a crash): a task failure, not a hang.
        stopAll();
        // What ran there, so a user can tell which operator to look at.
        const ran = plan.placements.filter((p) => p.thread === thread).map((p) => `${plan.tasks[p.task]!.name} (subtask ${p.subtask})`);
        return { thread, sinks: [], stopped: false, error: { name: 'WorkerDiedError', message: `worker thread ${thread} died: ${(e as Error)?.message ?? String(e)}. It ran: ${ran.join(', ')}`, stack: (e as Error)?.stack } } as ThreadResult;
      },
    );
  });
  coordinator?.start();
  // Checkpoints wait for every task to run, so a task hung in open() or in a restore fails none: say so once.
  const slowStart = coordinator !== undefined ? setTimeout(() => {
    const starting = coordinator!.startingThreads();
    if (starting.length > 0 && !stopping) s.warn(`no checkpoint is taken until every task runs, and start-up has taken longer than the checkpoint timeout (${cp!.timeoutMs} ms): ${starting.join(', ')} ${starting.length === 1 ? 'has' : 'have'} not finished building, restoring and opening ${starting.length === 1 ? 'its' : 'their'} tasks (a large restore, or user code in open() that does not return?)`);
  }, cp!.timeoutMs) : undefined;
  slowStart?.unref();

  let endedWell = false;
  const done = (async (): Promise<AttemptOutcome> => {
    try {
      const results = await Promise.all(threadRuns);
      // Records the threads handed over while running come before those their results carry.
      await live?.allReceived(results);
      const failure = results.find((r) => r.error && r.error.name !== 'JobCancelledError');
      if (failure?.error) return { error: revive(failure.error), sinks: [], metrics };
      if (checkpointFailure) return { error: checkpointFailure, sinks: [], metrics };
      if (threadFailure) return { error: threadFailure, sinks: [], metrics };
      // Cancelled: collect sinks of an untransactional run still hand back what they received.
      const stopped = (why: string): AttemptOutcome => ({ error: new JobCancelledError(why), sinks: results.flatMap((r) => r.sinks), metrics });
      // A stop that came once every thread had ended (a bounded job's last moments) is a stop too: no final
      // checkpoint then.
      if (results.some((r) => r.stopped) || stopping) return stopped('job stopped before it finished');
      // The job ended: record its final state, publish the last transactions.
      if (coordinator) {
        // A stop with savepoint asked for as the job ends: its savepoint decides. Taken, the job stops there, and
        // the final checkpoint that would publish what followed it is not taken; refused, the job ends as it would.
        const stop = s.stopPending();
        if (stop !== undefined && await stop) return stopped('job stopped at a savepoint before it finished');
        await coordinator.awaitFinished(10_000);
        await coordinator.finish();
      }
      // Every thread returned from its task: unless a stop came (checked when the pool is let go), they are as
      // good as new for the next run.
      endedWell = true;
      return { error: undefined, sinks: results.flatMap((r) => r.sinks), metrics };
    } catch (e) {
      return { error: e as Error, sinks: [], metrics };
    } finally {
      settled = true;
      s.holds?.detach();
      clearTimeout(grace);
      clearTimeout(slowStart);
      coordinator?.close();
      await coordinator?.drain();
      for (const c of channels) c.port1.close();
      live?.close();
      if (cache !== undefined && endedWell && !stopping && threadFailure === undefined) {
        released = true;
        // Off only once the cache listens (or has ended the pool): its give may end it, and an error then is heard.
        await cache.give(poolKey, threads);
        threads.off('error', onThreadError);
      } else {
        // piscina's destroy waits for its workers' 'exit' events, and it unrefs idle workers (the replacement it
        // starts for one that died of OOM): with nothing else pending, the event loop ended before the event came
        // ("Promise resolution is still pending but the event loop has already resolved", a CI run on Node 20).
        // A timer keeps the loop up meanwhile, and bounds the wait.
        let keep: ReturnType<typeof setTimeout> | undefined;
        await Promise.race([destroyPool(), new Promise<void>((r) => { keep = setTimeout(r, DESTROY_WAIT_MS); })]);
        clearTimeout(keep);
      }
      // The handle keeps its last attempt (for its metrics), and with it this closure: without this, each finished
      // job an app keeps a handle of holds all its rings (240 MB more per 5 handles kept).
      rings.length = 0;
    }
  })();

  const credits = new Map<number, OutputCredit>();
  /** Credit for collect sink `node`'s subtasks, one per sink for the attempt (readers come and go). */
  const outputCredit = (node: number, bound: number): OutputCredit | undefined => {
    if (outputFlow === undefined) return undefined;
    let c = credits.get(node);
    if (c === undefined) {
      c = new OutputCredit(new Int32Array(outputFlow), node * OUTPUT_FLOW_SLOTS, bound, ringAll);
      credits.set(node, c);
    }
    return c;
  };
  return { done, metrics, coordinator, stop: stopAll, outputCredit };
}

function revive(e: SerializedError): Error {
  let err: Error;
  if (e.name === 'OperatorError' && e.operator !== undefined) {
    const cause = new Error(e.message.replace(/^operator '.*?' \(subtask \d+\) failed: /, ''));
    cause.stack = e.stack?.split('\n    caused by: ')[1] ?? e.stack;
    if (e.causeName !== undefined) cause.name = e.causeName;
    if (e.causeCode !== undefined) (cause as Error & { code?: string }).code = e.causeCode;
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
