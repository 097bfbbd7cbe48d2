// Runs on: main thread. `sluice run <job>`: the job's lifecycle on the command line (start, restore progress,
// live status, checkpoint and restart events, the control socket and the metrics endpoint, signals, exit codes).
// What the status line and the summary look like lives in status.ts; the log in log.ts.
//
// Exit codes: 0 done; 1 the job failed (or its state directory cannot be used); 2 bad usage or a job that cannot
// run (JobDefinitionError, missing file, no such checkpoint or savepoint); 130 / 143 stopped by SIGINT / SIGTERM
// (after a clean cancel; a second signal exits at once); 130 too when cancelled through the control socket (`sluice
// cancel`), the same cancel as Ctrl-C's.

import { existsSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run, type JobHandle, type JobResult, type RunOptions } from '../runtime/run.js';
import { JobDefinitionError } from '../api/errors.js';
import type { JobMetrics } from '../runtime/metrics.js';
import type { CheckpointStats, CompletedCheckpoint } from '../checkpoint/coordinator.js';
import type { RestoreProgress } from '../checkpoint/restore.js';
import { requestControl, serveControl, type ControlServer } from '../runtime/control-server.js';
import { serveMetrics, type MetricsServer } from '../runtime/metrics-server.js';
import {
  bytes, describeJob, failureJson, formatFailure, inputProgress, jsonReport, progressSources, rates, slowestWatermark, sourceRecords, startingLine, statusLine, summary,
  type JobShape, type LiveInfo,
} from './status.js';
import { LiveLine } from './live-line.js';
import { createLogger, warnAs, type Logger } from './log.js';
import type { LogLevel } from './log-levels.js';
import { progress, type Progress } from './progress.js';
import { EXIT_CANCELLED, EXIT_FAILED, EXIT_USAGE } from './exit-codes.js';

const SIGNAL_EXIT: Record<string, number> = { SIGINT: EXIT_CANCELLED, SIGTERM: 143 };
const TTY_REFRESH_MS = 250;
const LOG_EVERY_MS = 5000;
const STARTED_POLL_MS = 50;
/** Aborted checkpoints are logged within this long. */
const CHECKPOINT_POLL_MS = 250;
/** Rates on the live line are taken over about this window: one 250 ms step is too jumpy to read. */
const RATE_WINDOW_MS = 1000;

export interface RunCommandOptions {
  parallelism?: number;
  threads?: number;
  chaining: boolean;
  bufferTimeout?: number;
  workerHeapMb?: number;
  json?: boolean;
  stateDir?: string;
  checkpointInterval?: number;
  checkpointMode?: 'aligned' | 'unaligned';
  checkpointTimeout?: number;
  tolerableCheckpointFailures?: number;
  resume?: boolean;
  fromSavepoint?: string;
  fromCheckpoint?: number;
  allowNonRestoredState?: boolean;
  metricsPort?: number;
  metricsHost: string;
  latencyTracking?: number;
  logLevel: LogLevel;
}

/** What a run() failure means for the exit code: the user asked for something that is not there, or it failed. */
function loadFailure(e: unknown): { code: number; plain: boolean } {
  const name = (e as Error)?.name;
  if (e instanceof JobDefinitionError || name === 'NoCheckpointError') return { code: EXIT_USAGE, plain: true };
  // A connector's option refused while the job was built (fileSink({ rollBytes: '5' })): bad usage too; the stack
  // says where in the job, since the connector has no operator name yet.
  if (name === 'ConnectorOptionError') return { code: EXIT_USAGE, plain: false };
  // --state-dir names a file (or a path through one): a state directory that is not there, as for status and cancel.
  if (name === 'StateDirError' && ((e as Error).cause as NodeJS.ErrnoException | undefined)?.code === 'ENOTDIR') return { code: EXIT_USAGE, plain: true };
  // A state directory in use, a corrupt checkpoint asked for by id: the message says it all, no stack needed.
  if (name === 'StateDirError' || name === 'CorruptCheckpointError' || name === 'PublishedMarkError' || name === 'LineageMarkError') return { code: EXIT_FAILED, plain: true };
  return { code: EXIT_FAILED, plain: false };
}

export async function runCommand(job: string, opts: RunCommandOptions): Promise<number> {
  // With --json, stdout carries the report only: anything else bound for it (print sinks, whose worker output is
  // piped through this thread's process.stdout, or a job's console.log) goes to stderr instead.
  const stdout = takeStdout(opts.json === true);
  try {
    return await runJob(job, opts, stdout.writeJson);
  } finally {
    stdout.release();
  }
}

async function runJob(job: string, opts: RunCommandOptions, writeJson: (value: unknown) => void): Promise<number> {
  const err = process.stderr;
  const file = path.resolve(job);
  const log = createLogger(opts.logLevel);
  const fail = (code: number, text: string, error?: unknown): number => {
    err.write(`${text}\n`);
    if (opts.json) writeJson({ job, error: failureJson(error ?? new Error(text)) });
    return code;
  };
  if (!existsSync(file)) return fail(EXIT_USAGE, `sluice: no such job file: ${job}`);
  if (statSync(file).isDirectory()) return fail(EXIT_USAGE, `sluice: ${job} is a directory; give the job's module file (a .ts, .mts or .js file whose default export is defineJob(...))`);

  const parallelism = opts.parallelism ?? os.availableParallelism();
  let restarts = 0;
  const restore = restoreReporter(log);
  const checkpoints = watchCheckpoints(log);
  const options: RunOptions = {
    parallelism,
    chaining: opts.chaining,
    onWarning: (message) => {
      // run() words a restart as "job failed (<cause>); restart <n> in <ms> ms from <checkpoint>".
      const m = /^job failed \(([\s\S]*)\); restart (\d+) in (\d+) ms from (.*)$/.exec(message);
      if (m) {
        restarts = Number(m[2]);
        warnAs(log, { event: 'restart', restart: restarts, delayMs: Number(m[3]), from: m[4], cause: m[1] }, message);
      } else {
        warnAs(log, { event: 'warning' }, message);
      }
    },
    onRestoreProgress: restore.update,
    onCheckpoint: checkpoints.completed,
    // The summary prints how many records each collect sink got, nothing more: counted on the sinks' threads, the
    // records are neither sent here nor kept (an unbounded job's would pile up until it ended).
    collect: 'count',
  };
  if (opts.threads !== undefined) options.threads = opts.threads;
  if (opts.bufferTimeout !== undefined) options.bufferTimeoutMs = opts.bufferTimeout;
  if (opts.workerHeapMb !== undefined) options.workerHeapMb = opts.workerHeapMb;
  if (opts.stateDir !== undefined) options.stateDir = opts.stateDir;
  if (opts.checkpointInterval !== undefined) options.checkpointIntervalMs = opts.checkpointInterval;
  if (opts.checkpointMode !== undefined) options.checkpointMode = opts.checkpointMode;
  if (opts.checkpointTimeout !== undefined) options.checkpointTimeoutMs = opts.checkpointTimeout;
  if (opts.tolerableCheckpointFailures !== undefined) options.tolerableCheckpointFailures = opts.tolerableCheckpointFailures;
  if (opts.resume) options.resume = true;
  if (opts.fromSavepoint !== undefined) options.resume = { savepoint: opts.fromSavepoint };
  if (opts.fromCheckpoint !== undefined) options.resume = { checkpoint: opts.fromCheckpoint };
  if (opts.allowNonRestoredState) options.allowNonRestoredState = true;
  if (opts.latencyTracking !== undefined) options.latencyTrackingIntervalMs = opts.latencyTracking;

  // Signals: the first cancels cleanly (threads released, summary printed); a second exits at once.
  let signal: NodeJS.Signals | undefined;
  // A cancel asked for on the control socket (`sluice cancel`): exits as SIGINT's does.
  let cancelRequested = false;
  const cancelExit = (otherwise: number): number => (signal ? SIGNAL_EXIT[signal]! : cancelRequested ? EXIT_CANCELLED : otherwise);
  let handle: JobHandle | undefined;
  const onSignal = (sig: NodeJS.Signals): void => {
    if (signal) {
      // Said, not silent: the job did not stop cleanly (no summary), and what is left is what a kill leaves.
      const dir = handle?.stateDir;
      err.write(`${err.isTTY ? '\r\x1b[K' : ''}sluice: ${sig} again: exiting now, without waiting for the job to stop${dir !== undefined ? ` (as a kill would: --resume goes on from its last completed checkpoint in ${dir})` : ''}\n`);
      log.warn({ event: 'signal', signal: sig, again: true }, `${sig} again: exiting now`);
      process.exit(SIGNAL_EXIT[signal] ?? EXIT_FAILED);
    }
    signal = sig;
    err.write(`${err.isTTY ? '\r\x1b[K' : ''}sluice: ${sig}: cancelling the job (again to exit now)\n`);
    log.info({ event: 'signal', signal: sig }, `${sig}: cancelling the job`);
    void handle?.cancel().catch(() => undefined);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let control: ControlServer | undefined;
  let metricsServer: MetricsServer | undefined;
  try {
    try {
      handle = await run(file, options);
    } catch (e) {
      restore.abandon();
      const { code, plain } = loadFailure(e);
      log.error({ event: 'job-failed', job, err: failureJson(e) }, 'the job could not start');
      // The module did not load: the message says why and where; the stack would be Node's loader's or esbuild's frames.
      if ((e as Error)?.name === 'JobLoadError') return fail(code, `sluice: ${job} could not start: ${(e as Error).message.split('\n').join('\nsluice: ')}`, e);
      if (plain) return fail(code, `sluice: ${job}: ${(e as Error).message}${await holderOf(e, options.stateDir)}`, e);
      return fail(code, `sluice: ${job} could not start:\n${formatFailure(e).replace(/^sluice: job failed: /, '')}`, e);
    }
    // A signal that came while the job was loading: cancel now that there is something to cancel.
    if (signal) void handle.cancel().catch(() => undefined);
    const shape = describeJob(handle.plan, handle.operatorNames);
    err.write(`${startingLine(job, handle.parallelism, handle.plan.threads, shape)}\n`);
    if (handle.restoredFrom !== undefined) {
      // Named whenever it is one: --resume after a stop with a savepoint takes that savepoint.
      const savepoint = opts.fromSavepoint ?? handle.restoredSavepoint;
      err.write(`resuming: from checkpoint ${handle.restoredFrom}${savepoint !== undefined ? ` (savepoint '${savepoint}')` : ''}\n`);
    } else if (opts.resume) {
      err.write(`resuming: no checkpoint in ${handle.stateDir}; starting from the beginning\n`);
    }
    if (handle.stateDir !== undefined) {
      try {
        control = await serveControl(handle, undefined, {
          job: jobLabel(file),
          file,
          onCancel: () => {
            if (!cancelRequested) err.write(`${err.isTTY ? '\r\x1b[K' : ''}sluice: cancel requested (sluice cancel): cancelling the job\n`);
            cancelRequested = true;
            log.info({ event: 'cancel-requested' }, 'cancel requested on the control socket: cancelling the job');
          },
        });
        err.write(`state: ${handle.stateDir} (savepoints: sluice savepoint ${handle.stateDir} [name]; also sluice status, sluice cancel)\n`);
      } catch (e) {
        warnAs(log, { event: 'warning', err: e }, `no control socket for ${handle.stateDir}: ${(e as Error).message}`);
      }
    }
    if (opts.metricsPort !== undefined) {
      try {
        metricsServer = await serveMetrics(handle, { port: opts.metricsPort, host: opts.metricsHost, job: jobLabel(file) });
        err.write(`metrics: ${metricsServer.url}\n`);
      } catch (e) {
        // The job is already running: stop it rather than run it unobserved on a port the user did not get.
        await handle.cancel().catch(() => undefined);
        return fail(EXIT_FAILED, `sluice: cannot serve metrics on ${opts.metricsHost}:${opts.metricsPort}: ${(e as Error).message}`, e);
      }
    }
    log.info({
      event: 'job-start', job, parallelism: handle.parallelism, threads: handle.plan.threads, stateDir: handle.stateDir ?? null,
      restoredFrom: handle.restoredFrom ?? null, metrics: metricsServer?.url ?? null, control: control?.path ?? null,
    }, `job started: ${job}`);

    checkpoints.start(handle);
    const stopTicker = startTicker(handle, shape, checkpoints);
    // `running:` once every subtask's loop has reported: scripts (and the CLI's tests) wait for this line.
    if (await startedOrSettled(handle)) err.write(`${err.isTTY ? '\r\x1b[K' : ''}running: ${job}\n`);

    let result: JobResult;
    try {
      result = await handle.result;
    } catch (e) {
      stopTicker();
      checkpoints.stop(handle.checkpoints());
      err.write(`${summary(shape, { job, metrics: handle.metrics(), outcome: 'failed', checkpoints: handle.stateDir ? handle.checkpoints() : undefined, restarts })}\n`);
      // As --json gives it: pino's own error serializer appended the cause's message to a message that has it already.
      log.error({ event: 'job-failed', job, err: failureJson(e), restarts }, `job failed: ${(e as Error)?.message ?? String(e)}`);
      return fail(cancelExit(EXIT_FAILED), formatFailure(e), e);
    }
    stopTicker();
    checkpoints.stop(result.checkpoints);
    const sp = result.stoppedWithSavepoint;
    const outcome = sp ? `stopped with savepoint '${sp.name ?? sp.id}' (checkpoint ${sp.id})` : result.cancelled ? 'cancelled' : 'finished';
    const stats = handle.stateDir ? result.checkpoints : undefined;
    // Collect sinks' counts; a sink of another kind whose end returned an array (a custom one) is counted by it.
    const collected = { ...Object.fromEntries(Object.entries(result.collected).map(([k, v]) => [k, v.length])), ...result.collectedCounts };
    err.write(`${summary(shape, { job, metrics: result.metrics, outcome, collected, checkpoints: stats, restarts: result.restarts, readAfterSavepoint: result.readAfterSavepoint })}\n`);
    log.info({
      event: 'job-end', job, outcome, durationMs: Math.round(result.metrics.durationMs), events: sourceRecords(shape, result.metrics),
      ...(result.readAfterSavepoint !== undefined ? { eventsAfterSavepoint: result.readAfterSavepoint } : {}),
      restarts: result.restarts, checkpoints: stats ? new Set(stats.completed.map((c) => c.id)).size : null,
    }, `job ${outcome}: ${job}`);
    if (opts.json) {
      writeJson(jsonReport(shape, {
        job, parallelism: handle.parallelism, cancelled: result.cancelled, metrics: result.metrics, collected,
        checkpoints: stats, restarts: result.restarts, restoredFrom: result.restoredFrom, stoppedWithSavepoint: result.stoppedWithSavepoint,
        readAfterSavepoint: result.readAfterSavepoint,
      }));
    }
    // A cancel that came as a bounded job ended by itself cancelled nothing: it finished (the summary says so).
    return result.cancelled ? cancelExit(0) : signal ? SIGNAL_EXIT[signal]! : 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await control?.close();
    await metricsServer?.close();
  }
}

/** The `job` label of metrics: the job file's name without its extension. */
function jobLabel(file: string): string {
  return path.basename(file).replace(/\.[cm]?[jt]s$/, '');
}

/**
 * Shows a restore's progress (loading and verifying chunks), and says when a checkpoint is verified. Another
 * checkpoint id means the previous one failed (corrupt: run() reports it as a warning) and an older one is tried.
 */
function restoreReporter(log: Logger): { update: (p: RestoreProgress) => void; abandon: () => void } {
  let bar: Progress | undefined;
  let id = -1;
  let started = 0;
  return {
    update(p) {
      if (p.checkpointId !== id) {
        bar?.end();
        id = p.checkpointId;
        started = performance.now();
        bar = progress(`restoring checkpoint ${id}:`);
      }
      bar!.update(p.chunks, p.totalChunks, `${p.chunks}/${p.totalChunks} chunks, ${bytes(p.bytes)} of ${bytes(p.totalBytes)}`);
      if (p.chunks === p.totalChunks) {
        const ms = Math.round(performance.now() - started);
        bar!.end(`verified: checkpoint ${id}, ${p.totalChunks} chunks, ${bytes(p.totalBytes)} in ${ms} ms`);
        log.info({ event: 'checkpoint-verified', checkpoint: id, chunks: p.totalChunks, bytes: p.totalBytes, ms }, `checkpoint ${id} loaded and verified`);
        bar = undefined;
        id = -1;
      }
    },
    abandon() {
      bar?.end();
      bar = undefined;
    },
  };
}

/**
 * Logs each checkpoint once: completed ones as run() reports them (onCheckpoint), aborted ones from the stats,
 * polled. Remembers when the newest one completed, for the status line.
 */
interface CheckpointWatcher {
  /** RunOptions.onCheckpoint. */
  completed(c: CompletedCheckpoint): void;
  /** Starts polling the job's stats for aborted checkpoints. */
  start(handle: JobHandle): void;
  /** The newest completed checkpoint and when it completed (performance.now()). */
  latest(): { checkpoint: CompletedCheckpoint; seenAt: number } | undefined;
  /** Logs what is left in the final stats, stops polling. */
  stop(final: CheckpointStats): void;
}

function watchCheckpoints(log: Logger): CheckpointWatcher {
  // Reported once each: by id (ids only grow), since the final stats repeat what onCheckpoint already said; aborts
  // by count (the newest are at the end of the list).
  let loggedId = 0;
  let loggedAborts = 0;
  let newest: { checkpoint: CompletedCheckpoint; seenAt: number } | undefined;
  let timer: NodeJS.Timeout | undefined;
  let watched = false;
  const completed = (cp: CompletedCheckpoint): void => {
    if (cp.id <= loggedId) return;
    loggedId = cp.id;
    if (!newest || cp.id > newest.checkpoint.id) newest = { checkpoint: cp, seenAt: performance.now() };
    log.info({
      event: 'checkpoint', id: cp.id, kind: cp.kind, ...(cp.name !== undefined ? { name: cp.name } : {}), durationMs: Math.round(cp.durationMs * 10) / 10,
      bytes: cp.bytesWritten, chunks: cp.chunksWritten, keyedEntries: cp.keyedEntries, maxSyncMs: Math.round(cp.maxSyncMs * 10) / 10,
      unaligned: cp.unaligned,
      ...(cp.commitMs !== undefined ? { commitMs: Math.round(cp.commitMs * 10) / 10 } : {}),
    }, `${cp.kind} ${cp.id}${cp.name !== undefined ? ` '${cp.name}'` : ''} completed${cp.unaligned ? ' unaligned' : ''}: ${bytes(cp.bytesWritten)} in ${Math.round(cp.durationMs)} ms`);
  };
  const poll = (c: CheckpointStats): void => {
    // One still publishing (no commitMs yet) is logged by onCheckpoint, or by a later poll, once it has it.
    for (const cp of c.completed) if (cp.commitMs !== undefined) completed(cp);
    const fresh = c.aborted.slice(c.aborted.length - Math.min(c.aborted.length, c.abortedTotal - loggedAborts));
    loggedAborts = c.abortedTotal;
    for (const a of fresh) {
      const fields = { event: 'checkpoint-aborted', id: a.id, reason: a.reason };
      // The one in flight when the job stops is aborted by the stop itself: not worth a warning.
      if (a.reason === 'the job stopped') log.info(fields, `checkpoint ${a.id} aborted: ${a.reason}`);
      else warnAs(log, fields, `checkpoint ${a.id} aborted: ${a.reason}`);
    }
  };
  return {
    completed,
    start(handle) {
      if (handle.stateDir === undefined) return;
      watched = true;
      timer = setInterval(() => poll(handle.checkpoints()), CHECKPOINT_POLL_MS);
      timer.unref();
    },
    latest: () => newest,
    stop(final) {
      if (timer) clearInterval(timer);
      if (watched) poll(final);
    },
  };
}

/**
 * For a state directory another process holds: which one, asked on its control socket (a job killed under `npm run`
 * leaves its node process running, and the lock error alone does not say so).
 */
async function holderOf(e: unknown, stateDir: string | undefined): Promise<string> {
  if ((e as Error).name !== 'StateDirError' || !/in use/.test((e as Error).message) || stateDir === undefined) return '';
  try {
    const r = await requestControl(stateDir, { op: 'status' }, 2000);
    return 'status' in r ? `\nsluice: the job running there is process ${r.status.pid}: stop it first (kill ${r.status.pid})` : '';
  } catch {
    return '';
  }
}

/** Where a stream keeps the EPIPE handler of the latest run: one per stream, however many runs a process makes. */
const EPIPE_HANDLER = Symbol.for('sluice.epipeHandler');

/** Puts `handler` on `stream`'s errors in place of the one an earlier run put there, so they do not pile up. */
function onlyHandler(stream: NodeJS.WriteStream, handler: (e: NodeJS.ErrnoException) => void): void {
  const s = stream as NodeJS.WriteStream & { [EPIPE_HANDLER]?: (e: NodeJS.ErrnoException) => void };
  if (s[EPIPE_HANDLER] !== undefined) s.off('error', s[EPIPE_HANDLER]);
  s.on('error', handler);
  s[EPIPE_HANDLER] = handler;
}

/**
 * With `json`, diverts process.stdout.write to stderr until `release` and returns the one writer left to stdout.
 * Without, the returned writer is never called.
 */
function takeStdout(json: boolean): { writeJson: (value: unknown) => void; release(): void } {
  const out = process.stdout;
  const own = out.write;
  let write = out.write.bind(out);
  const diverted = process.stderr.write.bind(process.stderr) as typeof out.write;
  if (json) out.write = diverted;
  // Its reader gone (`sluice run job | head`): what would go to stdout is dropped from then on, and the job runs
  // to its end (its other sinks complete, the summary goes to stderr). Unhandled, EPIPE kills the CLI mid-job:
  // a stack trace, no summary, and the job's file sinks left without their output.
  onlyHandler(out, (e) => {
    if (e.code !== 'EPIPE') throw e;
    if (!json) out.write = (() => true) as typeof out.write;
    write = (() => true) as typeof write;
    process.stderr.write('sluice: standard output was closed (EPIPE): the job goes on, what it prints is dropped\n');
  });
  // The same for stderr (`sluice run job 2>&1 | head`: both go to the closed pipe; the notice above failed too).
  const err = process.stderr;
  onlyHandler(err, (e) => {
    if (e.code !== 'EPIPE') throw e;
    err.write = (() => true) as typeof err.write;
  });
  return {
    writeJson: (value) => { write(`${JSON.stringify(value)}\n`); },
    // stdout is given its own write back, or a second run in the process writes its report to stderr.
    release: () => { if (out.write === diverted) out.write = own; },
  };
}

/**
 * Resolves true once every subtask has accounted some time in the metrics (its task loop has run: threads up,
 * modules loaded), false if the job ended first.
 */
async function startedOrSettled(handle: JobHandle): Promise<boolean> {
  let settled = false;
  handle.result.then(() => { settled = true; }, () => { settled = true; });
  for (;;) {
    const m = handle.metrics();
    if (m.tasks.every((t) => t.busyMs + t.backpressuredMs + t.idleMs + t.asyncWaitMs > 0)) return true;
    if (settled) return false;
    await new Promise((r) => setTimeout(r, STARTED_POLL_MS));
  }
}

/** The live status: a line redrawn ~4x/s on a TTY; otherwise one plain line every 5 s. Returns its stop. */
function startTicker(handle: JobHandle, shape: JobShape, checkpoints: CheckpointWatcher): () => void {
  const err = process.stderr;
  const tty = err.isTTY === true;
  // stdout too when it is a terminal (the same one, as a rule): redirected to a file, its writes do not touch the line.
  const line = tty ? new LiveLine(err, process.stdout.isTTY === true ? [process.stdout] : []) : undefined;
  const samples: JobMetrics[] = [];
  const tick = (): void => {
    const now = handle.metrics();
    // Rates over the last ~second on a TTY; since the previous line otherwise.
    while (samples.length > 1 && now.durationMs - samples[1]!.durationMs >= (tty ? RATE_WINDOW_MS : LOG_EVERY_MS)) samples.shift();
    const r = rates(shape, samples[0], now);
    samples.push(now);
    const latest = checkpoints.latest();
    const live: LiveInfo = {
      progress: inputProgress(shape, now, progressSources(handle)),
      progressBar: tty,
      watermark: slowestWatermark(now),
      checkpoint: latest && {
        id: latest.checkpoint.id, kind: latest.checkpoint.kind, bytes: latest.checkpoint.bytesWritten,
        durationMs: latest.checkpoint.durationMs, ageMs: performance.now() - latest.seenAt,
      },
    };
    if (line) line.draw(statusLine(shape, r, (err.columns || 80) - 1, live));
    else err.write(`sluice: ${statusLine(shape, r, Infinity, live)}\n`);
  };
  const timer = setInterval(tick, tty ? TTY_REFRESH_MS : LOG_EVERY_MS);
  // The job's own threads keep the process alive; the ticker must not.
  timer.unref();
  return () => {
    clearInterval(timer);
    line?.stop();
  };
}
