// Runs on: main thread. Runs a job: builds and checks the graph before any thread starts, plans it, and runs it in
// attempts (attempt.ts: its rings and a piscina pool of worker threads), gathering results, failures and metrics.
// The main thread coordinates only: no record passes through it. With checkpointing it also owns the state
// directory's LevelDB, and restarts a failed job from its last completed checkpoint in a new attempt. The handle
// (job-handle.ts), the readers of collect sinks and the checkpoint store outlive attempts: they are the run's.

import { existsSync } from 'node:fs';
import os from 'node:os';
import { pathToFileURL } from 'node:url';
import { buildGraph } from '../api/environment.js';
import { JobCancelledError, JobNotRunningError, NotCheckpointingError, SavepointNameError, type NotRunningState } from '../api/errors.js';
import { plan as makePlan } from '../graph/physical-plan.js';
import { checkWatermarkAlignment } from '../time/watermark-alignment.js';
import { checkSplitWatermarks } from '../time/split-watermarks.js';
import { addCounters, metricsOffsets, readMetrics } from './metrics.js';
import { CheckpointStore, StateDirError } from '../checkpoint/store.js';
import type { CheckpointStats, CompletedCheckpoint } from '../checkpoint/coordinator.js';
import { CheckpointAbortedError, CheckpointNotStartedError, CheckpointRefusedError, endedText } from '../checkpoint/checkpoint-refusal.js';
import { absorbStats, emptyStats, mergeStats } from '../checkpoint/checkpoint-history.js';
import type { Lineage } from '../checkpoint/lineage-mark.js';
import { assignRestore, NoCheckpointError, restartCheckpoint, restoreSourceSplits, selectCheckpoint, type LoadedCheckpoint } from '../checkpoint/restore.js';
import { publishSinkTransactions } from '../checkpoint/sink-commit.js';
import { publishAgain } from '../checkpoint/sink-commit-wait.js';
import { warnOnce } from './warn-once.js';
import { warnAnotherJob } from './another-job-warning.js';
import { sha256 } from '../checkpoint/manifest.js';
import { readPublishedMark } from '../checkpoint/published-mark.js';
import { checkRestartStrategy, RestartCounter } from '../checkpoint/restart-strategy.js';
import { OutputStream } from './output-stream.js';
import { OutputRefusedError } from './output-refusal.js';
import { OutputHold, OutputHolds } from './output-hold.js';
import type { SinkSpec } from '../connectors/sink.js';
import { asCollectSink } from '../connectors/collect-sink.js';
import { bundleWorkerEntry } from './worker-bundle.js';
import { leaseBundle } from './bundle-cache.js';
import { checkParallelism, DEFAULT_RESTART, runtimeSettings, type RunOptions } from './run-options.js';
import type { Collected, JobFailure, JobHandle, JobResult, Restarting } from './job-handle.js';
import { checkpointSettings, warnWithoutCheckpoints } from './checkpoint-settings.js';
import { sinkTaken, watchUnreadCollects } from './collect-watch.js';
import { startLineage, warnStartingOver } from './lineage-start.js';
import { startAttempt, type Attempt, type AttemptOutcome } from './attempt.js';
import { permanent } from './permanent-error.js';
import { transientStartFailure } from './start-failure.js';
import { abortable, checkSignal } from './abort.js';
import { importJob } from './import-job.js';
import { callerWarn } from './caller-callbacks.js';
import { commitStop } from './stop-grace.js';

// The public types stay importable from here (core/index.ts, the CLI).
export type { RunOptions } from './run-options.js';
export type { Collected, JobFailure, JobHandle, JobResult, Restarting } from './job-handle.js';

/** What a stop with savepoint refused by its attempt's failure adds: the job runs on after its restart. */
const NOT_STOPPED = 'the job was not stopped';

/** Loads the job module, builds and validates its graph, starts its threads. Rejects before any thread starts for a job that cannot run. */
export async function run<C extends Record<keyof C, unknown[]> = Collected>(job: string | URL, options: RunOptions = {}): Promise<JobHandle<C>> {
  const jobUrl = typeof job === 'string' && !/^[a-z]+:/.test(job) ? pathToFileURL(job).href : String(job);
  const cores = os.availableParallelism();
  const parallelism = checkParallelism(options, cores);
  const signal = checkSignal(options.signal);
  signal?.throwIfAborted();
  // An abort ends the wait for a job module that never finishes loading (a top-level await that hangs).
  const graph = buildGraph(await abortable(importJob(jobUrl), signal), parallelism, jobUrl);
  const plan = makePlan(graph, { chaining: options.chaining ?? true, threads: options.threads ?? cores });
  checkWatermarkAlignment(graph, plan);
  checkSplitWatermarks(graph, plan);
  const names = graph.nodes.map((n) => n.name);
  const warn = callerWarn(options.onWarning);
  // Across the run's attempts: a file sink's part a consumer took is met again by each restore that names it.
  const sinkWarnOnce = warnOnce(warn);
  const { rt, ringBytes, outputBound } = runtimeSettings(options, plan);
  // Before any commit, a restore's too: its transactions are counted, not kept.
  if (rt.collectCount) for (const n of graph.nodes) asCollectSink(n.sink)?.countOnly();

  // ---- checkpointing
  const cp = checkpointSettings(graph, options, jobUrl);
  if (!cp) warnWithoutCheckpoints(graph, options, warn);
  const restart = checkRestartStrategy(options.restartStrategy ?? (cp ? DEFAULT_RESTART : { type: 'none' }));
  let store: CheckpointStore | undefined;
  /** Until the run's end closes it (a savepoint deleted after that must use deleteSavepoint). */
  let storeOpen = true;
  let restored: LoadedCheckpoint | undefined;
  /** The resumed checkpoint's restoreSplits failed on a service: the first attempt asks again. */
  let splitsPending = false;
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
    store = await CheckpointStore.open(cp.stateDir, options.checkStateTables === undefined ? {} : { checkTables: options.checkStateTables });
    try {
      signal?.throwIfAborted();
      if (!options.resume) warnStartingOver(cp.stateDir, warn);
      if (options.resume) {
        restored = await selectCheckpoint(store, options.resume === true ? 'latest' : options.resume, warn, options.onRestoreProgress);
        if (restored !== undefined && typeof options.resume === 'object') acceptedUpTo = readPublishedMark(cp.stateDir);
        // Resumed, a job that had run to its end would say "finished after 0.0s: 0 events" and nothing else.
        if (restored?.manifest.finished) warn(`checkpoint ${restored.manifest.id} in ${cp.stateDir} is the final one of a run that reached the end of its input: nothing is left to read (its last output is published again, which durable sinks ignore). To run the job again, start over without resuming, or use another state directory`);
        // A resume expects the job that wrote the directory: said where it differs (warnAnotherJob).
        if (restored && options.resume === true) warnAnotherJob(restored.manifest, graph, cp.stateDir, warn);
        if (restored) {
          // Sources whose splits follow their configuration (streams added or removed since): once, here; restarts
          // from this checkpoint reuse what it decided.
          signal?.throwIfAborted();
          try {
            if (!restored.manifest.finished) restored = await restoreSourceSplits(restored, graph, { allowNonRestoredState: options.allowNonRestoredState ?? false }, warn);
          } catch (e) {
            // A service down (a directory not readable yet): asked again as the first attempt starts, which the
            // restart strategy then decides on like any start that fails so.
            if (!transientStartFailure(e)) throw e;
            splitsPending = true;
          }
          // Fails here, before any thread starts, when the checkpoint cannot fit this job (and then says only that).
          if (!splitsPending) assignRestore(restored, graph, plan, { allowNonRestoredState: options.allowNonRestoredState ?? false });
          // The interval is the run's (or the job's), not the state directory's: a resume that leaves it out takes
          // no more periodic checkpoints, which a killed run would then miss.
          if (cp.intervalMs === 0 && !restored.manifest.finished) warn(`resuming from checkpoint ${restored.manifest.id} with no checkpoint interval: checkpoints are taken only on request from now on (pass checkpointIntervalMs, or --checkpoint-interval, to keep taking them)`);
        }
      }
      // A state directory alone turns checkpointing on, but with no interval a killed run has nothing to resume from
      // (a resume that found no checkpoint starts fresh: the same).
      if (restored === undefined && cp.intervalMs === 0) warn(`checkpointing into ${cp.stateDir} with no checkpoint interval: checkpoints are taken only on request (a savepoint, stopWithSavepoint); pass checkpointIntervalMs (--checkpoint-interval) or call enableCheckpointing(ms) in the job for periodic ones`);
    } catch (e) {
      await store.close();
      throw e;
    }
  }

  // What sinks find left by an earlier run is nobody's (AttemptSetup.orphans): without checkpoints, or on a resume
  // that found none.
  const startedOrphans = cp === undefined || (Boolean(options.resume) && restored === undefined);
  const fingerprints = graph.nodeFingerprints();
  const jobFingerprint = sha256(fingerprints.join('\n'));
  const sinksByUid = new Map<string, SinkSpec<unknown>>(graph.nodes.filter((n) => n.sink).map((n) => [n.uid ?? n.name, n.sink!]));
  const started = performance.now();
  let cancelled = false;
  let current: Attempt | undefined;
  let restarts = 0;
  /** An attempt's threads have run: what sinks find from then on is an earlier attempt's (orphans). */
  let threadsRan = false;
  const restartCounter = new RestartCounter(restart);
  /** Ends the wait before a restart early: a cancel need not wait out the delay. */
  let endDelay: (() => void) | undefined;
  /** The restart being waited for or prepared (0: none); counted in `restarts` only once it runs. */
  let restarting = 0;
  /** What `restarting` is, for status (handle.restarting), and the failure it restarts from. */
  let restartingInfo: Restarting | undefined;
  let lastFailure: JobFailure | undefined;
  /** The savepoint a stopWithSavepoint() took (the job then stops), and the name of the one being taken. */
  let stoppedWith: CompletedCheckpoint | undefined;
  /** Records the sources had emitted in the stopping attempt at that savepoint's barrier (its coordinator's count). */
  let stoppedWithSources: number | undefined;
  let stopName: string | undefined;
  let stopPending: Promise<boolean> | undefined;
  /** Counters of the attempts that ended in a restart (addCounters). */
  const carried = new Float64Array(metricsOffsets(plan).at(-1)!);
  /** Names of savepoints being taken. */
  const savepointNames = new Set<string>();
  const stats: CheckpointStats = emptyStats();
  /** Checkpoints the last attempt that ran completed (a cancel's note on what stays unpublished). */
  let lastAttemptCheckpoints = 0;
  /** The running attempt's checkpoint outcomes, until they move into `stats` when it ends. */
  let liveStats: CheckpointStats | undefined;
  let firstStarted!: () => void;
  let firstFailed!: (e: unknown) => void;
  const firstAttempt = new Promise<void>((resolve, reject) => { firstStarted = resolve; firstFailed = reject; });
  let cancelNow!: () => void;
  /** Settles at cancelRun: it ends the wait for a restore's publish, which comes before any attempt to stop. */
  const runCancelled = new Promise<void>((r) => { cancelNow = r; });
  /** handle.cancel() and an abort: the running attempt stops, a restart waiting out its delay does not run. */
  const cancelRun = (): void => {
    cancelled = true;
    cancelNow();
    current?.stop();
    endDelay?.();
  };

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
  // Counted, they keep nothing to warn about.
  const collectWatch = rt.collectCount ? undefined : watchUnreadCollects(graph, readNodes, () => handle.metrics(), warn);
  /**
   * With checkpoints, readers a bound behind hold the sources (without, the sink: OutputCredit, per attempt). None
   * with no bound, nor without a collect sink: then no thread counts or looks.
   */
  const collectSinks = graph.nodes.filter((n) => asCollectSink(n.sink) !== undefined).map((n) => n.id);
  const holds = cp && outputBound !== Infinity && collectSinks.length > 0 && !rt.collectCount
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
        const attemptStarted = performance.now();
        let attempt: Attempt | undefined;
        let outcome: AttemptOutcome;
        try {
          if (from?.manifest.finished) {
            // The job already ran to its end; publish its final transactions again (idempotent) and stop. A cancel
            // (an abort) gives a commit that does not return up, as a restore's.
            await publishAgain(publishSinkTransactions(store!, from.manifest, sinksByUid, undefined, sinkWarnOnce), from.manifest.id, cp!.timeoutMs, commitStop(runCancelled, options), warn);
            firstStarted();
            return finalResult(undefined, from.manifest.id);
          }
          // Cancelled (an abort) before the first attempt: no thread is started only to be stopped.
          if (cancelled && current === undefined && restarts === 0) {
            firstStarted();
            return finalResult(undefined, restored?.manifest.id);
          }
          if (splitsPending) {
            restored = from = await restoreSourceSplits(restored!, graph, { allowNonRestoredState: options.allowNonRestoredState ?? false }, warn);
            splitsPending = false;
          }
          attempt = await startAttempt({ jobUrl, workerUrl, bundled: bundle !== undefined, graph, plan, parallelism, fingerprints, jobFingerprint, rt, ringBytes, options, cp, store, from, orphans: threadsRan || startedOrphans, nextId, lineage, warn, warnOnce: sinkWarnOnce, holds, stopPending: () => stopPending, cancelled: runCancelled });
        } catch (e) {
          // A cancel gave the publish of the checkpoint it restores up (a sinks' commit that does not return, said).
          if (cancelled && e instanceof JobCancelledError) {
            firstStarted();
            return finalResult({ error: e, sinks: [], metrics: new Float64Array(carried.length) }, restored?.manifest.id);
          }
          // An attempt that cannot start because a service is down (a source lists its splits, a sink publishes
          // or clears, on a Redis not up yet) is a failed attempt, the first one too: the restart strategy decides,
          // as Flink's does for sources that fail on start, so an outage at launch is ridden out as one later is.
          // A first attempt that fails on the job's definition or its state directory fails the run at once.
          if (restarts === 0 && !transientStartFailure(e)) throw e;
          outcome = { error: e instanceof Error ? e : new Error(String(e)), sinks: [], metrics: new Float64Array(carried.length) };
        }
        if (attempt !== undefined) {
          threadsRan = true;
          current = attempt;
          restarting = 0;
          restartingInfo = undefined;
          liveStats = attempt.coordinator?.stats;
          firstStarted();
          if (cancelled) attempt.stop();
          outcome = await attempt.done;
          lastAttemptCheckpoints = attempt.coordinator?.stats.completedTotal ?? 0;
          // Moved once: `current` stays for the final metrics, but its checkpoints are the run's from now on.
          liveStats = undefined;
          if (attempt.coordinator) absorbStats(stats, attempt.coordinator.stats);
        }
        outcome = outcome!;
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
        lastFailure = { name: outcome.error.name, message: outcome.error.message, at: Date.now() };
        // An attempt that did not start restarts from where it was to start.
        const restartFrom = attempt !== undefined ? attempt.coordinator?.latest?.id : from?.manifest.id;
        restartingInfo = { restart: restarting, attemptAt: lastFailure.at + delay, from: restartFrom };
        // A first attempt that could not start: run() returns the handle now, restarting (status, cancel).
        firstStarted();
        warn(`job failed (${outcome.error.message}); restart ${restarting} in ${delay} ms from ${restartFrom !== undefined ? `checkpoint ${restartFrom}` : 'the beginning'}`);
        if (!cancelled) await new Promise<void>((r) => { const t = setTimeout(r, delay); endDelay = () => { clearTimeout(t); r(); }; });
        endDelay = undefined;
        // Its counters are in `carried` now: not counted again. A restart cancelled before it ran is not one.
        if (cancelled) { restartingInfo = undefined; return finalResult({ ...outcome, metrics: new Float64Array(carried.length) }, restored?.manifest.id); }
        restarts++;
        const latest = attempt?.coordinator?.latest;
        if (latest) from = await restartCheckpoint(store!, lineage, latest.id, restored?.manifest.id ?? firstId, restored === undefined, warn, options.onRestoreProgress, acceptedUpTo);
        // The checkpoint the run resumed from: with the splits restoreSourceSplits gave it, not the stored ones.
        if (from !== undefined && restored !== undefined && from.manifest.id === restored.manifest.id) from = restored;
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
  /** How the run ended, once `result` has settled: registered here, so set before any caller's continuation runs. */
  let over: { state: NotRunningState; detail: string } | undefined;
  void result.then((r) => {
    const sp = r.stoppedWithSavepoint;
    over = sp !== undefined ? { state: 'stopped', detail: `it stopped with savepoint '${sp.name ?? ''}' (checkpoint ${sp.id})` }
      : r.cancelled ? { state: 'cancelled', detail: 'it was cancelled' }
      : { state: 'finished', detail: 'it had already finished (its input ended)' };
  }, (e: unknown) => {
    over = { state: 'failed', detail: `it failed (${e instanceof Error ? `${e.name}: ${e.message}` : String(e)})` };
  });
  const onAbort = (): void => { cancelRun(); };
  signal?.addEventListener('abort', onAbort, { once: true });
  if (signal?.aborted) onAbort();
  // A signal kept for many runs must not collect their listeners.
  void result.finally(() => signal?.removeEventListener('abort', onAbort)).catch(() => {});
  await firstAttempt;
  // Aborted while starting: run() rejects, as APIs taking a signal do, once the start-up's threads are gone.
  if (signal?.aborted) {
    await result.catch(() => {});
    throw signal.reason;
  }

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
    // RunOptions.collect 'count': collect sinks' arrays stay empty (their writers kept nothing), and these are their counts.
    let collectedCounts: Record<string, number> | undefined;
    if (rt.collectCount) {
      collectedCounts = {};
      for (const n of graph.nodes) {
        const collect = asCollectSink(n.sink);
        // With checkpoints, what commits published (each transaction once); without, what the subtasks handed back.
        if (collect !== undefined) collectedCounts[n.name] = cp ? collect.published() : 0;
      }
      for (const s of (!cp && outcome?.sinks) || []) {
        if (typeof s.result === 'number' && asCollectSink(graph.nodes[s.node]!.sink) !== undefined) collectedCounts[names[s.node]!]! += s.result;
      }
    }
    // Every record has reached its reader: the readers end (before run() returns, on a finished job's resume).
    endOutputs(undefined);
    // Only a checkpoint of the last attempt names output its abort kept (a restore published the rest).
    if (cp && cancelled && stoppedWith === undefined && lastAttemptCheckpoints > 0) {
      for (const n of graph.nodes) if (n.sink?.cancelNote !== undefined) warn(`job cancelled: sink '${n.name}' (${n.sink.kind}): ${n.sink.cancelNote}`);
    }
    const metrics = outcome ? readMetrics(plan, names, outcome.metrics, performance.now() - started, carried) : { operators: [], tasks: [], durationMs: performance.now() - started };
    // Sources read on while the stop's savepoint completed: counted above, in no checkpoint, never published.
    let readAfter: number | undefined;
    if (stoppedWith !== undefined && stoppedWithSources !== undefined && outcome) {
      const sources = new Set(graph.nodes.filter((n) => n.source).map((n) => n.name));
      const emitted = readMetrics(plan, names, outcome.metrics, 0).operators.reduce((n, o) => n + (sources.has(o.operator) ? o.recordsOut : 0), 0);
      readAfter = Math.max(0, emitted - stoppedWithSources);
    }
    return {
      collected, ...(collectedCounts ? { collectedCounts } : {}), metrics, cancelled, restarts, checkpoints: mergeStats(stats, undefined), restoredFrom,
      ...(stoppedWith ? { stoppedWithSavepoint: stoppedWith } : {}), ...(readAfter !== undefined ? { readAfterSavepoint: readAfter } : {}),
    };
  }

  /**
   * A request (`what`) of a job that has ended, or is being cancelled or stopped, is refused saying so (a cancel
   * while a stop's savepoint is taken wins: the stop is refused so), rather than with the coordinator's bare "not
   * running", which read like a bug after a stop or a cancel. Undefined while the job runs.
   */
  const notRunning = (what: string): JobNotRunningError | undefined => {
    const s: { state: NotRunningState; detail: string } | undefined = over
      ?? (stoppedWith !== undefined ? { state: 'stopping', detail: `it is stopping with savepoint '${stoppedWith.name ?? ''}' (checkpoint ${stoppedWith.id})` }
        : cancelled ? { state: 'cancelling', detail: 'it is being cancelled' } : undefined);
    return s && new JobNotRunningError(`${what}: the job is not running: ${s.detail}; nothing was taken`, s.state);
  };
  /** A trigger that failed because the job ended meanwhile (its coordinator stopped) says so; `cause`: how it failed. */
  const whileRunning = <T>(what: string, p: Promise<T>): Promise<T> => p.catch((e: unknown) => {
    const n = notRunning(what);
    if (n === undefined) throw e;
    throw new JobNotRunningError(n.message, n.state, { cause: e });
  });
  // Between two attempts (the restart delay) there is no coordinator: the request is refused as such, not with
  // "the job is not running" from the stopped one, which reads as if the job were gone.
  const notNow = (what: string, ended = notRunning(what)): Promise<never> => (!cp ? noCheckpoints()
    : ended !== undefined ? Promise.reject(ended)
    : current === undefined && restarting > 0 ? Promise.reject(new CheckpointRefusedError('restarting', `the job is restarting (restart ${restarting}): try again once it runs`))
    // A resume of a job that had already finished runs no attempt: "does not checkpoint" would be wrong.
    : Promise.reject(new JobNotRunningError(`${what}: the job is not running: it had already finished (its last checkpoint is final); nothing was taken`, 'finished')));
  const takeSavepoint = async (name: string, what: string): Promise<CompletedCheckpoint> => {
    if (typeof name !== 'string' || !/^[\w.-]+$/.test(name)) throw new SavepointNameError(`savepoint: the name must be letters, digits, '.', '_' or '-', got ${JSON.stringify(name)}`);
    const coordinator = current?.coordinator;
    if (!coordinator || !store || notRunning(what) !== undefined) return notNow(what);
    // A name taken again would move to the new savepoint, and retention would then delete the old one as an
    // ordinary checkpoint, without a word.
    const taken = (where: string): SavepointNameError => new SavepointNameError(`savepoint: the name '${name}' is taken (${where} in ${store.dir}); give this one another name`);
    if (savepointNames.has(name)) throw taken('a savepoint being taken');
    savepointNames.add(name);
    try {
      // Closed: the job ended, and the trigger says so. A damaged name record is no free name: taken over, it would
      // silently become the new savepoint's.
      const id = await store.savepointId(name).catch((e: unknown) => {
        if ((e as { code?: unknown } | undefined)?.code === 'LEVEL_DATABASE_NOT_OPEN') return undefined;
        if (e instanceof StateDirError) throw new StateDirError(`${what} was not taken: ${e.message}; delete that name (handle.deleteSavepoint('${name}')) or take it under another`, { cause: e });
        throw e;
      });
      if (id !== undefined) throw taken(`checkpoint ${id}`);
      return await whileRunning(what, coordinator.trigger('savepoint', name));
    } finally {
      savepointNames.delete(name);
    }
  };
  const noCheckpoints = (): Promise<never> => Promise.reject(new NotCheckpointingError('this job does not checkpoint: enable checkpointing (env.enableCheckpointing, checkpointIntervalMs or stateDir) to take checkpoints or savepoints'));
  const handle: JobHandle = {
    result,
    plan,
    operatorNames: names,
    parallelism: graph.defaultParallelism,
    stateDir: cp?.stateDir,
    restoredFrom: restored?.manifest.id,
    restoredSavepoint: restored?.manifest.kind === 'savepoint' ? restored.manifest.name : undefined,
    sources: graph.nodes.filter((n) => n.source).map((n) => ({ name: n.name, bounded: n.source!.bounded, count: n.source!.count })),
    restarts: () => restarts,
    restarting: () => (current === undefined ? restartingInfo : undefined),
    lastFailure: () => lastFailure,
    metrics: () => readMetrics(plan, names, current?.metrics ?? new Float64Array(metricsOffsets(plan).at(-1)!), performance.now() - started, carried),
    checkpoints: () => mergeStats(stats, liveStats),
    checkpoint: () => (current?.coordinator && notRunning('checkpoint') === undefined ? whileRunning('checkpoint', current.coordinator.trigger('checkpoint', undefined)) : notNow('checkpoint')),
    savepoint: (name: string) => takeSavepoint(name, `savepoint '${name}'`),
    async stopWithSavepoint(name: string) {
      // Ended, cancelled or stopped already: said so, before "already stopping" (a stop that is done).
      const ended = cp ? notRunning(`stopWithSavepoint('${name}')`) : undefined;
      if (ended !== undefined) throw ended;
      if (stopName !== undefined) throw new CheckpointRefusedError('already-stopping', `the job is already stopping with savepoint '${stopName}': it stops once that savepoint completes (if it fails, the job runs on and may be stopped again)`);
      stopName = name;
      const taking = takeSavepoint(name, `stopWithSavepoint('${name}')`);
      // Marked stopped as the savepoint is taken (before any awaiting continuation runs): an attempt ending then
      // returns cancelled, which must not read as a failure to restart from.
      stopPending = taking.then((c) => {
        stoppedWith = c;
        stoppedWithSources = current?.coordinator?.sourceRecordsAt(c.id);
        cancelled = true;
        return true;
      }, () => false);
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
        // Its attempt failed under it (a restart follows): a reader of "aborted" must not take the job for stopped.
        if (e instanceof CheckpointAbortedError && e.reason === 'attempt-failed') throw new CheckpointAbortedError(e.checkpointId, e.reason, `${endedText(e.reason)}; ${NOT_STOPPED}`);
        if (e instanceof CheckpointNotStartedError && e.reason === 'attempt-failed') throw new CheckpointNotStartedError(e.reason, NOT_STOPPED, { cause: e });
        throw e;
      }
      void handle.cancel();
      return c;
    },
    async deleteSavepoint(name: string) {
      if (!store) return noCheckpoints();
      if (!storeOpen) {
        // The store closes as the run ends: how it ended is known once `result` settles, just after.
        await result.then(() => {}, () => {});
        throw new JobNotRunningError(`deleteSavepoint('${name}'): the job has ended: delete the savepoint with deleteSavepoint('${store.dir}', '${name}') (or sluice savepoint ${store.dir} ${name} --delete)`, over?.state ?? 'finished');
      }
      const record = (await store.savepoints()).find((s) => s.name === name);
      if (record === undefined) throw new NoCheckpointError(`no savepoint named '${name}' in ${store.dir}`);
      await store.deleteSavepointName(name);
      return { name, id: record.id, checkpointDeleted: false, chunksDeleted: 0, unreadable: [] };
    },
    async cancel() {
      cancelRun();
      return result;
    },
    output(sinkName: string) {
      const sink = asCollectSink(graph.nodes.find((n) => n.name === sinkName)?.sink);
      if (sink === undefined) {
        const collects = graph.nodes.filter((n) => asCollectSink(n.sink) !== undefined).map((n) => `'${n.name}'`);
        throw new OutputRefusedError('no-such-sink', sinkName, `output: the job has no collect sink named '${sinkName}' (${collects.length > 0 ? `its collect sinks: ${collects.join(', ')}` : 'it has no collect sink'})`);
      }
      if (rt.collectCount) throw new OutputRefusedError('counting', sinkName, `output('${sinkName}'): this run counts its collect sinks' records (collect: 'count'): none is handed back to read; run with collect: 'records' (the default) to read them`);
      if (ended?.error !== undefined) throw ended.error;
      if (ended !== undefined) throw new OutputRefusedError('ended', sinkName, `output('${sinkName}'): the job has ended; its records are in result.collected`);
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
        throw new OutputRefusedError('has-reader', sinkName, `output('${sinkName}'): the sink already has a reader (one per sink)`);
      }
      // Its records come at commits, and nothing commits by itself: read with no word, it would wait for good.
      if (cp !== undefined && cp.intervalMs === 0) warn(`output('${sinkName}'): this run checkpoints into ${cp.stateDir} only on request, and its records come as checkpoints commit them: none comes until a checkpoint, savepoint or the job's end. Pass checkpointIntervalMs (or call enableCheckpointing(ms) in the job) for periodic ones`);
      flow?.start();
      readers.add(stream);
      readNodes.set(node, undefined);
      return stream;
    },
  };
  return handle as JobHandle<C>;
}
