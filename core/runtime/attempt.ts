// Runs on: main thread. One attempt of a run: fresh rings, a pool of worker threads (new, or kept in a ThreadCache),
// the checkpoint coordinator, restored from a checkpoint when given. A restart is a new attempt (run.ts).

import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Ring } from '../../shm/ring.js';
import { ALIGNMENT_SLOT_BYTES, OUTPUT_FLOW_SLOTS, jobControlSlots, outputFlowBytes, outputHoldBytes } from '../../shm/layout.js';
import { JobCancelledError } from '../api/errors.js';
import type { PhysicalPlan } from '../graph/physical-plan.js';
import { MIN_WATERMARK } from '../time/watermark.js';
import type { LogicalGraph } from '../graph/logical-graph.js';
import { metricsOffsets } from './metrics.js';
import { signalStop, threadBell } from './job-control.js';
import type { RuntimeOptions, SinkResult, ThreadAssignment, ThreadResult } from '../../workers/assignment.js';
import { assignSplits, ownerOfSource, sourceSplitsError, type SourceSplit } from '../connectors/source.js';
import { subtaskKey, type SubtaskRestore } from '../checkpoint/snapshot.js';
import type { CheckpointStore } from '../checkpoint/store.js';
import { CheckpointCoordinator } from '../checkpoint/coordinator.js';
import { STUCK_WARNING_MS, watchStuckThreads } from './stuck-watch.js';
import type { Lineage } from '../checkpoint/lineage-mark.js';
import { assignRestore, type LoadedCheckpoint } from '../checkpoint/restore.js';
import { publishSinkTransactions, recoverOrphans } from '../checkpoint/sink-commit.js';
import { publishAgain } from '../checkpoint/sink-commit-wait.js';
import { writePublishedMark } from '../checkpoint/published-mark.js';
import { LiveRecordPorts } from './live-records.js';
import { SinkResultPorts } from './sink-result-ports.js';
import { OutputCredit } from './output-credit.js';
import type { OutputHolds } from './output-hold.js';
import { recoveringSinks, type SinkSpec } from '../connectors/sink.js';
import { asCollectSink } from '../connectors/collect-sink.js';
import { bundleImportHint, JOB_URL_ENV, withoutTsx } from './worker-bundle.js';
import { ThreadCache, type PoolIdentity } from './thread-cache.js';
import { endPool } from './end-pool.js';
import { callerOnCheckpoint } from './caller-callbacks.js';
import type { RunOptions } from './run-options.js';
import type { CheckpointSettings } from './checkpoint-settings.js';
import { revive } from './revive-error.js';
import { WorkerWarningsListener } from './worker-warnings.js';
import { SinkCommitHungError } from '../checkpoint/sink-commit-hung.js';
import { commitStop, startStopGrace, stopGraceOf, type StopGrace } from './stop-grace.js';

/** msgpackr reads it when it loads: 'true' keeps it from loading msgpackr-extract (see workerEnv in startAttempt). */
export const NATIVE_STRINGS_OFF_ENV = 'MSGPACKR_NATIVE_ACCELERATION_DISABLED';

/** The module a job's threads run (StartAttempt.workerUrl), for workers/pool-entry.cjs, the pool's filename. */
export const WORKER_MODULE_ENV = 'SLUICE_WORKER_MODULE';
/** CommonJS, so that piscina's require() of it never instantiates an ES module (see the file). */
export const POOL_ENTRY = fileURLToPath(new URL('../../workers/pool-entry.cjs', import.meta.url));

// Loaded on first use: worker threads import this module through the public API but never start a pool.
const requireLazy = createRequire(import.meta.url);

/** How long an attempt's end waits for its pool's threads to exit before it moves on. */
const DESTROY_WAIT_MS = 10_000;

export interface AttemptOutcome {
  error: Error | undefined;
  sinks: SinkResult[];
  metrics: Float64Array;
}

export interface Attempt {
  done: Promise<AttemptOutcome>;
  metrics: Float64Array;
  coordinator: CheckpointCoordinator | undefined;
  stop(): void;
  /** Credit for the subtasks of collect sink `node` from its readers (untransactional runs; else undefined). */
  outputCredit(node: number, bound: number): OutputCredit | undefined;
}

export interface AttemptSetup {
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
  /** The run's once-per-run warnings (warn-once.ts), for the sinks' commits. */
  warnOnce: (key: string, m: string) => void;
  /** Checkpointed runs: readers of collect sinks that hold the sources (outlive attempts). */
  holds: OutputHolds | undefined;
  /** A stop with savepoint under way: resolves true when its savepoint was taken (the job stops there). */
  stopPending: () => Promise<boolean> | undefined;
  /** Settles at the run's cancel (handle.cancel(), an abort): it ends the wait for a restore's publish (no attempt yet). */
  cancelled: Promise<void>;
}

/** One run of the job's threads: fresh rings, a fresh pool (or a kept one), restored from `from` when given. */
export async function startAttempt(s: AttemptSetup): Promise<Attempt> {
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
    // Output it publishes (a file sink's parts open at the checkpoint) is marked, as a completed checkpoint's is.
    // Bounded as any sinks' commit: nothing else stops here, before the attempt exists.
    const publish = publishSinkTransactions(store!, from.manifest, recoveringSinks(sinksByUid), () => writePublishedMark(store!.dir, from.manifest.id), s.warnOnce);
    if (!await publishAgain(publish, from.manifest.id, cp!.timeoutMs, commitStop(s.cancelled, options), s.warn)) throw new JobCancelledError('job cancelled while it published the checkpoint it restores');
  } else if (s.orphans) {
    // Nothing was published from what an earlier attempt left: cleared, or a killed run's hidden parts stay after
    // a fresh run that found no checkpoint completes.
    for (const [uid, spec] of sinksByUid) if (spec.recover !== undefined) await recoverOrphans(uid, spec);
  }
  for (const t of plan.tasks) {
    const head = graph.nodes[t.nodeIds[0]!]!;
    if (!head.source || restoredSources.has(head.uid ?? head.name)) continue;
    let enumerated: SourceSplit[];
    try {
      enumerated = await head.source.enumerateSplits(t.parallelism);
    } catch (e) {
      throw sourceSplitsError(head.name, head.source.kind, 'enumerateSplits', e);
    }
    const dealt = assignSplits(enumerated, t.parallelism, ownerOfSource(head.source, head.name));
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
  // One channel per thread for all its messages to and from the main thread (ThreadAssignment.port): the
  // coordinator's, live records and sink results, each kind's listener taking only its own.
  const channels = Array.from({ length: plan.threads }, () => new MessageChannel());
  const mainPorts = channels.map((c) => c.port1 as MessagePort);
  // Without checkpoints, collect sinks hand their records over while the job runs (with them, at commits); counted
  // (RunOptions.collect), they hand over nothing but their counts, at the end.
  const live = !cp && !s.rt.collectCount && graph.nodes.some((n) => asCollectSink(n.sink) !== undefined)
    ? new LiveRecordPorts(mainPorts, (node) => asCollectSink(graph.nodes[node]?.sink))
    : undefined;
  const sinkResults = new SinkResultPorts(mainPorts);
  const outputFlow = live !== undefined ? new SharedArrayBuffer(outputFlowBytes(graph.nodes.length)) : undefined;
  let checkpointFailure: Error | undefined;

  const { Piscina } = requireLazy('piscina') as typeof import('piscina');
  // msgpackr's native string extractor off in every worker thread: msgpackr-extract keeps one token table for the
  // whole process and clears it, then fills it again, each time a thread loads it, so a thread decoding a batch
  // meanwhile could read one string field wrong (a uint16 read as a one-byte token, a byte inside it as a string
  // header), silently: a job's threads start together, and one thread's start corrupted a record another was
  // already decoding (spec/core/runtime/native-strings.it.spec.ts). No thread of ours loads it then; the main
  // thread loaded it, if at all, when it imported the engine, before any of our threads.
  const workerEnv: Record<string, string | undefined> = { ...process.env, [NATIVE_STRINGS_OFF_ENV]: 'true', [WORKER_MODULE_ENV]: s.workerUrl, ...(s.bundled ? { [JOB_URL_ENV]: s.jobUrl } : {}) };
  const poolOf = (execArgv: string[] | undefined): InstanceType<typeof Piscina> => new Piscina({
    filename: POOL_ENTRY,
    ...(execArgv !== undefined ? { execArgv } : {}),
    env: workerEnv,
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
  const identity: PoolIdentity = { filename: s.workerUrl, jobUrl: s.jobUrl, threads: plan.threads, execArgv: workerArgv ?? process.execArgv, env: workerEnv, heapMb: options.workerHeapMb ?? 2048 };
  const poolKey = cache !== undefined ? ThreadCache.keyOf(identity) : '';
  // Threads an earlier run of this job left in the cache, else new ones.
  const threads = (cache?.take(poolKey) as InstanceType<typeof Piscina> | undefined) ?? newPool();
  // An error a thread throws outside its task (user code's timer or unhandled rejection, after the task returned)
  // comes as the pool's 'error' event: without a listener the EventEmitter throws it in the main thread, and the
  // embedding process dies. It fails the attempt instead.
  let threadFailure: Error | undefined;
  const onThreadError = (e: unknown): void => {
    threadFailure ??= Object.assign(new Error(`a worker thread failed outside its task: ${(e as Error)?.message ?? String(e)}`), { name: 'WorkerDiedError', cause: e });
    stopAll(true);
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
  /** Settles at the user's stop (cancel, stop with savepoint), not at a failure. */
  let cancel!: () => void;
  const cancelled = new Promise<void>((r) => { cancel = r; });
  let userStopped = false;
  /** Why drain() gave up on a failed attempt's sinks' commit: the run then fails instead of restarting beside it. */
  let commitHung: string | undefined;
  let terminated = false;
  /** The stop's grace period, running until the threads have all settled. */
  let grace: StopGrace | undefined;
  /** Threads whose task has settled (the grace period ends only the others). */
  const settledThreads = new Set<number>();
  /** Every thread has settled: nothing is left to stop (a cancel after the end must not start a grace timer). */
  let settled = false;
  let destroyed: Promise<void> | undefined;
  /** The run ended well: its threads go back to the cache (and are no longer this run's to end). */
  let released = false;
  const destroyPool = (): Promise<void> => (released ? Promise.resolve() : (destroyed ??= endPool(threads)));
  /** `failed`: the attempt failed (its sinks' results are dropped); else a cancel. */
  const stopAll = (failed: boolean): void => {
    if (stopping || settled) return;
    stopping = true;
    coordinator?.stop(failed);
    signalStop(control, plan.threads, failed);
    for (const r of rings) Ring.attach(r).abort();
    // A thread busy in synchronous user code never sees the flag: terminate the pool after a grace period (not
    // while a thread hands its sinks' results over). Cleared once every thread has settled.
    grace = startStopGrace({
      ms: stopGraceOf(options), control, threads: plan.threads, warn: s.warn,
      unsettled: () => Array.from({ length: plan.threads }, (_, t) => t).filter((t) => !settledThreads.has(t)),
      terminate: () => { terminated = true; void destroyPool(); },
    });
  };

  let coordinator: CheckpointCoordinator | undefined;
  try {
    coordinator = cp ? new CheckpointCoordinator(
      store!, graph, plan, control, mainPorts,
      { intervalMs: cp.intervalMs, timeoutMs: cp.timeoutMs, retained: cp.retained, unaligned: cp.unaligned, minPauseMs: 0, tolerableFailures: cp.tolerableFailures, lineage: s.lineage, warn: s.warn, warnOnce: s.warnOnce },
      s.jobFingerprint, s.nextId, from?.manifest,
      (e) => { checkpointFailure ??= e; stopAll(true); },
      callerOnCheckpoint(options.onCheckpoint, s.warn),
    ) : undefined;
  } catch (e) {
    // The threads are this attempt's (started, or taken from a cache): nothing else would end them.
    await destroyPool();
    throw e;
  }

  // What readers say while they run (a followed file that vanished before it was opened): the run's warn.
  const warnings = new WorkerWarningsListener(s.warn);
  const threadRuns = Array.from({ length: plan.threads }, (_, thread) => {
    const port = channels[thread]!.port2 as MessagePort;
    const a: ThreadAssignment = {
      jobUrl: s.jobUrl, parallelism: s.parallelism, fingerprints: s.fingerprints, plan, thread, rings, control, metrics: metricsBuf, alignment, options: s.rt,
      checkpoint: { enabled: cp !== undefined, alignmentTimeoutMs: cp?.alignmentTimeoutMs ?? Infinity, columnarState: options.columnarState ?? true }, splits, restore, port,
      outputFlow,
      outputHold, warnings: warnings.name,
    };
    return (threads.run(a, { transferList: [port] }) as Promise<ThreadResult>).finally(() => { settledThreads.add(thread); }).then(
      (r) => { if (r.error) stopAll(true); return r; },
      (e: unknown) => {
        // Terminated after the stop grace period: stopped, not failed (the stop's cause is reported elsewhere).
        if (terminated) return { thread, stopped: true } as ThreadResult;
        // The thread itself died (heap limit, process.exit in a worker, a crash): a task failure, not a hang.
        stopAll(true);
        // What ran there, so a user can tell which operator to look at.
        const ran = plan.placements.filter((p) => p.thread === thread).map((p) => `${plan.tasks[p.task]!.name} (subtask ${p.subtask})`);
        return { thread, stopped: false, error: { name: 'WorkerDiedError', message: `worker thread ${thread} died: ${(e as Error)?.message ?? String(e)}${bundleImportHint((e as Error)?.message ?? '')}. It ran: ${ran.join(', ')}`, stack: (e as Error)?.stack, cause: e } } as ThreadResult;
      },
    );
  });
  coordinator?.start();
  const stuck = watchStuckThreads(new Int32Array(control), plan, options.stuckWarningMs ?? STUCK_WARNING_MS, s.warn, () => stopping);
  // Checkpoints wait for every task to run, so a task hung in open() or in a restore fails none: say so once.
  const slowStart = coordinator !== undefined ? setTimeout(() => {
    const starting = coordinator!.startingThreads();
    if (starting.length > 0 && !stopping) s.warn(`no checkpoint is taken until every task runs, and start-up has taken longer than the checkpoint timeout (${cp!.timeoutMs} ms): ${starting.join(', ')} ${starting.length === 1 ? 'has' : 'have'} not finished building, restoring and opening ${starting.length === 1 ? 'its' : 'their'} tasks (a large restore, or user code in open() that does not return?)`);
  }, cp!.timeoutMs) : undefined;
  slowStart?.unref();

  let endedWell = false;
  const ended = (async (): Promise<AttemptOutcome> => {
    try {
      const results = await Promise.all(threadRuns);
      // A warning posted just before a thread's result comes through another channel, and may come after it.
      await warnings.allReceived(results, s.warn);
      // Records the threads handed over while running come before those their results carry.
      await live?.allReceived(results);
      await sinkResults.allReceived(results);
      const failure = results.find((r) => r.error && r.error.name !== 'JobCancelledError');
      if (failure?.error) return { error: revive(failure.error), sinks: [], metrics };
      if (checkpointFailure) return { error: checkpointFailure, sinks: [], metrics };
      if (threadFailure) return { error: threadFailure, sinks: [], metrics };
      // Cancelled: collect sinks of an untransactional run still hand back what they received.
      const stopped = (why: string): AttemptOutcome => ({ error: new JobCancelledError(why), sinks: results.flatMap((r) => sinkResults.of(r)), metrics });
      // A stop that came once every thread had ended (a bounded job's last moments) is a stop too: no final
      // checkpoint then.
      if (results.some((r) => r.stopped) || stopping) return stopped('job stopped before it finished');
      // The job ended: record its final state, publish the last transactions.
      if (coordinator) {
        // A stop with savepoint asked for as the job ends: its savepoint decides. Taken, the job stops there, and
        // the final checkpoint that would publish what followed it is not taken; refused, the job ends as it would.
        const stop = s.stopPending();
        if (stop !== undefined && await stop) return stopped('job stopped at a savepoint before it finished');
        // Refused by a cancel meanwhile: no final checkpoint then (finish() would warn that the end waits for a commit).
        if (stopping) return stopped('job stopped before it finished');
        const final = (async () => { await coordinator.awaitFinished(10_000); await coordinator.finish(); return false; })();
        // A cancel ends the wait (a final checkpoint's sinks' commit that does not return): drain(), below, waits
        // for its manifest, and then stopGraceMs for its commit.
        if (await Promise.race([final, cancelled.then(() => true)])) {
          final.catch(() => { /* the attempt is over: a final checkpoint given up */ });
          return stopped('job cancelled while its final checkpoint was taken');
        }
      }
      // Every thread returned from its task: unless a stop came (checked when the pool is let go), they are as
      // good as new for the next run.
      endedWell = true;
      return { error: undefined, sinks: results.flatMap((r) => sinkResults.of(r)), metrics };
    } catch (e) {
      return { error: e as Error, sinks: [], metrics };
    } finally {
      settled = true;
      s.holds?.detach();
      grace?.clear();
      clearTimeout(slowStart);
      stuck.close();
      warnings.close();
      coordinator?.close();
      // Bounded: a sink commit that never returns would keep a cancel from ever returning. A failed attempt waits
      // longer (checkpointTimeoutMs), and then fails the run for good: its restart would publish the same
      // transactions beside the commit still running.
      // A user's stop is bounded by stopGraceMs alone (Infinity: a cancel waits for the commit).
      const gaveUp = await coordinator?.drain(commitStop(cancelled, options, userStopped ? Infinity : cp?.timeoutMs ?? Infinity));
      if (gaveUp !== undefined) {
        if (userStopped) s.warn(gaveUp);
        else commitHung = gaveUp;
      }
      for (const c of channels) c.port1.close();
      live?.close();
      sinkResults.close();
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
  const done = ended.then((o) => (commitHung !== undefined && o.error !== undefined && !userStopped
    ? { ...o, error: new SinkCommitHungError(`${commitHung}; not restarted beside it (${o.error.message})`, { cause: o.error }) }
    : o));

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
  return { done, metrics, coordinator, stop: () => { userStopped = true; cancel(); stopAll(false); }, outputCredit };
}
