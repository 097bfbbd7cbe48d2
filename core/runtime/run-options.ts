// Runs on: main thread. run()'s options: what each means, its default, and the checks that refuse a wrong one
// before the job starts. Apart from run.ts so the option surface can be read (and checked) in one place.

import { JobDefinitionError } from '../api/errors.js';
import type { PhysicalPlan } from '../graph/physical-plan.js';
import type { RuntimeOptions } from '../../workers/assignment.js';
import type { CompletedCheckpoint } from '../checkpoint/coordinator.js';
import type { ResumeFrom, RestoreProgress } from '../checkpoint/restore.js';
import type { RestartStrategy } from '../checkpoint/restart-strategy.js';
import { ThreadCache } from './thread-cache.js';
import { shownValue } from '../api/shown-value.js';
import { isNumber } from '../api/number-option.js';
import { checkKnownOptions } from '../api/known-options.js';
import { MAX_RING_CAPACITY } from '../../shm/ring.js';

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
   * once per list or map write), a state handle asked for again as declared comes back from one lookup, and a table
   * without a TTL remembers the entry its last read or write found (value() then update() looks the key up once),
   * and a plain broadcast process function's own state (snapshotState) and broadcast state are packed once at the
   * barrier, not cloned there and packed again when the chunk is written. false turns them off; checkpoints restore
   * either way.
   */
  stateFastPaths?: boolean;
  /** Checks a waiting thread spins before it parks (0: always park). */
  spin?: number;
  /**
   * Ring writes are published to the reader, and a parked reader woken, once per batch of bytes (a quarter of the
   * ring, at most 16 KiB) or at a flush, not per record (default true; false: every write is published at once).
   */
  ringBatching?: boolean;
  /**
   * A batch publication wakes a parked reader only once half its ring is unread, and a reader wakes a writer
   * parked on a full ring only once half of it is free, so a thread woken for a sliver of work does not park again
   * at once (default true; false: every publication and release wakes a parked peer). See shm/ring.ts.
   */
  wakeHysteresis?: boolean;
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
   * (default 5000). A thread stuck in synchronous user code never reads the stop flag. One still handing over
   * what its sinks return after the stop (a cancelled collect sink's records) is waited for while its parts go (one
   * that sent nothing for a whole period is terminated); a warning names a thread waited for and one terminated.
   * A sinks' commit that does not return (a checkpoint's, the final one's, or a restore's publish again) is given
   * up this long after a cancel, with a warning: a resume publishes that checkpoint again.
   */
  stopGraceMs?: number;
  /**
   * How long a worker thread may be in one call (user code that does not return, a long restore) before the run
   * warns, naming the thread and what runs there, ms (default 30,000; 0: never).
   */
  stuckWarningMs?: number;
  /**
   * How many records a reader of a collect sink (handle.output) may leave unread before the job waits for it,
   * slowing to the reader's pace (default 65,536; at most 2^30; Infinity: never, unread records wait in memory).
   * Without checkpoints the sink's subtasks stop taking input (credit comes back each half of it read); with them
   * records come at commits, and the sources upstream stop reading (barriers still go through, so checkpoints
   * complete) while the sink has taken that many records, committed or not, that the reader has not read: then at
   * most about this many (plus what is in flight) reach the reader per checkpoint interval.
   */
  outputBufferRecords?: number;
  /**
   * What collect sinks hand back (default 'records'). 'count': each subtask counts its records on its own thread and
   * hands back only the count, so no record crosses to the main thread or is kept there: `result.collected` has an
   * empty array per collect sink, `result.collectedCounts` the counts (exactly once with checkpoints, as records are),
   * and `handle.output` is refused. For a caller that only counts, as `sluice run` does (an unbounded job's records
   * would otherwise pile up on the main thread until it ends).
   */
  collect?: 'records' | 'count';

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
   * Before the state directory's LevelDB opens, check every block of its live tables against its CRC-32C (default
   * true unless the environment variable SLUICE_CHECK_STATE_TABLES is 0 or false): a damaged table fails the run
   * with a StateDirError naming it. false: LevelDB meets the damage itself, and some (a zeroed index block) stop
   * the process in its assertion (exit 134). See core/checkpoint/leveldb-table-check.ts.
   */
  checkStateTables?: boolean;
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
  /**
   * Cancels the run when it aborts. Aborted before run() resolves (loading the job, restoring, starting threads),
   * run() rejects with the signal's reason once everything it started has stopped; later, the job is cancelled as by
   * handle.cancel() (its result says `cancelled: true`).
   */
  signal?: AbortSignal;
  /** Called as a restore loads and verifies its checkpoint's chunks (progress bars). */
  onRestoreProgress?: (progress: RestoreProgress) => void;

  // ---- metrics
  /** Sources send a latency marker this often, ms; sinks publish end-to-end latency percentiles (default 0: off). */
  latencyTrackingIntervalMs?: number;
}

const DEFAULT_RING_BYTES = 256 * 1024;
const DEFAULT_OUTPUT_BUFFER_RECORDS = 65_536;
const MIN_RING_BYTES = 4096;
export const DEFAULT_RESTART: RestartStrategy = { type: 'fixed-delay', attempts: 3, delayMs: 1000 };

function floorPow2(n: number): number {
  return 2 ** Math.floor(Math.log2(n));
}

// Every option by name: the compiler refuses this list when RunOptions gains or loses one and it does not follow.
const RUN_OPTION_KEYS = Object.keys({
  parallelism: true, threads: true, chaining: true, bufferTimeoutMs: true, ringBytes: true, ringMemoryBytes: true,
  workerHeapMb: true, recordBatch: true, stateFastPaths: true, spin: true, ringBatching: true, wakeHysteresis: true,
  settleHops: true, fineWaitMs: true, stopGraceMs: true, stuckWarningMs: true, outputBufferRecords: true, collect: true,
  checkpointIntervalMs: true, checkpointMode: true, alignmentTimeoutMs: true, checkpointTimeoutMs: true,
  tolerableCheckpointFailures: true, retainedCheckpoints: true, stateDir: true, resume: true, checkStateTables: true, columnarState: true,
  bundleWorkers: true, threadCache: true, allowNonRestoredState: true, restartStrategy: true, onWarning: true,
  onCheckpoint: true, signal: true, onRestoreProgress: true, latencyTrackingIntervalMs: true,
} satisfies Record<keyof RunOptions, true>);

/** The job's parallelism: checked, with `threads` and the options' names, before the job module is loaded. */
export function checkParallelism(options: RunOptions, cores: number): number {
  if (options === null || typeof options !== 'object') throw new JobDefinitionError(`run(): options must be an object, got ${shownValue(options)}`);
  checkKnownOptions(options, RUN_OPTION_KEYS, 'run()');
  const parallelism = options.parallelism ?? cores;
  if (!Number.isInteger(parallelism) || parallelism < 1) throw new JobDefinitionError(`parallelism must be an integer >= 1, got ${shownValue(parallelism)}`);
  if (options.threads !== undefined && (!Number.isInteger(options.threads) || options.threads < 1)) throw new JobDefinitionError(`threads must be an integer >= 1, got ${shownValue(options.threads)}`);
  return parallelism;
}

/** What the threads run with, from the options and the plan: defaults applied, each option checked. */
export interface RuntimeSettings {
  rt: RuntimeOptions;
  /** Bytes of each ring: the option's, or less to fit ringMemoryBytes. */
  ringBytes: number;
  /** RunOptions.outputBufferRecords. */
  outputBound: number;
}

/** Throws a JobDefinitionError for an option that is out of range or of the wrong type: before any thread starts. */
export function runtimeSettings(options: RunOptions, plan: PhysicalPlan): RuntimeSettings {
  // Before any arithmetic on them: Math.min and the like would turn the string '65536' into a number unnoticed.
  for (const [k, min] of [['ringBytes', 1], ['ringMemoryBytes', 1], ['workerHeapMb', 1], ['spin', 0]] as const) {
    const v = options[k];
    if (v !== undefined && !(Number.isInteger(v) && v >= min)) throw new JobDefinitionError(`${k} must be an integer >= ${min}, got ${shownValue(v)}`);
  }
  // The option's own faults name it: the budget is blamed below only when it is what lowered the ring.
  const asked = options.ringBytes;
  if (asked !== undefined && !(asked >= MIN_RING_BYTES && asked <= MAX_RING_CAPACITY && Number.isInteger(Math.log2(asked)))) {
    throw new JobDefinitionError(`ringBytes must be a power of two from ${MIN_RING_BYTES} to ${MAX_RING_CAPACITY} (2^30), got ${asked}`);
  }
  const budget = options.ringMemoryBytes ?? 256 * 1024 * 1024;
  let ringBytes = asked ?? DEFAULT_RING_BYTES;
  if (plan.channels.length > 0) ringBytes = Math.min(ringBytes, floorPow2(budget / plan.channels.length));
  if (ringBytes < MIN_RING_BYTES) {
    throw new JobDefinitionError(`the job needs ${plan.channels.length} ring channels: ringMemoryBytes ${budget} leaves ${ringBytes} bytes each, below ${MIN_RING_BYTES}; raise ringMemoryBytes or lower parallelism`);
  }
  const rt: RuntimeOptions = {
    bufferTimeoutMs: options.bufferTimeoutMs ?? 1,
    budget: 1024,
    batchBytes: options.ringBatching === false ? 0 : Math.min(ringBytes / 4, 16 * 1024),
    hysteresis: options.wakeHysteresis ?? true,
    spin: options.spin ?? 256,
    settleHops: options.settleHops ?? 4,
    parkTimeoutMs: 200,
    fineWaitMs: options.fineWaitMs ?? 1,
    recordBatch: options.recordBatch ?? 32,
    stateFastPaths: options.stateFastPaths ?? true,
    latencyTrackingIntervalMs: options.latencyTrackingIntervalMs ?? 0,
    collectCount: options.collect === 'count',
    // What a record too large for a ring should raise: ringBytes does nothing when the budget lowered it.
    ringOption: ringBytes < (options.ringBytes ?? DEFAULT_RING_BYTES) ? 'ringMemoryBytes' : 'ringBytes',
  };
  // Switches read from strings ("false" is truthy) or numbers that are not numbers: silently wrong, so refused.
  for (const k of ['chaining', 'stateFastPaths', 'bundleWorkers', 'columnarState', 'allowNonRestoredState', 'ringBatching', 'wakeHysteresis', 'checkStateTables'] as const) {
    if (options[k] !== undefined && typeof options[k] !== 'boolean') throw new JobDefinitionError(`${k} must be true or false, got ${JSON.stringify(options[k])}`);
  }
  for (const k of ['bufferTimeoutMs', 'stopGraceMs', 'stuckWarningMs', 'fineWaitMs', 'latencyTrackingIntervalMs'] as const) {
    const v = options[k];
    if (v !== undefined && !(isNumber(v) && v >= 0)) throw new JobDefinitionError(`${k} must be a number >= 0, got ${shownValue(v)}`);
  }
  if (options.collect !== undefined && options.collect !== 'records' && options.collect !== 'count') throw new JobDefinitionError(`collect must be 'records' or 'count', got ${shownValue(options.collect)}`);
  const outputBound = options.outputBufferRecords ?? DEFAULT_OUTPUT_BUFFER_RECORDS;
  // At most 2^30: the shared counts wrap at 2^32 and are compared by their difference (shm/layout.ts, output flow).
  if (!(outputBound === Infinity || (Number.isInteger(outputBound) && outputBound >= 1 && outputBound <= 2 ** 30))) throw new JobDefinitionError(`outputBufferRecords must be an integer from 1 to 2^30, or Infinity, got ${shownValue(options.outputBufferRecords)}`);
  if (options.threadCache !== undefined && !(options.threadCache instanceof ThreadCache)) throw new JobDefinitionError('threadCache must be a ThreadCache (new ThreadCache())');
  if (!(rt.fineWaitMs >= 0 && rt.fineWaitMs < rt.parkTimeoutMs)) throw new JobDefinitionError(`fineWaitMs must be >= 0 and < ${rt.parkTimeoutMs}, got ${shownValue(rt.fineWaitMs)}`);
  if (!Number.isInteger(rt.settleHops) || rt.settleHops < 0) throw new JobDefinitionError(`settleHops must be an integer >= 0, got ${shownValue(options.settleHops)}`);
  if (!Number.isInteger(rt.recordBatch) || rt.recordBatch < 1) throw new JobDefinitionError(`recordBatch must be an integer >= 1, got ${shownValue(rt.recordBatch)}`);
  return { rt, ringBytes, outputBound };
}
